// Emission (RULES.md §10): r = emissionInitialReward (10 UNIT) per block in periods 0 and 1; from
// period 2 on r_n = f(d) · r_{n-1} with d = (TAT_{n-1} / TAT_{n-2}) / 1.1, all in 18-decimal fixed
// point rounded down. A period's reward is computed the first time a block of it pays rewards and
// stored ("staking/em/<period>"), so later parameter or record changes never alter it.
#include "modules/staking/internal.hpp"
#include "modules/tat/tat.hpp"

namespace tn::staking {

using namespace detail;

namespace {

const U256 kHalf = U256(500'000'000'000'000'000ull);           // 0.50
const U256 kBase75 = U256(750'000'000'000'000'000ull);         // 0.75
const U256 kBase90 = U256(900'000'000'000'000'000ull);         // 0.90
const U256 kCap99 = U256(990'000'000'000'000'000ull);          // 0.99
const U256 kStep = U256(10'000'000'000'000'000ull);            // 0.01

std::optional<U256> storedReward(const StateReader& s, uint64_t period) {
  auto raw = s.get(periodRewardKey(period));
  if (!raw) return std::nullopt;
  return u256FromBE(*raw);
}

// The reward of `period` from the stored records, computing missing ones; `env` (if any) stores them.
U256 compute(const StateReader& s, Env* env, uint64_t period) {
  if (period <= 1) return loadParams(s).initialReward;
  if (auto r = storedReward(s, period)) return *r;
  // Walk back to the latest known period, then forward (no deep recursion).
  uint64_t from = period - 1;
  while (from > 1 && !storedReward(s, from)) --from;
  U256 r = from <= 1 ? loadParams(s).initialReward : *storedReward(s, from);
  for (uint64_t n = std::max<uint64_t>(from + 1, 2); n <= period; ++n) {
    const U256 f = emissionFactor(tat::mintedInPeriod(s, n - 1), tat::mintedInPeriod(s, n - 2));
    r = nextReward(r, f);
    if (env) env->put(periodRewardKey(n), modutil::word(r));
  }
  return r;
}

}  // namespace

std::optional<U256> emissionRatio(const U256& prev, const U256& prevPrev) {
  if (prevPrev == 0) return std::nullopt;
  return mulDiv(prev, U256(10) * kUnit, U256(11) * prevPrev);
}

U256 emissionFactor(const U256& prev, const U256& prevPrev) {
  auto d = emissionRatio(prev, prevPrev);
  if (!d) return prev == 0 ? kHalf : kCap99;  // 0/0 is d = 0; x/0 counts as d ≥ 10
  if (*d == 0) return kHalf;
  if (*d < kUnit) return kBase75 + *d * 15 / 100;
  const U256 steps = (*d - kUnit) / kUnit;  // floor(d - 1)
  if (steps >= 9) return kCap99;
  return std::min(kCap99, kBase90 + kStep * steps);
}

U256 nextReward(const U256& prevReward, const U256& factor) { return mulDiv(prevReward, factor, kUnit); }

U256 rewardOfPeriod(const StateReader& state, uint64_t period) { return compute(state, nullptr, period); }

uint64_t periodOf(uint64_t height) { return height / tat::kEmissionPeriodBlocks; }

U256 totalEmitted(const StateReader& state) { return modutil::readWord(state, kEmittedKey); }

namespace detail {

U256 periodReward(Env& env, uint64_t period) { return compute(env.state, &env, period); }

}  // namespace detail

}  // namespace tn::staking
