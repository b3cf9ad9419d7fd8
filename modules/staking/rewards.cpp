// The reward accumulator, slashing, downtime, the block reward split, unbonding maturity and the
// active set (RULES.md §10). Everything is integer arithmetic in checked U256 (U512 only for the
// products shares × rewardPerShare), rounding down, with every rounding remainder sent to the
// community pool so that the UNIT supply changes only by the recorded emission.
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "chain/rlp.hpp"
#include "modules/bid/bid.hpp"
#include "modules/staking/internal.hpp"

namespace tn::staking::detail {

namespace {

U512 scaledDebt(const Delegation& d) { return U512(d.debt) * U512(kRewardScale) + U512(d.debtRem); }

void setScaledDebt(Delegation& d, const U512& x) {
  d.debt = U256(x / U512(kRewardScale));
  d.debtRem = U256(x % U512(kRewardScale));
}

}  // namespace

U256 accrued(const Validator& v, const Delegation& d) {
  const U512 x = U512(d.shares) * U512(v.rewardPerShare);
  const U512 debt = scaledDebt(d);
  if (x <= debt) return 0;
  return U256((x - debt) / U512(kRewardScale));
}

void settle(Validator& v, Delegation& d) {
  const U256 p = accrued(v, d);
  if (p == 0) return;
  d.owed += p;
  v.rewardPool -= p;  // never below zero: claims are rounded down, credits rounded up
  setScaledDebt(d, scaledDebt(d) + U512(p) * U512(kRewardScale));
}

void resetDebt(const Validator& v, Delegation& d) {
  setScaledDebt(d, U512(d.shares) * U512(v.rewardPerShare));
}

U256 creditDelegators(Env&, Validator& v, const U256& amount) {
  if (amount == 0) return 0;
  if (v.shares == 0) return amount;
  const U256 delta = mulDiv(amount, kRewardScale, v.shares);
  // What the delegators can ever claim from this credit, rounded up (≤ amount).
  const U512 claimable = U512(delta) * U512(v.shares);
  U256 credited = U256(claimable / U512(kRewardScale));
  if (claimable % U512(kRewardScale) != 0) credited += 1;
  v.rewardPerShare += delta;
  v.rewardPool += credited;
  return amount - credited;
}

U256 slash(Env& env, Validator& v, uint64_t bps, uint64_t infractionHeight,
           std::string_view reason) {
  const U256 amount = v.tokens * bps / kBps;
  v.tokens -= amount;
  env.toCommunityPool(amount);
  env.emit("Slashed(address,uint256,string)", {v.address, amount, std::string(reason)});

  // Unbonding entries: the stake was still bonded when the infraction happened if the entry
  // started at or after it. Matured entries (paid in this block's endBlock or earlier) are not.
  struct Entry {
    Bytes indexKey;
    uint64_t id;
    Address delegator;
  };
  std::vector<Entry> entries;  // collected first: the overlay is written below
  const Bytes prefix = validatorUnbondingPrefix(v.address);
  env.state.scan(prefix, [&](BytesView k, BytesView d) {
    entries.push_back({Bytes(k.begin(), k.end()), modutil::readBe64(k.subspan(prefix.size())),
                       Address::fromView(d)});
    return true;
  });
  U256 unbondingTotal = 0;
  for (const Entry& e : entries) {
    const Bytes key = unbondingKey(e.delegator, e.id);
    auto raw = env.state.get(key);
    if (!raw) throw std::runtime_error("unbonding index names a missing entry");
    Unbonding u = decodeUnbonding(e.id, *raw);
    if (u.height < infractionHeight || u.completionTime <= env.block.timestamp) continue;
    const U256 cut = u.amount * bps / kBps;
    if (cut == 0) continue;
    u.amount -= cut;
    unbondingTotal += cut;
    if (u.amount == 0) {  // a 100 % slash: nothing left to pay out
      env.erase(key);
      env.erase(queueKey(u.completionTime, u.id));
      env.erase(e.indexKey);
    } else {
      env.put(key, encodeUnbonding(u));
    }
    env.emit("UnbondingSlashed(address,address,uint256,uint256,string)",
             {e.delegator, v.address, cut, u.completionTime, std::string(reason)});
  }
  env.toCommunityPool(unbondingTotal);
  return amount + unbondingTotal;
}

void sweepIfEmpty(Env& env, Validator& v) {
  if (v.shares != 0) return;
  env.toCommunityPool(v.tokens + v.rewardPool);
  v.tokens = 0;
  v.rewardPool = 0;
}

void handleDoubleSigns(Env& env, const Params& p) {
  for (const DoubleSign& ds : env.block.doubleSigns) {
    auto found = validator(env.state, ds.validator);
    if (!found) continue;  // evidence about an address staking does not know
    const Bytes key = evidenceKey(ds.validator, ds.height);
    if (env.state.get(key)) continue;  // this (validator, height) was handled already
    env.put(key, Bytes{1});
    Validator v = *found;
    if (v.tombstoned) continue;  // punished once for good
    slash(env, v, p.doubleSignSlashBps, ds.height, "double sign");
    v.tombstoned = true;
    v.jailed = true;
    v.jailedUntil = std::numeric_limits<uint64_t>::max();
    storeValidator(env, v);
    env.erase(windowKey(v.address));
    env.emit("Jailed(address,uint256,string)", {v.address, v.jailedUntil, "double sign"});
    env.emit("Tombstoned(address,uint256)", {v.address, ds.height});
  }
}

namespace {

struct Window {
  uint64_t size = 0, tracked = 0, index = 0, missed = 0;
  Bytes bitmap;  // bit i set = missed
};

Window loadWindow(const StateReader& s, const Address& a, uint64_t size) {
  auto raw = s.get(windowKey(a));
  if (raw) {
    auto it = rlp::decode(*raw).items();
    if (it.size() != 5) throw std::runtime_error("corrupt signing window");
    Window w{it[0].toU64(), it[1].toU64(), it[2].toU64(), it[3].toU64(),
             Bytes(it[4].bytes().begin(), it[4].bytes().end())};
    if (w.size == size) return w;  // a changed window parameter starts afresh
  }
  Window w;
  w.size = size;
  w.bitmap.assign((size + 7) / 8, 0);
  return w;
}

Bytes encodeWindow(const Window& w) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(w.size).uint(w.tracked).uint(w.index).uint(w.missed).bytes(w.bitmap);
  e.endList(m);
  return e.take();
}

}  // namespace

