#include "modules/tat/tat.hpp"

#include <limits>

#include <boost/json.hpp>

#include "modules/catalog/catalog.hpp"
#include "modules/catalog/emit.hpp"
#include "modules/catalog/util.hpp"
#include "modules/governance/kinds.hpp"
#include "modules/governance/params.hpp"

namespace tn::tat {

namespace {

using modutil::readWord;
using modutil::writeWord;

const Bytes kSupplyKey = toBytes("tat/supply");
const Bytes kBurnedKey = toBytes("tat/burned");
const Bytes kStakesKey = toBytes("tat/stakes");
const Bytes kStakersKey = toBytes("tat/stakers");
constexpr std::string_view kAccountMonthPrefix = "tat/ma/";
constexpr std::string_view kMonthPrefix = "tat/mm/";
constexpr std::string_view kPeriodPrefix = "tat/mp/";

Bytes be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }
uint32_t readBe32(BytesView b) {
  if (b.size() != 4) throw std::runtime_error("corrupt TAT month key");
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

Bytes balanceKey(const Address& a) { return modutil::key("tat/bal/", {a.view()}); }
Bytes allowanceKey(const Address& owner, const Address& spender) {
  return modutil::key("tat/allow/", {owner.view(), spender.view()});
}
Bytes stakeKey(const Address& a) { return modutil::key("tat/stake/", {a.view()}); }
Bytes accountMonthKey(const Address& a, uint32_t month) {
  return modutil::key(kAccountMonthPrefix, {a.view(), be32(month)});
}
Bytes monthKey(uint32_t month) { return modutil::key(kMonthPrefix, {be32(month)}); }
Bytes periodKey(uint64_t period) { return modutil::key(kPeriodPrefix, {modutil::be64(period)}); }

void addTo(CallContext& ctx, BytesView key, const U256& amount) {
  writeWord(ctx, key, readWord(ctx.state(), key) + amount);
}
// Subtracts `amount`, reverting with `reason` when the stored value is smaller.
void takeFrom(CallContext& ctx, BytesView key, const U256& amount, const std::string& reason) {
  U256 have = readWord(ctx.state(), key);
  if (have < amount) throw Revert(reason);
  writeWord(ctx, key, have - amount);
}

void requireUnpaused(CallContext& ctx) {
  if (params::get(ctx.state(), "tatPaused") != 0)
    throw Revert("ERC20Pausable: token transfer while paused");
}

void emitTransfer(CallContext& ctx, const Address& from, const Address& to, const U256& amount) {
  emitAt(ctx, kTatAddress, "Transfer(address,address,uint256)", {from, to, amount});
}

// Moves `amount` from `from` to `to` (ERC20._transfer); `shortReason` when `from` has too little.
void moveTokens(CallContext& ctx, const Address& from, const Address& to, const U256& amount,
          const std::string& shortReason) {
  if (to.isZero()) throw Revert("ERC20: transfer to the zero address");
  requireUnpaused(ctx);
  takeFrom(ctx, balanceKey(from), amount, shortReason);
  addTo(ctx, balanceKey(to), amount);
  emitTransfer(ctx, from, to, amount);
}

void burnTokens(CallContext& ctx, const Address& from, const U256& amount, const std::string& shortReason) {
  requireUnpaused(ctx);
  takeFrom(ctx, balanceKey(from), amount, shortReason);
  writeWord(ctx, kSupplyKey, readWord(ctx.state(), kSupplyKey) - amount);
  addTo(ctx, kBurnedKey, amount);
  emitTransfer(ctx, from, Address(), amount);
}

void mintTokens(CallContext& ctx, const Address& to, const U256& amount, uint32_t month,
          const Hash32* uniqueId) {
  auto kind = kinds::byAddress(ctx.state(), ctx.self);
  if (!kind || kind->data != ctx.self) throw Revert("disabled: TAT is minted only by clearing");
  if (to.isZero()) throw Revert("ERC20: mint to the zero address");
  requireUnpaused(ctx);
  if (amount == 0) return;
  addTo(ctx, balanceKey(to), amount);
  addTo(ctx, kSupplyKey, amount);
  addTo(ctx, accountMonthKey(to, month), amount);
  addTo(ctx, monthKey(month), amount);
  addTo(ctx, periodKey(ctx.block.number / kEmissionPeriodBlocks), amount);
  emitTransfer(ctx, Address(), to, amount);
  if (uniqueId)
    emitAt(ctx, kTatAddress, "TATHistory(string,bytes32,address,address,uint256)",
           {kind->name, *uniqueId, ctx.self, to, amount});
}

}  // namespace

U256 balanceOf(const StateReader& state, const Address& account) {
  return readWord(state, balanceKey(account));
}
U256 totalSupply(const StateReader& state) { return readWord(state, kSupplyKey); }
U256 allowance(const StateReader& state, const Address& owner, const Address& spender) {
  return readWord(state, allowanceKey(owner, spender));
}
U256 stakeOf(const StateReader& state, const Address& account) {
  return readWord(state, stakeKey(account));
}

void mintFromClearing(CallContext& ctx, const Address& to, const U256& amount,
                      uint32_t productionMonth) {
  mintTokens(ctx, to, amount, productionMonth, nullptr);
}
void mintFromClearing(CallContext& ctx, const Address& to, const U256& amount,
                      uint32_t productionMonth, const Hash32& uniqueId) {
  mintTokens(ctx, to, amount, productionMonth, &uniqueId);
}

void burnFrom(CallContext& ctx, const Address& from, const U256& amount) {
  burnTokens(ctx, from, amount, "insufficient TAT balance");
}

Stats stats(const StateReader& state) {
  Stats s;
  s.supply = totalSupply(state);
  s.burned = readWord(state, kBurnedKey);
  std::size_t monthAt = kMonthPrefix.size(), periodAt = kPeriodPrefix.size();
  state.scan(asBytes(kMonthPrefix), [&](BytesView k, BytesView v) {
    s.perMonth.push_back({readBe32(k.subspan(monthAt)), u256FromBE(v)});
    return true;
  });
  state.scan(asBytes(kPeriodPrefix), [&](BytesView k, BytesView v) {
    s.perPeriod.push_back({modutil::readBe64(k.subspan(periodAt)), u256FromBE(v)});
    return true;
  });
  return s;
}

U256 mintedInPeriod(const StateReader& state, uint64_t period) {
  return readWord(state, periodKey(period));
}

U256 mintedTo(const StateReader& state, const Address& account, uint32_t productionMonth) {
  return readWord(state, accountMonthKey(account, productionMonth));
}

}  // namespace tn::tat

