// ProducerRegistry (0x…1007): register → Pending → Approved / Rejected → resubmit, FM checks, and
// list() over index key ranges only.
#include <algorithm>
#include <tuple>

#include "modules/registry/registry.hpp"
#include "tests/unit/modules/gov_fixture.hpp"

using namespace tn;
using registry::Status;

namespace {

const Hash32 kDocs = keccak256(std::string_view("qualification documents"));

test::TxResult apply(test::ModuleChain& chain, std::size_t from, std::string_view kind,
                     std::string_view name = "Acme Oil") {
  return chain.send(from, kProducerRegistryAddress, "registerProducer(string,string,bytes32)",
                    {std::string(kind), std::string(name), kDocs});
}

Status statusOf(test::ModuleChain& chain, const Address& producer, std::string_view kind) {
  auto r = chain.call(kProducerRegistryAddress, "getProducerApplication(address,string)",
                      {producer, std::string(kind)});
  return Status(toU64(r[0].asUint()));
}

// A StateReader that counts the keys a scan visits.
class CountingReader final : public StateReader {
 public:
  explicit CountingReader(const StateReader& inner) : inner_(inner) {}
  std::optional<Bytes> get(BytesView key) const override { return inner_.get(key); }
  void scan(BytesView prefix, const ScanFn& fn) const override {
    inner_.scan(prefix, [&](BytesView k, BytesView v) {
      ++visited;
      return fn(k, v);
    });
  }
  mutable std::size_t visited = 0;

 private:
  const StateReader& inner_;
};

std::vector<Address> producersOf(const std::vector<registry::Application>& apps) {
  std::vector<Address> out;
  for (const auto& a : apps) out.push_back(a.producer);
  return out;
}

}  // namespace

TEST_CASE("registerProducer validates the kind, name and documents hash") {
  test::ModuleChain chain;
  CHECK(apply(chain, 1, "COAL").reason == "unknown asset kind \"COAL\"");
  CHECK(apply(chain, 1, "oil").reason == "unknown asset kind \"oil\"");
  CHECK(apply(chain, 1, "OIL", "").reason == "empty producer name");
  CHECK(apply(chain, 1, "OIL", std::string(129, 'x')).reason == "producer name longer than 128 bytes");
  auto noDocs = chain.send(1, kProducerRegistryAddress, "registerProducer(string,string,bytes32)",
                           {"OIL", "Acme", Hash32{}});
  CHECK(noDocs.reason == "empty documents hash");
  CHECK(statusOf(chain, chain.addr(1), "OIL") == Status::None);
  CHECK_FALSE(registry::load(chain.state(), chain.addr(1), "OIL").has_value());

  // A kind added by governance is open for applications once the proposal has executed.
  CHECK(apply(chain, 1, "LNG").reason == "unknown asset kind \"LNG\"");
  test::passProposal(chain, {0}, "proposeToAddKind(string,bool,string)", {"LNG", false, "t"});
  CHECK(apply(chain, 1, "LNG").success);
  CHECK(statusOf(chain, chain.addr(1), "LNG") == Status::Pending);
}

