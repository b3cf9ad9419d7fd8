#include "modules/oracle/oracle.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "modules/catalog/catalog.hpp"
#include "modules/catalog/util.hpp"
#include "modules/roles/roles.hpp"

namespace tn::oracle {

namespace {

constexpr std::string_view kCurrencyPrefix = "oracle/currency/";
constexpr std::string_view kSymbolPrefix = "oracle/symbol/";
constexpr std::string_view kPricePrefix = "oracle/price/";
constexpr std::string_view kRequestPrefix = "oracle/request/";

Bytes currencyKey(const Hash32& kind) { return modutil::key(kCurrencyPrefix, {kind.view()}); }
Bytes symbolKey(std::string_view symbol) { return modutil::key(kSymbolPrefix, {asBytes(symbol)}); }
Bytes priceKey(std::string_view symbol) { return modutil::key(kPricePrefix, {asBytes(symbol)}); }
Bytes requestKey(const Hash32& id) { return modutil::key(kRequestPrefix, {id.view()}); }

const Hash32& unitKind() {
  static const Hash32 kind = *currencyKind("UNIT");
  return kind;
}

// The value getCurrencyValue reports: the fed one, else 1 USD for UNIT and 0 for the rest.
U256 currencyValueOf(const StateReader& state, const Hash32& kind) {
  if (auto v = state.get(currencyKey(kind))) return u256FromBE(*v);
  return kind == unitKind() ? U256(kDefaultUnitPrice) : U256(0);
}

}  // namespace

std::optional<Hash32> currencyKind(std::string_view currency) {
  if (currency.empty() || currency.size() > 32) return std::nullopt;
  Hash32 kind;
  std::copy(currency.begin(), currency.end(), kind.bytes.begin());
  return kind;
}

std::optional<U256> currencyValue(const StateReader& state, std::string_view currency) {
  auto kind = currencyKind(currency);
  if (!kind) return std::nullopt;
  auto v = state.get(currencyKey(*kind));
  if (!v) return std::nullopt;
  return u256FromBE(*v);
}

U256 unitPrice(const StateReader& state) { return currencyValueOf(state, unitKind()); }

Hash32 requestId(const Address& requester, const U256& nonce) {
  return keccak256(concat({requester.view(), u256ToBE32(nonce).view()}));
}
Hash32 assetValueRequestId(const Address& data) { return keccak256(data.view()); }
Hash32 trustedDataRequestId(const Address& data, const Hash32& uniqueId) {
  return keccak256(concat({data.view(), uniqueId.view()}));
}

}  // namespace tn::oracle

namespace tn {

using modutil::constant;
using modutil::disabled;
using modutil::nonpayable;
using modutil::view;

Address OracleModule::address() const { return kOracleAddress; }

namespace {

bool supported(const CallContext& ctx, const std::string& symbol) {
  return ctx.get(oracle::symbolKey(symbol)).has_value();
}

void requireSupported(const CallContext& ctx, const std::string& symbol) {
  if (!supported(ctx, symbol)) throw Revert("Unsupported symbol: " + symbol);
}

// (price, timestamp) as stored; zeros when never updated.
abi::ValueList priceData(const CallContext& ctx, const std::string& symbol) {
  auto v = ctx.get(oracle::priceKey(symbol));
  if (!v) return {U256(0), U256(0)};
  return {u256FromBE(BytesView(*v).subspan(0, 32)), u256FromBE(BytesView(*v).subspan(32, 32))};
}

Bytes requestRecord(const Address& requester, const Address& callback, const Bytes& functionId) {
  return concat({requester.view(), callback.view(), functionId});
}

// Adds or removes a supported symbol (FOUNDATION_MANAGER) and reports the change.
abi::ValueList setSupported(CallContext& ctx, const std::string& symbol, bool support) {
  roles::require(ctx, roles::Role::FoundationManager);
  if (symbol.empty()) throw Revert("empty symbol");
  if (symbol.size() > 32) throw Revert("symbol longer than 32 bytes");
  if (supported(ctx, symbol) == support)
    throw Revert(support ? "Symbol already supported: " + symbol : "Symbol not supported: " + symbol);
  Bytes key = oracle::symbolKey(symbol);
  if (support)
    ctx.put(key, Bytes{1});
  else
    ctx.erase(key);
  ctx.emit(ctx.modules.event(kOracleAddress, "SymbolSupportChanged(string,bool)"), {symbol, support});
  return {true};
}

}  // namespace

std::vector<CallDecl> OracleModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(constant("FEEDER()", "bytes32", roles::id(roles::Role::Feeder)));
  c.push_back(constant("FOUNDATION_MANAGER()", "bytes32", roles::id(roles::Role::FoundationManager)));

