// TAT (0x…1005, TAT.abi.json): the ERC-20 of audited production (RULES.md §9). Supply grows only
// through mintFromClearing, called by a data module while it clears a month or a mined block;
// every public mint/faucet/record entry reverts "disabled: ...". State prefix "tat/":
//   "tat/supply", "tat/burned"                 -> 32-byte totals (absent = 0)
//   "tat/bal/" ++ account(20)                  -> 32-byte balance
//   "tat/allow/" ++ owner(20) ++ spender(20)   -> 32-byte allowance
//   "tat/ma/" ++ account(20) ++ month(4 BE)    -> TAT minted to the account for that YYYYMM
//   "tat/mm/" ++ month(4 BE)                   -> TAT minted for that YYYYMM (all accounts)
//   "tat/mp/" ++ period(8 BE)                  -> TAT minted in that emission period
//   "tat/stake/" ++ account(20)                -> 32-byte self-stake; "tat/stakes", "tat/stakers"
// Transfers follow two governed parameters: tatTransferable = 0 locks transfer/transferFrom (mint,
// burn and self-stake still work); tatPaused = 1 stops every movement, mint included, as
// OpenZeppelin's ERC20Pausable does. Staking moves the caller's TAT to the TAT address itself
// (Transfer(account, 0x…1005)), so it never changes the supply; bids do not use it (they burn).
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
// The same, and also emits TATHistory(kind, uniqueId, ctx.self, to, amount) at the TAT address
// like the public TAT.mint, naming the well that was cleared.
void mintFromClearing(CallContext& ctx, const Address& to, const U256& amount,
                      uint32_t productionMonth, const Hash32& uniqueId);

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

U256 allowance(const StateReader& state, const Address& owner, const Address& spender);
U256 stakeOf(const StateReader& state, const Address& account);

}  // namespace tn::tat

namespace tn {

class TatModule final : public Module {
 public:
  std::string name() const override { return "tat"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // TAT has no genesis balances (it is minted only by clearing): a non-null section is an error.
  void initGenesis(HookContext& ctx, const boost::json::value& config) override;
};

}  // namespace tn
