// Clearing (RULES.md §8): deviation boundaries, discount tiers at A0/S0, price fallback and a
// missing price, validity, role and state checks, the frozen month, digital blocks, overflow.
#include <algorithm>

#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

const U256 kDollar100 = 1'000'000;  // USD 100 per volume unit × 10^4
const U256 kE16 = U256(10'000'000'000'000'000ull);
const std::string kPenaltyEvent = "ClearingPenalty(string,bytes32,uint256,uint256,uint256)";
const std::string kRewardEvent = "ClearingReward(string,bytes32,uint256,uint256)";
const std::string kTransfer = "Transfer(address,address,uint256)";

struct Expect {
  uint64_t uploaded, trusted;
  U256 minted;
  uint64_t deviation;
  uint64_t status;
  U256 penalty;  // aunit, UNIT at 1 USD
};

}  // namespace

TEST_CASE("clearing: deviation at 10.00 % / 30.00 % and around them, U <= T, T = 0") {
  // GAS at $100, one uploaded day: V = U × 10^16 wei; M = floor(V × T / U).
  const Expect rows[] = {
      {10'000, 10'000, 100 * kE18, 0, kFinished, 0},      // U = T
      {9'000, 10'000, 90 * kE18, 0, kFinished, 0},        // U < T: never topped up
      {11'000, 10'000, 100 * kE18, 1'000, kFinished, 0},  // exactly 10.00 %
      {11'001, 10'000, 100 * kE18, 1'001, kFailed, 1001 * U256(100'000'000'000'000ull)},
      {13'000, 10'000, 100 * kE18, 3'000, kFailed, 3 * U256(100'000'000'000'000'000ull)},
      {13'001, 10'000, 100 * kE18, 10'000, kFailed, kE18},  // 30.01 % counts as 100 %
      {10'000, 0, 0, 10'000, kFailed, 0},                   // T = 0: nothing minted
  };
  ProdChain c;
  c.admit(1, gasKind());
  requireOk(c.prepay(1, gasKind(), whole(100)));
  int n = 0;
  for (const Expect& e : rows) {
    CAPTURE(e.uploaded);
    CAPTURE(e.trusted);
    c.setTime(kJan2024);
    const Hash32 id = c.activeWell(1, gasKind(), "G" + std::to_string(n++));
    c.januaryDay(1, gasKind(), id, e.uploaded, kDollar100, U256(e.trusted), 0);
    const U256 tat = c.tatOf(1), pool = c.balance(kPoolAddr);
    auto r = c.clear(1, gasKind(), id, 2401);
    requireOk(r);
    const production::MonthRecord m = c.month(id, 202401);
    CHECK(m.value == U256(e.uploaded) * kE16);
    CHECK(m.minted == e.minted);
    CHECK(m.deviation == e.deviation);
    CHECK(uint64_t(m.status) == e.status);
    CHECK(m.penalty == e.penalty);
    CHECK(c.tatOf(1) == tat + e.minted);
    CHECK(c.balance(kPoolAddr) == pool + e.penalty);
    CHECK(c.events(r.logs, gasKind().data, kPenaltyEvent).size() ==
          (e.status == kFailed ? 1u : 0u));
    auto reward = c.events(r.logs, gasKind().data, kRewardEvent);
    REQUIRE(reward.size() == 1);
    CHECK(reward[0][3].asUint() == e.minted);
    auto verified = c.events(r.logs, gasKind().data, "VerifiedProduction(bytes32,uint256,uint256)");
    REQUIRE(verified.size() == 1);
    CHECK(verified[0][2].asUint() == e.trusted);
  }
}

TEST_CASE("clearing: OIL discount tiers at exactly A0 = 3110 and S0 = 500") {
  // (api, sulphur) -> d: A > A0 needs 3111; S < S0 needs 499.
  const struct {
    uint64_t api, sulphur, discount;
  } tiers[] = {{3111, 499, 9000}, {3111, 500, 8500}, {3110, 499, 8000}, {3110, 500, 7500}};
  ProdChain c;
  int n = 0;
  for (const auto& t : tiers) {
    CAPTURE(t.api);
    CAPTURE(t.sulphur);
    const std::size_t owner = 1 + n;
    c.setTime(kJan2024);
    const Hash32 id = c.activeWell(owner, oilKind(), "O" + std::to_string(n++), t.api, t.sulphur);
    c.januaryDay(owner, oilKind(), id, 10'000, kDollar100, U256(10'000), whole(10));
    requireOk(c.clear(owner, oilKind(), id, 2401));
    CHECK(c.tatOf(owner) == t.discount * kE16);  // 1 bbl × $100 × d
  }
  // GAS is never discounted, whatever the table says.
  c.setTime(kJan2024);
  const Hash32 g = c.activeWell(6, gasKind(), "G");
  c.januaryDay(6, gasKind(), g, 10'000, kDollar100, U256(10'000), whole(10));
  requireOk(c.clear(6, gasKind(), g, 2401));
  CHECK(c.tatOf(6) == 100 * kE18);
}

