// Staking (0x…100B, Staking.abi.json): validators, share-based delegation, unbonding, downtime and
// double-sign slashing, the active validator set, block rewards and emission (RULES.md §10).
// State prefix "staking/" (layout in docs/MODULES.md and modules/staking/internal.hpp).
//
// Money: every bonded, unbonding or not-yet-withdrawn reward aunit sits on the staking address;
// the emission is minted there at endBlock (the only supply increase, recorded in
// "staking/emitted"); slashes and rounding dust go to the community pool 0x…100A (balance only).
// With no validator in the active set, endBlock mints nothing and leaves the fee collector alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chain/module.hpp"

namespace tn::staking {

// The validator set consensus uses from block `since` on (members in ascending address order,
// power = floor(tokens / 10^18)). Empty when staking has no validators.
struct ActiveSet {
  uint64_t since = 0;
  std::vector<std::pair<Address, uint64_t>> members;
  bool operator==(const ActiveSet&) const = default;
};
ActiveSet activeSet(const StateReader& state);
// The set before the last change (consensus checks the head block's commit with it when the
// head block itself changed the set). Empty when there was none.
ActiveSet previousActiveSet(const StateReader& state);

// Parameters (governed: ParameterInfo keys, genesis defaults of RULES.md §10).
struct Params {
  U256 minSelfStake;          // minSelfStake, aunit
  uint64_t unbondingPeriod;   // unbondingPeriod, seconds
  uint64_t maxValidators;     // maxValidators
  uint64_t signedBlocksWindow;  // downtimeWindow
  uint64_t minSignedPerWindow;  // downtimeMinSigned
  uint64_t downtimeSlashBps;    // downtimeSlashBps
  uint64_t doubleSignSlashBps;  // doubleSignSlashBps
  uint64_t downtimeJailSeconds; // downtimeJailSeconds
  U256 initialReward;           // emissionInitialReward, aunit per block in periods 0 and 1
};
Params loadParams(const StateReader& state);

struct Validator {
  Address address;  // operator account = consensus key address
  std::string moniker;
  uint64_t commissionBps = 0;
  U256 tokens = 0;   // bonded aunit (self-stake and delegations, after slashes)
  U256 shares = 0;   // total delegation shares
  bool jailed = false;
  uint64_t jailedUntil = 0;
  bool tombstoned = false;
  U256 rewardPerShare = 0;  // accumulator, aunit × kRewardScale per share
  U256 rewardPool = 0;      // aunit credited to the accumulator and not yet claimed
  U256 commissionOwed = 0;  // the operator's commission not yet withdrawn
  uint64_t createdHeight = 0;
};
std::optional<Validator> validator(const StateReader& state, const Address& address);
// Every validator, ascending address.
std::vector<Validator> validators(const StateReader& state);

struct Delegation {
  U256 shares = 0;
  U256 debt = 0;     // floor(shares × rewardPerShare / scale) at the last settlement
  U256 debtRem = 0;  // (shares × rewardPerShare) mod scale, so nothing is rounded twice
  U256 owed = 0;     // rewards settled when the shares changed, not yet withdrawn
};
std::optional<Delegation> delegation(const StateReader& state, const Address& delegator,
                                     const Address& validator);
// The token value of `shares` of `v` (rounded down).
U256 sharesValue(const Validator& v, const U256& shares);
U256 selfStake(const StateReader& state, const Validator& v);
uint64_t votingPower(const Validator& v);
// "active", "inactive", "below minimum", "jailed", "tombstoned".
std::string status(const StateReader& state, const Validator& v);
// Misses in the current signing window.
uint64_t missedInWindow(const StateReader& state, const Address& validator);
// Rewards `delegator` could withdraw from `validator` now (its commission excluded).
U256 pendingRewards(const StateReader& state, const Address& delegator, const Address& validator);

struct Unbonding {
  uint64_t id = 0;
  Address validator;
  U256 amount = 0;
  uint64_t completionTime = 0;
  uint64_t height = 0;  // block that started it
};
std::vector<Unbonding> unbondings(const StateReader& state, const Address& delegator);

// ---- emission (RULES.md §10), 18-decimal fixed point, rounded down ----
inline constexpr uint64_t kBps = 10'000;
// f for period n from TAT_{n-1} (`prev`) and TAT_{n-2} (`prevPrev`), scaled by 10^18.
U256 emissionFactor(const U256& prev, const U256& prevPrev);
// d = (prev / prevPrev) / 1.1 scaled by 10^18 (nullopt when prevPrev = 0: "infinite").
std::optional<U256> emissionRatio(const U256& prev, const U256& prevPrev);
// r_n = floor(f × r_{n-1} / 10^18).
U256 nextReward(const U256& prevReward, const U256& factor);
// The per-block reward of `period` as stored (or computed from the TAT record if not stored yet).
U256 rewardOfPeriod(const StateReader& state, uint64_t period);
uint64_t periodOf(uint64_t height);
U256 totalEmitted(const StateReader& state);

}  // namespace tn::staking

namespace tn {

class StakingModule final : public Module {
 public:
  std::string name() const override { return "staking"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // {"params": {name: value}, "validators": [{address, selfStake, moniker, commissionBps}]}.
  void initGenesis(HookContext& ctx, const boost::json::value& config) override;
  void endBlock(HookContext& ctx) override;
};

}  // namespace tn
