#include "modules/governance/governance.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "modules/catalog/catalog.hpp"
#include "modules/catalog/emit.hpp"
#include "modules/catalog/util.hpp"
#include "modules/roles/roles.hpp"

namespace tn::governance {

void addKind(CallContext& ctx, const kinds::Kind& kind) {
  Bytes name = toBytes(kind.name);
  ctx.put(kinds::kindKey(kind.name), kinds::encode(kind));
  ctx.put(kinds::addressKey(kind.producer), name);
  ctx.put(kinds::addressKey(kind.data), name);
  emitAt(ctx, kGovernanceAddress, "AddTreasure(string,address,address)",
         {kind.name, kind.producer, kind.data});
}

std::optional<std::pair<Address, Address>> nextKindAddresses(const StateReader& state) {
  std::size_t n = kinds::addedCount(state);
  if (n >= kinds::kMaxAddedKinds) return std::nullopt;
  return std::pair{kinds::addedProducerAddress(n), kinds::addedDataAddress(n)};
}

std::optional<std::string> checkKindName(const StateReader& state, std::string_view name) {
  // The public contracts key kinds by bytes32, so names fit in 32 bytes; upper case keeps
  // "oil" and "OIL" from becoming two kinds.
  if (name.empty()) return "empty treasure name";
  if (name.size() > 32) return "treasure name longer than 32 bytes";
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return "treasure name must be upper-case letters, digits or '_'";
  if (kinds::byName(state, name)) return "treasure type already exists";
  return std::nullopt;
}

}  // namespace tn::governance

namespace tn {

using modutil::constant;
using modutil::disabled;
using modutil::view;

// ---------------------------------------------------------------------------------- Governance

Address GovernanceModule::address() const { return kGovernanceAddress; }

std::vector<CallDecl> GovernanceModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(constant("FOUNDATION_MANAGER()", "bytes32", roles::id(roles::Role::FoundationManager)));
  c.push_back(view("getTreasureByKind(string)", "address,address",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     auto k = kinds::byName(ctx.state(), a[0].asString());
                     if (!k) throw Revert("treasure not found");
                     return {k->producer, k->data};
                   }));
  c.push_back(view("fmThreshold()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {roles::fmThreshold(ctx.state())};
                   }));
  c.push_back(disabled("addTreasure(string,address,address)", "",
                       "disabled: asset kinds are added by MulSig proposals (proposeToAddResource)"));
  modutil::appendCalls(
      c, modutil::ownableCalls("initialize(address,address,address,address,string[],address[],address[])"));
  return c;
}

std::vector<EventDecl> GovernanceModule::events() {
  auto e = modutil::ownableEvents();
  e.push_back(modutil::event("AddTreasure(string,address,address)", {false, false, false}));
  return e;
}

void GovernanceModule::initGenesis(HookContext& ctx, const boost::json::value&) {
  for (const kinds::Kind& k : kinds::genesisKinds()) {
    ctx.state.put(kinds::kindKey(k.name), kinds::encode(k));
    ctx.state.put(kinds::addressKey(k.producer), toBytes(k.name));
    ctx.state.put(kinds::addressKey(k.data), toBytes(k.name));
  }
}

// ------------------------------------------------------------------------------- ParameterInfo

Address ParameterInfoModule::address() const { return kParameterInfoAddress; }

std::vector<CallDecl> ParameterInfoModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(view("getPlatformConfig(string)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     const std::string& key = a[0].asString();
                     if (!params::findSpec(key)) throw Revert("not support");
                     return {params::get(ctx.state(), key)};
                   }));
  c.push_back(view("getPriceDiscountConfig(uint256,uint256)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     if (a[0].asUint() == 0 || a[1].asUint() == 0)
                       throw Revert("this mine data is error or not exist this mine.");
                     return {params::discountFor(params::discountTable(ctx.state()), a[0].asUint(),
                                                 a[1].asUint())};
                   }));
  // Our addition: the whole table in one read (the public ABI only answers per well).
  c.push_back(view("getPriceDiscountTable()", "uint256,uint256,uint256[4]",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     params::DiscountTable t = params::discountTable(ctx.state());
                     return {t.api, t.sulphur, abi::ValueList{t.d[0], t.d[1], t.d[2], t.d[3]}};
                   }));
  const std::string viaMulSig = "disabled: parameters change only through MulSig proposals";
  c.push_back(disabled("setPlatformConfig(string,uint256)", "bool", viaMulSig));
  c.push_back(disabled("setPriceDiscountConfig(uint256,uint256,uint256,uint256,uint256,uint256)",
                       "bool", viaMulSig));
  const std::string noTCash = "disabled: TCash/USTN is not part of this chain";
  for (const char* sig : {"getTCashDailyInterestRate()", "getTCashLiquidationThreshold()",
                          "getTCashMarginCallThreshold()", "getTCashMintLockThreshold()",
                          "getTCashMintResetThreshold()", "getTCashRepaymentCycle()",
                          "getUSTNLoanInterestRate()", "getUSTNLoanLiquidationRate()",
                          "getUSTNLoanPledgeRate()", "getUSTNLoanPledgeRateWarningValue()"})
    c.push_back(disabled(sig, "uint256", noTCash, Mutability::View));
  modutil::appendCalls(c, modutil::ownableCalls("initialize(address)"));
  return c;
}

std::vector<EventDecl> ParameterInfoModule::events() { return modutil::ownableEvents(); }

namespace {

U256 jsonU256(const boost::json::value& v, std::string_view what) {
  return modutil::jsonU256(v, "genesis parameterinfo: " + std::string(what));
}

}  // namespace

void ParameterInfoModule::initGenesis(HookContext& ctx, const boost::json::value& config) {
  if (config.is_null()) return;  // defaults: absent keys read as RULES.md §11 values
  if (!config.is_object()) throw std::invalid_argument("genesis parameterinfo: expected an object");
  for (const auto& [name, v] : config.as_object()) {
    if (name == "discount") {
      if (!v.is_object()) throw std::invalid_argument("genesis parameterinfo: discount object");
      const auto& o = v.as_object();
      params::DiscountTable t = params::defaults().discount;
      if (auto* x = o.if_contains("api")) t.api = jsonU256(*x, "discount.api");
      if (auto* x = o.if_contains("sulphur")) t.sulphur = jsonU256(*x, "discount.sulphur");
      if (auto* x = o.if_contains("d")) {
        if (!x->is_array() || x->as_array().size() != 4)
          throw std::invalid_argument("genesis parameterinfo: discount.d needs 4 values");
        for (std::size_t i = 0; i < 4; ++i) t.d[i] = jsonU256(x->as_array()[i], "discount.d");
      }
      if (auto bad = params::validateDiscount(t))
        throw std::invalid_argument("genesis parameterinfo: " + *bad);
      ctx.state.put(params::discountKey(), params::encodeDiscount(t));
      continue;
    }
    U256 value = jsonU256(v, name);
    if (auto bad = params::validate(name, value))
      throw std::invalid_argument("genesis parameterinfo: " + *bad);
    ctx.state.put(params::key(name), modutil::word(value));
  }
}

}  // namespace tn
