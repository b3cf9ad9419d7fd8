// Internals shared by staking.cpp (calls, views, genesis), rewards.cpp (accumulator, block reward,
// slashing, downtime) and emission.cpp. State layout, all under "staking/":
//   v/<validator 20>                       RLP [moniker, commissionBps, tokens, shares, jailed,
//                                               jailedUntil, tombstoned, rewardPerShare,
//                                               rewardPool, commissionOwed, createdHeight]
//   d/<validator 20><delegator 20>         RLP [shares, debt, debtRem, owed]
//   u/<delegator 20><id 8>                 RLP [validator, amount, completionTime, height]
//   q/<completionTime 8><id 8>             delegator 20 (maturity index read by endBlock)
//   uv/<validator 20><id 8>                delegator 20 (a validator's entries, read by slashes)
//   nextid                                 8-byte next unbonding id
//   w/<validator 20>                       RLP [size, tracked, next index, missed, bitmap]
//   ds/<validator 20><height 8>            evidence already handled
//   active, activeprev                     RLP [since, [[address, power], ...]] (address order)
//   em/<period 8>                          32-byte reward per block of the period
//   emitted                                32-byte total minted by emission
#pragma once

#include <string_view>

#include "modules/catalog/catalog.hpp"
#include "modules/catalog/util.hpp"
#include "modules/staking/staking.hpp"

