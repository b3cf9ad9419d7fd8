#include "modules/governance/params.hpp"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace tn::params {

namespace {

constexpr std::string_view kPrefix = "parameterinfo/";
const U256 kMaxU256 = std::numeric_limits<U256>::max();
const U256 kUnit = U256(1'000'000'000'000'000'000ull);  // 10^18
constexpr uint64_t kDay = 86'400;

U256 readWord(const StateReader& state, BytesView k, const U256& fallback) {
  auto v = state.get(k);
  return v ? u256FromBE(*v) : fallback;
}

}  // namespace

const std::vector<ParamSpec>& specs() {
  // name, default, min, max. The §10 emission/validator parameters live here too so governance
  // can change them; the modules that use them read them with get().
  static const std::vector<ParamSpec> table = {
      {"marginRatio", 100, 0, 10'000},
      {"wellValidity", 365 * kDay, 1, 100 * 365 * kDay},
      {"priceFallbackWindow", 10, 1, 1'000},
      {"minBid", kUnit, 1, kMaxU256},
      {"bidRoundBlocks", 60, 1, 1'000'000},
      {"confirmDelay", 5, 0, 365 * kDay},
      {"maxHolders", 9, 0, 99},
      {"tatTransferable", 1, 0, 1},
      {"tatPaused", 0, 0, 1},
      {"emissionInitialReward", U256(10) * kUnit, 0, U256(1'000'000) * kUnit},
      {"emissionPeriodBlocks", 6'307'200, 1, kMaxU256},
      {"minSelfStake", U256(158) * kUnit, 1, kMaxU256},
      {"maxValidators", 100, 1, 10'000},
      {"unbondingPeriod", 21 * kDay, 0, 365 * kDay},
      {"doubleSignSlashBps", 500, 0, 10'000},
      {"downtimeSlashBps", 100, 0, 10'000},
      {"downtimeJailSeconds", 600, 0, 365 * kDay},
      {"downtimeWindow", 100, 1, 100'000},
      {"downtimeMinSigned", 50, 0, 100'000},
  };
  return table;
}

const ParamSpec* findSpec(std::string_view name) {
  for (const ParamSpec& s : specs())
    if (s.name == name) return &s;
  return nullptr;
}

Bytes key(std::string_view name) { return concat({asBytes(kPrefix), asBytes(name)}); }
Bytes discountKey() { return key("discount"); }

Bytes encodeDiscount(const DiscountTable& t) {
  Bytes out;
  for (const U256* v : {&t.api, &t.sulphur, &t.d[0], &t.d[1], &t.d[2], &t.d[3]})
    append(out, u256ToBE32(*v).view());
  return out;
}

DiscountTable decodeDiscount(BytesView raw) {
  if (raw.size() != 6 * 32) throw std::runtime_error("corrupt discount table record");
  auto word = [&](std::size_t i) { return u256FromBE(raw.subspan(32 * i, 32)); };
  return DiscountTable{word(0), word(1), {word(2), word(3), word(4), word(5)}};
}

U256 get(const StateReader& state, std::string_view name) {
  const ParamSpec* s = findSpec(name);
  if (!s) throw std::invalid_argument("unknown parameter " + std::string(name));
  return readWord(state, key(name), s->defaultValue);
}

Params defaults() {
  return Params{100,
                DiscountTable{3110, 500, {9000, 8500, 8000, 7500}},
                365 * kDay,
                10,
                kUnit,
                60,
                5,
                9,
                true};
}

DiscountTable discountTable(const StateReader& state) {
  auto v = state.get(discountKey());
  return v ? decodeDiscount(*v) : defaults().discount;
}

Params load(const StateReader& state) {
  Params p;
  p.marginRatio = get(state, "marginRatio");
  p.discount = discountTable(state);
  p.wellValiditySeconds = toU64(get(state, "wellValidity"));
  p.priceFallbackWindow = toU64(get(state, "priceFallbackWindow"));
  p.minBid = get(state, "minBid");
  p.bidRoundBlocks = toU64(get(state, "bidRoundBlocks"));
  p.confirmDelaySeconds = toU64(get(state, "confirmDelay"));
  p.maxHolders = toU64(get(state, "maxHolders"));
  p.tatTransferable = get(state, "tatTransferable") != 0;
  return p;
}

U256 discountFor(const DiscountTable& t, const U256& api, const U256& sulphur) {
  bool light = api > t.api;       // higher API gravity = lighter crude
  bool sweet = sulphur < t.sulphur;
  if (light) return sweet ? t.d[0] : t.d[1];
  return sweet ? t.d[2] : t.d[3];
}

std::optional<std::string> validate(std::string_view name, const U256& value) {
  const ParamSpec* s = findSpec(name);
  if (!s) return "not support: unknown parameter " + std::string(name);
  if (value < s->min || value > s->max)
    return fmt::format("{} out of range: {} not in [{}, {}]", name, u256ToDecimal(value),
                       u256ToDecimal(s->min), u256ToDecimal(s->max));
  return std::nullopt;
}

std::optional<std::string> validateDiscount(const DiscountTable& t) {
  for (std::size_t i = 0; i < 4; ++i)
    if (t.d[i] > 10'000) return fmt::format("discount d{} above 10000", i);
  for (std::size_t i = 1; i < 4; ++i)
    if (t.d[i] > t.d[i - 1]) return fmt::format("discount d{} above d{}", i, i - 1);
  return std::nullopt;
}

}  // namespace tn::params
