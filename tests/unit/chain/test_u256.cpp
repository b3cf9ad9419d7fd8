#include <doctest/doctest.h>

#include <limits>

#include "chain/u256.hpp"

using namespace tn;

namespace {
const U256 kMax = std::numeric_limits<U256>::max();
const U256 kEther = U256(1000000000000000000ull);
}  // namespace

TEST_CASE("u256: checked arithmetic throws instead of wrapping") {
  CHECK_THROWS_AS(kMax + 1, std::overflow_error);
  CHECK_THROWS_AS(kMax * 2, std::overflow_error);
  U256 zero = 0;
  CHECK_THROWS_AS(zero - 1, std::range_error);
  CHECK_THROWS_AS(U256(5) - U256(6), std::range_error);
  CHECK(kMax - kMax == 0);
}

TEST_CASE("u256: big-endian conversions") {
  CHECK(u256FromBE({}) == 0);
  CHECK(u256FromBE(fromHex("0x0001")) == 1);
  CHECK(u256FromBE(fromHex("0x0100")) == 256);
  CHECK(u256FromBE(Bytes(32, 0xff)) == kMax);
  CHECK_THROWS_AS(u256FromBE(Bytes(33, 0)), std::invalid_argument);

  CHECK(u256ToBEMinimal(0).empty());
  CHECK(u256ToBEMinimal(1) == Bytes{1});
  CHECK(u256ToBEMinimal(0x0400) == Bytes{4, 0});
  CHECK(u256ToBE32(0x1234).hex() ==
        "0x0000000000000000000000000000000000000000000000000000000000001234");
  CHECK(u256ToBE32(kMax).view().size() == 32);
  CHECK(u256FromBE(u256ToBE32(kMax).view()) == kMax);
}

TEST_CASE("u256: JSON-RPC quantities") {
  CHECK(toQuantity(U256(0)) == "0x0");
  CHECK(toQuantity(U256(26)) == "0x1a");
  CHECK(toQuantity(U256(0x400)) == "0x400");
  CHECK(toQuantity(uint64_t{0}) == "0x0");
  CHECK(toQuantity(uint64_t{0x1a}) == "0x1a");
  CHECK(toQuantity(std::numeric_limits<uint64_t>::max()) == "0xffffffffffffffff");
  CHECK(toQuantity(kMax) == "0x" + std::string(64, 'f'));

  CHECK(quantityToU256("0x0") == 0);
  CHECK(quantityToU256("0x1a") == 26);
  CHECK(quantityToU256("0x400") == 1024);
  CHECK(quantityToU256("0x" + std::string(64, 'f')) == kMax);
  CHECK(quantityToU64("0xffffffffffffffff") == std::numeric_limits<uint64_t>::max());

  // Strictness: prefix required, no empty digits, no leading zeros, at most 256 bits.
  CHECK_THROWS_AS(quantityToU256("0x"), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256("0x01"), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256("0x00"), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256("1a"), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256("0"), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256(""), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256("0xg"), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256("0x1 "), std::invalid_argument);
  CHECK_THROWS_AS(quantityToU256("0x1" + std::string(64, '0')), std::invalid_argument);
  CHECK_THROWS(quantityToU64("0x10000000000000000"));
}

TEST_CASE("u256: decimal text") {
  CHECK(u256FromDecimal("0") == 0);
  CHECK(u256FromDecimal("1234567890") == 1234567890);
  const std::string maxText =
      "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  CHECK(u256FromDecimal(maxText) == kMax);
  CHECK(u256ToDecimal(kMax) == maxText);
  CHECK_THROWS_AS(u256FromDecimal(
                      "115792089237316195423570985008687907853269984665640564039457584007913129639936"),
                  std::invalid_argument);
  CHECK_THROWS_AS(u256FromDecimal(""), std::invalid_argument);
  CHECK_THROWS_AS(u256FromDecimal("12a"), std::invalid_argument);
  CHECK_THROWS_AS(u256FromDecimal("-1"), std::invalid_argument);
  CHECK_THROWS_AS(u256FromDecimal(" 1"), std::invalid_argument);
}

TEST_CASE("u256: parseUnits / formatUnits") {
  CHECK(parseUnits("1") == kEther);
  CHECK(parseUnits("1.5") == kEther * 3 / 2);
  CHECK(parseUnits("0.000000000000000001") == 1);
  CHECK(parseUnits("1000000") == kEther * 1000000);
  CHECK(parseUnits(".5") == kEther / 2);
  CHECK(parseUnits("1.5", 6) == 1500000);
  CHECK(parseUnits("42", 0) == 42);
  CHECK_THROWS_AS(parseUnits("0.0000000000000000001"), std::invalid_argument);  // 19 places
  CHECK_THROWS_AS(parseUnits("1.5", 0), std::invalid_argument);
  CHECK_THROWS_AS(parseUnits(""), std::invalid_argument);
  CHECK_THROWS_AS(parseUnits("."), std::invalid_argument);
  CHECK_THROWS_AS(parseUnits("-1"), std::invalid_argument);
  CHECK_THROWS_AS(parseUnits("1.2.3"), std::invalid_argument);
  CHECK_THROWS_AS(parseUnits("abc"), std::invalid_argument);
  CHECK_THROWS_AS(parseUnits("1e18"), std::invalid_argument);

  CHECK(formatUnits(0) == "0");
  CHECK(formatUnits(1) == "0.000000000000000001");
  CHECK(formatUnits(kEther) == "1");
  CHECK(formatUnits(kEther * 3 / 2) == "1.5");
  CHECK(formatUnits(kEther * 1000000 + 10) == "1000000.00000000000000001");
  CHECK(formatUnits(1234567, 6) == "1.234567");
  CHECK(formatUnits(42, 0) == "42");
  for (const char* s : {"0", "1", "1.5", "123.456", "0.000000000000000001"})
    CHECK(formatUnits(parseUnits(s)) == s);
}

TEST_CASE("u256: mulDiv with a 512-bit intermediate") {
  CHECK(mulDiv(10, 3, 4) == 7);  // floor(30 / 4)
  CHECK(mulDiv(kMax, kMax, kMax) == kMax);
  CHECK(mulDiv(kMax, 2, 4) == kMax / 2);
  CHECK(mulDiv(kEther, 15, 10) == kEther * 3 / 2);
  CHECK_THROWS_AS(mulDiv(kMax, 2, 1), std::overflow_error);
  CHECK_THROWS(mulDiv(1, 1, 0));
}

TEST_CASE("u256: toU64") {
  CHECK(toU64(U256(std::numeric_limits<uint64_t>::max())) == std::numeric_limits<uint64_t>::max());
  CHECK_THROWS_AS(toU64(U256(std::numeric_limits<uint64_t>::max()) + 1), std::overflow_error);
}
