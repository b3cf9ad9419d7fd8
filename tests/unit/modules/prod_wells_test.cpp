// Wells (RULES.md §4): admission-gated addProducer, FM review with validity, the owner's update,
// the public ABI encodings, inert reserved pairs and the well indexes behind tn_listWells.
#include "modules/governance/governance.hpp"
#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

const uint64_t kYear = 365 * kDay;

}  // namespace

TEST_CASE("wells: addProducer needs an Approved producer of the kind who is the core owner") {
  ProdChain c;
  const Hash32 id = wellId("W1");
  checkRevert(c.addWell(1, oilKind(), id), "producer not approved for OIL");
  c.admit(1, gasKind());  // approval for another kind does not count
  checkRevert(c.addWell(1, oilKind(), id), "producer not approved for OIL");
  c.admit(1, oilKind());
  // Someone else's well, even by an approved producer.
  checkRevert(c.send(1, oilKind().producer, kAddProducerSig, {id, core("n", c.addr(2), 3500, 400)}),
              "caller must be the well owner");
  checkRevert(
      c.send(1, oilKind().producer, kAddProducerSig, {Hash32{}, core("n", c.addr(1), 1, 1)}),
      "zero uniqueId");
  checkRevert(c.send(1, oilKind().producer, kAddProducerSig, {id, core("", c.addr(1), 3500, 400)}),
              "empty nickname");
  checkRevert(c.send(1, oilKind().producer, kAddProducerSig, {id, core("n", Address(), 3500, 400)}),
              "zero owner address");
  checkRevert(c.addWell(1, oilKind(), id, 0, 400), "API and sulphur must be non-zero");
  checkRevert(c.addWell(1, oilKind(), id, 3500, 0), "API and sulphur must be non-zero");

  auto r = c.addWell(1, oilKind(), id);
  requireOk(r);
  auto ev =
      c.events(r.logs, oilKind().producer, "AddProducer(bytes32," + std::string(kCoreT) + ")");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][0].asBytes32() == id);
  CHECK(ev[0][1].asList()[1].asAddress() == c.addr(1));
  CHECK(c.well(id).status == production::WellStatus::NotSet);

  // uniqueId is unique across kinds.
  checkRevert(c.addWell(1, oilKind(), id), "well already exists");
  checkRevert(c.addWell(1, gasKind(), id), "well already exists");
  // GAS needs no API/sulphur; ETH needs a mining account.
  requireOk(c.addWell(1, gasKind(), wellId("G1"), 0, 0));
  c.admit(1, ethKind());
  checkRevert(c.addWell(1, ethKind(), wellId("E1"), 0, 0, ""), "empty mining account");
  requireOk(c.addWell(1, ethKind(), wellId("E1"), 0, 0, "0xminer"));
}

TEST_CASE("wells: FM review, Active/Deactive, validity from the first activation only") {
  ProdChain c;
  const Hash32 id = c.reviewWell(1, oilKind(), "W1");
  checkRevert(c.setStatus(oilKind(), id, kActive, 1), "caller is not FOUNDATION_MANAGER");
  checkRevert(c.setStatus(oilKind(), wellId("nope"), kActive), "well not found");
  checkRevert(c.setStatus(oilKind(), id, kNotSet), "invalid status");
  // An enum above Deactive is malformed calldata: empty revert data, as solc.
  auto bad = c.setStatus(oilKind(), id, 3);
  CHECK_FALSE(bad.success);
  // The OIL well is invisible at the GAS producer.
  checkRevert(c.setStatus(gasKind(), id, kActive), "well not found");

  c.setTime(kJan2024 + 100);
  auto r = c.setStatus(oilKind(), id, kActive);
  requireOk(r);
  CHECK(c.well(id).validUntil == kJan2024 + 100 + kYear);
  auto st = c.events(r.logs, oilKind().producer, "SetProducerStatus(bytes32,bytes32,uint8)");
  REQUIRE(st.size() == 1);
  CHECK(st[0][1].asBytes32() == oracle::trustedDataRequestId(oilKind().data, id));
  CHECK(st[0][2].asUint() == kActive);
  // The feeder learns the request id at the data module, as from the public contracts.
  auto reg = c.events(r.logs, oilKind().data, "RegisterTrustedDataRequest(string,bytes32,bytes32)");
  REQUIRE(reg.size() == 1);
  CHECK(reg[0][2].asBytes32() == oracle::trustedDataRequestId(oilKind().data, id));
  CHECK(c.call(oilKind().producer, "getWellValidity(bytes32)", {id})[0].asUint() ==
        kJan2024 + 100 + kYear);

  // Deactive and back: no extension.
  c.advance(kDay);
  requireOk(c.setStatus(oilKind(), id, kDeactive));
  requireOk(c.setStatus(oilKind(), id, kActive));
  CHECK(c.well(id).validUntil == kJan2024 + 100 + kYear);

  // The owner's update sends it back to review; the next activation extends from
  // max(validUntil, now): here validUntil is still ahead.
  requireOk(c.send(1, oilKind().producer, kUpdateSig, {id, core("renamed", c.addr(1), 3600, 300)}));
  CHECK(c.well(id).status == production::WellStatus::NotSet);
  requireOk(c.setStatus(oilKind(), id, kActive));
  CHECK(c.well(id).validUntil == kJan2024 + 100 + 2 * kYear);

  // After expiry the extension starts from now.
  const uint64_t later = kJan2024 + 100 + 3 * kYear;
  c.setTime(later);
  requireOk(c.send(1, oilKind().producer, kUpdateSig, {id, core("again", c.addr(1), 3600, 300)}));
  requireOk(c.setStatus(oilKind(), id, kActive));
  CHECK(c.well(id).validUntil == later + kYear);
}

