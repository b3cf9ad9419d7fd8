#include "chain/rlp.hpp"

#include <limits>
#include <string>

namespace tn::rlp {
namespace {

// The prefix for a payload of `len` bytes, written to `buf` (at most 9 bytes); returns its size.
// `shortBase` is 0x80 (string) or 0xc0 (list); the long forms carry the length big-endian
// without leading zeros. No allocation: encoders call this for every item.
std::size_t header(std::size_t len, uint8_t shortBase, uint8_t* buf) {
  if (len <= 55) {
    buf[0] = static_cast<uint8_t>(shortBase + len);
    return 1;
  }
  std::size_t n = 0;
  for (std::size_t l = len; l; l >>= 8) ++n;
  buf[0] = static_cast<uint8_t>(shortBase + 55 + n);
  for (std::size_t i = 0; i < n; ++i) buf[n - i] = static_cast<uint8_t>(len >> (8 * i));
  return 1 + n;
}

}  // namespace

Encoder& Encoder::bytes(BytesView b) {
  if (b.size() == 1 && b[0] < 0x80) {
    out_.push_back(b[0]);  // a single low byte is its own encoding
  } else {
    uint8_t h[9];
    std::size_t n = header(b.size(), 0x80, h);
    out_.insert(out_.end(), h, h + n);
    append(out_, b);
  }
  return *this;
}

Encoder& Encoder::uint(const U256& v) {
  if (v <= std::numeric_limits<uint64_t>::max()) return uint(static_cast<uint64_t>(v));
  uint8_t buf[32];
  uint8_t* end = boost::multiprecision::export_bits(v, buf, 8, true);  // minimal, big-endian
  return bytes(BytesView(buf, static_cast<std::size_t>(end - buf)));
}

Encoder& Encoder::uint(uint64_t v) {
  uint8_t buf[8];
  std::size_t n = 0;
  for (; v; v >>= 8) buf[7 - n++] = static_cast<uint8_t>(v & 0xff);
  return bytes(BytesView(buf + 8 - n, n));
}

Encoder& Encoder::raw(BytesView alreadyEncoded) {
  append(out_, alreadyEncoded);
  return *this;
}

std::size_t Encoder::beginList() { return out_.size(); }

void Encoder::endList(std::size_t mark) {
  if (mark > out_.size()) throw Error("rlp: endList mark past the end of the output");
  // The payload length is only known now, so the header is inserted in front of it.
  uint8_t h[9];
  std::size_t n = header(out_.size() - mark, 0xc0, h);
  out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(mark), h, h + n);
}

// Reads one item's prefix and bounds; a list's payload is not looked into.
static Item decodeHeader(BytesView in, std::size_t& consumed) {
  if (in.empty()) throw Error("rlp: empty input");
  const uint8_t b = in[0];
  Item item;
  std::size_t headerLen = 1, len = 0;

  if (b < 0x80) {
    item.payload = in.subspan(0, 1);
    item.raw = item.payload;
    consumed = 1;
    return item;
  }
  item.isList = b >= 0xc0;
  const uint8_t base = item.isList ? 0xc0 : 0x80;
  const char* what = item.isList ? "list" : "string";
  if (b - base <= 55) {
    len = b - base;
  } else {
    const std::size_t lenOfLen = b - base - 55;
    if (in.size() < 1 + lenOfLen)
      throw Error(std::string("rlp: ") + what + " length prefix runs past the input");
    if (in[1] == 0) throw Error(std::string("rlp: ") + what + " length has leading zeros");
    if (lenOfLen > sizeof(std::size_t)) throw Error(std::string("rlp: ") + what + " too long");
    for (std::size_t i = 0; i < lenOfLen; ++i) len = (len << 8) | in[1 + i];
    if (len <= 55)
      throw Error(std::string("rlp: ") + what + " of " + std::to_string(len) +
                  " bytes must use the short form");
    headerLen += lenOfLen;
  }
  if (len > in.size() - headerLen)
    throw Error(std::string("rlp: ") + what + " of " + std::to_string(len) +
                " bytes runs past the input");
  item.payload = in.subspan(headerLen, len);
  item.raw = in.subspan(0, headerLen + len);
  if (!item.isList && len == 1 && item.payload[0] < 0x80)
    throw Error("rlp: single byte below 0x80 must be encoded as itself");
  consumed = headerLen + len;
  return item;
}

// Checks every nested item, so a successful decode means the whole tree is canonical. Iterative:
// a deep "c1c1c1…" nest must not exhaust the stack.
static void checkTree(const Item& root) {
  std::vector<BytesView> pending;
  if (root.isList) pending.push_back(root.payload);
  while (!pending.empty()) {
    BytesView rest = pending.back();
    pending.pop_back();
    while (!rest.empty()) {
      std::size_t consumed = 0;
      Item sub = decodeHeader(rest, consumed);
      if (sub.isList && !sub.payload.empty()) pending.push_back(sub.payload);
      rest = rest.subspan(consumed);
    }
  }
}

Item decodePrefix(BytesView in, std::size_t& consumed) {
  Item item = decodeHeader(in, consumed);
  checkTree(item);
  return item;
}

Item decode(BytesView in) {
  std::size_t consumed = 0;
  Item item = decodePrefix(in, consumed);
  if (consumed != in.size())
    throw Error("rlp: " + std::to_string(in.size() - consumed) + " trailing bytes after the item");
  return item;
}

std::vector<Item> Item::items() const {
  if (!isList) throw Error("rlp: expected a list, got a string");
  std::vector<Item> out;
  BytesView rest = payload;
  while (!rest.empty()) {
    std::size_t consumed = 0;
    out.push_back(decodeHeader(rest, consumed));  // already checked when the tree was decoded
    rest = rest.subspan(consumed);
  }
  return out;
}

BytesView Item::bytes() const {
  if (isList) throw Error("rlp: expected a string, got a list");
  return payload;
}

U256 Item::toU256() const {
  BytesView b = bytes();
  if (b.size() > 32) throw Error("rlp: integer longer than 32 bytes");
  if (!b.empty() && b[0] == 0) throw Error("rlp: integer has a leading zero byte");
  return u256FromBE(b);
}

uint64_t Item::toU64() const {
  BytesView b = bytes();
  if (b.size() > 8) throw Error("rlp: integer exceeds 64 bits");
  if (!b.empty() && b[0] == 0) throw Error("rlp: integer has a leading zero byte");
  uint64_t v = 0;
  for (uint8_t c : b) v = (v << 8) | c;
  return v;
}

}  // namespace tn::rlp
