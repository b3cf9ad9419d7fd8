#include "state/bytes.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <unordered_set>

using namespace tn;

TEST_CASE("keccak256 known vectors") {
  CHECK(keccak256(std::string_view("")).hex() ==
        "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(keccak256(std::string_view("abc")).hex() ==
        "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  CHECK(keccak256(std::string_view("The quick brown fox jumps over the lazy dog")).hex() ==
        "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  // Not SHA3-256 (which gives a7ffc6f8... for the empty string).
  CHECK(keccak256(BytesView{}) == keccak256(std::string_view("")));
}

TEST_CASE("keccak256 over more than one rate block is deterministic and input-sensitive") {
  Bytes big(1000, 0xab);
  auto h1 = keccak256(big);
  CHECK(h1 == keccak256(big));
  big[999] ^= 1;
  CHECK(h1 != keccak256(big));
}

TEST_CASE("hex round trips") {
  Bytes b = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
  CHECK(toHex(b) == "0x00017f80feff");
  CHECK(toHex(b, false) == "00017f80feff");
  CHECK(fromHex("0x00017f80feff") == b);
  CHECK(fromHex("00017F80FEFF") == b);
  CHECK(fromHex("0X00017f80FeFf") == b);
  CHECK(fromHex("").empty());
  CHECK(fromHex("0x").empty());
  CHECK(toHex(Bytes{}) == "0x");
  for (int i = 0; i < 256; ++i) {
    Bytes one = {static_cast<uint8_t>(i)};
    CHECK(fromHex(toHex(one)) == one);
  }
}

TEST_CASE("bad hex is rejected") {
  CHECK_THROWS_AS(fromHex("0x1"), std::invalid_argument);
  CHECK_THROWS_AS(fromHex("abc"), std::invalid_argument);
  CHECK_THROWS_AS(fromHex("0xgg"), std::invalid_argument);
  CHECK_THROWS_AS(fromHex("zz"), std::invalid_argument);
  CHECK_THROWS_AS(fromHex("0x 0"), std::invalid_argument);
  CHECK_THROWS_AS(fromHex("x0"), std::invalid_argument);
  CHECK_THROWS_AS(Hash32::fromHex("0x00"), std::invalid_argument);
  CHECK_THROWS_AS(Hash32::fromView(Bytes(33)), std::invalid_argument);
}

TEST_CASE("FixedBytes basics") {
  Hash32 zero;
  CHECK(zero.isZero());
  auto h = keccak256(std::string_view("abc"));
  CHECK_FALSE(h.isZero());
  CHECK(Hash32::fromHex(h.hex()) == h);
  CHECK(zero < h);
  std::unordered_set<Hash32> set{h, zero, h};
  CHECK(set.size() == 2);
  BytesLess less;
  CHECK(less(asBytes("a"), asBytes("ab")));
  CHECK_FALSE(less(asBytes("ab"), asBytes("ab")));
  CHECK(concat({asBytes("ab"), asBytes("cd")}) == toBytes("abcd"));
}