void trackDowntime(Env& env, const Params& p, const ActiveSet& parentSet) {
  if (!env.block.parentSigners || parentSet.members.empty()) return;
  const std::set<Address> signers(env.block.parentSigners->begin(), env.block.parentSigners->end());
  const uint64_t size = p.signedBlocksWindow;
  for (const auto& [a, power] : parentSet.members) {
    auto found = validator(env.state, a);
    if (!found || found->jailed) continue;
    Window w = loadWindow(env.state, a, size);
    const bool missed = !signers.count(a);
    uint8_t& byte = w.bitmap.at(w.index / 8);
    const uint8_t bit = uint8_t(1u << (w.index % 8));
    if (byte & bit) w.missed -= 1;
    if (missed) {
      byte |= bit;
      w.missed += 1;
    } else {
      byte &= uint8_t(~bit);
    }
    w.index = (w.index + 1) % size;
    w.tracked = std::min(w.tracked + 1, size);
    if (w.tracked >= size && size - w.missed < p.minSignedPerWindow) {
      Validator v = *found;
      slash(env, v, p.downtimeSlashBps, env.block.number, "downtime");
      v.jailed = true;
      v.jailedUntil = env.block.timestamp + p.downtimeJailSeconds;
      storeValidator(env, v);
      env.erase(windowKey(a));
      env.emit("Jailed(address,uint256,string)", {a, v.jailedUntil, "downtime"});
      continue;
    }
    env.put(windowKey(a), encodeWindow(w));
  }
}

