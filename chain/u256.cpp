#include "chain/u256.hpp"

#include <stdexcept>

namespace tn {

U256 u256FromBE(BytesView be) {
  if (be.size() > 32) throw std::invalid_argument("integer longer than 32 bytes");
  U256 v = 0;
  if (!be.empty()) boost::multiprecision::import_bits(v, be.begin(), be.end(), 8, true);
  return v;
}

FixedBytes<32> u256ToBE32(const U256& v) {
  FixedBytes<32> out;
  Bytes tmp = u256ToBEMinimal(v);
  std::copy(tmp.begin(), tmp.end(), out.bytes.begin() + (32 - tmp.size()));
  return out;
}

Bytes u256ToBEMinimal(const U256& v) {
  if (v == 0) return {};
  uint8_t buf[32];
  uint8_t* end = boost::multiprecision::export_bits(v, buf, 8, true);  // no leading zero bytes
  return Bytes(buf, end);
}

std::string toQuantity(const U256& v) {
  if (v == 0) return "0x0";
  std::string s = toHex(u256ToBEMinimal(v), false);
  std::size_t nz = s.find_first_not_of('0');
  return "0x" + s.substr(nz);
}

std::string toQuantity(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (v == 0) return "0x0";
  std::string s;
  while (v) {
    s.insert(s.begin(), kDigits[v & 15]);
    v >>= 4;
  }
  return "0x" + s;
}

U256 quantityToU256(std::string_view q) {
  if (q.size() < 3 || q[0] != '0' || (q[1] != 'x' && q[1] != 'X'))
    throw std::invalid_argument("quantity must be 0x-prefixed hex");
  q.remove_prefix(2);
  if (q.size() > 1 && q[0] == '0') throw std::invalid_argument("quantity has leading zeros");
  if (q.size() > 64) throw std::invalid_argument("quantity exceeds 256 bits");
  std::string padded(q.size() % 2, '0');
  padded += q;
  return u256FromBE(fromHex(padded));
}

uint64_t quantityToU64(std::string_view q) { return toU64(quantityToU256(q)); }

U256 u256FromDecimal(std::string_view s) {
  if (s.empty()) throw std::invalid_argument("empty number");
  U256 v = 0;
  try {
    for (char c : s) {
      if (c < '0' || c > '9') throw std::invalid_argument("not a decimal number: " + std::string(s));
      v = v * 10 + (c - '0');
    }
  } catch (const std::overflow_error&) {
    throw std::invalid_argument("number exceeds 256 bits: " + std::string(s));
  }
  return v;
}

std::string u256ToDecimal(const U256& v) { return v.str(); }

U256 parseUnits(std::string_view s, unsigned decimals) {
  auto dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string frac = dot == std::string_view::npos ? "" : std::string(s.substr(dot + 1));
  if (frac.size() > decimals) throw std::invalid_argument("too many decimal places: " + std::string(s));
  if (whole.empty() && frac.empty()) throw std::invalid_argument("empty amount");
  frac.append(decimals - frac.size(), '0');
  std::string digits = std::string(whole.empty() ? "0" : whole) + frac;
  return u256FromDecimal(digits);
}

std::string formatUnits(const U256& v, unsigned decimals) {
  std::string s = v.str();
  if (s.size() <= decimals) s.insert(0, decimals + 1 - s.size(), '0');
  std::string whole = s.substr(0, s.size() - decimals);
  std::string frac = s.substr(s.size() - decimals);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? whole : whole + "." + frac;
}

U256 mulDiv(const U256& a, const U256& b, const U256& c) {
  if (c == 0) throw std::domain_error("division by zero");
  U512 q = U512(a) * U512(b) / U512(c);
  if (q > U512(std::numeric_limits<U256>::max())) throw std::overflow_error("mulDiv overflow");
  return U256(q);
}

uint64_t toU64(const U256& v) {
  if (v > std::numeric_limits<uint64_t>::max()) throw std::overflow_error("value exceeds 64 bits");
  return static_cast<uint64_t>(v);
}

}  // namespace tn
