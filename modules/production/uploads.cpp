#include "modules/production/uploads.hpp"

#include <stdexcept>

#include "chain/rlp.hpp"

namespace tn::production {

namespace {
constexpr std::string_view kDayPrefix = "production/day/";
constexpr std::string_view kMonthPrefix = "production/month/";

Bytes monthSuffix(const Hash32& id, uint32_t month) {
  Bytes k(id.bytes.begin(), id.bytes.end());
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(uint8_t(month >> shift));
  return k;
}
Bytes dayKey(const Hash32& id, uint32_t day) {
  Bytes k = concat({asBytes(kDayPrefix), monthSuffix(id, day / 100)});
  k.push_back(uint8_t(day % 100));
  return k;
}

MonthRecord decodeMonth(BytesView raw) {
  auto f = rlp::decode(raw).items();
  if (f.size() != 7) throw std::runtime_error("corrupt month record");
  MonthRecord m;
  m.uploaded = f[0].toU256();
  const uint64_t status = f[1].toU64();
  if (status > uint64_t(AuditStatus::Failed)) throw std::runtime_error("corrupt month status");
  m.status = AuditStatus(status);
  m.value = f[2].toU256();
  m.minted = f[3].toU256();
  m.deviation = f[4].toU64();
  m.penalty = f[5].toU256();
  m.clearedAt = f[6].toU64();
  return m;
}
}  // namespace

std::optional<MonthRecord> loadMonth(const StateReader& state, const Hash32& id, uint32_t month) {
  auto raw = state.get(concat({asBytes(kMonthPrefix), monthSuffix(id, month)}));
  if (!raw) return std::nullopt;
  return decodeMonth(*raw);
}

std::vector<MonthEntry> listMonths(const StateReader& state, const Hash32& id, std::size_t limit,
                                   uint32_t after) {
  std::vector<MonthEntry> out;
  if (limit == 0) return out;
  const Bytes prefix = concat({asBytes(kMonthPrefix), id.view()});
  state.scan(prefix, [&](BytesView key, BytesView value) {
    BytesView m = key.subspan(prefix.size());
    const uint32_t month = uint32_t(m[0]) << 24 | uint32_t(m[1]) << 16 | uint32_t(m[2]) << 8 | m[3];
    if (month <= after) return true;
    out.push_back({month, decodeMonth(value)});
    return out.size() < limit;
  });
  return out;
}

void storeMonth(CallContext& ctx, const Hash32& id, uint32_t month, const MonthRecord& m) {
  rlp::Encoder e;
  auto mark = e.beginList();
  e.uint(m.uploaded).uint(uint64_t(m.status)).uint(m.value).uint(m.minted).uint(m.deviation);
  e.uint(m.penalty).uint(m.clearedAt);
  e.endList(mark);
  ctx.put(concat({asBytes(kMonthPrefix), monthSuffix(id, month)}), e.out());
}

std::optional<U256> loadDay(const StateReader& state, const Hash32& id, uint32_t day) {
  auto raw = state.get(dayKey(id, day));
  if (!raw) return std::nullopt;
  return u256FromBE(*raw);
}

void storeDay(CallContext& ctx, const Hash32& id, uint32_t day, const U256& amount) {
  ctx.put(dayKey(id, day), u256ToBEMinimal(amount));  // amount > 0: never empty
}

std::vector<DayAmount> loadDays(const StateReader& state, const Hash32& id, uint32_t month) {
  std::vector<DayAmount> out;
  const Bytes prefix = concat({asBytes(kDayPrefix), monthSuffix(id, month)});
  state.scan(prefix, [&](BytesView key, BytesView value) {
    out.push_back({month * 100 + key[prefix.size()], u256FromBE(value)});
    return true;
  });
  return out;
}

}  // namespace tn::production