TEST_CASE("producer admission: Pending, FM approval, events, no second application once approved") {
  test::ModuleChain chain;
  const Address producer = chain.addr(1);
  auto reg = apply(chain, 1, "OIL");
  REQUIRE_MESSAGE(reg.success, reg.reason);
  auto ev = chain.events(reg.logs, kProducerRegistryAddress, "ProducerRegistered(address,string,string,bytes32)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][0].asAddress() == producer);
  CHECK(ev[0][1].asString() == "OIL");
  CHECK(ev[0][2].asString() == "Acme Oil");
  CHECK(ev[0][3].asBytes32() == kDocs);
  CHECK(reg.logs[0].topics.size() == 2);  // producer is indexed

  auto app = chain.call(kProducerRegistryAddress, "getProducerApplication(address,string)", {producer, "OIL"});
  CHECK(app[0].asUint() == 1);
  CHECK(app[1].asString() == "Acme Oil");
  CHECK(app[2].asBytes32() == kDocs);
  CHECK(app[3].asString().empty());
  CHECK(app[4].asUint() == chain.now());
  CHECK_FALSE(registry::isApproved(chain.state(), producer, "OIL"));

  // Role checks: only a FOUNDATION_MANAGER decides.
  for (std::size_t who : {1, 2}) {
    CHECK(chain.send(who, kProducerRegistryAddress, "approveProducer(address,string)", {producer, "OIL"}).reason ==
          "caller is not FOUNDATION_MANAGER");
    CHECK(chain.send(who, kProducerRegistryAddress, "rejectProducer(address,string,string)",
                     {producer, "OIL", "no"})
              .reason == "caller is not FOUNDATION_MANAGER");
  }
  CHECK(statusOf(chain, producer, "OIL") == Status::Pending);

  chain.advance(100);
  auto ok = chain.send(0, kProducerRegistryAddress, "approveProducer(address,string)", {producer, "OIL"});
  REQUIRE(ok.success);
  auto approved = chain.events(ok.logs, kProducerRegistryAddress, "ProducerApproved(address,string)");
  REQUIRE(approved.size() == 1);
  CHECK(approved[0][0].asAddress() == producer);
  CHECK(approved[0][1].asString() == "OIL");
  CHECK(registry::isApproved(chain.state(), producer, "OIL"));
  CHECK(registry::load(chain.state(), producer, "OIL")->updatedAt == chain.now());
  // Admission is per kind.
  CHECK_FALSE(registry::isApproved(chain.state(), producer, "GAS"));

  CHECK(apply(chain, 1, "OIL").reason == "producer already approved for OIL");
  auto twice = chain.send(0, kProducerRegistryAddress, "approveProducer(address,string)", {producer, "OIL"});
  CHECK(twice.reason.find("is Approved, not Pending") != std::string::npos);
  auto unknown = chain.send(0, kProducerRegistryAddress, "approveProducer(address,string)", {chain.addr(5), "OIL"});
  CHECK(unknown.reason.find("no application of") == 0);
}

TEST_CASE("producer admission: rejection with a reason, then resubmission and approval") {
  test::ModuleChain chain;
  const Address producer = chain.addr(2);
  REQUIRE(apply(chain, 2, "GAS", "Gasco").success);
  CHECK(chain.send(0, kProducerRegistryAddress, "rejectProducer(address,string,string)", {producer, "GAS", ""})
            .reason == "empty rejection reason");
  const std::string longest(256, 'r');  // the longest reason kept
  CHECK(chain
            .send(0, kProducerRegistryAddress, "rejectProducer(address,string,string)",
                  {producer, "GAS", longest + "r"})
            .reason == "rejection reason longer than 256 bytes");
  CHECK(statusOf(chain, producer, "GAS") == Status::Pending);
  auto rejected = chain.send(0, kProducerRegistryAddress, "rejectProducer(address,string,string)",
                             {producer, "GAS", "licence expired"});
  REQUIRE(rejected.success);
  auto ev = chain.events(rejected.logs, kProducerRegistryAddress, "ProducerRejected(address,string,string)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][2].asString() == "licence expired");
  CHECK(statusOf(chain, producer, "GAS") == Status::Rejected);
  CHECK(chain.call(kProducerRegistryAddress, "getProducerApplication(address,string)", {producer, "GAS"})[3]
            .asString() == "licence expired");
  // A rejected application cannot be approved without a resubmission.
  CHECK(chain.send(0, kProducerRegistryAddress, "approveProducer(address,string)", {producer, "GAS"})
            .reason.find("is Rejected, not Pending") != std::string::npos);

  REQUIRE(apply(chain, 2, "GAS", "Gasco Ltd").success);
  auto resubmitted = registry::load(chain.state(), producer, "GAS");
  REQUIRE(resubmitted);
  CHECK(resubmitted->status == Status::Pending);
  CHECK(resubmitted->name == "Gasco Ltd");
  CHECK(resubmitted->reason.empty());
  REQUIRE(chain.send(0, kProducerRegistryAddress, "approveProducer(address,string)", {producer, "GAS"}).success);
  CHECK(registry::isApproved(chain.state(), producer, "GAS"));
}

TEST_CASE("registry list(): filters, order, limit and cursor use only their index range") {
  test::ModuleChain chain;
  // Accounts 1..6 apply for OIL; 3 and 5 also for GAS; 2 and 4 are approved for OIL, 6 rejected.
  for (std::size_t i = 1; i <= 6; ++i) REQUIRE(apply(chain, i, "OIL").success);
  REQUIRE(apply(chain, 3, "GAS").success);
  REQUIRE(apply(chain, 5, "GAS").success);
  for (std::size_t i : {2, 4})
    REQUIRE(chain.send(0, kProducerRegistryAddress, "approveProducer(address,string)", {chain.addr(i), "OIL"}).success);
  REQUIRE(chain.send(0, kProducerRegistryAddress, "rejectProducer(address,string,string)",
                     {chain.addr(6), "OIL", "incomplete"})
              .success);

  auto sorted = [&](std::vector<std::size_t> idx) {
    std::vector<Address> out;
    for (std::size_t i : idx) out.push_back(chain.addr(i));
    std::sort(out.begin(), out.end());
    return out;
  };
  CountingReader reader(chain.state());
  using F = registry::ListFilter;

  auto all = registry::list(reader, F{}, 100, std::nullopt);
  CHECK(all.size() == 8);
  for (std::size_t i = 1; i < all.size(); ++i)
    CHECK(std::tie(all[i - 1].producer, all[i - 1].kind) < std::tie(all[i].producer, all[i].kind));

  reader.visited = 0;
  auto gas = registry::list(reader, F{std::nullopt, "GAS", std::nullopt}, 100, std::nullopt);
  CHECK(producersOf(gas) == sorted({3, 5}));
  CHECK(reader.visited == 2);  // the GAS index range only, not the 6 OIL applications

  reader.visited = 0;
  auto approvedOil = registry::list(reader, F{std::nullopt, "OIL", Status::Approved}, 100, std::nullopt);
  CHECK(producersOf(approvedOil) == sorted({2, 4}));
  CHECK(reader.visited == 2);

  reader.visited = 0;
  auto pending = registry::list(reader, F{std::nullopt, std::nullopt, Status::Pending}, 100, std::nullopt);
  CHECK(pending.size() == 5);  // OIL 1, 3, 5 and GAS 3, 5; approvals left no stale Pending entry
  CHECK(reader.visited == 5);

  auto rejected = registry::list(reader, F{std::nullopt, std::nullopt, Status::Rejected}, 100, std::nullopt);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].reason == "incomplete");

  reader.visited = 0;
  auto three = registry::list(reader, F{chain.addr(3), std::nullopt, std::nullopt}, 100, std::nullopt);
  REQUIRE(three.size() == 2);
  CHECK(three[0].kind == "GAS");
  CHECK(three[1].kind == "OIL");
  CHECK(reader.visited == 2);
  CHECK(registry::list(chain.state(), F{chain.addr(3), "OIL", Status::Approved}, 10, std::nullopt).empty());
  CHECK(registry::list(chain.state(), F{chain.addr(2), "OIL", Status::Approved}, 10, std::nullopt).size() == 1);
  CHECK(registry::list(chain.state(), F{chain.addr(3), std::nullopt, Status::Pending}, 10, std::nullopt).size() == 2);

  // Pages of 3 over all eight, each page continuing after the last one returned.
  std::vector<registry::Application> paged;
  std::optional<std::pair<Address, std::string>> cursor;
  for (int page = 0; page < 4; ++page) {
    auto part = registry::list(chain.state(), F{}, 3, cursor);
    CHECK(part.size() <= 3);
    if (part.empty()) break;
    for (auto& a : part) paged.push_back(a);
    cursor = std::pair{part.back().producer, part.back().kind};
  }
  REQUIRE(paged.size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(paged[i].producer == all[i].producer);
    CHECK(paged[i].kind == all[i].kind);
  }
  CHECK(registry::list(chain.state(), F{}, 0, std::nullopt).empty());
  CHECK(registry::list(chain.state(), F{std::nullopt, "COAL", std::nullopt}, 10, std::nullopt).empty());
}
