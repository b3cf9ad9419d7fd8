#include "modules/production/margin.hpp"

#include <algorithm>
#include <stdexcept>

#include "chain/rlp.hpp"
#include "modules/catalog/catalog.hpp"

namespace tn::production {

namespace {
constexpr std::string_view kMarginPrefix = "production/margin/";
constexpr std::string_view kExpenseEvent = "ExpenseHistory(uint256,address,uint8,string,uint256)";

Bytes marginKey(const Address& data, const Address& owner) {
  return concat({asBytes(kMarginPrefix), data.view(), owner.view()});
}

void emitExpense(CallContext& ctx, const Address& who, ExpenseAction action, const char* content,
                 const U256& amount) {
  ctx.emit(ctx.modules.event(ctx.self, kExpenseEvent),
           {U256(ctx.block.timestamp), who, U256(uint64_t(action)), content, amount});
}
}  // namespace

Margin loadMargin(const StateReader& state, const Address& data, const Address& owner) {
  Margin m;
  auto raw = state.get(marginKey(data, owner));
  if (!raw) return m;
  auto f = rlp::decode(*raw).items();
  if (f.size() != 2) throw std::runtime_error("corrupt margin record");
  m.exists = true;
  m.balance = f[0].toU256();
  m.debt = f[1].toU256();
  return m;
}

void storeMargin(CallContext& ctx, const Address& data, const Address& owner, const Margin& m) {
  rlp::Encoder e;
  auto mark = e.beginList();
  e.uint(m.balance).uint(m.debt);
  e.endList(mark);
  ctx.put(marginKey(data, owner), e.out());
}

void deposit(CallContext& ctx, const Address& owner, const U256& amount) {
  Margin m = loadMargin(ctx.state(), ctx.self, owner);
  m.exists = true;
  const U256 toDebt = std::min(m.debt, amount);
  if (toDebt > 0) {
    ctx.ledger().transfer(ctx.state(), ctx.self, kPenaltyPool, toDebt);
    m.debt -= toDebt;
  }
  m.balance += amount - toDebt;
  storeMargin(ctx, ctx.self, owner, m);
  emitExpense(ctx, owner, ExpenseAction::Deposit, "prepay", amount);
}

void withdraw(CallContext& ctx, const Address& owner, const U256& amount) {
  Margin m = loadMargin(ctx.state(), ctx.self, owner);
  if (m.debt > 0) throw Revert("margin has debt: " + u256ToDecimal(m.debt) + " aunit");
  if (amount > m.balance)
    throw Revert("margin is not enough: balance " + u256ToDecimal(m.balance) + " aunit");
  m.balance -= amount;
  storeMargin(ctx, ctx.self, owner, m);
  ctx.ledger().transfer(ctx.state(), ctx.self, owner, amount);
  emitExpense(ctx, owner, ExpenseAction::Withdraw, "withdraw", amount);
}

void chargePenalty(CallContext& ctx, const Address& owner, const U256& amount) {
  Margin m = loadMargin(ctx.state(), ctx.self, owner);
  m.exists = true;
  const U256 taken = std::min(m.balance, amount);
  m.balance -= taken;
  m.debt += amount - taken;
  storeMargin(ctx, ctx.self, owner, m);
  ctx.ledger().transfer(ctx.state(), ctx.self, kPenaltyPool, taken);
  emitExpense(ctx, owner, ExpenseAction::Penalty, "clearing penalty", amount);
}

}  // namespace tn::production
