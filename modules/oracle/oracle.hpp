// Oracle (0x…1004, Oracle.abi.json): currency values fed by a FEEDER, in particular
// setCurrencyValue("UNIT", usd × 10^4), which converts clearing penalties to aunit (RULES.md §8.4).
// State prefix "oracle/":
//   "oracle/currency/" ++ kind(32)   -> 32-byte value (the bytes32 currency kind: "UNIT" padded)
//   "oracle/symbol/" ++ symbol       -> 0x01 while the symbol is supported (updatePrice/getPrice)
//   "oracle/price/" ++ symbol        -> price(32) ++ timestamp(32)
//   "oracle/request/" ++ id(32)      -> requester(20) ++ callback(20) ++ callbackFunctionId(4)
// The TCash calls of the public ABI revert "disabled: ..." (TCash is not part of this chain).
#pragma once

#include <optional>
#include <string_view>

#include "chain/module.hpp"

namespace tn::oracle {

// USD per UNIT × 10^4 as last fed; 10000 (1 UNIT = 1 USD) while never fed.
U256 unitPrice(const StateReader& state);
// The last value fed for `currency` (nullopt: never).
std::optional<U256> currencyValue(const StateReader& state, std::string_view currency);

// The default UNIT price: 1 USD × 10^4.
inline constexpr uint64_t kDefaultUnitPrice = 10'000;
// The bytes32 form of a currency name: its bytes right-padded with zeros (ethers'
// encodeBytes32String("UNIT")); nullopt when the name is empty or longer than 32 bytes.
std::optional<Hash32> currencyKind(std::string_view currency);

// Request ids (REFERENCE.md §3): keccak256(requester(20) ++ nonce(32)), as createOracleRequest.
Hash32 requestId(const Address& requester, const U256& nonce);
// The deterministic ids a data module reports and requires (spec/ABI.md):
// getAssetValueRequestID() = keccak256(data(20)); getTDRequestID(id) = keccak256(data(20) ++ id(32)).
Hash32 assetValueRequestId(const Address& data);
Hash32 trustedDataRequestId(const Address& data, const Hash32& uniqueId);

}  // namespace tn::oracle

namespace tn {

class OracleModule final : public Module {
 public:
  std::string name() const override { return "oracle"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // config (optional): {"currencies": {"UNIT": 10000, ...}, "symbols": ["UNIT", ...]}; values are
  // numbers or decimal strings and must be positive.
  void initGenesis(HookContext& ctx, const boost::json::value& config) override;
};

}  // namespace tn
