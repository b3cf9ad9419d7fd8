// RULES.md boundaries that the per-module tests leave open: checked 256-bit products (§1), exact
// floors through a real clearing (§8), the event trail of a clearing (§12), "today" at a month
// edge (§1, §5, §6), a cleared month staying frozen through a review cycle (§8.5), the coverage
// rule at the 100 % clamp (§7), and governance changing the discount table, margin ratio and
// asset kinds (§2, §11) as later clearings see them.
#include "tests/unit/modules/gov_fixture.hpp"
#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

const U256 kDollar100 = 1'000'000;  // USD 100 per volume unit × 10^4
const std::string kSetHolders = "setHolders(bytes32,address[],uint256[])";
const std::string kTransfer = "Transfer(address,address,uint256)";
const std::string kHistory = "TATHistory(string,bytes32,address,address,uint256)";
const std::string kExpense = "ExpenseHistory(uint256,address,uint8,string,uint256)";

Hash32 unitCurrency() {
  Hash32 unit{};
  std::copy_n("UNIT", 4, unit.bytes.begin());
  return unit;
}

// Topic0 of every log in order, as names, for checking the sequence a call emits.
std::vector<std::string> eventNames(const ProdChain& c, const std::vector<Log>& logs) {
  std::vector<std::string> out;
  for (const Log& l : logs) {
    const ModuleRegistry::Entry* e = c.modules().find(l.address);
    REQUIRE(e != nullptr);
    std::string name = "?";
    for (const auto& [sig, decl] : e->events)
      if (!l.topics.empty() && decl.topic0 == l.topics[0]) name = sig.substr(0, sig.find('('));
    out.push_back(name);
  }
  return out;
}

}  // namespace

TEST_CASE("rules §1: V × T past 2^256 aborts the clearing although M = V × T / U would fit") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  // a = 2^120 at price 1 (USD 0.0001): V = 2^120 × 10^10 < 2^154; T = 2^110 < U, so the audit
  // computes V × T ≈ 2^263. A 512-bit intermediate would give M and go on to the margin check.
  c.januaryDay(1, gasKind(), id, U256(1) << 120, 1, U256(1) << 110, 0);
  auto r = c.clear(1, gasKind(), id, 2401);
  CHECK_FALSE(r.success);
  CHECK(r.reason.rfind("arithmetic overflow", 0) == 0);
  CHECK(c.month(id, 202401).status == production::AuditStatus::Unaudited);
  CHECK(tat::totalSupply(c.state()) == 0);
}

TEST_CASE("rules §1/§4: the share split ratio × T is a checked product too") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  requireOk(c.send(1, gasKind().producer, kSetHolders,
                   {id, abi::ValueList{c.addr(2)}, abi::ValueList{U256(10)}}));
  const std::string sig = "calculateRewards(bytes32,uint256)";
  // 10 × 2^252 fits: floor(10 × 2^252 / 100) to the holder, the rest to the owner.
  auto ok = c.call(gasKind().producer, sig, {id, U256(1) << 252});
  CHECK(ok[1].asList()[0].asUint() == (U256(10) << 252) / 100);
  // 10 × 2^255 does not fit in 256 bits: the view reverts instead of answering.
  try {
    c.call(gasKind().producer, sig, {id, U256(1) << 255});
    FAIL("a share product past 2^256 was answered");
  } catch (const Revert& e) {
    CHECK(std::string(e.what()).rfind("arithmetic overflow", 0) == 0);
  }
}

