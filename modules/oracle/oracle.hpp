// Oracle (0x…1004, Oracle.abi.json): currency values fed by a FEEDER, in particular
// setCurrencyValue("UNIT", usd × 10^4), which converts clearing penalties to aunit (RULES.md §8.4).
// State prefix "oracle/".
#pragma once

#include <optional>
#include <string_view>

#include "chain/module.hpp"

namespace tn::oracle {

// USD per UNIT × 10^4 as last fed; 10000 (1 UNIT = 1 USD) while never fed.
U256 unitPrice(const StateReader& state);
// The last value fed for `currency` (nullopt: never).
std::optional<U256> currencyValue(const StateReader& state, std::string_view currency);

}  // namespace tn::oracle