TEST_CASE("clearing: a day without its price uses the floor-mean of the 10 latest before it") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  const Hash32 early = c.activeWell(2, gasKind(), "G2");
  c.setTime(at(24, 1, 31));
  // Prices on days 2..13 at 10000 + day; day 14 has none: mean of days 4..13 = 10008.5 -> 10008.
  for (uint64_t d = 2; d <= 13; ++d) requireOk(c.feedPrice(gasKind(), 240100 + d, 10'000 + d));
  requireOk(c.put(1, gasKind(), id, 10'000, 240105));  // own price 10005
  requireOk(c.put(1, gasKind(), id, 10'000, 240114));  // fallback 10008
  // Day 1 has no price and no earlier one: later prices do not count.
  requireOk(c.put(2, gasKind(), early, 10'000, 240101));
  c.setTime(at(24, 2, 1));
  for (const Hash32& w : {id, early}) requireOk(c.trusted(gasKind(), w, 2401, 20'000));
  requireOk(c.prepay(1, gasKind(), whole(10)));
  requireOk(c.prepay(2, gasKind(), whole(10)));
  requireOk(c.clear(1, gasKind(), id, 2401));
  CHECK(c.tatOf(1) == (U256(10'005) + 10'008) * 10'000 * 10'000 * 1'000'000);
  checkRevert(c.clear(2, gasKind(), early, 2401), "price missing for 240101");
  // Once a price for that day arrives, the month can be cleared.
  requireOk(c.feedPrice(gasKind(), 240101, 10'000));
  requireOk(c.clear(2, gasKind(), early, 2401));
}

TEST_CASE("clearing: owner, Active, valid, uploaded, trusted, real month") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  const Hash32 noTrusted = c.activeWell(1, gasKind(), "G2");
  c.januaryDay(1, gasKind(), id, 10'000, kDollar100, U256(10'000), whole(10));
  c.januaryDay(1, gasKind(), noTrusted, 10'000, kDollar100, std::nullopt, 0);
  checkRevert(c.clear(2, gasKind(), id, 2401), "caller must be the well owner");
  checkRevert(c.clear(1, oilKind(), id, 2401), "well not found");
  checkRevert(c.clear(1, gasKind(), id, 2312), "no upload for month 2312");
  checkRevert(c.clear(1, gasKind(), id, 2400), "month 2400 is not a real month");
  checkRevert(c.clear(1, gasKind(), noTrusted, 2401), "no trusted data for month 2401");
  requireOk(c.setStatus(gasKind(), id, kDeactive));
  checkRevert(c.clear(1, gasKind(), id, 2401), "well not active");
  requireOk(c.setStatus(gasKind(), id, kActive));
  requireOk(c.clear(1, gasKind(), id, 2401));
}

TEST_CASE("clearing: a well is valid until validUntil inclusive") {
  ProdChain c;
  const Hash32 a = c.activeWell(1, gasKind(), "A");  // validUntil = t0 + 365 d
  c.advance(1);
  const Hash32 b = c.activeWell(1, gasKind(), "B");  // one second later
  const uint64_t until = c.well(a).validUntil;
  CHECK(c.well(b).validUntil == until + 1);
  for (const Hash32& id : {a, b})
    c.januaryDay(1, gasKind(), id, 10'000, kDollar100, U256(10'000), 0);
  requireOk(c.prepay(1, gasKind(), whole(10)));
  c.setTime(until + 1);
  checkRevert(c.clear(1, gasKind(), a, 2401), "well validity expired at " + std::to_string(until));
  requireOk(c.clear(1, gasKind(), b, 2401));  // now == its validUntil
}

TEST_CASE("clearing: the month is frozen; uploads, trusted data and a second clearing fail") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  c.januaryDay(1, gasKind(), id, 10'000, kDollar100, U256(10'000), whole(10));
  requireOk(c.clear(1, gasKind(), id, 2401));
  const U256 tat = c.tatOf(1);
  checkRevert(c.put(1, gasKind(), id, 10'000, 240103),
              "month 2401 already cleared");  // a missed day
  checkRevert(c.trusted(gasKind(), id, 2401, 1), "month 2401 already cleared");
  checkRevert(c.clear(1, gasKind(), id, 2401), "month 2401 already cleared");
  CHECK(c.tatOf(1) == tat);
  CHECK(production::loadTrusted(c.state(), id, 202401) == U256(10'000));
  auto view = c.call(gasKind().data, kGetDataSig, {id, 2401})[0].asList();
  CHECK(view[4].asUint() == 100 * kE18);  // the value clearing fixed
  CHECK(view[10].asUint() == kFinished);
  // The next month is open.
  c.setTime(at(24, 2, 5));
  requireOk(c.put(1, gasKind(), id, 10'000, 240203));
  CHECK(production::listMonths(c.state(), id, 10).size() == 2);
}

TEST_CASE("clearing: mints split by shares in ascending address order") {
  ProdChain c(kJan2024, 6);
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  // Holders 5, 3 and 4 in call order; minted in ascending address order, then the owner.
  requireOk(c.send(1, gasKind().producer, "setHolders(bytes32,address[],uint256[])",
                   {id, abi::ValueList{c.addr(5), c.addr(3), c.addr(4)},
                    abi::ValueList{U256(10), U256(25), U256(33)}}));
  c.januaryDay(1, gasKind(), id, 3'333, kDollar100, U256(3'333), whole(10));
  auto r = c.clear(1, gasKind(), id, 2401);
  requireOk(r);
  const U256 total = U256(3'333) * kE16;
  auto mints = c.events(r.logs, kTatAddr, kTransfer);
  REQUIRE(mints.size() == 4);
  std::vector<Address> order{c.addr(3), c.addr(4), c.addr(5)};
  std::sort(order.begin(), order.end());
  for (std::size_t i = 0; i < 3; ++i) CHECK(mints[i][1].asAddress() == order[i]);
  CHECK(mints[3][1].asAddress() == c.addr(1));
  CHECK(c.tatOf(3) == total * 25 / 100);
  CHECK(c.tatOf(4) == total * 33 / 100);
  CHECK(c.tatOf(5) == total * 10 / 100);
  CHECK(c.tatOf(1) == total - total * 25 / 100 - total * 33 / 100 - total * 10 / 100);
  CHECK(tat::mintedTo(c.state(), c.addr(1), 202401) == c.tatOf(1));
}

TEST_CASE("clearing: a digital block mints the feeder's amount by shares, once") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, ethKind(), "E1", 0, 0, "bc1qminer");
  requireOk(c.send(1, ethKind().producer, "setHolders(bytes32,address[],uint256[])",
                   {id, abi::ValueList{c.addr(2)}, abi::ValueList{U256(40)}}));
  const Hash32 req = oracle::trustedDataRequestId(ethKind().data, id);
  requireOk(c.send(0, ethKind().data, kTrustedSig,
                   {req, id, minedBlock(id, 777, whole(3), 2500, whole(10), "bc1qminer")}));
  checkRevert(c.clear(2, ethKind(), id, 777), "caller must be the well owner");
  checkRevert(c.clear(1, ethKind(), id, 778), "no trusted record for block 778");
  auto r = c.clear(1, ethKind(), id, 777);  // no margin needed
  requireOk(r);
  CHECK(c.tatOf(1) == whole(6));
  CHECK(c.tatOf(2) == whole(4));
  auto reward = c.events(r.logs, ethKind().data, kRewardEvent);
  REQUIRE(reward.size() == 1);
  CHECK(reward[0][2].asUint() == 777);
  CHECK(production::loadBlock(c.state(), id, 777)->status == production::AuditStatus::Finished);
  // Attack: clearing the same block again (or re-pushing it as unaudited) changes nothing.
  checkRevert(c.clear(1, ethKind(), id, 777), "block 777 already cleared");
  checkRevert(c.send(0, ethKind().data, kTrustedSig,
                     {req, id, minedBlock(id, 777, whole(3), 2500, whole(10), "bc1qminer")}),
              "block 777 already recorded");
  CHECK(c.tatOf(1) == whole(6));
}

TEST_CASE("clearing: a value past 2^256 reverts instead of wrapping") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  // a × P × D × 10^6 with a = 2^230 exceeds 2^256 (P = 10^6 ~ 2^20, D × 10^6 ~ 2^33).
  c.januaryDay(1, gasKind(), id, U256(1) << 230, kDollar100, U256(1) << 230, whole(10));
  auto r = c.clear(1, gasKind(), id, 2401);
  CHECK_FALSE(r.success);
  CHECK(r.reason.rfind("arithmetic overflow", 0) == 0);
  CHECK(c.month(id, 202401).status == production::AuditStatus::Unaudited);
  CHECK(c.tatOf(1) == 0);
}
