#include "chain/address.hpp"

#include <stdexcept>

namespace tn {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::size_t kMaxBech32Length = 90;  // BIP-173's overall limit
constexpr std::size_t kChecksumLength = 6;

[[noreturn]] void fail(const std::string& msg) { throw std::invalid_argument(msg); }

int hexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// BIP-173 checksum: a BCH code over GF(32) evaluated as a 30-bit polynomial modulus.
uint32_t polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
}

// The hrp contributes its high bits, a zero separator, then its low bits.
std::vector<uint8_t> expandHrp(std::string_view hrp) {
  std::vector<uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

// Regroups bits. Encoding pads the tail with zeros; decoding demands that any tail is shorter
// than one input group and all zero, so each byte string has exactly one valid encoding.
std::vector<uint8_t> convertBits(BytesView in, int fromBits, int toBits, bool pad) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  const uint32_t maxv = (1u << toBits) - 1;
  for (uint8_t v : in) {
    if (v >> fromBits) fail("bech32: value out of range");
    acc = (acc << fromBits) | v;
    bits += fromBits;
    while (bits >= toBits) {
      bits -= toBits;
      out.push_back(static_cast<uint8_t>((acc >> bits) & maxv));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<uint8_t>((acc << (toBits - bits)) & maxv));
  } else if (bits >= fromBits || ((acc << (toBits - bits)) & maxv) != 0) {
    fail("bech32: invalid padding in data part");
  }
  return out;
}

void checkHrpChars(std::string_view hrp) {
  if (hrp.empty()) fail("bech32: empty human-readable part");
  if (hrp.size() > kMaxBech32Length - 1 - kChecksumLength)
    fail("bech32: human-readable part too long");
  for (char c : hrp) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) fail("bech32: human-readable part character out of range");
  }
}

}  // namespace

std::string bech32Encode(std::string_view hrpIn, BytesView data) {
  checkHrpChars(hrpIn);
  std::string hrp;
  for (char c : hrpIn) hrp += toLower(c);  // the canonical form is lower case

  std::vector<uint8_t> values = convertBits(data, 8, 5, true);
  if (hrp.size() + 1 + values.size() + kChecksumLength > kMaxBech32Length)
    fail("bech32: encoding would exceed 90 characters");

  std::vector<uint8_t> chkInput = expandHrp(hrp);
  chkInput.insert(chkInput.end(), values.begin(), values.end());
  chkInput.insert(chkInput.end(), kChecksumLength, 0);
  uint32_t mod = polymod(chkInput) ^ 1;

  std::string out = hrp + '1';
  for (uint8_t v : values) out += kCharset[v];
  for (std::size_t i = 0; i < kChecksumLength; ++i) out += kCharset[(mod >> (5 * (5 - i))) & 31];
  return out;
}

std::pair<std::string, Bytes> bech32Decode(std::string_view text) {
  if (text.size() > kMaxBech32Length) fail("bech32: string longer than 90 characters");
  bool lower = false, upper = false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) fail("bech32: character out of range");
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) fail("bech32: mixed case");

  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos) fail("bech32: no separator '1'");
  if (sep == 0) fail("bech32: empty human-readable part");
  if (text.size() - sep - 1 < kChecksumLength) fail("bech32: checksum too short");

  std::string hrp;
  for (char c : text.substr(0, sep)) hrp += toLower(c);
  std::vector<uint8_t> values;
  for (char c : text.substr(sep + 1)) {
    std::size_t v = kCharset.find(toLower(c));
    if (v == std::string_view::npos) fail(std::string("bech32: invalid data character '") + c + "'");
    values.push_back(static_cast<uint8_t>(v));
  }

  std::vector<uint8_t> chkInput = expandHrp(hrp);
  chkInput.insert(chkInput.end(), values.begin(), values.end());
  if (polymod(chkInput) != 1) fail("bech32: invalid checksum");

  BytesView payload = BytesView(values).first(values.size() - kChecksumLength);
  return {std::move(hrp), convertBits(payload, 5, 8, false)};
}

Address Address::parse(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    std::string_view digits = text.substr(2);
    if (digits.size() != 40) fail("address must have 40 hex digits: " + std::string(text));
    Address a;
    bool lower = false, upper = false;
    for (std::size_t i = 0; i < 40; i += 2) {
      int hi = hexNibble(digits[i]), lo = hexNibble(digits[i + 1]);
      if (hi < 0 || lo < 0) fail("address has a non-hex digit: " + std::string(text));
      a.bytes[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
    }
    for (char c : digits) {
      if (c >= 'a' && c <= 'f') lower = true;
      if (c >= 'A' && c <= 'F') upper = true;
    }
    // Single-case text carries no checksum (EIP-55); mixed case claims one, so it must match.
    if (lower && upper && a.checksumHex().substr(2) != digits)
      fail("bad EIP-55 checksum: " + std::string(text));
    return a;
  }
  std::string head;
  for (char c : text.substr(0, kBech32Prefix.size() + 1)) head += toLower(c);
  if (head == std::string(kBech32Prefix) + '1') {
    auto [hrp, data] = bech32Decode(text);
    if (hrp != kBech32Prefix) fail("bech32 address must start with treasurenet1: " + std::string(text));
    if (data.size() != 20) fail("bech32 address must hold 20 bytes: " + std::string(text));
    return fromView(data);
  }
  fail("address must be 0x-hex or treasurenet1…: " + std::string(text));
}

Address Address::fromU64(uint64_t low) {
  Address a;
  for (int i = 0; i < 8; ++i) a.bytes[19 - i] = static_cast<uint8_t>(low >> (8 * i));
  return a;
}

std::string Address::checksumHex() const {
  std::string lower = toHex(view(), false);
  Hash32 h = keccak256(lower);
  std::string out = "0x";
  for (std::size_t i = 0; i < lower.size(); ++i) {
    uint8_t nibble = (i % 2 == 0) ? h.bytes[i / 2] >> 4 : h.bytes[i / 2] & 15;
    char c = lower[i];
    if (c >= 'a' && nibble >= 8) c = static_cast<char>(c - 'a' + 'A');
    out += c;
  }
  return out;
}

std::string Address::bech32() const { return bech32Encode(kBech32Prefix, view()); }

}  // namespace tn
