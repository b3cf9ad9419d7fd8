// The tn_ methods over a module test chain (tests/unit/modules: the standard modules, dev genesis,
// real signed transactions): the portal flow seen through the RPC, pagination, the audit estimate
// of an open month, proposals, and argument errors.
#include "rpc/tn_api.hpp"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include "tests/unit/modules/prod_fixture.hpp"
#include "tests/unit/rpc/chain_backend.hpp"

namespace tn::rpc {

namespace json = boost::json;
using tn::test::at;
using tn::test::oilKind;
using tn::test::ProdChain;
using tn::test::requireOk;
using tn::test::whole;

namespace {

using test::ChainBackend;

// A dispatcher with the tn_ methods over `backend`; one request at a time.
struct Api {
  Dispatcher d;
  explicit Api(Backend& backend) { addTnApi(d, backend); }

  json::object answer(std::string_view method, json::array params) {
    CallContext ctx;
    auto out = d.handleOne(
        json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}},
        ctx);
    REQUIRE(out.has_value());
    return out->as_object();
  }
  json::value result(std::string_view method, json::array params = {}) {
    json::object r = answer(method, std::move(params));
    INFO(json::serialize(r));
    REQUIRE(r.contains("result"));
    return r.at("result");
  }
  // {code, message} of an error answer.
  std::pair<int64_t, std::string> error(std::string_view method, json::array params = {}) {
    json::object r = answer(method, std::move(params));
    INFO(json::serialize(r));
    REQUIRE(r.contains("error"));
    const json::object& e = r.at("error").as_object();
    return {e.at("code").to_number<int64_t>(), std::string(e.at("message").as_string())};
  }
};

std::string str(const json::value& v) { return std::string(v.as_string()); }
// The readable amount of an 18-decimal amount object.
std::string amount(const json::value& v) { return str(v.at("amount")); }

// A chain at 2024-01-01 where account 1 owns two active OIL wells (API 35.00, sulphur 0.400: the
// 90 % discount) and account 3 has applied for GAS.
struct Portal {
  ProdChain chain{at(24, 1, 1)};
  ChainBackend backend{chain};
  Api api{backend};
  Hash32 a = chain.activeWell(1, oilKind(), "well-a");
  Hash32 b = chain.activeWell(1, oilKind(), "well-b");

  Portal() {
    requireOk(chain.send(3, tn::test::kRegistryAddr, "registerProducer(string,string,bytes32)",
                         {"GAS", "Gasco", keccak256(std::string_view("gasco-documents"))}));
  }
  json::value month(const Hash32& id, std::string_view m) {
    return api.result("tn_getProductionMonth", {json::string(id.hex()), json::string(m)});
  }
};

}  // namespace

TEST_CASE("tn_ methods answer -32000 when the backend has no module state") {
  test::FakeBackend plain;
  Api api(plain);
  auto [code, message] = api.error("tn_getModules");
  CHECK(code == code::kServer);
  CHECK(message == "module state not available on this node");
}

TEST_CASE("tn_getModules names every module, the kinds and the fixed accounts") {
  ProdChain chain;
  ChainBackend be(chain);
  Api api(be);
  json::value r = api.result("tn_getModules");
  const json::object& m = r.at("modules").as_object();
  CHECK(str(m.at("roles")) == Address::fromU64(0x1000).hex());
  CHECK(str(m.at("tat")) == Address::fromU64(0x1005).hex());
  CHECK(str(m.at("registry")) == Address::fromU64(0x1007).hex());
  CHECK(str(m.at("oildata")) == Address::fromU64(0x1011).hex());
  CHECK_FALSE(m.contains("producer1"));  // reserved for a kind governance has not added
  const json::array& kinds = r.at("kinds").as_array();
  REQUIRE(kinds.size() == 4);
  CHECK(str(kinds[0].at("name")) == "OIL");
  CHECK(str(kinds[0].at("producer")) == Address::fromU64(0x1010).hex());
  CHECK(kinds[0].at("discounted").as_bool());
  CHECK_FALSE(kinds[2].at("physical").as_bool());  // ETH
  CHECK(str(r.at("penaltyPool")) == Address::fromU64(0x1008).hex());
}

