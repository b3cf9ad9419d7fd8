// 20-byte account addresses: EIP-55 checksummed hex and the `treasurenet1…` bech32 form.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "state/bytes.hpp"

namespace tn {

struct Address : FixedBytes<20> {
  Address() = default;
  explicit Address(const FixedBytes<20>& f) : FixedBytes<20>(f) {}

  // Accepts 0x-hex (any case; mixed case must carry a valid EIP-55 checksum) or treasurenet1….
  // Throws std::invalid_argument.
  static Address parse(std::string_view text);
  static Address fromView(BytesView b) { return Address(FixedBytes<20>::fromView(b)); }
  // The address 0x00..00NNNN used for module accounts.
  static Address fromU64(uint64_t low);

  std::string checksumHex() const;  // EIP-55
  std::string bech32() const;       // treasurenet1...
};

inline constexpr std::string_view kBech32Prefix = "treasurenet";

// BIP-173 bech32 (not bech32m). Encode 8-bit data under a human-readable part; decode checks the
// checksum, the case rule and the 90-character limit, throwing std::invalid_argument.
std::string bech32Encode(std::string_view hrp, BytesView data);
std::pair<std::string, Bytes> bech32Decode(std::string_view text);

}  // namespace tn

template <>
struct std::hash<tn::Address> : std::hash<tn::FixedBytes<20>> {};
