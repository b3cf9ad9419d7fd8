// Margin (RULES.md §7): prepay, withdraw, the coverage rule at its exact boundary, penalties to
// the penalty pool and their UNIT conversion at the fed UNIT price.
#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

const U256 kDollar100 = 1'000'000;  // USD 100 per MMBtu × 10^4
const std::string kWithdraw = "withdraw(uint256)";

abi::ValueList marginOf(ProdChain& c, std::size_t who) {
  return c.call(gasKind().data, "marginOf(address)", {c.addr(who)});
}

}  // namespace

TEST_CASE("margin: prepay credits the sender's margin per kind; withdraw pays it back") {
  ProdChain c;
  CHECK(marginOf(c, 1)[1].asUint() == 0);  // NotSet
  checkRevert(c.prepay(1, gasKind(), 0), "payment must be bigger than zero");
  const U256 before = c.balance(gasKind().data);
  auto r = c.prepay(1, gasKind(), whole(5));
  requireOk(r);
  CHECK(c.balance(gasKind().data) == before + whole(5));
  auto m = marginOf(c, 1);
  CHECK(m[0].asUint() == whole(5));
  CHECK(m[1].asUint() == 1);  // Normal
  auto ev =
      c.events(r.logs, gasKind().data, "ExpenseHistory(uint256,address,uint8,string,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][1].asAddress() == c.addr(1));
  CHECK(ev[0][2].asUint() == 1);  // Deposite
  CHECK(ev[0][4].asUint() == whole(5));
  CHECK(c.margin(1, oilKind()).balance == 0);  // per kind

  // receive(): a plain transfer is accepted and credits no margin.
  requireOk(c.send(2, gasKind().data, "", {}, whole(1)));
  CHECK(marginOf(c, 2)[0].asUint() == 0);

  checkRevert(c.send(1, gasKind().data, kWithdraw, {whole(5) + 1}),
              "margin is not enough: balance 5000000000000000000 aunit");
  checkRevert(c.send(1, gasKind().data, kWithdraw, {0}), "zero amount");
  checkRevert(c.send(1, gasKind().data, kWithdraw, {whole(1)}, whole(1)),
              "withdraw takes no value");
  checkRevert(c.send(2, gasKind().data, kWithdraw, {1}), "margin is not enough: balance 0 aunit");
  const U256 held = c.balance(gasKind().data);
  requireOk(c.send(1, gasKind().data, kWithdraw, {whole(2)}));
  CHECK(marginOf(c, 1)[0].asUint() == whole(3));
  CHECK(c.balance(gasKind().data) == held - whole(2));
}

TEST_CASE("margin: clearing needs balance >= floor(V × marginRatio / 10^4) in aunit, exactly") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  // V = 1.1 MMBtu × $100 = 110 TAT; need = 1.1 UNIT at the default 1 USD per UNIT.
  c.januaryDay(1, gasKind(), id, 11'000, kDollar100, U256(10'000), whole(1));
  const U256 need = U256(11) * kE18 / 10;
  requireOk(c.prepay(1, gasKind(), need - whole(1) - 1));
  checkRevert(c.clear(1, gasKind(), id, 2401),
              "insufficient margin: need 1100000000000000000 aunit");
  CHECK(c.month(id, 202401).status == production::AuditStatus::Unaudited);
  requireOk(c.prepay(1, gasKind(), 1));
  requireOk(c.clear(1, gasKind(), id, 2401));
  // dev = 10.00 % exactly: FINISHED, no penalty, the margin is untouched.
  CHECK(c.margin(1, gasKind()).balance == need);
}

TEST_CASE("margin: a penalty moves UNIT to the penalty pool at the fed UNIT price") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  // U = 1.3, T = 1.0 MMBtu at $100: M = 100 TAT, dev = 30.00 % -> penalty $0.30.
  c.januaryDay(1, gasKind(), id, 13'000, kDollar100, U256(10'000), whole(10));
  // UNIT at $2: the penalty is 0.15 UNIT and the coverage need 0.65 UNIT.
  Hash32 unit{};
  std::copy_n("UNIT", 4, unit.bytes.begin());
  requireOk(c.send(0, kOracleAddr, "setCurrencyValue(bytes32,uint256)", {unit, 20'000}));
  const U256 pool = c.balance(kPoolAddr);
  const U256 held = c.balance(gasKind().data);
  auto r = c.clear(1, gasKind(), id, 2401);
  requireOk(r);
  const U256 penalty = U256(15) * kE18 / 100;
  CHECK(c.balance(kPoolAddr) == pool + penalty);
  CHECK(c.balance(gasKind().data) == held - penalty);
  CHECK(c.margin(1, gasKind()).balance == whole(10) - penalty);
  CHECK(c.month(id, 202401).penalty == penalty);
  auto ev =
      c.events(r.logs, gasKind().data, "ClearingPenalty(string,bytes32,uint256,uint256,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][3].asUint() == penalty);
  CHECK(ev[0][4].asUint() == 3000);
  auto exp =
      c.events(r.logs, gasKind().data, "ExpenseHistory(uint256,address,uint8,string,uint256)");
  REQUIRE(exp.size() == 1);
  CHECK(exp[0][2].asUint() == 3);  // Penalty
}

TEST_CASE("margin: a recorded debt is paid first into the pool and blocks withdrawals") {
  ProdChain c;
  requireOk(c.prepay(1, gasKind(), whole(1)));
  // Debt cannot arise through clearing (coverage rule); write one as an older record might hold.
  c.asModule(gasKind().data, [&](CallContext& ctx) {
    production::Margin m = production::loadMargin(ctx.state(), ctx.self, c.addr(1));
    m.debt = whole(2);
    production::storeMargin(ctx, ctx.self, c.addr(1), m);
  });
  CHECK(marginOf(c, 1)[1].asUint() == 2);  // Abnormal
  checkRevert(c.send(1, gasKind().data, kWithdraw, {1}),
              "margin has debt: 2000000000000000000 aunit");
  const U256 pool = c.balance(kPoolAddr);
  requireOk(c.prepay(1, gasKind(), whole(5)));
  CHECK(c.balance(kPoolAddr) == pool + whole(2));
  CHECK(marginOf(c, 1)[0].asUint() == whole(4));
  CHECK(marginOf(c, 1)[1].asUint() == 1);
  requireOk(c.send(1, gasKind().data, kWithdraw, {whole(4)}));
}
