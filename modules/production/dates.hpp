// Calendar dates of the production rules (RULES.md §1): `YYMMDD` days and `YYMM` months at the ABI
// edge (years 2000–2099), stored as `YYYYMMDD` / `YYYYMM`. "Today" is the civil UTC date of the
// block timestamp, never the wall clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chain/u256.hpp"

namespace tn::production {

// Proleptic Gregorian calendar <-> days since 1970-01-01.
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day);
struct CivilDate {
  int64_t year;
  unsigned month, day;
};
CivilDate civilFromDays(int64_t days);
unsigned daysInMonth(int64_t year, unsigned month);

// The civil UTC date / month of a block timestamp: YYYYMMDD / YYYYMM.
uint32_t todayOf(uint64_t timestamp);
inline uint32_t monthOfDay(uint32_t yyyymmdd) {
  return yyyymmdd / 100;
}

// `YYMMDD` that names a real calendar day of 2000–2099 -> YYYYMMDD; nullopt otherwise.
std::optional<uint32_t> parseDay(const U256& yymmdd);
// `YYMM` with a month 01–12 of 2000–2099 -> YYYYMM; nullopt otherwise.
std::optional<uint32_t> parseMonth(const U256& yymm);

// Back to the ABI edge: YYYYMMDD -> YYMMDD, YYYYMM -> YYMM.
inline uint64_t edgeDay(uint32_t yyyymmdd) {
  return yyyymmdd % 1'000'000;
}
inline uint64_t edgeMonth(uint32_t yyyymm) {
  return yyyymm % 10'000;
}

// Text for revert reasons: "240102", "2401" (zero-padded); an out-of-range input in decimal.
std::string dayText(const U256& yymmdd);
std::string monthText(const U256& yymm);

}  // namespace tn::production