TEST_CASE("wells: updateProdcuer by the owner only, same owner, fields re-validated") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, oilKind(), "W1");
  checkRevert(c.send(2, oilKind().producer, kUpdateSig, {id, core("x", c.addr(1), 3600, 300)}),
              "caller must be the well owner");
  checkRevert(c.send(1, oilKind().producer, kUpdateSig, {id, core("x", c.addr(2), 3600, 300)}),
              "owner change not allowed");
  checkRevert(c.send(1, oilKind().producer, kUpdateSig, {id, core("x", c.addr(1), 0, 300)}),
              "API and sulphur must be non-zero");
  checkRevert(c.send(1, oilKind().producer, kUpdateSig, {id, core("", c.addr(1), 3600, 300)}),
              "empty nickname");
  CHECK(c.well(id).status == production::WellStatus::Active);  // failed updates change nothing

  auto r = c.send(1, oilKind().producer, kUpdateSig, {id, core("annual", c.addr(1), 3600, 300)});
  requireOk(r);
  auto ev =
      c.events(r.logs, oilKind().producer,
               "UpdateProducer(bytes32," + std::string(kCoreT) + "," + std::string(kCoreT) + ")");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][1].asList()[0].asString() == "well 1");
  CHECK(ev[0][2].asList()[0].asString() == "annual");
  CHECK(c.well(id).api == 3600);
  CHECK(c.well(id).status == production::WellStatus::NotSet);
}

TEST_CASE("wells: getProducer returns (status, ProducerCore) as the public ABI") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, oilKind(), "W1", 3500, 420);
  auto got = c.call(oilKind().producer, "getProducer(bytes32)", {id});
  CHECK(got[0].asUint() == kActive);
  const auto& coreOut = got[1].asList();
  CHECK(coreOut[0].asString() == "well 1");
  CHECK(coreOut[1].asAddress() == c.addr(1));
  CHECK(coreOut[2].asUint() == 3500);
  CHECK(coreOut[3].asUint() == 420);
  CHECK(c.call(oilKind().producer, "producerStatus(bytes32)", {id})[0].asUint() == kActive);
  CHECK(
      c.call(oilKind().producer, "isProducerOwner(bytes32,address)", {id, c.addr(1)})[0].asBool());
  CHECK_FALSE(
      c.call(oilKind().producer, "isProducerOwner(bytes32,address)", {id, c.addr(2)})[0].asBool());
  // Unknown, or of another kind: all zero.
  auto none = c.call(gasKind().producer, "getProducer(bytes32)", {id});
  CHECK(none[0].asUint() == 0);
  CHECK(none[1].asList()[1].asAddress() == Address());
  CHECK(c.call(oilKind().producer, "MAX_HOLDERS()")[0].asUint() == 9);
  CHECK(c.call(oilKind().producer, "MAX_PIECES()")[0].asUint() == 100);
  CHECK(c.call(oilKind().producer, "FOUNDATION_MANAGER()")[0].asBytes32() ==
        keccak256(std::string_view("FOUNDATION_MANAGER")));
}