TEST_CASE("tn_getProducer and tn_listProducers read the registry by status and kind") {
  Portal p;
  json::value one = p.api.result("tn_getProducer", {json::string(p.chain.addr(1).hex())});
  const json::array& apps = one.at("applications").as_array();
  REQUIRE(apps.size() == 1);
  CHECK(str(apps[0].at("kind")) == "OIL");
  CHECK(str(apps[0].at("status")) == "Approved");
  CHECK(apps[0].at("statusCode").to_number<int64_t>() == 2);
  CHECK(str(apps[0].at("updatedAt").at("utc")) == "2024-01-01T00:00:00Z");
  CHECK(p.api.result("tn_getProducer", {json::string(p.chain.addr(1).hex()), "gas"})
            .at("applications").as_array().empty());

  json::value pending = p.api.result("tn_listProducers", {nullptr, "pending"});
  REQUIRE(pending.at("producers").as_array().size() == 1);
  CHECK(str(pending.at("producers").at(0).at("producer")) == p.chain.addr(3).hex());
  CHECK(str(pending.at("producers").at(0).at("name")) == "Gasco");
  CHECK(pending.at("nextCursor").is_null());

  // All of them, one per page: the cursor walks (producer, kind) order without repeats.
  std::vector<std::string> seen;
  json::value cursor = nullptr;
  do {
    json::value page = p.api.result("tn_listProducers", {nullptr, nullptr, cursor, 1});
    REQUIRE(page.at("producers").as_array().size() == 1);
    seen.push_back(str(page.at("producers").at(0).at("producer")));
    cursor = page.at("nextCursor");
  } while (!cursor.is_null());
  CHECK(seen.size() == 2);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(seen[0] != seen[1]);
}

TEST_CASE("tn_getWell and tn_listWells: review status, validity, discount and pagination") {
  Portal p;
  json::value w = p.api.result("tn_getWell", {json::string(p.a.hex())});
  CHECK(str(w.at("kind")) == "OIL");
  CHECK(str(w.at("owner")) == p.chain.addr(1).hex());
  CHECK(str(w.at("status")) == "Active");
  CHECK(str(w.at("review")) == "Pass");
  CHECK(str(w.at("api").at("value")) == "35");
  CHECK(str(w.at("sulphur").at("value")) == "0.4");
  CHECK(str(w.at("sulphur").at("raw")) == "400");
  CHECK(w.at("discountBps").to_number<int64_t>() == 9000);
  CHECK(str(w.at("validUntil").at("utc")) == "2024-12-31T00:00:00Z");  // 365 days of validity
  CHECK(w.at("valid").as_bool());
  CHECK(w.at("months").as_array().empty());
  CHECK(p.api.result("tn_getWell", {json::string(Hash32{}.hex())}).is_null());

  // Two wells of account 1, one per page; a status or kind filter narrows the index read.
  json::value first = p.api.result("tn_listWells", {json::string(p.chain.addr(1).hex()), nullptr,
                                                    nullptr, nullptr, 1});
  REQUIRE(first.at("wells").as_array().size() == 1);
  json::value second = p.api.result("tn_listWells", {json::string(p.chain.addr(1).hex()), nullptr,
                                                     nullptr, first.at("nextCursor"), 1});
  REQUIRE(second.at("wells").as_array().size() == 1);
  CHECK(second.at("nextCursor").is_null());
  CHECK(str(first.at("wells").at(0).at("uniqueId")) < str(second.at("wells").at(0).at("uniqueId")));
  CHECK(p.api.result("tn_listWells", {nullptr, "OIL", "Deactive"}).at("wells").as_array().empty());
  CHECK(p.api.result("tn_listWells", {nullptr, "GAS"}).at("wells").as_array().empty());
  requireOk(p.chain.setStatus(oilKind(), p.b, tn::test::kDeactive));
  json::value off = p.api.result("tn_listWells", {nullptr, "OIL", "deactive"});
  REQUIRE(off.at("wells").as_array().size() == 1);
  CHECK(str(off.at("wells").at(0).at("uniqueId")) == p.b.hex());
  CHECK(str(off.at("wells").at(0).at("review")) == "Not Pass");
}

