// Recursive Length Prefix encoding (Ethereum yellow paper, appendix B). Decoding is strict:
// non-canonical lengths, leading zeros in integers and trailing bytes are errors.
#pragma once

#include <stdexcept>
#include <vector>

#include "chain/u256.hpp"
#include "state/bytes.hpp"

namespace tn::rlp {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Encoder {
 public:
  Encoder& bytes(BytesView b);
  Encoder& str(std::string_view s) { return bytes(asBytes(s)); }
  Encoder& uint(const U256& v);  // minimal big-endian, zero is the empty string
  Encoder& uint(uint64_t v);
  Encoder& raw(BytesView alreadyEncoded);
  // Lists nest: auto m = e.beginList(); ...items...; e.endList(m);
  std::size_t beginList();
  void endList(std::size_t mark);

  const Bytes& out() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

// A decoded item: a view into the input, valid while the input lives.
struct Item {
  bool isList = false;
  BytesView payload;  // the string's bytes, or the list's concatenated encoded items
  BytesView raw;      // the whole encoding, prefix included

  std::vector<Item> items() const;  // throws Error unless a list
  BytesView bytes() const;          // throws Error unless a string
  U256 toU256() const;              // string of <= 32 bytes without leading zeros
  uint64_t toU64() const;
};

// Decodes one item that must span the whole input.
Item decode(BytesView in);
// Decodes the first item of `in`; `consumed` receives its encoded length.
Item decodePrefix(BytesView in, std::size_t& consumed);

}  // namespace tn::rlp