void distributeBlockReward(Env& env, const ActiveSet& current, const ActiveSet& parentSet) {
  const uint64_t n = env.block.number;
  const U256 emission = periodReward(env, periodOf(n));
  const U256 fees = env.ledger().balance(env.state, kFeeCollector);
  if (emission > 0) {
    env.ledger().credit(env.state, kStakingAddress, emission);  // minted
    env.putWord(kEmittedKey, totalEmitted(env.state) + emission);
  }
  env.transfer(kFeeCollector, kStakingAddress, fees);
  const U256 pot = emission + fees;
  if (pot == 0) return;

  const U256 community = pot * 100 / kBps;
  U256 totalPower = 0;
  for (const auto& [a, power] : current.members) totalPower += power;
  auto isActive = [&](const Address& a) {
    return std::binary_search(current.members.begin(), current.members.end(),
                              std::pair<Address, uint64_t>{a, 0},
                              [](const auto& x, const auto& y) { return x.first < y.first; });
  };

  std::map<Address, U256> reward;  // ordered: deterministic payout order
  U256 proposerPart = 0;
  if (isActive(env.block.proposer)) {
    proposerPart = pot * 100 / kBps;
    U256 parentPower = 0, signedPower = 0;
    if (env.block.parentSigners) {
      const std::set<Address> signers(env.block.parentSigners->begin(), env.block.parentSigners->end());
      for (const auto& [a, power] : parentSet.members) {
        parentPower += power;
        if (signers.count(a)) signedPower += power;
      }
    }
    if (parentPower > 0) proposerPart += mulDiv(pot, U256(400) * signedPower, U256(kBps) * parentPower);
    reward[env.block.proposer] += proposerPart;
  }

  // Super validators: active validators that bid TAT in the previous bid round.
  std::vector<bid::BidEntry> supers;
  const uint64_t round = bid::roundOf(env.state, n);
  if (round > 0)
    for (const bid::BidEntry& b : bid::bidders(env.state, round - 1))
      if (b.amount > 0 && isActive(b.bidder)) supers.push_back(b);
  U256 superTotal = 0;
  if (!supers.empty()) {
    superTotal = mulDiv(pot, U256(6000) * U256(uint64_t(supers.size())), U256(kBps) * U256(uint64_t(current.members.size())));
    U256 bids = 0;
    for (const auto& b : supers) bids += b.amount;
    for (const auto& b : supers) reward[b.bidder] += mulDiv(superTotal, b.amount, bids);
  }

  const U256 rest = pot - community - proposerPart - superTotal;
  for (const auto& [a, power] : current.members) reward[a] += mulDiv(rest, power, totalPower);

  U256 paid = 0, dust = 0;
  for (const auto& [a, r] : reward) {
    if (r == 0) continue;
    paid += r;
    auto found = validator(env.state, a);
    if (!found) {  // cannot happen: active validators are never deleted
      dust += r;
      continue;
    }
    Validator v = *found;
    const U256 commission = r * v.commissionBps / kBps;
    v.commissionOwed += commission;
    dust += creditDelegators(env, v, r - commission);
    storeValidator(env, v);
  }
  dust += pot - community - paid;
  env.toCommunityPool(community + dust);
  env.emit("BlockRewarded(uint256,uint256,uint256,uint256)", {n, emission, fees, community + dust});
}

void completeUnbondings(Env& env) {
  struct Due {
    Bytes queueKey;
    uint64_t id;
    Address delegator;
  };
  std::vector<Due> due;
  const std::size_t at = kQueuePrefix.size();
  env.state.scan(asBytes(kQueuePrefix), [&](BytesView k, BytesView v) {
    const uint64_t completion = modutil::readBe64(k.subspan(at, 8));
    if (completion > env.block.timestamp) return false;  // the rest matures later
    due.push_back({Bytes(k.begin(), k.end()), modutil::readBe64(k.subspan(at + 8, 8)),
                   Address::fromView(v)});
    return true;
  });
  for (const Due& d : due) {
    const Bytes key = unbondingKey(d.delegator, d.id);
    auto raw = env.state.get(key);
    if (!raw) throw std::runtime_error("unbonding queue names a missing entry");
    const Unbonding u = decodeUnbonding(d.id, *raw);
    env.erase(key);
    env.erase(d.queueKey);
    env.erase(validatorUnbondingKey(u.validator, d.id));
    env.transfer(kStakingAddress, d.delegator, u.amount);
    env.emit("UnbondingCompleted(address,address,uint256)", {d.delegator, u.validator, u.amount});
  }
}

ActiveSet computeActiveSet(const StateReader& state, const Params& p) {
  std::vector<std::pair<uint64_t, Address>> eligible;
  for (const Validator& v : validators(state)) {
    if (v.jailed || v.tombstoned) continue;
    const uint64_t power = votingPower(v);
    if (power == 0 || selfStake(state, v) < p.minSelfStake) continue;
    eligible.emplace_back(power, v.address);
  }
  std::sort(eligible.begin(), eligible.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  if (eligible.size() > p.maxValidators) eligible.resize(p.maxValidators);
  ActiveSet s;
  for (const auto& [power, a] : eligible) s.members.emplace_back(a, power);
  std::sort(s.members.begin(), s.members.end());
  return s;
}

bool updateActiveSet(Env& env, const Params& p, uint64_t since) {
  ActiveSet next = computeActiveSet(env.state, p);
  const ActiveSet old = activeSet(env.state);
  if (next.members == old.members) return false;
  next.since = since;
  if (env.state.get(kActiveKey)) env.put(kActivePrevKey, encodeActiveSet(old));
  env.put(kActiveKey, encodeActiveSet(next));
  abi::ValueList addrs, powers;
  for (const auto& [a, power] : next.members) {
    addrs.emplace_back(a);
    powers.emplace_back(power);
  }
  env.emit("ActiveSetChanged(uint256,address[],uint256[])",
           {since, abi::Value(std::move(addrs)), abi::Value(std::move(powers))});
  return true;
}

}  // namespace tn::staking::detail