namespace tn {

using modutil::constant;
using modutil::disabled;
using modutil::nonpayable;
using modutil::view;

Address TatModule::address() const { return kTatAddress; }

namespace {

void requireTransferable(CallContext& ctx) {
  if (params::get(ctx.state(), "tatTransferable") == 0)
    throw Revert("TAT transfers are locked by governance (tatTransferable = 0)");
}

void approve(CallContext& ctx, const Address& owner, const Address& spender, const U256& amount) {
  if (spender.isZero()) throw Revert("ERC20: approve to the zero address");
  modutil::writeWord(ctx, tat::allowanceKey(owner, spender), amount);
  emitAt(ctx, kTatAddress, "Approval(address,address,uint256)", {owner, spender, amount});
}

// ERC20._spendAllowance: an unlimited (max) allowance is never reduced.
void spendAllowance(CallContext& ctx, const Address& owner, const Address& spender,
                    const U256& amount) {
  U256 current = tat::allowance(ctx.state(), owner, spender);
  if (current == std::numeric_limits<U256>::max()) return;
  if (current < amount) throw Revert("ERC20: insufficient allowance");
  approve(ctx, owner, spender, current - amount);
}

// Stake and withdraw act on the caller's own TAT only (the public contract lets anyone move
// anyone's tokens through them).
void requireSelf(const CallContext& ctx, const Address& account, std::string_view what) {
  if (account != ctx.sender)
    throw Revert("disabled: " + std::string(what) + " acts only on the caller's own TAT");
}

void changeStakers(CallContext& ctx, int delta) {
  auto raw = ctx.get(tat::kStakersKey);
  uint64_t n = raw ? modutil::readBe64(*raw) : 0;
  ctx.put(tat::kStakersKey, modutil::be64(delta > 0 ? n + 1 : n - 1));
}

const std::string kBurnShort = "ERC20: burn amount exceeds balance";

}  // namespace

std::vector<CallDecl> TatModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(constant("name()", "string", "TAT Token"));
  c.push_back(constant("symbol()", "string", "TAT"));
  c.push_back(constant("decimals()", "uint8", uint64_t(18)));
  c.push_back(view("totalSupply()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {tat::totalSupply(ctx.state())};
                   }));
  c.push_back(view("balanceOf(address)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return {tat::balanceOf(ctx.state(), a[0].asAddress())};
                   }));
  c.push_back(view("allowance(address,address)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return {tat::allowance(ctx.state(), a[0].asAddress(), a[1].asAddress())};
                   }));
  c.push_back(view("paused()", "bool",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {params::get(ctx.state(), "tatPaused") != 0};
                   }));

  c.push_back(nonpayable("transfer(address,uint256)", "bool",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           requireTransferable(ctx);
                           tat::moveTokens(ctx, ctx.sender, a[0].asAddress(), a[1].asUint(),
                                     "ERC20: transfer amount exceeds balance");
                           return {true};
                         }));
  c.push_back(nonpayable("transferFrom(address,address,uint256)", "bool",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           requireTransferable(ctx);
                           spendAllowance(ctx, a[0].asAddress(), ctx.sender, a[2].asUint());
                           tat::moveTokens(ctx, a[0].asAddress(), a[1].asAddress(), a[2].asUint(),
                                     "ERC20: transfer amount exceeds balance");
                           return {true};
                         }));
  c.push_back(nonpayable("approve(address,uint256)", "bool",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           approve(ctx, ctx.sender, a[0].asAddress(), a[1].asUint());
                           return {true};
                         }));
  c.push_back(nonpayable("increaseAllowance(address,uint256)", "bool",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           U256 current = tat::allowance(ctx.state(), ctx.sender, a[0].asAddress());
                           approve(ctx, ctx.sender, a[0].asAddress(), current + a[1].asUint());
                           return {true};
                         }));
  c.push_back(nonpayable("decreaseAllowance(address,uint256)", "bool",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           U256 current = tat::allowance(ctx.state(), ctx.sender, a[0].asAddress());
                           if (current < a[1].asUint())
                             throw Revert("ERC20: decreased allowance below zero");
                           approve(ctx, ctx.sender, a[0].asAddress(), current - a[1].asUint());
                           return {true};
                         }));
  c.push_back(nonpayable("burn(uint256)", "",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           tat::burnTokens(ctx, ctx.sender, a[0].asUint(), kBurnShort);
                           return {};
                         }));
  c.push_back(nonpayable("burnFrom(address,uint256)", "",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           spendAllowance(ctx, a[0].asAddress(), ctx.sender, a[1].asUint());
                           tat::burnTokens(ctx, a[0].asAddress(), a[1].asUint(), kBurnShort);
                           return {};
                         }));

  c.push_back(nonpayable(
      "stake(address,uint256)", "",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        requireSelf(ctx, a[0].asAddress(), "stake");
        const U256& amount = a[1].asUint();
        if (amount == 0) throw Revert("stake amount must be positive");
        tat::moveTokens(ctx, ctx.sender, kTatAddress, amount, "Stake amount exceeds balance");
        Bytes key = tat::stakeKey(ctx.sender);
        if (tat::stakeOf(ctx.state(), ctx.sender) == 0) changeStakers(ctx, +1);
        tat::addTo(ctx, key, amount);
        tat::addTo(ctx, tat::kStakesKey, amount);
        emitAt(ctx, kTatAddress, "Stake(address,uint256)", {ctx.sender, amount});
        return {};
      }));
  c.push_back(nonpayable(
      "withdraw(address,uint256)", "",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        requireSelf(ctx, a[0].asAddress(), "withdraw");
        const U256& amount = a[1].asUint();
        if (amount == 0) throw Revert("withdraw amount must be positive");
        Bytes key = tat::stakeKey(ctx.sender);
        tat::takeFrom(ctx, key, amount, "Withdrawal amount exceeds staked amount");
        if (tat::stakeOf(ctx.state(), ctx.sender) == 0) changeStakers(ctx, -1);
        tat::takeFrom(ctx, tat::kStakesKey, amount, "corrupt TAT stake total");
        tat::moveTokens(ctx, kTatAddress, ctx.sender, amount, "corrupt TAT stake balance");
        emitAt(ctx, kTatAddress, "Withdraw(address,uint256)", {ctx.sender, amount});
        return {};
      }));
  c.push_back(view("stakeOf(address)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return {tat::stakeOf(ctx.state(), a[0].asAddress())};
                   }));
  c.push_back(view("totalStakes()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {modutil::readWord(ctx.state(), tat::kStakesKey)};
                   }));
  c.push_back(view("totalStakers()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     auto raw = ctx.get(tat::kStakersKey);
                     return {raw ? modutil::readBe64(*raw) : uint64_t(0)};
                   }));

  // The mint history per account, months as YYMM (0 = mined blocks of digital kinds), ascending.
  c.push_back(view("getTATRecord(address)", "uint256[],uint256[]",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     abi::ValueList months, amounts;
                     Bytes prefix = modutil::key(tat::kAccountMonthPrefix, {a[0].asAddress().view()});
                     ctx.scan(prefix, [&](BytesView k, BytesView v) {
                       uint32_t m = tat::readBe32(k.subspan(prefix.size()));
                       months.emplace_back(uint64_t(m >= 200000 ? m - 200000 : m));
                       amounts.emplace_back(u256FromBE(v));
                       return true;
                     });
                     return {abi::Value(std::move(months)), abi::Value(std::move(amounts))};
                   }));
  // Our additions: burned total and the per-period mint that drives emission (RULES.md §10).
  c.push_back(view("totalBurned()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {modutil::readWord(ctx.state(), tat::kBurnedKey)};
                   }));
  c.push_back(view("mintedInPeriod(uint256)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     if (a[0].asUint() > std::numeric_limits<uint64_t>::max()) return {U256(0)};
                     return {tat::mintedInPeriod(ctx.state(), a[0].asU64())};
                   }));

  c.push_back(disabled("faucet(address,uint256)", "", "disabled: TAT is minted only by clearing (no faucet)"));
  c.push_back(disabled("setTATRecord(address,uint256)", "",
                       "disabled: the TAT mint history is written only by clearing"));
  c.push_back(disabled("mint(string,bytes32,address,uint256)", "",
                       "disabled: TAT is minted only by clearing, inside a data module"));
  c.push_back(disabled("burn(string,uint256)", "",
                       "disabled: burn(string,uint256) is reserved to data modules; use burn(uint256)"));
  const std::string viaMulSig =
      "Ownable: caller is not the owner (TAT pauses through a MulSig tatPaused proposal)";
  c.push_back(disabled("pause()", "", viaMulSig));
  c.push_back(disabled("unpause()", "", viaMulSig));
  modutil::appendCalls(c, modutil::ownableCalls("initialize(string,string,address)"));
  return c;
}

std::vector<EventDecl> TatModule::events() {
  using modutil::event;
  auto e = modutil::ownableEvents();
  e.push_back(event("Approval(address,address,uint256)", {true, true, false}));
  e.push_back(event("Paused(address)", {false}));
  e.push_back(event("Stake(address,uint256)", {false, false}));
  e.push_back(event("TATHistory(string,bytes32,address,address,uint256)", {false, false, false, false, false}));
  e.push_back(event("Transfer(address,address,uint256)", {true, true, false}));
  e.push_back(event("Unpaused(address)", {false}));
  e.push_back(event("Withdraw(address,uint256)", {false, false}));
  return e;
}

void TatModule::initGenesis(HookContext&, const boost::json::value& config) {
  if (!config.is_null())
    throw std::invalid_argument("genesis tat: TAT is minted only by clearing; no genesis section is accepted");
}

}  // namespace tn
