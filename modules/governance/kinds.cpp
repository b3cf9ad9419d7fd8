#include "modules/governance/kinds.hpp"

#include <algorithm>
#include <stdexcept>

#include "chain/rlp.hpp"

namespace tn::kinds {

namespace {
constexpr std::string_view kKindPrefix = "governance/kind/";
constexpr std::string_view kAddrPrefix = "governance/addr/";
}  // namespace

Bytes kindKey(std::string_view name) { return concat({asBytes(kKindPrefix), asBytes(name)}); }
Bytes addressKey(const Address& a) { return concat({asBytes(kAddrPrefix), a.view()}); }

std::vector<Kind> genesisKinds() {
  auto at = [](uint64_t p) { return std::pair{Address::fromU64(p), Address::fromU64(p + 1)}; };
  std::vector<Kind> out;
  auto add = [&](std::string name, bool physical, bool discounted, uint64_t p, std::string unit) {
    auto [producer, data] = at(p);
    out.push_back(Kind{std::move(name), physical, discounted, producer, data, std::move(unit)});
  };
  add("OIL", true, true, 0x1010, "bbl");
  add("GAS", true, false, 0x1020, "MMBtu");
  add("ETH", false, false, 0x1030, "block");
  add("BTC", false, false, 0x1040, "block");
  return out;
}

// RLP list [name, physical, discounted, producer, data, unitLabel].
Bytes encode(const Kind& k) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.str(k.name).uint(uint64_t(k.physical)).uint(uint64_t(k.discounted));
  e.bytes(k.producer.view()).bytes(k.data.view()).str(k.unitLabel);
  e.endList(m);
  return e.take();
}

Kind decode(BytesView raw) {
  auto items = rlp::decode(raw).items();
  if (items.size() != 6) throw std::runtime_error("corrupt asset kind record");
  Kind k;
  k.name = std::string(asChars(items[0].bytes()));
  k.physical = items[1].toU64() != 0;
  k.discounted = items[2].toU64() != 0;
  k.producer = Address::fromView(items[3].bytes());
  k.data = Address::fromView(items[4].bytes());
  k.unitLabel = std::string(asChars(items[5].bytes()));
  return k;
}

std::optional<Kind> byName(const StateReader& state, std::string_view name) {
  if (name.empty()) return std::nullopt;
  auto v = state.get(kindKey(name));
  if (!v) return std::nullopt;
  return decode(*v);
}

std::optional<Kind> byAddress(const StateReader& state, const Address& a) {
  auto name = state.get(addressKey(a));
  if (!name) return std::nullopt;
  return byName(state, asChars(*name));
}

std::vector<Kind> all(const StateReader& state) {
  std::vector<Kind> out;
  state.scan(asBytes(kKindPrefix), [&](BytesView, BytesView value) {
    out.push_back(decode(value));
    return true;
  });
  std::sort(out.begin(), out.end(),
            [](const Kind& a, const Kind& b) { return a.producer < b.producer; });
  return out;
}

std::size_t addedCount(const StateReader& state) {
  const Address first = addedProducerAddress(0);
  std::size_t n = 0;
  for (const Kind& k : all(state))
    if (!(k.producer < first)) ++n;
  return n;
}

}  // namespace tn::kinds
