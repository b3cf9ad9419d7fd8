#include "modules/staking/staking.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "chain/rlp.hpp"
#include "modules/governance/params.hpp"
#include "modules/staking/internal.hpp"

namespace tn::staking {

using namespace detail;

namespace detail {

Bytes encodeValidator(const Validator& v) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.str(v.moniker).uint(v.commissionBps).uint(v.tokens).uint(v.shares).uint(uint64_t(v.jailed));
  e.uint(v.jailedUntil).uint(uint64_t(v.tombstoned)).uint(v.rewardPerShare).uint(v.rewardPool);
  e.uint(v.commissionOwed).uint(v.createdHeight);
  e.endList(m);
  return e.take();
}

Validator decodeValidator(const Address& a, BytesView raw) {
  auto it = rlp::decode(raw).items();
  if (it.size() != 11) throw std::runtime_error("corrupt staking validator record");
  Validator v;
  v.address = a;
  v.moniker = std::string(asChars(it[0].bytes()));
  v.commissionBps = it[1].toU64();
  v.tokens = it[2].toU256();
  v.shares = it[3].toU256();
  v.jailed = it[4].toU64() != 0;
  v.jailedUntil = it[5].toU64();
  v.tombstoned = it[6].toU64() != 0;
  v.rewardPerShare = it[7].toU256();
  v.rewardPool = it[8].toU256();
  v.commissionOwed = it[9].toU256();
  v.createdHeight = it[10].toU64();
  return v;
}

Bytes encodeDelegation(const Delegation& d) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(d.shares).uint(d.debt).uint(d.debtRem).uint(d.owed);
  e.endList(m);
  return e.take();
}

Delegation decodeDelegation(BytesView raw) {
  auto it = rlp::decode(raw).items();
  if (it.size() != 4) throw std::runtime_error("corrupt staking delegation record");
  return Delegation{it[0].toU256(), it[1].toU256(), it[2].toU256(), it[3].toU256()};
}

Bytes encodeUnbonding(const Unbonding& u) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.bytes(u.validator.view()).uint(u.amount).uint(u.completionTime).uint(u.height);
  e.endList(m);
  return e.take();
}

Unbonding decodeUnbonding(uint64_t id, BytesView raw) {
  auto it = rlp::decode(raw).items();
  if (it.size() != 4 || it[0].bytes().size() != 20)
    throw std::runtime_error("corrupt unbonding record");
  return Unbonding{id, Address::fromView(it[0].bytes()), it[1].toU256(), it[2].toU64(),
                   it[3].toU64()};
}

Bytes encodeActiveSet(const ActiveSet& s) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(s.since);
  auto l = e.beginList();
  for (const auto& [a, power] : s.members) {
    auto p = e.beginList();
    e.bytes(a.view()).uint(power);
    e.endList(p);
  }
  e.endList(l);
  e.endList(m);
  return e.take();
}

ActiveSet decodeActiveSet(BytesView raw) {
  auto it = rlp::decode(raw).items();
  if (it.size() != 2) throw std::runtime_error("corrupt staking active set");
  ActiveSet s;
  s.since = it[0].toU64();
  for (const auto& member : it[1].items()) {
    auto p = member.items();
    if (p.size() != 2 || p[0].bytes().size() != 20) throw std::runtime_error("corrupt active set member");
    s.members.emplace_back(Address::fromView(p[0].bytes()), p[1].toU64());
  }
  return s;
}

ActiveSet readSet(const StateReader& state, BytesView key) {
  auto raw = state.get(key);
  return raw ? decodeActiveSet(*raw) : ActiveSet{};
}

void storeValidator(Env& env, const Validator& v) { env.put(validatorKey(v.address), encodeValidator(v)); }

void storeDelegation(Env& env, const Address& v, const Address& d, const Delegation& del) {
  if (del.shares == 0 && del.owed == 0)
    env.erase(delegationKey(v, d));
  else
    env.put(delegationKey(v, d), encodeDelegation(del));
}

}  // namespace detail

ActiveSet activeSet(const StateReader& state) { return readSet(state, kActiveKey); }
ActiveSet previousActiveSet(const StateReader& state) { return readSet(state, kActivePrevKey); }

