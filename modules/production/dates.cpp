#include "modules/production/dates.hpp"

#include <fmt/format.h>

namespace tn::production {

namespace {

bool isLeap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Floor division for the era arithmetic below (days before 1970 are negative).
int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

constexpr int64_t kDaysPer400Years = 146'097;
// Days from 0000-03-01 to 1970-01-01 in the March-based calendar used below.
constexpr int64_t kEpochShift = 719'468;

std::string padded(const U256& v, unsigned width) {
  std::string s = u256ToDecimal(v);
  return s.size() < width ? std::string(width - s.size(), '0') + s : s;
}

}  // namespace

unsigned daysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && isLeap(year)) return 29;
  return kDays[month - 1];
}

// Counting years from March makes February the last month, so leap days sit at the end of a year
// and the day of the year is a linear function of the month.
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day) {
  const int64_t y = month <= 2 ? year - 1 : year;
  const int64_t era = floorDiv(y, 400);
  const int64_t yearOfEra = y - era * 400;                             // [0, 399]
  const int64_t monthFromMarch = month > 2 ? month - 3 : month + 9;    // [0, 11]
  const int64_t dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1;  // [0, 365]
  const int64_t dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  return era * kDaysPer400Years + dayOfEra - kEpochShift;
}

CivilDate civilFromDays(int64_t days) {
  const int64_t z = days + kEpochShift;
  const int64_t era = floorDiv(z, kDaysPer400Years);
  const int64_t dayOfEra = z - era * kDaysPer400Years;  // [0, 146096]
  const int64_t yearOfEra =
      (dayOfEra - dayOfEra / 1460 + dayOfEra / 36'524 - dayOfEra / (kDaysPer400Years - 1)) / 365;
  const int64_t dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
  const int64_t monthFromMarch = (5 * dayOfYear + 2) / 153;
  const unsigned day = unsigned(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1);
  const unsigned month = unsigned(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9);
  const int64_t year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

uint32_t todayOf(uint64_t timestamp) {
  CivilDate c = civilFromDays(int64_t(timestamp / 86'400));
  return uint32_t(c.year * 10'000 + c.month * 100 + c.day);
}

std::optional<uint32_t> parseDay(const U256& yymmdd) {
  if (yymmdd > 991'231) return std::nullopt;
  const uint32_t v = uint32_t(toU64(yymmdd));
  const unsigned yy = v / 10'000, mm = v / 100 % 100, dd = v % 100;
  if (mm < 1 || mm > 12 || dd < 1 || dd > daysInMonth(2000 + yy, mm)) return std::nullopt;
  return 20'000'000 + v;
}

std::optional<uint32_t> parseMonth(const U256& yymm) {
  if (yymm > 9'912) return std::nullopt;
  const uint32_t v = uint32_t(toU64(yymm));
  const unsigned mm = v % 100;
  if (mm < 1 || mm > 12) return std::nullopt;
  return 200'000 + v;
}

std::string dayText(const U256& yymmdd) {
  return padded(yymmdd, 6);
}
std::string monthText(const U256& yymm) {
  return padded(yymm, 4);
}

}  // namespace tn::production
