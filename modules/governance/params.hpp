// Governed parameters (RULES.md §11): genesis defaults, changed only by executed multisig
// proposals. Other modules read them through load(); the ParameterInfo module (0x…1003) owns the
// state keys "parameterinfo/<name>" (32-byte big-endian values; an absent key is the default).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/u256.hpp"
#include "state/overlay.hpp"

namespace tn::params {

// OIL discount table: api A0 (degrees × 100), sulphur S0 (percent × 1000), d0..d3 in bps.
struct DiscountTable {
  U256 api, sulphur;
  std::array<U256, 4> d;
};

struct Params {
  U256 marginRatio;                 // bps of the month value kept as margin / used in penalties
  DiscountTable discount;
  uint64_t wellValiditySeconds;     // validity added by an FM activation
  uint64_t priceFallbackWindow;     // number of earlier prices averaged when a day has none
  U256 minBid;                      // TAT wei
  uint64_t bidRoundBlocks;
  uint64_t confirmDelaySeconds;     // multisig delay after the threshold is reached
  uint64_t maxHolders;
  bool tatTransferable;
};

// The genesis defaults of RULES.md §11.
Params defaults();
// The current parameters (defaults for anything never set).
Params load(const StateReader& state);
// The current discount table alone.
DiscountTable discountTable(const StateReader& state);
// The discount (bps) of a well with this api and sulphur under `table` (RULES.md §8.2).
U256 discountFor(const DiscountTable& table, const U256& api, const U256& sulphur);

// Scalar platform parameters by their governance name ("marginRatio", "confirmDelay", ... and the
// §10 emission/validator ones such as "maxValidators"). Bool parameters read as 0/1.
struct ParamSpec {
  std::string_view name;
  U256 defaultValue;
  U256 min, max;  // inclusive bounds a proposal must respect
};
const std::vector<ParamSpec>& specs();
const ParamSpec* findSpec(std::string_view name);
// The value of a known parameter; throws std::invalid_argument for an unknown name.
U256 get(const StateReader& state, std::string_view name);

// Checks a proposed value; returns the revert reason, or nullopt when acceptable.
std::optional<std::string> validate(std::string_view name, const U256& value);
std::optional<std::string> validateDiscount(const DiscountTable& table);

// State keys (for the ParameterInfo module and tests).
Bytes key(std::string_view name);
Bytes discountKey();
Bytes encodeDiscount(const DiscountTable& table);
DiscountTable decodeDiscount(BytesView raw);

}  // namespace tn::params