Params loadParams(const StateReader& s) {
  auto u64 = [&](std::string_view n) { return toU64(params::get(s, n)); };
  return Params{params::get(s, "minSelfStake"),
                u64("unbondingPeriod"),
                u64("maxValidators"),
                u64("downtimeWindow"),
                u64("downtimeMinSigned"),
                u64("downtimeSlashBps"),
                u64("doubleSignSlashBps"),
                u64("downtimeJailSeconds"),
                params::get(s, "emissionInitialReward")};
}

std::optional<Validator> validator(const StateReader& state, const Address& address) {
  auto raw = state.get(validatorKey(address));
  if (!raw) return std::nullopt;
  return decodeValidator(address, *raw);
}

std::vector<Validator> validators(const StateReader& state) {
  std::vector<Validator> out;
  const std::size_t at = kValidatorPrefix.size();
  state.scan(asBytes(kValidatorPrefix), [&](BytesView k, BytesView v) {
    out.push_back(decodeValidator(Address::fromView(k.subspan(at)), v));
    return true;
  });
  return out;
}

std::optional<Delegation> delegation(const StateReader& state, const Address& delegator,
                                     const Address& v) {
  auto raw = state.get(delegationKey(v, delegator));
  if (!raw) return std::nullopt;
  return decodeDelegation(*raw);
}

U256 sharesValue(const Validator& v, const U256& shares) {
  if (v.shares == 0 || shares == 0) return 0;
  return mulDiv(shares, v.tokens, v.shares);
}

U256 selfStake(const StateReader& state, const Validator& v) {
  auto d = delegation(state, v.address, v.address);
  return d ? sharesValue(v, d->shares) : U256(0);
}

uint64_t votingPower(const Validator& v) { return toU64(v.tokens / kUnit); }

std::string status(const StateReader& state, const Validator& v) {
  if (v.tombstoned) return "tombstoned";
  if (v.jailed) return "jailed";
  if (selfStake(state, v) < loadParams(state).minSelfStake) return "below minimum";
  for (const auto& [a, power] : activeSet(state).members)
    if (a == v.address) return "active";
  return "inactive";
}

uint64_t missedInWindow(const StateReader& state, const Address& v) {
  auto raw = state.get(windowKey(v));
  if (!raw) return 0;
  return rlp::decode(*raw).items().at(3).toU64();
}

U256 pendingRewards(const StateReader& state, const Address& delegator, const Address& v) {
  auto val = validator(state, v);
  auto d = delegation(state, delegator, v);
  if (!val || !d) return 0;
  return d->owed + accrued(*val, *d);
}

std::vector<Unbonding> unbondings(const StateReader& state, const Address& delegator) {
  std::vector<Unbonding> out;
  Bytes prefix = unbondingPrefix(delegator);
  state.scan(prefix, [&](BytesView k, BytesView raw) {
    out.push_back(decodeUnbonding(modutil::readBe64(k.subspan(prefix.size())), raw));
    return true;
  });
  return out;
}

}  // namespace tn::staking

