// The audit arithmetic of clearing (RULES.md §8), as pure functions over checked U256: every
// product is checked (overflow reverts the transaction) and every division rounds down.
#pragma once

#include <cstdint>
#include <vector>

#include "chain/u256.hpp"
#include "modules/production/prices.hpp"
#include "modules/production/uploads.hpp"

namespace tn::production {

inline constexpr uint64_t kBps = 10'000;
// A UNIT price of 1 USD (USD per UNIT × 10^4), used while no UNIT price was ever fed.
inline constexpr uint64_t kDefaultUnitPrice = 10'000;

// v_d = floor(a × P × D × 10^18 / 10^12): volume × 10^4 times USD × 10^4 times bps is USD × 10^12;
// TAT wei are USD × 10^18, so the factor 10^6 is exact.
U256 dayValue(const U256& amount, const U256& price, const U256& discountBps);

// V of a month: each uploaded day at its own price or the fallback mean (PriceHistory::priceOn).
// Throws Revert("price missing for YYMMDD") when a day has neither.
U256 monthValue(const std::vector<DayAmount>& days, const PriceHistory& prices, uint64_t window,
                const U256& discountBps);

struct Audit {
  U256 minted;             // M, TAT wei
  uint64_t deviation = 0;  // bps after the clamp (dev > 3000 -> 10000); 0 when U <= T
  AuditStatus status = AuditStatus::Finished;
  U256 penalty;  // USD × 10^18 (same unit as V), before conversion to aunit
};
// Step 3: deviation of uploaded U against trusted T and the resulting mint and penalty.
Audit audit(const U256& value, const U256& uploaded, const U256& trusted, const U256& marginRatio);

// floor(V × marginRatio / 10^4): the worst-case penalty of a month, which the margin must cover.
U256 worstCasePenalty(const U256& value, const U256& marginRatio);
// Step 4: USD × 10^18 -> aunit at `unitPrice` USD per UNIT × 10^4.
U256 usdToAunit(const U256& usdWei, const U256& unitPrice);

}  // namespace tn::production
