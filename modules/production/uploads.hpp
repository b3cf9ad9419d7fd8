// Producers' daily uploads (RULES.md §6) and the month record that clearing closes (§8). State,
// owned by the data modules:
//   "production/day/"   ++ id(32) ++ YYYYMM(4) ++ DD(1) -> uploaded volume × 10^4
//   "production/month/" ++ id(32) ++ YYYYMM(4)          -> RLP [uploaded, status, value, minted,
//                                                              deviation, penalty, clearedAt]
// Once a month's status leaves Unaudited it is frozen: no upload, no trusted-data overwrite and
// no second clearing.
#pragma once

#include <optional>
#include <vector>

#include "chain/module.hpp"
#include "chain/u256.hpp"
#include "modules/production/prices.hpp"

namespace tn::production {

struct MonthRecord {
  U256 uploaded = 0;  // U: Σ daily volumes × 10^4
  AuditStatus status = AuditStatus::Unaudited;
  // Set by clearing: the audit result as it was computed, since prices and parameters may
  // change afterwards.
  U256 value = 0;          // V, TAT wei
  U256 minted = 0;         // M, TAT wei
  uint64_t deviation = 0;  // bps after the 30 % clamp (0 when U <= T)
  U256 penalty = 0;        // aunit moved from the margin to the penalty pool
  uint64_t clearedAt = 0;  // block time
};

std::optional<MonthRecord> loadMonth(const StateReader& state, const Hash32& id, uint32_t yyyymm);
void storeMonth(CallContext& ctx, const Hash32& id, uint32_t yyyymm, const MonthRecord& m);

struct DayAmount {
  uint32_t day;  // YYYYMMDD
  U256 amount;
};
std::optional<U256> loadDay(const StateReader& state, const Hash32& id, uint32_t yyyymmdd);
void storeDay(CallContext& ctx, const Hash32& id, uint32_t yyyymmdd, const U256& amount);
// The uploaded days of a month, ascending.
std::vector<DayAmount> loadDays(const StateReader& state, const Hash32& id, uint32_t yyyymm);

// The month records of a well, ascending, at most `limit`, only months above `after` (YYYYMM).
struct MonthEntry {
  uint32_t month;  // YYYYMM
  MonthRecord record;
};
std::vector<MonthEntry> listMonths(const StateReader& state, const Hash32& id, std::size_t limit,
                                   uint32_t after = 0);

}  // namespace tn::production
