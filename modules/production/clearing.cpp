#include "modules/production/clearing.hpp"

#include "chain/module.hpp"
#include "modules/production/dates.hpp"

namespace tn::production {

namespace {
const U256 kTatPerUsdScale = 1'000'000;  // 10^18 / 10^12
constexpr uint64_t kFailAbove = 1'000;   // dev > 10.00 % fails the month
constexpr uint64_t kClampAbove = 3'000;  // dev > 30.00 % counts as 100 %
}  // namespace

U256 dayValue(const U256& amount, const U256& price, const U256& discountBps) {
  return amount * price * discountBps * kTatPerUsdScale;
}

U256 monthValue(const std::vector<DayAmount>& days, const PriceHistory& prices, uint64_t window,
                const U256& discountBps) {
  U256 value = 0;
  for (const DayAmount& d : days) {
    auto price = prices.priceOn(d.day, window);
    if (!price) throw Revert("price missing for " + dayText(edgeDay(d.day)));
    value += dayValue(d.amount, *price, discountBps);
  }
  return value;
}

Audit audit(const U256& value, const U256& uploaded, const U256& trusted, const U256& marginRatio) {
  Audit a;
  if (uploaded <= trusted) {
    a.minted = value;  // under-reporting is never topped up
    return a;
  }
  U256 dev = kBps;  // T = 0: everything uploaded is unconfirmed
  if (trusted > 0) {
    // Plain checked products (RULES.md §1): a product past 2^256 aborts the clearing, as it
    // would in any other implementation of the rules, instead of being carried in 512 bits.
    a.minted = value * trusted / uploaded;
    dev = (uploaded - trusted) * kBps / trusted;
    if (dev > kClampAbove) dev = kBps;
  }
  a.deviation = toU64(dev);
  if (a.deviation > kFailAbove) {
    a.status = AuditStatus::Failed;
    a.penalty = a.minted * dev * marginRatio / (U256(kBps) * kBps);
  }
  return a;
}

U256 worstCasePenalty(const U256& value, const U256& marginRatio) {
  return value * marginRatio / kBps;
}

U256 usdToAunit(const U256& usdWei, const U256& unitPrice) {
  if (unitPrice == 0) throw Revert("UNIT price is zero");
  return usdWei * kBps / unitPrice;
}

}  // namespace tn::production