TEST_CASE(
    "wells: reserved producer/data pairs answer but stay inert until governance adds a kind") {
  ProdChain c;
  const Address producer = kinds::addedProducerAddress(0), data = kinds::addedDataAddress(0);
  CHECK(c.modules().find(producer) != nullptr);
  CHECK(c.modules().find(data) != nullptr);
  checkRevert(c.send(1, producer, kAddProducerSig, {wellId("X"), core("n", c.addr(1), 1, 1)}),
              "no asset kind at this address");
  checkRevert(c.send(1, data, "prepay()", {}, whole(1)), "no asset kind at this address");
  CHECK(c.modules().find(kinds::addedDataAddress(kinds::kMaxAddedKinds - 1)) != nullptr);
}

TEST_CASE("wells: a kind added by governance brings its reserved pair to life") {
  ProdChain c;
  const kinds::Kind coal{
      "COAL", true, false, kinds::addedProducerAddress(0), kinds::addedDataAddress(0), "t"};
  c.asModule(c.modules().find(Address::fromU64(0x1001))->module->address(),
             [&](CallContext& ctx) { governance::addKind(ctx, coal); });
  const Hash32 id = c.activeWell(1, coal, "C1", 0, 0);  // undiscounted: no API/sulphur needed
  c.januaryDay(1, coal, id, 20'000, 500'000, U256(20'000), whole(1));
  requireOk(c.clear(1, coal, id, 2401));
  CHECK(c.tatOf(1) == whole(100));  // 2 t × USD 50
  // The next reserved pair is still inert.
  checkRevert(c.send(1, kinds::addedDataAddress(1), "prepay()", {}, whole(1)),
              "no asset kind at this address");
}

TEST_CASE("wells: indexes list by owner, kind and status with pagination, without a full scan") {
  ProdChain c;
  const Hash32 a = c.activeWell(1, oilKind(), "A");
  const Hash32 b = c.activeWell(1, gasKind(), "B");
  const Hash32 d = c.activeWell(2, oilKind(), "D");
  c.reviewWell(2, gasKind(), "C");  // stays NotSet
  requireOk(c.setStatus(oilKind(), d, kDeactive));

  auto ids = [](const std::vector<production::WellEntry>& v) {
    std::vector<Hash32> out;
    for (const auto& e : v) out.push_back(e.id);
    return out;
  };
  using F = production::WellFilter;
  using S = production::WellStatus;
  const auto& st = c.state();
  CHECK(ids(production::listWells(st, F{c.addr(1), {}, {}}, 10, {})) == std::vector{a, b});
  CHECK(ids(production::listWells(st, F{c.addr(1), "GAS", {}}, 10, {})) == std::vector{b});
  CHECK(ids(production::listWells(st, F{{}, "OIL", {}}, 10, {})) == std::vector{a, d});
  CHECK(ids(production::listWells(st, F{{}, "OIL", S::Active}, 10, {})) == std::vector{a});
  CHECK(ids(production::listWells(st, F{{}, {}, S::Deactive}, 10, {})) == std::vector{d});
  CHECK(ids(production::listWells(st, F{{}, {}, S::NotSet}, 10, {})) == std::vector{wellId("C")});
  CHECK(ids(production::listWells(st, F{c.addr(2), {}, S::NotSet}, 10, {})) ==
        std::vector{wellId("C")});
  // Pages of two over all wells, ascending ids.
  auto page1 = production::listWells(st, F{}, 2, {});
  REQUIRE(page1.size() == 2);
  auto page2 = production::listWells(st, F{}, 2, page1.back().id);
  CHECK(ids(page1) == std::vector{a, b});
  CHECK(ids(page2) == std::vector{wellId("C"), d});
  CHECK(production::listWells(st, F{}, 2, page2.back().id).empty());
  // A status change moves the well between status ranges.
  requireOk(c.setStatus(oilKind(), d, kActive));
  CHECK(ids(production::listWells(st, F{{}, "OIL", S::Active}, 10, {})) == std::vector{a, d});
  CHECK(production::listWells(st, F{{}, {}, S::Deactive}, 10, {}).empty());
}
