// ABI values as human text: parse command-line arguments for an abi::Type, format decoded values
// for display or JSON, and parse function signatures like "balanceOf(address)(uint256)".
// Used by wallets and tools (tncli); nothing here runs during block execution.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "chain/abi.hpp"

namespace tn::abi {

// Parses `text` as a value of `type`. Throws abi::Error with a readable message.
//   address        0x-hex (EIP-55 checked when mixed case) or treasurenet1… bech32
//   uintN / intN   decimal or 0x-hex, intN may start with '-'; range checked against N bits
//   bool           true / false / 1 / 0
//   bytesN, bytes  0x-hex (bytesN exactly N bytes)
//   string         the text as is
//   T[], T[k]      [a, b, c]
//   tuple          (a, b) or [a, b]
// Inside brackets an element may be "double-quoted" (JSON escapes) to hold commas or brackets.
Value parseText(const Type& type, std::string_view text);

// One argument per type; the count must match. Errors name the argument's position and type.
ValueList parseTextList(const std::vector<Type>& types, const std::vector<std::string>& args);

// Display text: decimal integers (intN signed), EIP-55 addresses, 0x-hex bytes, strings as is at
// the top level and JSON-quoted inside [..] / (..).
std::string formatText(const Type& type, const Value& value);

// JSON for machine output: integers as decimal strings (they exceed 2^53), addresses EIP-55,
// bytes 0x-hex, bools and strings native, tuples and arrays as arrays.
boost::json::value toJson(const Type& type, const Value& value);

// A function signature as users type it: "transfer(address,uint256)",
// "balanceOf(address)(uint256)", "getX(uint256 id) returns (string name)". Parameter names and
// a leading "function" keyword are ignored. Throws abi::Error.
struct FunctionSig {
  std::string name;
  std::vector<Type> inputs;
  std::vector<Type> outputs;
  bool hasOutputs = false;  // an output list was given (possibly empty "()")

  std::string canonical() const;  // "transfer(address,uint256)"
  Selector selector() const;
};
FunctionSig parseSignature(std::string_view text);

}  // namespace tn::abi
