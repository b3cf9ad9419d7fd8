// The tn_ methods: Treasurenet module state as readable JSON (producers, wells, production
// months, prices, margin, shares, parameters, proposals, TAT statistics, module addresses).
// Every method reads the head state through the modules' read APIs and their indexes, so none of
// them walks the whole state; lists are paginated with an opaque cursor. Formats (docs/RPC.md):
// addresses and ids 0x-hex, big amounts as decimal strings plus hex, dates YYYY-MM-DD.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rpc/backend.hpp"
#include "rpc/dispatcher.hpp"

namespace tn::rpc {

struct TnApiOptions {
  std::size_t defaultPageSize = 100;  // list methods without a limit
  std::size_t maxPageSize = 1000;     // larger limits are capped
  uint32_t maxPriceDays = 366;        // tn_getPrices: longest date range (one read per day)
  std::size_t maxWellMonths = 120;    // tn_getWell: month summaries listed, oldest first
};

// Declares the methods on `dispatcher`; `backend` must outlive it. They answer -32000 when the
// backend has no module state (Backend::headState / Backend::modules).
void addTnApi(Dispatcher& dispatcher, Backend& backend, const TnApiOptions& options = {});

}  // namespace tn::rpc
