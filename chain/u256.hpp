// Checked 256-bit unsigned integers: overflow and underflow throw instead of wrapping, so a state
// transition that would wrap aborts its transaction (RULES.md §1).
#pragma once

#include <boost/multiprecision/cpp_int.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "state/bytes.hpp"

namespace tn {

// Throws std::overflow_error on overflow and std::range_error on a negative result.
using U256 = boost::multiprecision::checked_uint256_t;
// Unchecked 512-bit, for a × b / c where only the quotient must fit.
using U512 = boost::multiprecision::uint512_t;

// Big-endian, at most 32 bytes (leading zeros allowed). Throws std::invalid_argument if longer.
U256 u256FromBE(BytesView be);
// Exactly 32 big-endian bytes.
FixedBytes<32> u256ToBE32(const U256& v);
// Minimal big-endian bytes (empty for zero), as RLP wants.
Bytes u256ToBEMinimal(const U256& v);

// Ethereum JSON-RPC quantity: "0x0", "0x1a" (no leading zeros).
std::string toQuantity(const U256& v);
std::string toQuantity(uint64_t v);
// Parses a JSON-RPC quantity ("0x..."); strict: no empty digits, no leading zeros, <= 256 bits.
// Throws std::invalid_argument.
U256 quantityToU256(std::string_view q);
uint64_t quantityToU64(std::string_view q);

// Decimal text <-> U256 (throws std::invalid_argument on bad text or overflow).
U256 u256FromDecimal(std::string_view s);
std::string u256ToDecimal(const U256& v);
// A decimal amount with up to 18 fractional digits ("1.5") in units of 10^-18.
U256 parseUnits(std::string_view s, unsigned decimals = 18);
std::string formatUnits(const U256& v, unsigned decimals = 18);

// floor(a * b / c) with a 512-bit intermediate; throws if c == 0 or the quotient overflows 256 bits.
U256 mulDiv(const U256& a, const U256& b, const U256& c);

uint64_t toU64(const U256& v);  // throws std::overflow_error above 2^64 - 1

}  // namespace tn
