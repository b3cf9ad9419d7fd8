// A realistic OIL month through the whole portal flow, table-driven over five official
// ("trusted") figures, with the default parameters (marginRatio 100, discount table
// {3110, 500, [9000, 8500, 8000, 7500]}) and no UNIT price fed (1 UNIT = 1 USD).
//
// Derivation. Five producers (accounts 1..5), one OIL well each, API 35.00° (3500) and sulphur
// 0.40 % (400): A > A0 and S < S0, so D = d0 = 9000. Every day of April 2024 (30 days) the
// feeder pushes the day's price, USD 78 on odd days and USD 82 on even days (780000 / 820000),
// and each well uploads 100 bbl (1,000,000). Per day v_d = a × P × D × 10^18 / 10^12:
//   odd:  1,000,000 × 780,000 × 9000 × 10^6 = 7,020 TAT
//   even: 1,000,000 × 820,000 × 9000 × 10^6 = 7,380 TAT
//   V = 15 × 7,020 + 15 × 7,380 = 216,000 TAT, U = 3,000 bbl (30,000,000).
// Coverage: floor(V × 100 / 10^4) = 2,160 USD = 2,160 UNIT, which each owner prepays exactly.
// With trusted T the audit gives (M = floor(V × T / U), dev = floor((U − T) × 10^4 / T)):
//   T = 3,100 bbl (U < T):  M = V = 216,000, FINISHED (under-reporting is never topped up)
//   T = 3,000 bbl (U = T):  M = V = 216,000, FINISHED, dev 0
//   T = 2,800 = 14/15 U:    M = 201,600, dev = floor(200 × 10^4 / 2800) = 714 ≤ 1000, FINISHED
//   T = 2,500 = 5/6 U:      M = 180,000, dev = 2000 > 1000, FAILED,
//                           penalty = 180,000 × 2000 × 100 / 10^8 = 360 UNIT
//   T = 2,000 = 2/3 U:      M = 144,000, dev = 5000 > 3000 -> 10000, FAILED,
//                           penalty = 144,000 × 10000 × 100 / 10^8 = 1,440 UNIT
// So the four listed results come from four figures, and 216,000 from two: no figure with
// U > T can mint V (M = floor(V × T / U) < V), hence both 216,000 figures have U ≤ T (one
// strictly under-reported, one exact).
#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

struct Official {
  uint64_t trustedBbl;
  uint64_t mintedTat;
  uint64_t status;
  uint64_t deviation;
  uint64_t penaltyUnit;
};

const Official kFigures[] = {
    {3'100, 216'000, kFinished, 0, 0},         // U < T
    {3'000, 216'000, kFinished, 0, 0},         // U = T
    {2'800, 201'600, kFinished, 714, 0},       // 7.14 %
    {2'500, 180'000, kFailed, 2'000, 360},     // 20.00 %
    {2'000, 144'000, kFailed, 10'000, 1'440},  // 50.00 %, clamped to 100 %
};
constexpr std::size_t kWells = std::size(kFigures);
constexpr uint64_t kBbl = 10'000;  // volume × 10^4

// April 2024 as derived above: each morning the feeder's price, then 100 bbl from every well
// (owner i + 1 owns ids[i]).
void runApril(ProdChain& c, const std::vector<Hash32>& ids) {
  for (unsigned day = 1; day <= 30; ++day) {
    c.setTime(at(24, 4, day, 8 * 3600));
    const uint64_t yymmdd = 240400 + day;
    requireOk(c.feedPrice(oilKind(), yymmdd, day % 2 ? 780'000 : 820'000));
    for (std::size_t i = 0; i < ids.size(); ++i)
      requireOk(c.put(1 + i, oilKind(), ids[i], 100 * kBbl, yymmdd));
  }
}

}  // namespace

TEST_CASE("oil month: 30 daily uploads, five official figures, mint and penalties as derived") {
  ProdChain c(at(24, 4, 1));
  std::vector<Hash32> ids;
  for (std::size_t i = 0; i < kWells; ++i)
    ids.push_back(c.activeWell(1 + i, oilKind(), "APR-" + std::to_string(i), 3500, 400));
  runApril(c, ids);

  c.setTime(at(24, 5, 2, 9 * 3600));
  for (std::size_t i = 0; i < kWells; ++i) {
    const Official& f = kFigures[i];
    CAPTURE(f.trustedBbl);
    const std::size_t owner = 1 + i;
    requireOk(c.trusted(oilKind(), ids[i], 2404, f.trustedBbl * kBbl));
    requireOk(c.prepay(owner, oilKind(), whole(2'160)));
    const U256 pool = c.balance(kPoolAddr);
    requireOk(c.clear(owner, oilKind(), ids[i], 2404));

    const production::MonthRecord m = c.month(ids[i], 202404);
    CHECK(m.uploaded == 3'000 * kBbl);
    CHECK(m.value == whole(216'000));
    CHECK(m.minted == whole(f.mintedTat));
    CHECK(uint64_t(m.status) == f.status);
    CHECK(m.deviation == f.deviation);
    CHECK(c.tatOf(owner) == whole(f.mintedTat));
    CHECK(tat::mintedTo(c.state(), c.addr(owner), 202404) == whole(f.mintedTat));
    CHECK(c.balance(kPoolAddr) - pool == whole(f.penaltyUnit));
    CHECK(c.margin(owner, oilKind()).balance == whole(2'160 - f.penaltyUnit));
  }
  // The five clearings minted 216,000 × 2 + 201,600 + 180,000 + 144,000 TAT in all.
  CHECK(tat::totalSupply(c.state()) == whole(957'600));
}

TEST_CASE("oil month: one aunit short of the 2,160 UNIT coverage blocks the clearing") {
  ProdChain c(at(24, 4, 1));
  const Hash32 id = c.activeWell(1, oilKind(), "APR", 3500, 400);
  runApril(c, {id});
  c.setTime(at(24, 5, 2));
  requireOk(c.trusted(oilKind(), id, 2404, 3'000 * kBbl));
  requireOk(c.prepay(1, oilKind(), whole(2'160) - 1));
  checkRevert(c.clear(1, oilKind(), id, 2404),
              "insufficient margin: need 2160000000000000000000 aunit");
}
