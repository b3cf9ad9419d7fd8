#include "modules/production/prices.hpp"

#include <algorithm>
#include <stdexcept>

#include "chain/rlp.hpp"
#include "modules/production/dates.hpp"

namespace tn::production {

namespace {
constexpr std::string_view kPricePrefix = "production/price/";
constexpr std::string_view kTrustedPrefix = "production/trusted/";
constexpr std::string_view kBlockPrefix = "production/block/";

std::array<uint8_t, 4> be32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}
uint32_t readBe32(BytesView b) {
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}
Bytes priceKey(const Address& data, uint32_t day) {
  auto d = be32(day);
  return concat({asBytes(kPricePrefix), data.view(), d});
}
Bytes trustedKey(const Hash32& id, uint32_t month) {
  auto m = be32(month);
  return concat({asBytes(kTrustedPrefix), id.view(), m});
}
Bytes blockKey(const Hash32& id, const U256& number) {
  return concat({asBytes(kBlockPrefix), id.view(), u256ToBE32(number).view()});
}
Bytes minimal(const U256& v) {
  Bytes b = u256ToBEMinimal(v);
  if (b.empty()) b.push_back(0);  // zero is a value, not an absent key
  return b;
}

}  // namespace

std::optional<U256> loadPrice(const StateReader& state, const Address& data, uint32_t day) {
  auto raw = state.get(priceKey(data, day));
  if (!raw) return std::nullopt;
  return u256FromBE(*raw);
}

void storePrice(CallContext& ctx, const Address& data, uint32_t day, const U256& price) {
  ctx.put(priceKey(data, day), minimal(price));
}

PriceHistory::PriceHistory(const StateReader& state, const Address& data, uint32_t lastDay) {
  const Bytes prefix = concat({asBytes(kPricePrefix), data.view()});
  state.scan(prefix, [&](BytesView key, BytesView value) {
    const uint32_t day = readBe32(key.subspan(prefix.size()));
    if (day > lastDay) return false;  // keys ascend by date
    prices_.push_back({day, u256FromBE(value)});
    return true;
  });
}

std::optional<U256> PriceHistory::priceOn(uint32_t day, uint64_t window) const {
  auto it = std::lower_bound(prices_.begin(), prices_.end(), day,
                             [](const DatedPrice& p, uint32_t d) { return p.day < d; });
  if (it != prices_.end() && it->day == day) return it->price;
  const auto before = uint64_t(it - prices_.begin());
  const uint64_t n = std::min(before, window);
  if (n == 0) return std::nullopt;
  U256 sum = 0;
  for (auto p = it - std::ptrdiff_t(n); p != it; ++p) sum += p->price;
  return sum / n;
}

std::vector<DatedPrice> loadPrices(const StateReader& state, const Address& data, uint32_t fromDay,
                                   uint32_t toDay) {
  std::vector<DatedPrice> out;
  if (fromDay > toDay) return out;
  auto daysOf = [](uint32_t d) { return daysFromCivil(d / 10'000, d / 100 % 100, d % 100); };
  const int64_t last = daysOf(toDay);
  for (int64_t n = daysOf(fromDay); n <= last; ++n) {
    const CivilDate c = civilFromDays(n);
    const auto day = uint32_t(c.year * 10'000 + c.month * 100 + c.day);
    if (auto p = loadPrice(state, data, day)) out.push_back({day, *p});
  }
  return out;
}

std::optional<U256> loadTrusted(const StateReader& state, const Hash32& id, uint32_t month) {
  auto raw = state.get(trustedKey(id, month));
  if (!raw) return std::nullopt;
  return u256FromBE(*raw);
}

void storeTrusted(CallContext& ctx, const Hash32& id, uint32_t month, const U256& amount) {
  ctx.put(trustedKey(id, month), minimal(amount));
}

namespace {
MinedBlock decodeBlock(BytesView raw) {
  auto f = rlp::decode(raw).items();
  if (f.size() != 6) throw std::runtime_error("corrupt mined block record");
  MinedBlock b;
  b.blockReward = f[0].toU256();
  b.price = f[1].toU256();
  b.amount = f[2].toU256();
  b.miner = std::string(asChars(f[3].bytes()));
  const uint64_t status = f[4].toU64();
  if (status > uint64_t(AuditStatus::Failed)) throw std::runtime_error("corrupt block status");
  b.status = AuditStatus(status);
  b.clearedAt = f[5].toU64();
  return b;
}
}  // namespace

std::optional<MinedBlock> loadBlock(const StateReader& state, const Hash32& id,
                                    const U256& number) {
  auto raw = state.get(blockKey(id, number));
  if (!raw) return std::nullopt;
  return decodeBlock(*raw);
}

std::vector<BlockEntry> listBlocks(const StateReader& state, const Hash32& id, std::size_t limit,
                                   const U256& after) {
  std::vector<BlockEntry> out;
  if (limit == 0) return out;
  const Bytes prefix = concat({asBytes(kBlockPrefix), id.view()});
  state.scan(prefix, [&](BytesView key, BytesView value) {
    const U256 number = u256FromBE(key.subspan(prefix.size()));
    if (number <= after) return true;
    out.push_back({number, decodeBlock(value)});
    return out.size() < limit;
  });
  return out;
}

void storeBlock(CallContext& ctx, const Hash32& id, const U256& number, const MinedBlock& b) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(b.blockReward).uint(b.price).uint(b.amount).str(b.miner);
  e.uint(uint64_t(b.status)).uint(b.clearedAt);
  e.endList(m);
  ctx.put(blockKey(id, number), e.out());
}

}  // namespace tn::production
