// Byte strings, fixed-size byte arrays and hex: the vocabulary every layer shares.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tn {

using Bytes = std::vector<uint8_t>;
using BytesView = std::span<const uint8_t>;

inline BytesView asBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view asChars(BytesView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes toBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline void append(Bytes& out, BytesView b) { out.insert(out.end(), b.begin(), b.end()); }
inline Bytes concat(std::initializer_list<BytesView> parts) {
  Bytes out;
  for (auto p : parts) append(out, p);
  return out;
}

// Lexicographic byte order; transparent so maps keyed by Bytes can be searched with a BytesView.
struct BytesLess {
  using is_transparent = void;
  bool operator()(BytesView a, BytesView b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
};

// Lower-case hex. With prefix "0x" unless withPrefix is false.
std::string toHex(BytesView b, bool withPrefix = true);
// Accepts an optional 0x/0X prefix and an even number of hex digits; throws std::invalid_argument.
Bytes fromHex(std::string_view hex);

template <std::size_t N>
struct FixedBytes {
  std::array<uint8_t, N> bytes{};

  static constexpr std::size_t size() { return N; }
  uint8_t* data() { return bytes.data(); }
  const uint8_t* data() const { return bytes.data(); }
  BytesView view() const { return {bytes.data(), N}; }
  operator BytesView() const { return view(); }
  bool isZero() const {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t c) { return c == 0; });
  }
  std::string hex() const { return toHex(view()); }

  // Throws std::invalid_argument unless the view is exactly N bytes.
  static FixedBytes fromView(BytesView b) {
    if (b.size() != N) throw std::invalid_argument("expected " + std::to_string(N) + " bytes");
    FixedBytes out;
    std::memcpy(out.bytes.data(), b.data(), N);
    return out;
  }
  static FixedBytes fromHex(std::string_view hex) { return fromView(tn::fromHex(hex)); }

  auto operator<=>(const FixedBytes&) const = default;
  bool operator==(const FixedBytes&) const = default;
};

using Hash32 = FixedBytes<32>;

// Keccak-256 as Ethereum uses it (the original Keccak padding, not SHA3-256).
Hash32 keccak256(BytesView data);
inline Hash32 keccak256(std::string_view s) { return keccak256(asBytes(s)); }

}  // namespace tn

template <std::size_t N>
struct std::hash<tn::FixedBytes<N>> {
  std::size_t operator()(const tn::FixedBytes<N>& f) const noexcept {
    std::size_t h;
    static_assert(N >= sizeof(std::size_t));
    std::memcpy(&h, f.bytes.data(), sizeof h);  // keys are hashes or addresses: already spread
    return h;
  }
};
