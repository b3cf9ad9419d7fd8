// TAT (0x…1005, TAT.abi.json): the ERC-20 of audited production (RULES.md §9). Supply grows only
// through mintFromClearing, called by a data module while it clears a month or a mined block;
// every public mint/faucet/record entry reverts "disabled: ...". State prefix "tat/".
#pragma once

#include <cstdint>
#include <vector>

#include "chain/module.hpp"

namespace tn::tat {

// Blocks per emission period (RULES.md §10).
inline constexpr uint64_t kEmissionPeriodBlocks = 6'307'200;

U256 balanceOf(const StateReader& state, const Address& account);
U256 totalSupply(const StateReader& state);

// Mints `amount` TAT wei to `to` for a clearing of `productionMonth` (YYYYMM; 0 for a digital
// block) and emits Transfer(0, to, amount) at the TAT address. Records the amount per
// (account, month), per month and per emission period floor(block.number / kEmissionPeriodBlocks).
// Reverts "disabled: TAT is minted only by clearing" unless ctx.self is a data module of a kind.
void mintFromClearing(CallContext& ctx, const Address& to, const U256& amount,
                      uint32_t productionMonth);

// Burns `amount` of `from`'s TAT (Transfer(from, 0, amount) at the TAT address). Reverts
// "insufficient TAT balance" when short. Used by the bid module for ctx.sender only.
void burnFrom(CallContext& ctx, const Address& from, const U256& amount);

struct MonthMinted {
  uint32_t month;  // YYYYMM
  U256 amount;
};
struct PeriodMinted {
  uint64_t period;
  U256 amount;
};
struct Stats {
  U256 supply;
  U256 burned;
  std::vector<MonthMinted> perMonth;    // ascending month
  std::vector<PeriodMinted> perPeriod;  // ascending period
};
Stats stats(const StateReader& state);
U256 mintedInPeriod(const StateReader& state, uint64_t period);
U256 mintedTo(const StateReader& state, const Address& account, uint32_t productionMonth);

}  // namespace tn::tat