TEST_CASE("rules §8: every floor of a FAILED month through a real clearing, UNIT at USD 3") {
  // GAS, two days: 0.0006 MMBtu at 100.0003 and 0.0007 at 99.9999 USD (each day its own price).
  //   V = (6 × 1,000,003 + 7 × 999,999) × 10^10 = 130,000,110,000,000,000 wei
  //   U = 13, T = 11: M = floor(V × 11 / 13) = 110,000,093,076,923,076
  //   dev = floor(2 × 10^4 / 11) = 1818 > 1000: FAILED
  //   penalty = floor(M × 1818 × 100 / 10^8) = 199,980,169,213,846 (USD wei)
  //   in aunit at 30,000 (USD 3 per UNIT): floor(penalty × 10^4 / 30,000) = 66,660,056,404,615
  //   coverage: floor(floor(V × 100 / 10^4) × 10^4 / 30,000) = 433,333,700,000,000 aunit
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  c.setTime(at(24, 1, 20));
  requireOk(c.feedPrice(gasKind(), 240110, 1'000'003));
  requireOk(c.feedPrice(gasKind(), 240111, 999'999));
  requireOk(c.put(1, gasKind(), id, 6, 240110));
  requireOk(c.put(1, gasKind(), id, 7, 240111));
  c.setTime(at(24, 2, 1));
  requireOk(c.trusted(gasKind(), id, 2401, 11));
  requireOk(c.send(0, kOracleAddr, "setCurrencyValue(bytes32,uint256)", {unitCurrency(), 30'000}));
  const U256 need = U256(433'333'700'000'000ull);
  requireOk(c.prepay(1, gasKind(), need - 1));
  checkRevert(c.clear(1, gasKind(), id, 2401), "insufficient margin: need 433333700000000 aunit");
  requireOk(c.prepay(1, gasKind(), 1));
  const U256 pool = c.balance(kPoolAddr);
  requireOk(c.clear(1, gasKind(), id, 2401));
  const production::MonthRecord m = c.month(id, 202401);
  CHECK(m.value == U256(130'000'110'000'000'000ull));
  CHECK(m.minted == U256(110'000'093'076'923'076ull));
  CHECK(m.deviation == 1818);
  CHECK(m.status == production::AuditStatus::Failed);
  CHECK(m.penalty == U256(66'660'056'404'615ull));
  CHECK(c.tatOf(1) == U256(110'000'093'076'923'076ull));
  CHECK(c.balance(kPoolAddr) == pool + U256(66'660'056'404'615ull));
  CHECK(c.margin(1, gasKind()).balance == need - U256(66'660'056'404'615ull));
}

TEST_CASE("rules §12: a clearing reports VerifiedProduction, the penalty, each mint, the reward") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  requireOk(c.send(1, gasKind().producer, kSetHolders,
                   {id, abi::ValueList{c.addr(2)}, abi::ValueList{U256(25)}}));
  // U = 1.2, T = 1.0 MMBtu at USD 100: V = 120 TAT, M = 100 TAT, dev 2000: FAILED, penalty 0.2.
  c.januaryDay(1, gasKind(), id, 12'000, kDollar100, U256(10'000), whole(2));
  auto r = c.clear(1, gasKind(), id, 2401);
  requireOk(r);
  CHECK(eventNames(c, r.logs) ==
        std::vector<std::string>{"VerifiedProduction", "ExpenseHistory", "ClearingPenalty",
                                 "Transfer", "TATHistory", "Transfer", "TATHistory",
                                 "ClearingReward"});
  auto penalty = c.events(r.logs, gasKind().data,
                          "ClearingPenalty(string,bytes32,uint256,uint256,uint256)");
  REQUIRE(penalty.size() == 1);
  CHECK(penalty[0][0].asString() == "GAS");
  CHECK(penalty[0][1].asBytes32() == id);
  CHECK(penalty[0][2].asUint() == 2401);
  CHECK(penalty[0][3].asUint() == U256(2) * kE18 / 10);
  CHECK(penalty[0][4].asUint() == 2000);
  auto expense = c.events(r.logs, gasKind().data, kExpense);
  REQUIRE(expense.size() == 1);
  CHECK(expense[0][1].asAddress() == c.addr(1));
  CHECK(expense[0][2].asUint() == 3);  // Penalty
  // The public clearing mints through TAT.mint, which reports Transfer and TATHistory; so does
  // this one, per payout: the holder's 25 % first (ascending address), then the owner's rest.
  auto history = c.events(r.logs, kTatAddr, kHistory);
  auto transfers = c.events(r.logs, kTatAddr, kTransfer);
  REQUIRE(history.size() == 2);
  REQUIRE(transfers.size() == 2);
  const U256 minted = whole(100);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(history[i][0].asString() == "GAS");
    CHECK(history[i][1].asBytes32() == id);
    CHECK(history[i][2].asAddress() == gasKind().data);
    CHECK(history[i][3].asAddress() == transfers[i][1].asAddress());
    CHECK(history[i][4].asUint() == transfers[i][2].asUint());
    CHECK(transfers[i][0].asAddress() == Address());
  }
  CHECK(history[0][3].asAddress() == c.addr(2));
  CHECK(history[0][4].asUint() == minted / 4);
  CHECK(history[1][3].asAddress() == c.addr(1));
  CHECK(history[1][4].asUint() == minted - minted / 4);
}

TEST_CASE("rules §7: at the 100 % clamp the penalty takes the covered margin, never debt") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  // U = 2.0, T = 1.0 MMBtu at USD 100: V = 200, M = 100 TAT, dev 10000 (clamped).
  // Coverage need floor(200 × 100 / 10^4) = 2 UNIT; penalty floor(100 × 10^4 × 100 / 10^8) = 1.
  c.januaryDay(1, gasKind(), id, 20'000, kDollar100, U256(10'000), whole(2));
  const U256 zeroBefore = c.balance(Address());
  const U256 pool = c.balance(kPoolAddr);
  requireOk(c.clear(1, gasKind(), id, 2401));
  CHECK(c.month(id, 202401).deviation == 10'000);
  CHECK(c.balance(kPoolAddr) == pool + whole(1));
  CHECK(c.balance(Address()) == zeroBefore);  // penalties never go to address 0
  const production::Margin m = c.margin(1, gasKind());
  CHECK(m.balance == whole(1));
  CHECK(m.debt == 0);
  CHECK(c.call(gasKind().data, "marginOf(address)", {c.addr(1)})[1].asUint() == 1);  // Normal
}

TEST_CASE("rules §1/§5/§6: today is the UTC date of the block, at a month edge to the second") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, oilKind(), "W1");
  c.setTime(at(24, 1, 31, 86'399));  // 2024-01-31T23:59:59Z
  checkRevert(c.put(1, oilKind(), id, 1000, 240201), "date 240201 is after today 240131");
  checkRevert(c.feedPrice(oilKind(), 240201, 800'000), "date 240201 is after today 240131");
  requireOk(c.put(1, oilKind(), id, 1000, 240131));
  checkRevert(c.trusted(oilKind(), id, 2401, 1000), "month 2401 is not over");
  c.advance(1);  // 2024-02-01T00:00:00Z
  requireOk(c.put(1, oilKind(), id, 1000, 240201));
  requireOk(c.feedPrice(oilKind(), 240201, 800'000));
  requireOk(c.trusted(oilKind(), id, 2401, 1000));
  checkRevert(c.trusted(oilKind(), id, 2402, 1000), "month 2402 is not over");
  // A leap day is a real day in 2024 only.
  c.setTime(at(24, 3, 1));
  requireOk(c.put(1, oilKind(), id, 1000, 240229));
  checkRevert(c.put(1, oilKind(), id, 1000, 230229, 2302), "date 230229 is not a real day");
}

TEST_CASE("rules §8.5: a cleared month stays frozen through a review cycle of its well") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  c.januaryDay(1, gasKind(), id, 10'000, kDollar100, U256(10'000), whole(10));
  requireOk(c.clear(1, gasKind(), id, 2401));
  const production::MonthRecord cleared = c.month(id, 202401);
  const U256 supply = tat::totalSupply(c.state());
  // The owner's update sends the well back to review and the FM passes it again: the well is new
  // in the review's eyes, the month is not.
  requireOk(c.send(1, gasKind().producer, kUpdateSig, {id, core("renamed", c.addr(1), 0, 0)}));
  requireOk(c.setStatus(gasKind(), id, kActive));
  requireOk(c.feedPrice(gasKind(), 240105, kDollar100));
  checkRevert(c.put(1, gasKind(), id, 50'000, 240105), "month 2401 already cleared");
  checkRevert(c.trusted(gasKind(), id, 2401, 99'999), "month 2401 already cleared");
  checkRevert(c.clear(1, gasKind(), id, 2401), "month 2401 already cleared");
  // Deactivating and re-activating does not reopen it either.
  requireOk(c.setStatus(gasKind(), id, kDeactive));
  requireOk(c.setStatus(gasKind(), id, kActive));
  checkRevert(c.clear(1, gasKind(), id, 2401), "month 2401 already cleared");
  const production::MonthRecord after = c.month(id, 202401);
  CHECK(after.uploaded == cleared.uploaded);
  CHECK(after.minted == cleared.minted);
  CHECK(after.clearedAt == cleared.clearedAt);
  CHECK(production::loadTrusted(c.state(), id, 202401) == U256(10'000));
  CHECK(production::loadDays(c.state(), id, 202401).size() == 1);
  CHECK(tat::totalSupply(c.state()) == supply);
}

TEST_CASE("rules §2/§11: a MulSig discount table and margin ratio apply to later clearings only") {
  ProdChain c;
  const std::string discountSig =
      "proposeToSetDiscountConfig(uint256,uint256,uint256,uint256,uint256,uint256)";
  // The table must stay ordered d0 >= d1 >= d2 >= d3 and within 100 %.
  checkRevert(c.send(0, kMulSigAddress, discountSig, {3000, 600, 9000, 9500, 8500, 8000}),
              "discount d1 above d0");
  checkRevert(c.send(0, kMulSigAddress, discountSig, {3000, 600, 10'001, 9000, 8500, 8000}),
              "discount d0 above 10000");
  // API 30.50°, sulphur 0.55 %: A <= A0 and S >= S0 under the genesis table (d3 = 7500).
  // Two owners, so that each has its own OIL margin.
  const Hash32 before = c.activeWell(1, oilKind(), "BEFORE", 3050, 550);
  const Hash32 later = c.activeWell(2, oilKind(), "LATER", 3050, 550);
  c.setTime(at(24, 1, 2, 43'200));
  requireOk(c.feedPrice(oilKind(), 240102, kDollar100));
  requireOk(c.put(2, oilKind(), later, 10'000, 240102));
  c.januaryDay(1, oilKind(), before, 10'000, kDollar100, U256(10'000), whole(10));  // to Feb 2
  requireOk(c.trusted(oilKind(), later, 2401, 10'000));
  requireOk(c.clear(1, oilKind(), before, 2401));
  CHECK(c.month(before, 202401).value == U256(75) * kE18);

  // New table {A0 3000, S0 600, [9500, 9000, 8500, 8000]}: the same wells are now A > A0, S < S0.
  passProposal(c, {0}, discountSig, {3000, 600, 9500, 9000, 8500, 8000});
  CHECK(c.call(kParameterInfoAddress, "getPriceDiscountConfig(uint256,uint256)", {3050, 550})[0]
            .asUint() == 9500);
  // marginRatio 100 -> 500 bps: the coverage need of V = 95 TAT is now 4.75 UNIT.
  setParam(c, "marginRatio", 500);
  requireOk(c.prepay(2, oilKind(), U256(475) * kE18 / 100 - 1));
  checkRevert(c.clear(2, oilKind(), later, 2401),
              "insufficient margin: need 4750000000000000000 aunit");
  requireOk(c.prepay(2, oilKind(), 1));
  requireOk(c.clear(2, oilKind(), later, 2401));
  CHECK(c.month(later, 202401).value == U256(95) * kE18);
  // The month cleared first keeps the value its clearing fixed.
  CHECK(c.month(before, 202401).value == U256(75) * kE18);
}

TEST_CASE("rules §2: a physical kind added through MulSig works end to end, discount included") {
  ProdChain c;
  const std::string addKind = "proposeToAddKind(string,bool,string)";
  checkRevert(c.send(0, kMulSigAddress, addKind, {"coal", true, "t"}),
              "treasure name must be upper-case letters, digits or '_'");
  checkRevert(c.send(0, kMulSigAddress, addKind, {"OIL", true, "bbl"}),
              "treasure type already exists");
  // Not there before the proposal executes.
  CHECK_THROWS_AS(c.call(kGovernanceAddress, "getTreasureByKind(string)", {"HEAVY"}), Revert);
  const uint64_t pid = passProposal(c, {0}, addKind, {"HEAVY", true, "bbl"});
  CHECK(pid > 0);
  auto pair = c.call(kGovernanceAddress, "getTreasureByKind(string)", {"HEAVY"});
  CHECK(pair[0].asAddress() == kinds::addedProducerAddress(0));
  CHECK(pair[1].asAddress() == kinds::addedDataAddress(0));
  const std::optional<kinds::Kind> heavy = kinds::byName(c.state(), "HEAVY");
  REQUIRE(heavy.has_value());
  CHECK(heavy->physical);
  CHECK(heavy->discounted);
  checkRevert(c.send(0, kMulSigAddress, addKind, {"HEAVY", false, "t"}),
              "treasure type already exists");

  // Admission is per kind: an OIL approval does not admit HEAVY wells.
  c.admit(1, oilKind());
  checkRevert(c.addWell(1, *heavy, wellId("H1")), "producer not approved for HEAVY");
  c.admit(1, *heavy);
  // A discounted kind needs API and sulphur like OIL.
  checkRevert(c.addWell(1, *heavy, wellId("H1"), 0, 400), "API and sulphur must be non-zero");
  const Hash32 id = c.activeWell(1, *heavy, "H1", 3111, 499);  // d0 = 9000
  c.januaryDay(1, *heavy, id, 10'000, kDollar100, U256(10'000), whole(1));
  requireOk(c.clear(1, *heavy, id, 2401));
  CHECK(c.tatOf(1) == whole(90));
  CHECK(tat::mintedTo(c.state(), c.addr(1), 202401) == whole(90));
}