  c.push_back(nonpayable(
      "setCurrencyValue(bytes32,uint256)", "",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        roles::require(ctx, roles::Role::Feeder);
        Hash32 kind = a[0].asBytes32();
        if (kind.isZero()) throw Revert("empty currency kind");
        if (a[1].asUint() == 0) throw Revert("currency value must be positive (USD x 10^4)");
        ctx.put(oracle::currencyKey(kind), modutil::word(a[1].asUint()));
        ctx.emit(ctx.modules.event(kOracleAddress, "CurrencyValueSet(bytes32,uint256,uint256)"),
                 {kind, a[1].asUint(), ctx.block.timestamp});
        return {};
      }));
  c.push_back(view("getCurrencyValue(bytes32)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return {oracle::currencyValueOf(ctx.state(), a[0].asBytes32())};
                   }));

  c.push_back(nonpayable("addSupportedSymbol(string)", "bool",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           return setSupported(ctx, a[0].asString(), true);
                         }));
  c.push_back(nonpayable("removeSupportedSymbol(string)", "bool",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           return setSupported(ctx, a[0].asString(), false);
                         }));
  for (const char* sig : {"isSupportedSymbol(string)", "supportedSymbols(string)"})
    c.push_back(view(sig, "bool", [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
      return {supported(ctx, a[0].asString())};
    }));
  c.push_back(nonpayable(
      "updatePrice(string,uint256)", "bool",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        roles::require(ctx, roles::Role::FoundationManager);
        const std::string& symbol = a[0].asString();
        requireSupported(ctx, symbol);
        if (a[1].asUint() == 0) throw Revert("Invalid price: must be positive");
        ctx.put(oracle::priceKey(symbol),
                concat({modutil::word(a[1].asUint()), modutil::word(ctx.block.timestamp)}));
        ctx.emit(ctx.modules.event(kOracleAddress, "PriceUpdated(string,uint256,uint256)"),
                 {symbol, a[1].asUint(), ctx.block.timestamp});
        return {true};
      }));
  c.push_back(view("getPrice(string)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     requireSupported(ctx, a[0].asString());
                     return {priceData(ctx, a[0].asString())[0]};
                   }));
  c.push_back(view("getPriceData(string)", "uint256,uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     requireSupported(ctx, a[0].asString());
                     return priceData(ctx, a[0].asString());
                   }));
  // The public state-variable getter: no support check.
  c.push_back(view("prices(string)", "uint256,uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return priceData(ctx, a[0].asString());
                   }));

  c.push_back(nonpayable(
      "createOracleRequest(address,bytes4,uint256)", "bytes32",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Hash32 id = oracle::requestId(ctx.sender, a[2].asUint());
        Bytes key = oracle::requestKey(id);
        if (ctx.get(key)) throw Revert("must be a unique request id: nonce already used by this requester");
        ctx.put(key, requestRecord(ctx.sender, a[0].asAddress(), a[1].asBytes()));
        ctx.emit(ctx.modules.event(kOracleAddress, "OracleRequest(address,bytes32,address,bytes4)"),
                 {ctx.sender, id, a[0].asAddress(), a[1].asBytes()});
        return {id};
      }));
  c.push_back(nonpayable(
      "cancelOracleRequest(bytes32,address,bytes4)", "bytes32",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Hash32 id = a[0].asBytes32();
        Bytes key = oracle::requestKey(id);
        auto stored = ctx.get(key);
        if (!stored) throw Revert("Params do not match request ID: no such request");
        if (*stored != requestRecord(ctx.sender, a[1].asAddress(), a[2].asBytes()))
          throw Revert("Params do not match request ID: requester, callback or function differ");
        ctx.erase(key);
        ctx.emit(ctx.modules.event(kOracleAddress, "CancelOracleRequest(address,bytes32)"),
                 {ctx.sender, id});
        return {id};
      }));

  const std::string noTCash = "disabled: TCash/USTN is not part of this chain";
  c.push_back(disabled("setTCashMintStatus(bool)", "", noTCash));
  c.push_back(disabled("setTCashMintLockPrice(uint256)", "", noTCash));
  c.push_back(disabled("checkAndUpdateTCashMintStatus(uint256,uint256,uint256,uint256)", "", noTCash));
  c.push_back(disabled("getTCashMintStatus()", "bool", noTCash, Mutability::View));
  c.push_back(disabled("getTCashMintLockPrice()", "uint256", noTCash, Mutability::View));
  modutil::appendCalls(c, modutil::ownableCalls("initialize(address)"));
  return c;
}

std::vector<EventDecl> OracleModule::events() {
  using modutil::event;
  auto e = modutil::ownableEvents();
  e.push_back(event("CancelOracleRequest(address,bytes32)", {false, false}));
  e.push_back(event("OracleRequest(address,bytes32,address,bytes4)", {false, false, false, false}));
  e.push_back(event("PriceUpdated(string,uint256,uint256)", {true, false, false}));
  e.push_back(event("TCashMintLockPriceChanged(uint256,uint256)", {false, false}));
  e.push_back(event("TCashMintStatusChanged(bool,uint256)", {false, false}));
  // Our additions: the public contract changes these silently.
  e.push_back(event("CurrencyValueSet(bytes32,uint256,uint256)", {true, false, false}));
  e.push_back(event("SymbolSupportChanged(string,bool)", {false, false}));
  return e;
}

void OracleModule::initGenesis(HookContext& ctx, const boost::json::value& config) {
  if (config.is_null()) return;
  if (!config.is_object()) throw std::invalid_argument("genesis oracle: expected an object");
  for (const auto& [section, v] : config.as_object()) {
    if (section == "currencies" && v.is_object()) {
      for (const auto& [currency, value] : v.as_object()) {
        auto kind = oracle::currencyKind(currency);
        if (!kind) throw std::invalid_argument("genesis oracle: currency name must be 1..32 bytes");
        U256 x = modutil::jsonU256(value, "genesis oracle: currencies." + std::string(currency));
        if (x == 0) throw std::invalid_argument("genesis oracle: currency values must be positive");
        ctx.state.put(oracle::currencyKey(*kind), modutil::word(x));
      }
    } else if (section == "symbols" && v.is_array()) {
      for (const auto& s : v.as_array()) {
        if (!s.is_string() || s.as_string().empty() || s.as_string().size() > 32)
          throw std::invalid_argument("genesis oracle: symbols must be strings of 1..32 bytes");
        ctx.state.put(oracle::symbolKey(std::string_view(s.as_string())), Bytes{1});
      }
    } else {
      throw std::invalid_argument("genesis oracle: unknown or malformed section " +
                                  std::string(section) +
                                  " (expected \"currencies\": {...} or \"symbols\": [...])");
    }
  }
}

}  // namespace tn