namespace tn {

using namespace staking;
using namespace staking::detail;
using modutil::nonpayable;
using modutil::view;

Address StakingModule::address() const { return kStakingAddress; }

namespace {

constexpr std::size_t kMaxMoniker = 64;

void checkMoniker(const std::string& m) {
  if (m.empty() || m.size() > kMaxMoniker)
    throw Revert(fmt::format("moniker must be 1-{} bytes, got {}", kMaxMoniker, m.size()));
}
uint64_t checkCommission(const U256& bps) {
  if (bps > kBps) throw Revert(fmt::format("commission above 10000 bps: {}", u256ToDecimal(bps)));
  return toU64(bps);
}

Validator requireValidator(const StateReader& s, const Address& a) {
  auto v = staking::validator(s, a);
  if (!v) throw Revert("no validator " + a.hex());
  return *v;
}

// Adds `amount` (already on the staking account) to `delegator`'s delegation with `v`.
U256 bond(Env& env, Validator& v, const Address& delegator, const U256& amount) {
  Delegation d = staking::delegation(env.state, delegator, v.address).value_or(Delegation{});
  settle(v, d);
  U256 shares;
  if (v.shares == 0) {
    shares = amount;  // a fresh (or emptied) validator: 1 share per aunit
  } else {
    if (v.tokens == 0) throw Revert("validator " + v.address.hex() + " has no tokens left");
    shares = mulDiv(amount, v.shares, v.tokens);
    if (shares == 0) throw Revert("delegation too small: it would buy no share");
  }
  v.tokens += amount;
  v.shares += shares;
  d.shares += shares;
  resetDebt(v, d);
  storeValidator(env, v);
  storeDelegation(env, v.address, delegator, d);
  return shares;
}

abi::ValueList createValidator(CallContext& ctx, const std::string& moniker, const U256& bps) {
  Env env(ctx);
  checkMoniker(moniker);
  uint64_t commission = checkCommission(bps);
  if (staking::validator(env.state, ctx.sender))
    throw Revert("validator already exists for " + ctx.sender.hex());
  const Params p = loadParams(env.state);
  if (ctx.value < p.minSelfStake)
    throw Revert(fmt::format("self-stake below minimum: need {} aunit", u256ToDecimal(p.minSelfStake)));
  Validator v;
  v.address = ctx.sender;
  v.moniker = moniker;
  v.commissionBps = commission;
  v.createdHeight = ctx.block.number;
  U256 shares = bond(env, v, ctx.sender, ctx.value);
  env.emit("ValidatorCreated(address,string,uint256,uint256)", {v.address, moniker, bps, ctx.value});
  env.emit("Delegated(address,address,uint256,uint256)", {ctx.sender, v.address, ctx.value, shares});
  return {};
}

abi::ValueList editValidator(CallContext& ctx, const std::string& moniker, const U256& bps) {
  Env env(ctx);
  checkMoniker(moniker);
  uint64_t commission = checkCommission(bps);
  Validator v = requireValidator(env.state, ctx.sender);
  v.moniker = moniker;
  v.commissionBps = commission;
  storeValidator(env, v);
  env.emit("ValidatorEdited(address,string,uint256)", {v.address, moniker, bps});
  return {};
}

abi::ValueList delegate(CallContext& ctx, const Address& target) {
  Env env(ctx);
  if (ctx.value == 0) throw Revert("delegation amount must be positive");
  Validator v = requireValidator(env.state, target);
  if (v.tombstoned) throw Revert("validator " + target.hex() + " is tombstoned");
  U256 shares = bond(env, v, ctx.sender, ctx.value);
  env.emit("Delegated(address,address,uint256,uint256)", {ctx.sender, target, ctx.value, shares});
  return {};
}

abi::ValueList undelegate(CallContext& ctx, const Address& target, const U256& amount) {
  Env env(ctx);
  if (amount == 0) throw Revert("undelegate amount must be positive");
  Validator v = requireValidator(env.state, target);
  auto found = staking::delegation(env.state, ctx.sender, target);
  if (!found || found->shares == 0) throw Revert("no delegation to " + target.hex());
  Delegation d = *found;
  const U256 value = sharesValue(v, d.shares);
  if (amount > value)
    throw Revert(fmt::format("undelegate exceeds delegation: have {} aunit", u256ToDecimal(value)));
  // Shares rounded up so that nobody leaves with more than its shares are worth.
  U256 shares = amount == value ? d.shares : mulDiv(amount, v.shares, v.tokens);
  if (amount != value && mulDiv(shares, v.tokens, v.shares) < amount) shares += 1;
  if (shares > d.shares) shares = d.shares;
  settle(v, d);
  v.tokens -= amount;
  v.shares -= shares;
  d.shares -= shares;
  resetDebt(v, d);
  sweepIfEmpty(env, v);
  storeValidator(env, v);
  storeDelegation(env, target, ctx.sender, d);

  const Params p = loadParams(env.state);
  const uint64_t completion = ctx.block.timestamp + p.unbondingPeriod;
  auto rawId = env.state.get(kNextIdKey);
  const uint64_t id = rawId ? modutil::readBe64(*rawId) : 0;
  env.put(kNextIdKey, be64(id + 1));
  const Bytes delegatorBytes(ctx.sender.bytes.begin(), ctx.sender.bytes.end());
  env.put(unbondingKey(ctx.sender, id),
          encodeUnbonding(Unbonding{id, target, amount, completion, ctx.block.number}));
  env.put(queueKey(completion, id), delegatorBytes);
  env.put(validatorUnbondingKey(target, id), delegatorBytes);  // found by a later slash
  env.emit("Undelegated(address,address,uint256,uint256,uint256)",
           {ctx.sender, target, amount, shares, completion});
  return {completion};
}

abi::ValueList unjail(CallContext& ctx) {
  Env env(ctx);
  Validator v = requireValidator(env.state, ctx.sender);
  if (v.tombstoned) throw Revert("tombstoned");
  if (!v.jailed) throw Revert("validator not jailed");
  if (ctx.block.timestamp < v.jailedUntil)
    throw Revert(fmt::format("still jailed until {}", v.jailedUntil));
  v.jailed = false;
  v.jailedUntil = 0;
  storeValidator(env, v);
  env.emit("Unjailed(address)", {v.address});
  return {};
}

abi::ValueList withdrawRewards(CallContext& ctx, const Address& target) {
  Env env(ctx);
  Validator v = requireValidator(env.state, target);
  Delegation d = staking::delegation(env.state, ctx.sender, target).value_or(Delegation{});
  settle(v, d);
  U256 amount = d.owed;
  d.owed = 0;
  if (ctx.sender == target) {
    amount += v.commissionOwed;
    v.commissionOwed = 0;
  }
  if (amount == 0) throw Revert("no rewards to withdraw");
  storeValidator(env, v);
  storeDelegation(env, target, ctx.sender, d);
  env.transfer(kStakingAddress, ctx.sender, amount);
  env.emit("RewardsWithdrawn(address,address,uint256)", {ctx.sender, target, amount});
  return {amount};
}

abi::ValueList validatorTuple(const StateReader& s, const Validator& v) {
  return {v.moniker,
          uint64_t(v.commissionBps),
          v.tokens,
          v.shares,
          selfStake(s, v),
          staking::status(s, v),
          v.jailed,
          v.jailedUntil,
          v.tombstoned,
          missedInWindow(s, v.address),
          votingPower(v)};
}
constexpr const char* kValidatorFields =
    "string,uint256,uint256,uint256,uint256,string,bool,uint256,bool,uint256,uint256";
const std::string kValidatorTuple = std::string("(") + kValidatorFields + ")";

}  // namespace

std::vector<CallDecl> StakingModule::calls() {
  std::vector<CallDecl> c;
  auto payable = [](std::string sig, std::string ret, CallHandler h) {
    CallDecl d = nonpayable(std::move(sig), std::move(ret), std::move(h));
    d.mutability = Mutability::Payable;
    d.gas = 60'000;
    return d;
  };
  c.push_back(payable("createValidator(string,uint256)", "",
                      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                        return createValidator(ctx, a[0].asString(), a[1].asUint());
                      }));
  c.push_back(nonpayable("editValidator(string,uint256)", "",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           return editValidator(ctx, a[0].asString(), a[1].asUint());
                         }));
  c.push_back(payable("delegate(address)", "",
                      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                        return delegate(ctx, a[0].asAddress());
                      }));
  c.push_back(nonpayable("undelegate(address,uint256)", "uint256",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           return undelegate(ctx, a[0].asAddress(), a[1].asUint());
                         }));
  c.push_back(nonpayable("unjail()", "", [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
    return unjail(ctx);
  }));
  c.push_back(nonpayable("withdrawRewards(address)", "uint256",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           return withdrawRewards(ctx, a[0].asAddress());
                         }));

  c.push_back(view("getValidator(address)", kValidatorFields,
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     Validator v = requireValidator(ctx.state(), a[0].asAddress());
                     return validatorTuple(ctx.state(), v);
                   }));
  c.push_back(view("getValidators()", std::string("address[],") + kValidatorTuple + "[]",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     abi::ValueList addrs, tuples;
                     for (const Validator& v : staking::validators(ctx.state())) {
                       addrs.emplace_back(v.address);
                       tuples.emplace_back(validatorTuple(ctx.state(), v));
                     }
                     return {abi::Value(std::move(addrs)), abi::Value(std::move(tuples))};
                   }));
  c.push_back(view("activeValidators()", "address[],uint256[]",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     abi::ValueList addrs, powers;
                     for (const auto& [a, p] : staking::activeSet(ctx.state()).members) {
                       addrs.emplace_back(a);
                       powers.emplace_back(p);
                     }
                     return {abi::Value(std::move(addrs)), abi::Value(std::move(powers))};
                   }));
  c.push_back(view("activeSetSince()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {staking::activeSet(ctx.state()).since};
                   }));
  c.push_back(view("getDelegation(address,address)", "uint256,uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     auto v = staking::validator(ctx.state(), a[1].asAddress());
                     auto d = staking::delegation(ctx.state(), a[0].asAddress(), a[1].asAddress());
                     if (!v || !d) return {U256(0), U256(0)};
                     return {d->shares, sharesValue(*v, d->shares)};
                   }));
  c.push_back(view("pendingRewards(address,address)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     U256 r = staking::pendingRewards(ctx.state(), a[0].asAddress(), a[1].asAddress());
                     if (a[0].asAddress() == a[1].asAddress())
                       if (auto v = staking::validator(ctx.state(), a[1].asAddress())) r += v->commissionOwed;
                     return {r};
                   }));
  c.push_back(view("getUnbondings(address)", "(address,uint256,uint256)[]",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     abi::ValueList list;
                     for (const Unbonding& u : staking::unbondings(ctx.state(), a[0].asAddress()))
                       list.emplace_back(abi::ValueList{u.validator, u.amount, u.completionTime});
                     return {abi::Value(std::move(list))};
                   }));
  c.push_back(view("params()",
                   "uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     Params p = loadParams(ctx.state());
                     return {p.minSelfStake, p.unbondingPeriod, p.maxValidators,
                             p.signedBlocksWindow, p.minSignedPerWindow, p.downtimeSlashBps,
                             p.doubleSignSlashBps, p.downtimeJailSeconds, p.initialReward};
                   }));
  c.push_back(view("emission()", "uint256,uint256,uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     uint64_t period = periodOf(ctx.block.number);
                     return {period, rewardOfPeriod(ctx.state(), period), totalEmitted(ctx.state())};
                   }));
  return c;
}

