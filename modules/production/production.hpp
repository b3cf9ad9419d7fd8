// The production modules (RULES.md §4–§8): a producer (wells, shares) and a data module (prices,
// trusted data, uploads, margin, clearing) for every asset kind, and the read API that queries
// (tn_ RPC) use. Dates in this API are stored forms: YYYYMMDD days, YYYYMM months.
#pragma once

#include <optional>

#include "chain/module.hpp"
#include "modules/production/margin.hpp"
#include "modules/production/prices.hpp"
#include "modules/production/uploads.hpp"
#include "modules/production/wells.hpp"

namespace tn {

// Registers the producer/data pairs of the four genesis kinds (0x1010/0x1011 … 0x1040/0x1041)
// and of the kinds governance may add (0x1050/0x1051, 0x1060/0x1061, …; inert until added).
void addProductionModules(ModuleRegistry& registry);

}  // namespace tn

namespace tn::production {

// Read API (all pure reads of committed or overlay state):
//   loadWell(state, id)                      wells.hpp: the well record, any kind
//   loadHolders(state, id)                   wells.hpp: shares, ascending address
//   loadMonth(state, id, YYYYMM)             uploads.hpp: U, audit status and result
//   loadDays(state, id, YYYYMM)              uploads.hpp: uploaded daily volumes
//   loadTrusted(state, id, YYYYMM)           prices.hpp: the feeder's monthly figure
//   loadBlock(state, id, blockNumber)        prices.hpp: a digital well's mined-block record
//   loadPrice(state, dataAddress, YYYYMMDD)  prices.hpp: the price fed for that day
//   loadMargin(state, dataAddress, owner)    margin.hpp: margin balance and debt
// The price clearing would use for a day: its own or the fallback mean (nullopt: none).
std::optional<U256> effectivePrice(const StateReader& state, const Address& data,
                                   uint32_t yyyymmdd);

}  // namespace tn::production
