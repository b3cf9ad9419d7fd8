// Margin (RULES.md §7): UNIT deposited per (owner, kind), held on the kind's data module account
// (where the executor credits msg.value); penalties go to the penalty pool (kPenaltyPool,
// catalog.hpp). State, owned by the data modules:
//   "production/margin/" ++ data(20) ++ owner(20) -> RLP [balance, debt] (aunit)
// The coverage rule keeps clearing from ever taking more than the balance, so debt stays 0 in
// practice; it is kept so that a debt, should one ever be recorded, is paid before anything else.
#pragma once

#include "chain/address.hpp"
#include "chain/module.hpp"
#include "chain/u256.hpp"

namespace tn::production {

// Expense.Status as marginOf reports it.
enum class MarginStatus : uint8_t { NotSet = 0, Normal = 1, Abnormal = 2 };

struct Margin {
  bool exists = false;  // a deposit was ever made
  U256 balance = 0;
  U256 debt = 0;
  MarginStatus status() const {
    if (!exists) return MarginStatus::NotSet;
    return debt > 0 ? MarginStatus::Abnormal : MarginStatus::Normal;
  }
};

Margin loadMargin(const StateReader& state, const Address& data, const Address& owner);
void storeMargin(CallContext& ctx, const Address& data, const Address& owner, const Margin& m);

// Expense.Action codes of the ExpenseHistory event.
enum class ExpenseAction : uint8_t { NotSet = 0, Deposit = 1, Withdraw = 2, Penalty = 3 };

// Credits `amount` (already on the data module's account) to `owner`'s margin; a debt is paid
// first, into the penalty pool. Emits ExpenseHistory.
void deposit(CallContext& ctx, const Address& owner, const U256& amount);
// Pays `amount` back from the margin to `owner`. Reverts on debt or a short balance.
void withdraw(CallContext& ctx, const Address& owner, const U256& amount);
// Moves a penalty from `owner`'s margin to the penalty pool; whatever the balance cannot cover
// becomes debt (unreachable while clearing checks coverage first). Emits ExpenseHistory.
void chargePenalty(CallContext& ctx, const Address& owner, const U256& amount);

}  // namespace tn::production