TEST_CASE("tn_getProductionMonth follows a month from upload to clearing") {
  Portal p;
  const auto& oil = oilKind();
  // January: 100 bbl on the 2nd at a fed 70 USD, 50 bbl on the 3rd without a price of its own.
  p.chain.setTime(at(24, 1, 3, 43'200));
  requireOk(p.chain.feedPrice(oil, 240102, U256(700'000)));
  requireOk(p.chain.put(1, oil, p.a, U256(1'000'000), 240102));
  requireOk(p.chain.put(1, oil, p.a, U256(500'000), 240103));

  json::value open = p.month(p.a, "2024-01");
  CHECK(str(open.at("status")) == "UNAUDITED");
  const json::array& days = open.at("days").as_array();
  REQUIRE(days.size() == 2);
  CHECK(str(days[0].at("date")) == "2024-01-02");
  CHECK(str(days[0].at("volume").at("value")) == "100");
  CHECK(str(days[0].at("price").at("source")) == "fed");
  CHECK(str(days[0].at("value").at("amount")) == "6300");  // 100 × 70 × 90 %
  CHECK(str(days[1].at("price").at("source")) == "fallback");
  CHECK(str(days[1].at("price").at("value")) == "70");
  CHECK(str(open.at("uploaded").at("raw")) == "1500000");
  CHECK(open.at("trusted").is_null());
  CHECK(amount(open.at("value")) == "9450");
  CHECK(open.at("estimated").as_bool());
  CHECK(open.at("minted").is_null());  // no trusted figure yet
  CHECK(amount(open.at("marginRequired")) == "94.5");  // 1 % of V at 1 USD per UNIT
  CHECK_FALSE(open.at("clearable").as_bool());
  const json::array& blockers = open.at("blockers").as_array();
  CHECK(std::find(blockers.begin(), blockers.end(),
                  json::value("month not over: trusted data comes after it ends")) != blockers.end());

  // February: the audited figure equals the upload; the margin is short, then covered.
  p.chain.setTime(at(24, 2, 2));
  requireOk(p.chain.trusted(oil, p.a, 2401, U256(1'500'000)));
  json::value audited = p.month(p.a, "2024-01");
  CHECK(amount(audited.at("minted")) == "9450");
  CHECK(str(audited.at("outcome")) == "FINISHED");
  CHECK(audited.at("deviationBps").to_number<int64_t>() == 0);
  REQUIRE(audited.at("blockers").as_array().size() == 1);
  CHECK(str(audited.at("blockers").at(0)) == "insufficient margin: need 94.5 UNIT, have 0");
  requireOk(p.chain.prepay(1, oil, whole(100)));
  CHECK(p.month(p.a, "2024-01").at("clearable").as_bool());

  // Shares: account 2 holds 10 %.
  requireOk(p.chain.send(1, oil.producer, "setHolders(bytes32,address[],uint256[])",
                         {p.a, abi::ValueList{p.chain.addr(2)}, abi::ValueList{uint64_t(10)}}));
  json::value shares = p.api.result("tn_getShares", {json::string(p.a.hex())});
  CHECK(shares.at("ownerRatio").to_number<int64_t>() == 90);
  REQUIRE(shares.at("holders").as_array().size() == 1);
  CHECK(str(shares.at("holders").at(0).at("account")) == p.chain.addr(2).hex());

  requireOk(p.chain.clear(1, oil, p.a, 2401));
  json::value cleared = p.month(p.a, "2024-01");
  CHECK(str(cleared.at("status")) == "FINISHED");
  CHECK_FALSE(cleared.at("estimated").as_bool());
  CHECK(amount(cleared.at("minted")) == "9450");
  CHECK(str(cleared.at("minted").at("wei")) == "9450000000000000000000");
  CHECK(str(cleared.at("minted").at("hex")) == toQuantity(whole(9450)));
  CHECK(amount(cleared.at("penalty")) == "0");
  CHECK(str(cleared.at("clearedAt").at("utc")) == "2024-02-02T00:00:00Z");
  CHECK_FALSE(cleared.at("clearable").as_bool());

  json::value well = p.api.result("tn_getWell", {json::string(p.a.hex())});
  REQUIRE(well.at("months").as_array().size() == 1);
  CHECK(str(well.at("months").at(0).at("month")) == "2024-01");
  CHECK(str(well.at("months").at(0).at("status")) == "FINISHED");

  json::value stats = p.api.result("tn_getTatStats");
  CHECK(amount(stats.at("supply")) == "9450");
  REQUIRE(stats.at("perMonth").as_array().size() == 1);
  CHECK(str(stats.at("perMonth").at(0).at("month")) == "2024-01");
  CHECK(amount(stats.at("perMonth").at(0).at("minted")) == "9450");
  REQUIRE(stats.at("perPeriod").as_array().size() == 1);
  CHECK(stats.at("perPeriod").at(0).at("period").to_number<int64_t>() == 0);

  json::value margin = p.api.result("tn_getMargin", {json::string(p.chain.addr(1).hex()), "OIL"});
  REQUIRE(margin.at("margins").as_array().size() == 1);
  CHECK(amount(margin.at("margins").at(0).at("balance")) == "100");
  CHECK(str(margin.at("margins").at(0).at("status")) == "Normal");
  CHECK(p.api.result("tn_getMargin", {json::string(p.chain.addr(1).hex())})
            .at("margins").as_array().size() == 4);
}

TEST_CASE("tn_getProductionMonth estimates a failed audit with its penalty") {
  Portal p;
  const auto& oil = oilKind();
  p.chain.januaryDay(1, oil, p.b, U256(1'000'000), U256(700'000), U256(800'000), 0);
  // U = 100, T = 80: M = 6300 × 80 / 100, deviation 25 %, penalty M × 25 % × 1 %.
  json::value m = p.month(p.b, "2024-01");
  CHECK(str(m.at("outcome")) == "FAILED");
  CHECK(amount(m.at("minted")) == "5040");
  CHECK(m.at("deviationBps").to_number<int64_t>() == 2500);
  CHECK(amount(m.at("penalty")) == "12.6");
  CHECK(str(m.at("status")) == "UNAUDITED");
  // A month nothing was uploaded for.
  json::value none = p.month(p.b, "2023-12");
  CHECK(str(none.at("status")) == "NONE");
  CHECK(none.at("value").is_null());
  CHECK(p.api.result("tn_getProductionMonth", {json::string(Hash32{}.hex()), "2024-01"}).is_null());
}

TEST_CASE("tn_getPrices, tn_getParams") {
  Portal p;
  const auto& oil = oilKind();
  p.chain.setTime(at(24, 1, 20));
  requireOk(p.chain.feedPrice(oil, 240105, U256(712'500)));
  requireOk(p.chain.feedPrice(oil, 240110, U256(720'000)));
  json::value r = p.api.result("tn_getPrices", {"OIL", "2024-01-01", "2024-01-31"});
  const json::array& prices = r.at("prices").as_array();
  REQUIRE(prices.size() == 2);
  CHECK(str(prices[0].at("date")) == "2024-01-05");
  CHECK(str(prices[0].at("price").at("value")) == "71.25");
  CHECK(str(r.at("unit")) == "bbl");
  CHECK_FALSE(r.at("unitPrice").at("fed").as_bool());
  // The range ends at the head's date by default.
  json::value toToday = p.api.result("tn_getPrices", {"OIL", "2024-01-06"});
  CHECK(str(toToday.at("to")) == "2024-01-20");
  CHECK(toToday.at("prices").as_array().size() == 1);

  json::value params = p.api.result("tn_getParams");
  CHECK(str(params.at("params").at("marginRatio")) == "100");
  CHECK(params.at("discount").at("d").at(0).to_number<int64_t>() == 9000);
  CHECK(str(params.at("discount").at("api").at("value")) == "31.1");
  CHECK(params.at("roles").at("fmThreshold").to_number<int64_t>() == 1);
  CHECK(str(params.at("roles").at("foundationManagers").at(0)) == p.chain.addr(0).hex());
}

TEST_CASE("tn_listProposals: pending, signed, executable, closed") {
  ProdChain chain(at(24, 1, 1));
  ChainBackend be(chain);
  Api api(be);
  const Address mulsig = Address::fromU64(0x1002);
  for (uint64_t ratio : {200, 300})
    requireOk(chain.send(0, mulsig, "proposeToSetPlatformConfig(string,uint256)",
                         {"marginRatio", ratio}));
  requireOk(chain.send(0, mulsig, "signTransaction(uint256)", {uint64_t(1)}));

  json::value first = api.result("tn_listProposals", {nullptr, nullptr, 1});
  REQUIRE(first.at("proposals").as_array().size() == 1);
  const json::value& p1 = first.at("proposals").at(0);
  CHECK(p1.at("id").to_number<int64_t>() == 1);
  CHECK(str(p1.at("type")) == "platformConfig");
  CHECK(str(p1.at("name")) == "marginRatio");
  CHECK(str(p1.at("args").at(0)) == "200");
  CHECK(str(p1.at("status")) == "pending");
  CHECK(p1.at("signatures").to_number<int64_t>() == 1);
  CHECK(p1.at("threshold").to_number<int64_t>() == 1);
  CHECK(p1.at("executeTime").at("unix").to_number<int64_t>() == int64_t(chain.now() + 5));
  CHECK_FALSE(p1.at("executable").as_bool());  // the confirm delay has not passed
  json::value second = api.result("tn_listProposals", {nullptr, first.at("nextCursor"), 1});
  REQUIRE(second.at("proposals").as_array().size() == 1);
  CHECK(second.at("proposals").at(0).at("executeTime").is_null());  // unsigned
  CHECK(second.at("nextCursor").is_null());

  chain.advance(5);
  CHECK(api.result("tn_listProposals").at("proposals").at(0).at("executable").as_bool());
  requireOk(chain.send(0, mulsig, "executeProposal(uint256)", {uint64_t(1)}));
  json::value all = api.result("tn_listProposals", {"all"});
  REQUIRE(all.at("proposals").as_array().size() == 2);
  CHECK(str(all.at("proposals").at(0).at("status")) == "closed");
  json::value pending = api.result("tn_listProposals", {"pending"});
  REQUIRE(pending.at("proposals").as_array().size() == 1);
  CHECK(pending.at("proposals").at(0).at("id").to_number<int64_t>() == 2);
  CHECK(str(api.result("tn_getParams").at("params").at("marginRatio")) == "200");
}

TEST_CASE("tn_ arguments are checked and errors name them") {
  Portal p;
  auto check = [&](std::string_view method, json::array params, std::string_view message) {
    auto [code, text] = p.api.error(method, std::move(params));
    CHECK(code == code::kInvalidParams);
    CHECK(text == message);
  };
  check("tn_listWells", {nullptr, "COAL"},
        "invalid argument 1 (kind): unknown asset kind 'COAL' (OIL, GAS, ETH, BTC)");
  check("tn_listWells", {nullptr, nullptr, "Approved"},
        "invalid argument 2 (status): unknown status 'Approved' (NotSet, Active, Deactive)");
  check("tn_listWells", {nullptr, nullptr, nullptr, nullptr, 0},
        "invalid argument 4 (limit): limit must be at least 1");
  check("tn_getProductionMonth", {json::string(p.a.hex()), "2024-13"},
        "invalid argument 1 (month): no month 13");
  check("tn_getProductionMonth", {json::string(p.a.hex()), "2024-1"},
        "invalid argument 1 (month): expected YYYY-MM, got '2024-1'");
  check("tn_getPrices", {"OIL", "2024-02-30"}, "invalid argument 1 (from): 2024-02-30 is not a real day");
  check("tn_getPrices", {"OIL", "2023-01-01", "2024-01-02"},
        "invalid argument 2 (to): range longer than 366 days");
  check("tn_listProducers", {nullptr, nullptr, "nonsense"},
        "invalid argument 2 (cursor): not a producer cursor");
  check("tn_listProposals", {"open"}, "invalid argument 0 (status): unknown status 'open' (pending, all)");
}

}  // namespace tn::rpc