std::vector<EventDecl> StakingModule::events() {
  using modutil::event;
  return {
      event("ValidatorCreated(address,string,uint256,uint256)", {true, false, false, false}),
      event("ValidatorEdited(address,string,uint256)", {true, false, false}),
      event("Delegated(address,address,uint256,uint256)", {true, true, false, false}),
      event("Undelegated(address,address,uint256,uint256,uint256)", {true, true, false, false, false}),
      event("UnbondingCompleted(address,address,uint256)", {true, true, false}),
      event("Slashed(address,uint256,string)", {true, false, false}),
      event("UnbondingSlashed(address,address,uint256,uint256,string)",
            {true, true, false, false, false}),
      event("Jailed(address,uint256,string)", {true, false, false}),
      event("Unjailed(address)", {true}),
      event("Tombstoned(address,uint256)", {true, false}),
      event("RewardsWithdrawn(address,address,uint256)", {true, true, false}),
      event("ActiveSetChanged(uint256,address[],uint256[])", {false, false, false}),
      event("BlockRewarded(uint256,uint256,uint256,uint256)", {false, false, false, false}),
  };
}

namespace {

// Genesis names of the staking parameters: the brief's names and the ParameterInfo names.
std::string paramName(const std::string& n) {
  if (n == "signedBlocksWindow") return "downtimeWindow";
  if (n == "minSignedPerWindow") return "downtimeMinSigned";
  return n;
}
constexpr std::string_view kStakingParams[] = {
    "minSelfStake",       "unbondingPeriod",    "maxValidators",       "downtimeWindow",
    "downtimeMinSigned",  "downtimeSlashBps",   "doubleSignSlashBps",  "downtimeJailSeconds",
    "emissionInitialReward"};

}  // namespace

