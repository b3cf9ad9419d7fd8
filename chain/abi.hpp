// The Solidity contract ABI codec (ABI spec v2): static and dynamic types, tuples, fixed and
// dynamic arrays, selectors, event topics and Error(string) revert data. Decoding is strict
// like solc 0.8's ABI coder v2 (see shared/spec/abi/REFERENCE.md §1.1).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chain/address.hpp"
#include "chain/u256.hpp"

namespace tn::abi {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Type {
  enum class Kind { Uint, Int, Address, Bool, FixedBytes, Bytes, String, Tuple, Array };
  Kind kind = Kind::Uint;
  unsigned bits = 256;           // Uint / Int
  unsigned size = 0;             // FixedBytes: 1..32; Array: element count, 0 = dynamic T[]
  std::vector<Type> components;  // Tuple: its fields; Array: exactly one, the element type

  // Parses canonical type text: "uint256", "bytes32", "string", "(address,uint256)[]", "uint256[4]".
  // Also accepts "uint"/"int" as 256 bits. Throws Error.
  static Type parse(std::string_view text);
  // Parses a comma-separated list, e.g. "bytes32,(string,address,uint256)". Empty text = none.
  static std::vector<Type> parseList(std::string_view text);

  bool isDynamic() const;
  std::string canonical() const;  // "uint256", "(address,uint256)[]", ...
  // Structural equality over the fields that matter for the kind (bits only for integers, ...).
  bool operator==(const Type& o) const;
};

struct Value;
using ValueList = std::vector<Value>;

// A decoded or to-be-encoded value. Uint/Int (two's complement) -> U256; Address; Bool;
// FixedBytes/Bytes -> Bytes; String -> std::string; Tuple/Array -> ValueList.
struct Value {
  std::variant<U256, Address, bool, Bytes, std::string, ValueList> v;

  Value() : v(U256(0)) {}
  Value(const U256& x) : v(x) {}
  Value(uint64_t x) : v(U256(x)) {}
  Value(int x) : v(U256(x)) {}
  Value(const Address& x) : v(x) {}
  Value(bool x) : v(x) {}
  Value(Bytes x) : v(std::move(x)) {}
  Value(const Hash32& h) : v(Bytes(h.bytes.begin(), h.bytes.end())) {}
  Value(std::string x) : v(std::move(x)) {}
  Value(const char* x) : v(std::string(x)) {}
  Value(ValueList x) : v(std::move(x)) {}

  // Accessors throw Error when the value holds another alternative.
  const U256& asUint() const;
  uint64_t asU64() const;  // throws Error above 2^64-1
  const Address& asAddress() const;
  bool asBool() const;
  const Bytes& asBytes() const;
  Hash32 asBytes32() const;
  const std::string& asString() const;
  const ValueList& asList() const;
};

Bytes encode(const std::vector<Type>& types, const ValueList& values);
// Strict: rejects short data, dirty high bits of address/uint<N>/bool/bytesN, out-of-range
// offsets and lengths. Trailing bytes after the encoded data are allowed (as solc allows).
ValueList decode(const std::vector<Type>& types, BytesView data);

using Selector = std::array<uint8_t, 4>;
// First four bytes of keccak256(signature), e.g. "transfer(address,uint256)".
Selector selector(std::string_view signature);
// keccak256(signature), for event topic0.
Hash32 eventTopic(std::string_view signature);

// Solidity revert payload: 0x08c379a0 ++ abi.encode(string).
Bytes encodeError(std::string_view message);
// The message of an Error(string) payload, or nullopt if it is not one.
std::optional<std::string> decodeError(BytesView data);

}  // namespace tn::abi