namespace tn::staking::detail {

using modutil::be64;

inline const U256 kUnit = U256(1'000'000'000'000'000'000ull);
// Scale of the reward-per-share accumulator (10^27: dust below 10^-9 aunit per share).
inline const U256 kRewardScale = kUnit * U256(1'000'000'000ull);

inline Bytes validatorKey(const Address& v) { return modutil::key("staking/v/", {v.view()}); }
inline Bytes delegationKey(const Address& v, const Address& d) {
  return modutil::key("staking/d/", {v.view(), d.view()});
}
inline Bytes unbondingPrefix(const Address& d) { return modutil::key("staking/u/", {d.view()}); }
inline Bytes unbondingKey(const Address& d, uint64_t id) {
  return modutil::key("staking/u/", {d.view(), be64(id)});
}
inline Bytes validatorUnbondingPrefix(const Address& v) {
  return modutil::key("staking/uv/", {v.view()});
}
inline Bytes validatorUnbondingKey(const Address& v, uint64_t id) {
  return modutil::key("staking/uv/", {v.view(), be64(id)});
}
inline constexpr std::string_view kQueuePrefix = "staking/q/";
inline Bytes queueKey(uint64_t completion, uint64_t id) {
  return modutil::key(kQueuePrefix, {be64(completion), be64(id)});
}
inline const Bytes kNextIdKey = toBytes("staking/nextid");
inline Bytes windowKey(const Address& v) { return modutil::key("staking/w/", {v.view()}); }
inline Bytes evidenceKey(const Address& v, uint64_t height) {
  return modutil::key("staking/ds/", {v.view(), be64(height)});
}
inline const Bytes kActiveKey = toBytes("staking/active");
inline const Bytes kActivePrevKey = toBytes("staking/activeprev");
inline Bytes periodRewardKey(uint64_t period) {
  Bytes out = be64(period);  // built back to front: GCC 12 misreads the prefix copy (array-bounds)
  const std::string_view prefix = "staking/em/";
  out.insert(out.begin(), prefix.begin(), prefix.end());
  return out;
}
inline const Bytes kEmittedKey = toBytes("staking/emitted");
inline constexpr std::string_view kValidatorPrefix = "staking/v/";

Bytes encodeValidator(const Validator& v);
Validator decodeValidator(const Address& a, BytesView raw);
Bytes encodeDelegation(const Delegation& d);
Delegation decodeDelegation(BytesView raw);
Bytes encodeUnbonding(const Unbonding& u);  // the id is the key's, not in the value
Unbonding decodeUnbonding(uint64_t id, BytesView raw);
Bytes encodeActiveSet(const ActiveSet& s);
ActiveSet decodeActiveSet(BytesView raw);
ActiveSet readSet(const StateReader& state, BytesView key);

// State access for both transactions (gas-metered writes, events in the receipt) and hooks.
class Env {
 public:
  explicit Env(CallContext& c) : block(c.block), modules(c.modules), state(c.state()), call_(&c) {}
  explicit Env(HookContext& h) : block(h.block), modules(h.modules), state(h.state), logs_(&h.logs) {}

  const BlockContext& block;
  const ModuleRegistry& modules;
  Overlay& state;

  void put(BytesView k, BytesView v) {
    if (call_) call_->put(k, v);
    else state.put(k, v);
  }
  void erase(BytesView k) {
    if (call_) call_->erase(k);
    else state.erase(k);
  }
  void putWord(BytesView k, const U256& v) {
    if (v == 0) erase(k);
    else put(k, modutil::word(v));
  }
  void emit(std::string_view signature, const abi::ValueList& args) {
    const EventDecl& e = modules.event(kStakingAddress, signature);
    if (call_) call_->emitAt(kStakingAddress, e, args);
    else logs_->push_back(makeLog(kStakingAddress, e, args));
  }
  const Ledger& ledger() const { return modules.ledger(); }
  void transfer(const Address& from, const Address& to, const U256& amount) {
    if (amount > 0) ledger().transfer(state, from, to, amount);
  }
  // Moves `amount` from the staking account to the community pool.
  void toCommunityPool(const U256& amount) { transfer(kStakingAddress, kCommunityPool, amount); }

 private:
  CallContext* call_ = nullptr;
  std::vector<Log>* logs_ = nullptr;
};

void storeValidator(Env& env, const Validator& v);
void storeDelegation(Env& env, const Address& v, const Address& d, const Delegation& del);

// ---- accumulator (rewards.cpp) ----
// Rewards of `del` accrued since its last settlement (whole aunit, rounded down).
U256 accrued(const Validator& v, const Delegation& del);
// Moves what `del` accrued into its `owed` (taking it from v.rewardPool).
void settle(Validator& v, Delegation& del);
// Sets the debt of `del` to its current shares × rewardPerShare (after a share change).
void resetDebt(const Validator& v, Delegation& del);
// Credits `amount` to the delegators of `v` through the accumulator; the rounding dust goes to
// the community pool. Returns the dust. `v` must have shares.
U256 creditDelegators(Env& env, Validator& v, const U256& amount);
// Slashes `bps` of v's tokens to the community pool and emits Slashed; then cuts `bps` of every
// unbonding entry from v that started at or after `infractionHeight` and has not matured
// (completion time > block time), each rounded down, also to the community pool, emitting
// UnbondingSlashed per entry cut (Cosmos SDK x/staking Slash + SlashUnbondingDelegation).
// Returns the total taken (bonded + unbonding). The caller stores v.
U256 slash(Env& env, Validator& v, uint64_t bps, uint64_t infractionHeight,
           std::string_view reason);
// After a change that left `v` with no shares: sweeps its leftover tokens and reward pool (dust
// nobody owns any more) to the community pool.
void sweepIfEmpty(Env& env, Validator& v);

// ---- end block (rewards.cpp) ----
void handleDoubleSigns(Env& env, const Params& p);
void trackDowntime(Env& env, const Params& p, const ActiveSet& parentSet);
void distributeBlockReward(Env& env, const ActiveSet& current, const ActiveSet& parentSet);
void completeUnbondings(Env& env);
// Recomputes the active set; stores it (since = block.number + 1) when membership or a power
// changed. Returns true when it changed.
bool updateActiveSet(Env& env, const Params& p, uint64_t since);
ActiveSet computeActiveSet(const StateReader& state, const Params& p);

// ---- emission (emission.cpp) ----
// The reward per block of `period`, computing and storing any missing period record.
U256 periodReward(Env& env, uint64_t period);

}  // namespace tn::staking::detail
