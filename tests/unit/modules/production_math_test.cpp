// Production modules, pure parts: calendar dates, the clearing arithmetic of RULES.md §8, the
// shares split of §4 and the price fallback of §8.1.
#include <doctest/doctest.h>

#include <limits>

#include "modules/bank/bank.hpp"
#include "modules/governance/params.hpp"
#include "modules/production/clearing.hpp"
#include "modules/production/dates.hpp"
#include "modules/production/prices.hpp"
#include "modules/production/wells.hpp"

using namespace tn;
using namespace tn::production;

namespace {

const U256 kE18 = U256(1'000'000'000'000'000'000ull);

// A bare call context over an in-memory state, for the record helpers that write through one.
struct Scratch {
  EmptyState empty;
  Overlay state{empty};
  ModuleRegistry modules{std::make_shared<Bank>()};
  BlockContext block;
  GasMeter gas{100'000'000};
  std::vector<Log> logs;
  CallContext ctx{block, modules, state, gas, logs, Address(), Address::fromU64(0x1011), 0, false};
};

}  // namespace

TEST_CASE("production dates: civil calendar round trip and block-time today") {
  CHECK(daysFromCivil(1970, 1, 1) == 0);
  CHECK(daysFromCivil(2000, 3, 1) == 11'017);
  CHECK(daysFromCivil(1969, 12, 31) == -1);
  for (int64_t d = -800'000; d <= 800'000; d += 37) {
    CivilDate c = civilFromDays(d);
    REQUIRE(daysFromCivil(c.year, c.month, c.day) == d);
  }
  // 2024-05-02T00:00:00Z and the second before it.
  CHECK(todayOf(1'714'608'000) == 20'240'502u);
  CHECK(todayOf(1'714'607'999) == 20'240'501u);
  CHECK(monthOfDay(20'240'502) == 202'405u);
}

TEST_CASE("production dates: YYMMDD / YYMM at the ABI edge") {
  CHECK(parseDay(240'229) == 20'240'229u);  // leap day
  CHECK_FALSE(parseDay(230'229));
  CHECK_FALSE(parseDay(240'431));
  CHECK_FALSE(parseDay(241'301));
  CHECK_FALSE(parseDay(240'100));
  CHECK_FALSE(parseDay(0));
  CHECK(parseDay(101) == 20'000'101u);  // 000101: 2000-01-01
  CHECK(parseDay(991'231) == 20'991'231u);
  CHECK_FALSE(parseDay(1'000'101));
  CHECK_FALSE(parseDay(std::numeric_limits<U256>::max()));
  CHECK(parseMonth(2'401) == 202'401u);
  CHECK_FALSE(parseMonth(2'400));
  CHECK_FALSE(parseMonth(2'413));
  CHECK_FALSE(parseMonth(0));
  CHECK_FALSE(parseMonth(10'001));
  CHECK(dayText(105) == "000105");
  CHECK(monthText(105) == "0105");
  CHECK(edgeDay(20'240'102) == 240'102u);
  CHECK(edgeMonth(202'401) == 2'401u);
}

TEST_CASE("production clearing math: day value is floor(a × P × D × 10^18 / 10^12)") {
  // 1 bbl at 80 USD with a 90 % discount is 72 TAT.
  CHECK(dayValue(10'000, 800'000, 9'000) == U256(72) * kE18);
  // 12.3456 bbl at 71.2345 USD, undiscounted.
  const U256 a = 123'456, p = 712'345;
  CHECK(dayValue(a, p, 10'000) == mulDiv(a * p * 10'000, kE18, U256(1'000'000'000'000ull)));
  // Overflow aborts, it never wraps.
  CHECK_THROWS_AS(dayValue(std::numeric_limits<U256>::max() / 2, 3, 10'000), std::overflow_error);
}

TEST_CASE("production clearing math: discount tiers at exactly A0 and S0") {
  const params::DiscountTable t = params::defaults().discount;  // {3110, 500, 9000/8500/8000/7500}
  CHECK(params::discountFor(t, 3'111, 499) == 9'000);           // A > A0, S < S0
  CHECK(params::discountFor(t, 3'111, 500) == 8'500);           // S = S0 is not below S0
  CHECK(params::discountFor(t, 3'110, 499) == 8'000);           // A = A0 is not above A0
  CHECK(params::discountFor(t, 3'110, 500) == 7'500);
}

TEST_CASE("production clearing math: deviation boundaries") {
  const U256 V = U256(1'000) * kE18, mr = 100;
  SUBCASE("U < T and U = T mint V and never top up") {
    for (uint64_t t : {1'000u, 1'200u}) {
      Audit a = audit(V, 1'000, t, mr);
      CHECK(a.minted == V);
      CHECK(a.status == AuditStatus::Finished);
      CHECK(a.deviation == 0);
      CHECK(a.penalty == 0);
    }
  }
  SUBCASE("exactly 10.00 % passes") {
    Audit a = audit(V, 1'100, 1'000, mr);
    CHECK(a.deviation == 1'000);
    CHECK(a.status == AuditStatus::Finished);
    CHECK(a.minted == mulDiv(V, 1'000, 1'100));
    CHECK(a.penalty == 0);
  }
  SUBCASE("just above 10.00 % fails") {
    Audit a = audit(V, 10'010, 9'099, mr);  // 911 × 10^4 / 9099 = 1001.2 -> 1001
    CHECK(a.deviation == 1'001);
    CHECK(a.status == AuditStatus::Failed);
    CHECK(a.penalty == mulDiv(a.minted, U256(1'001) * mr, U256(100'000'000)));
  }
  SUBCASE("exactly 30.00 % is not clamped") {
    Audit a = audit(V, 1'300, 1'000, mr);
    CHECK(a.deviation == 3'000);
    CHECK(a.status == AuditStatus::Failed);
    CHECK(a.minted == mulDiv(V, 1'000, 1'300));
    CHECK(a.penalty == mulDiv(a.minted, U256(3'000 * 100), U256(100'000'000)));
  }
  SUBCASE("above 30.00 % counts as 100 %") {
    Audit a = audit(V, 13'001, 10'000, mr);
    CHECK(a.deviation == 10'000);
    CHECK(a.penalty == mulDiv(a.minted, U256(10'000 * 100), U256(100'000'000)));
  }
  SUBCASE("T = 0 mints nothing, fails, and its penalty is therefore zero") {
    Audit a = audit(V, 1'000, 0, mr);
    CHECK(a.minted == 0);
    CHECK(a.deviation == 10'000);
    CHECK(a.status == AuditStatus::Failed);
    CHECK(a.penalty == 0);
  }
  SUBCASE("U = 0 = T") {
    Audit a = audit(0, 0, 0, mr);
    CHECK(a.minted == 0);
    CHECK(a.status == AuditStatus::Finished);
  }
}

TEST_CASE("production clearing math: margin coverage and UNIT conversion round down") {
  CHECK(worstCasePenalty(U256(216'000) * kE18, 100) == U256(2'160) * kE18);
  CHECK(worstCasePenalty(199, 100) == 1);  // floor(1.99)
  CHECK(usdToAunit(U256(360) * kE18, kDefaultUnitPrice) == U256(360) * kE18);
  CHECK(usdToAunit(U256(360) * kE18, 20'000) == U256(180) * kE18);  // 1 UNIT = 2 USD
  CHECK(usdToAunit(10, 30'000) == 3);                               // floor(10 / 3)
  CHECK_THROWS_AS(usdToAunit(1, 0), Revert);
}

TEST_CASE("production shares: holders by ascending address, owner takes the remainder") {
  const Address owner = Address::fromU64(0xAA), h1 = Address::fromU64(0x01),
                h2 = Address::fromU64(0x02), h3 = Address::fromU64(0x03);
  SUBCASE("rounding") {
    auto p = splitByShares(owner, {{h1, 33}, {h2, 33}}, 100'001);
    REQUIRE(p.size() == 3);
    CHECK(p[0].to == h1);
    CHECK(p[0].amount == 33'000);  // floor(33 × 100001 / 100)
    CHECK(p[1].amount == 33'000);
    CHECK(p[2].to == owner);
    CHECK(p[2].amount == 34'001);
  }
  SUBCASE("zero payouts are skipped") {
    auto p = splitByShares(owner, {{h1, 0}, {h2, 50}, {h3, 50}}, 1);
    REQUIRE(p.size() == 1);  // floor(0.5) = 0 for both holders
    CHECK(p[0].to == owner);
    CHECK(p[0].amount == 1);
    CHECK(splitByShares(owner, {{h1, 100}}, 7).size() == 1);  // owner's remainder is zero
    CHECK(splitByShares(owner, {{h1, 10}}, 0).empty());
  }
}

TEST_CASE("production prices: own price, fallback floor-mean of the latest window, missing") {
  Scratch s;
  const Address data = s.ctx.self;
  storePrice(s.ctx, data, 20'240'101, 100);
  storePrice(s.ctx, data, 20'240'102, 101);
  storePrice(s.ctx, data, 20'240'103, 103);
  storePrice(s.ctx, data, 20'240'110, 500);                    // after the days asked for below
  storePrice(s.ctx, Address::fromU64(0x1021), 20'231'231, 7);  // another kind's price
  PriceHistory h(s.state, data, 20'240'105);
  CHECK(h.size() == 3);
  CHECK(h.priceOn(20'240'102, 10) == U256(101));  // its own price
  CHECK(h.priceOn(20'240'104, 10) == U256(101));  // floor(304 / 3)
  CHECK(h.priceOn(20'240'104, 2) == U256(102));   // latest two: floor(204 / 2)
  CHECK(h.priceOn(20'240'105, 1) == U256(103));
  CHECK_FALSE(h.priceOn(20'240'101 - 70, 10));  // nothing dated before
  CHECK_FALSE(h.priceOn(20'231'231, 10));       // other kinds do not count
  // A price dated after the day is never used for it.
  PriceHistory all(s.state, data, 20'240'131);
  CHECK(all.priceOn(20'240'109, 10) == U256(101));
  CHECK(all.priceOn(20'240'111, 1) == U256(500));
}