void StakingModule::initGenesis(HookContext& ctx, const boost::json::value& config) {
  if (config.is_null()) return;
  auto fail = [](const std::string& why) { throw std::invalid_argument("genesis staking: " + why); };
  if (!config.is_object()) fail("expected an object");
  const auto& o = config.as_object();
  for (const auto& [k, v] : o)
    if (k != "params" && k != "validators") fail("unknown field " + std::string(k));
  Env env(ctx);
  if (const auto* ps = o.if_contains("params")) {
    if (!ps->is_object()) fail("params must be an object");
    for (const auto& [k, v] : ps->as_object()) {
      const std::string name = paramName(std::string(k));
      if (std::find(std::begin(kStakingParams), std::end(kStakingParams), name) == std::end(kStakingParams))
        fail("unknown parameter " + std::string(k));
      U256 value = modutil::jsonU256(v, "genesis staking: params." + std::string(k));
      if (auto bad = params::validate(name, value)) fail(*bad);
      env.put(params::key(name), modutil::word(value));
    }
  }
  const Params p = loadParams(env.state);
  if (const auto* vs = o.if_contains("validators")) {
    if (!vs->is_array()) fail("validators must be an array");
    for (const auto& entry : vs->as_array()) {
      if (!entry.is_object()) fail("a validator must be an object");
      const auto& e = entry.as_object();
      for (const auto& [k, x] : e)
        if (k != "address" && k != "selfStake" && k != "moniker" && k != "commissionBps")
          fail("unknown validator field " + std::string(k));
      if (!e.contains("address") || !e.at("address").is_string()) fail("validator address missing");
      Address a = Address::parse(std::string_view(e.at("address").as_string()));
      if (!e.contains("selfStake")) fail("validator " + a.hex() + ": selfStake missing");
      U256 stake = modutil::jsonU256(e.at("selfStake"), "genesis staking: selfStake");
      std::string moniker = e.contains("moniker") && e.at("moniker").is_string()
                                ? std::string(e.at("moniker").as_string())
                                : std::string();
      U256 bps = e.contains("commissionBps") ? modutil::jsonU256(e.at("commissionBps"), "commissionBps")
                                             : U256(0);
      if (moniker.empty() || moniker.size() > kMaxMoniker) fail("validator " + a.hex() + ": moniker must be 1-64 bytes");
      if (bps > kBps) fail("validator " + a.hex() + ": commission above 10000 bps");
      if (stake < p.minSelfStake)
        fail(fmt::format("validator {}: self-stake below minimum: need {} aunit", a.hex(),
                         u256ToDecimal(p.minSelfStake)));
      if (staking::validator(env.state, a)) fail("duplicate validator " + a.hex());
      try {
        env.ledger().transfer(env.state, a, kStakingAddress, stake);
      } catch (const Revert& r) {
        fail("validator " + a.hex() + ": " + r.what());
      }
      Validator v;
      v.address = a;
      v.moniker = moniker;
      v.commissionBps = toU64(bps);
      bond(env, v, a, stake);
      env.emit("ValidatorCreated(address,string,uint256,uint256)", {a, moniker, bps, stake});
    }
  }
  updateActiveSet(env, p, 1);
}

void StakingModule::endBlock(HookContext& ctx) {
  // The dev chain's default genesis has no staking state at all: nothing to read or write.
  Env env(ctx);
  const ActiveSet current = activeSet(env.state);
  bool any = !current.members.empty();
  if (!any) {
    bool found = false;
    env.state.scan(asBytes("staking/"), [&](BytesView, BytesView) {
      found = true;
      return false;
    });
    if (!found) return;
  }
  const Params p = loadParams(env.state);
  const uint64_t n = ctx.block.number;
  // The set that was active for the parent block (n - 1).
  ActiveSet parentSet = current;
  if (current.since == n) parentSet = readSet(env.state, kActivePrevKey);

  handleDoubleSigns(env, p);
  trackDowntime(env, p, parentSet);
  if (!current.members.empty()) distributeBlockReward(env, current, parentSet);
  completeUnbondings(env);
  updateActiveSet(env, p, n + 1);
}

}  // namespace tn
