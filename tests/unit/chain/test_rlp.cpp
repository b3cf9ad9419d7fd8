#include <doctest/doctest.h>

#include "chain/rlp.hpp"

using namespace tn;

namespace {
std::string hexOf(const rlp::Encoder& e) { return toHex(e.out(), false); }

std::string encStr(std::string_view s) { return hexOf(rlp::Encoder().str(s)); }
std::string encU(const U256& v) { return hexOf(rlp::Encoder().uint(v)); }

std::string encStrList(std::initializer_list<std::string_view> items) {
  rlp::Encoder e;
  auto m = e.beginList();
  for (auto s : items) e.str(s);
  e.endList(m);
  return hexOf(e);
}

// Matches one encoded value against the decoder's view of it, recursively re-encoding.
Bytes reencode(const rlp::Item& item) {
  rlp::Encoder e;
  if (!item.isList) {
    e.bytes(item.bytes());
  } else {
    auto m = e.beginList();
    for (const auto& sub : item.items()) e.raw(reencode(sub));
    e.endList(m);
  }
  return e.take();
}
}  // namespace

TEST_CASE("rlp: strings (rlptest.json)") {
  CHECK(encStr("") == "80");
  CHECK(hexOf(rlp::Encoder().bytes(Bytes{0x00})) == "00");
  CHECK(hexOf(rlp::Encoder().bytes(Bytes{0x01})) == "01");
  CHECK(hexOf(rlp::Encoder().bytes(Bytes{0x7f})) == "7f");
  CHECK(hexOf(rlp::Encoder().bytes(Bytes{0x80})) == "8180");
  CHECK(encStr("dog") == "83646f67");

  // 55 bytes is the longest short string; 56 takes the long form with one length byte.
  const std::string s55 = "Lorem ipsum dolor sit amet, consectetur adipisicing eli";
  const std::string s56 = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  REQUIRE(s55.size() == 55);
  REQUIRE(s56.size() == 56);
  CHECK(encStr(s55) == "b7" + toHex(asBytes(s55), false));
  CHECK(encStr(s56) == "b838" + toHex(asBytes(s56), false));
  CHECK(encStr(s56).substr(0, 12) == "b8384c6f7265");

  std::string s1024(1024, 'a');
  CHECK(encStr(s1024).substr(0, 6) == "b90400");
}

TEST_CASE("rlp: integers (rlptest.json)") {
  CHECK(encU(0) == "80");
  CHECK(encU(1) == "01");
  CHECK(encU(16) == "10");
  CHECK(encU(79) == "4f");
  CHECK(encU(127) == "7f");
  CHECK(encU(128) == "8180");
  CHECK(encU(256) == "820100");
  CHECK(encU(1000) == "8203e8");
  CHECK(encU(1024) == "820400");
  CHECK(encU(100000) == "830186a0");
  CHECK(encU(0xffffff) == "83ffffff");
  CHECK(encU(u256FromDecimal("83729609699884896815286331701780722")) ==
        "8f102030405060708090a0b0c0d0e0f2");
  CHECK(encU(u256FromDecimal(
            "105315505618206987246253880190783558935785933862974822347068935681")) ==
        "9c0100020003000400050006000700080009000a000b000c000d000e01");
  // The uint64_t overload agrees with the U256 one.
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 256ull, 0xffffffffffffffffull})
    CHECK(hexOf(rlp::Encoder().uint(v)) == encU(U256(v)));

  // Decoding back.
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 256ull, 1024ull, 0xffffffull, 0xffffffffffffffffull}) {
    Bytes enc = rlp::Encoder().uint(v).take();
    CHECK(rlp::decode(enc).toU64() == v);
    CHECK(rlp::decode(enc).toU256() == v);
  }
  std::string big = "105315505618206987246253880190783558935785933862974822347068935681";
  CHECK(rlp::decode(rlp::Encoder().uint(u256FromDecimal(big)).take()).toU256() ==
        u256FromDecimal(big));
}

TEST_CASE("rlp: lists (rlptest.json)") {
  rlp::Encoder empty;
  empty.endList(empty.beginList());
  CHECK(hexOf(empty) == "c0");

  CHECK(encStrList({"dog", "god", "cat"}) == "cc83646f6783676f6483636174");

  {  // ["zw", [4], 1]
    rlp::Encoder e;
    auto m = e.beginList();
    e.str("zw");
    auto inner = e.beginList();
    e.uint(uint64_t{4});
    e.endList(inner);
    e.uint(uint64_t{1});
    e.endList(m);
    CHECK(hexOf(e) == "c6827a77c10401");
  }

  // Exactly 55 bytes of payload: the longest short list.
  CHECK(encStrList({"asdf", "qwer", "zxcv", "asdf", "qwer", "zxcv", "asdf", "qwer", "zxcv", "asdf",
                    "qwer"}) ==
        "f784617364668471776572847a78637684617364668471776572847a78637684617364668471776572847a"
        "78637684617364668471776572");

  {  // Four copies of ["asdf","qwer","zxcv"]: 64 bytes of payload, long form.
    rlp::Encoder e;
    auto m = e.beginList();
    for (int i = 0; i < 4; ++i) {
      auto in = e.beginList();
      e.str("asdf").str("qwer").str("zxcv");
      e.endList(in);
    }
    e.endList(m);
    std::string inner = "cf84617364668471776572847a786376";
    CHECK(hexOf(e) == "f840" + inner + inner + inner + inner);
  }

  {  // [ [ [], [] ], [] ]
    rlp::Encoder e;
    auto a = e.beginList();
    auto b = e.beginList();
    e.endList(e.beginList());
    e.endList(e.beginList());
    e.endList(b);
    e.endList(e.beginList());
    e.endList(a);
    CHECK(hexOf(e) == "c4c2c0c0c0");
  }

  {  // The set-theoretic representation of two: [ [], [[]], [ [], [[]] ] ]
    rlp::Encoder e;
    auto top = e.beginList();
    e.endList(e.beginList());
    auto one = e.beginList();
    e.endList(e.beginList());
    e.endList(one);
    auto two = e.beginList();
    e.endList(e.beginList());
    auto twoOne = e.beginList();
    e.endList(e.beginList());
    e.endList(twoOne);
    e.endList(two);
    e.endList(top);
    CHECK(hexOf(e) == "c7c0c1c0c3c0c1c0");

    rlp::Item root = rlp::decode(e.out());
    REQUIRE(root.isList);
    auto items = root.items();
    REQUIRE(items.size() == 3);
    CHECK(items[0].items().empty());
    CHECK(items[1].items().size() == 1);
    CHECK(items[2].items().size() == 2);
    CHECK(items[2].items()[1].items()[0].items().empty());
  }
}

TEST_CASE("rlp: decode round trips and views") {
  const char* vectors[] = {
      "80", "00", "7f", "8180", "83646f67", "c0", "cc83646f6783676f6483636174", "c6827a77c10401",
      "c4c2c0c0c0", "c7c0c1c0c3c0c1c0",
      "f840cf84617364668471776572847a786376cf84617364668471776572847a786376cf846173646684717765"
      "72847a786376cf84617364668471776572847a786376",
  };
  for (const char* v : vectors) {
    INFO(std::string(v));
    Bytes in = fromHex(v);
    rlp::Item item = rlp::decode(in);
    CHECK(item.raw.size() == in.size());
    CHECK(toHex(reencode(item), false) == v);
  }

  Bytes dog = fromHex("83646f67");
  rlp::Item d = rlp::decode(dog);
  CHECK_FALSE(d.isList);
  CHECK(asChars(d.bytes()) == "dog");
  CHECK_THROWS_AS(d.items(), rlp::Error);
  CHECK_THROWS_AS(rlp::decode(fromHex("c0")).bytes(), rlp::Error);

  // decodePrefix stops after the first item.
  Bytes two = fromHex("83646f6783676f64");
  std::size_t consumed = 0;
  rlp::Item first = rlp::decodePrefix(two, consumed);
  CHECK(consumed == 4);
  CHECK(asChars(first.bytes()) == "dog");
  CHECK_THROWS_AS(rlp::decode(two), rlp::Error);  // trailing bytes

  // Long string decodes to its payload.
  std::string s56 = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  Bytes enc = rlp::Encoder().str(s56).take();
  CHECK(asChars(rlp::decode(enc).bytes()) == s56);

  // raw() splices pre-encoded items.
  rlp::Encoder e;
  auto m = e.beginList();
  e.raw(fromHex("83646f67")).raw(fromHex("c0"));
  e.endList(m);
  CHECK(hexOf(e) == "c583646f67c0");
}

TEST_CASE("rlp: integer decoding is strict") {
  CHECK_THROWS_AS(rlp::decode(fromHex("00")).toU256(), rlp::Error);        // 0 must be 0x80
  CHECK_THROWS_AS(rlp::decode(fromHex("820001")).toU256(), rlp::Error);    // leading zero
  CHECK_THROWS_AS(rlp::decode(fromHex("820001")).toU64(), rlp::Error);
  CHECK_THROWS_AS(rlp::decode(fromHex("c0")).toU256(), rlp::Error);        // a list
  CHECK_THROWS_AS(rlp::decode(fromHex("89010000000000000000")).toU64(), rlp::Error);  // 2^64
  CHECK(rlp::decode(fromHex("89010000000000000000")).toU256() ==
        U256(std::numeric_limits<uint64_t>::max()) + 1);
  // bigint 2^256 from rlptest.json: 33 bytes, more than a U256 holds.
  Bytes twoTo256 = fromHex("a1010000000000000000000000000000000000000000000000000000000000000000");
  CHECK(rlp::decode(twoTo256).bytes().size() == 33);
  CHECK_THROWS_AS(rlp::decode(twoTo256).toU256(), rlp::Error);
}

TEST_CASE("rlp: invalid encodings (invalidRLPTest.json style)") {
  const char* invalid[] = {
      "",                                          // empty input
      "8100", "8101", "817f",                      // single byte < 0x80 must be itself
      "81",                                        // string shorter than its length
      "a000000000000000000000000000000000000000000000000000000000000000",  // 32 declared, 31 given
      "c5010203",                                  // list shorter than its length
      "b800",                                      // long form with leading zero length
      "b90040" "00",                               // leading zero in length of length 2
      "b81000112233445566778899aabbccddeeff",      // long form for a 16-byte string
      "f80180",                                    // long form for a 1-byte list
      "f810" "00112233445566778899aabbccddeeff",   // long form for a 16-byte list
      "fb00000040" "00",                           // leading zeros in a list length
      "ba010000aabbccddeeff",                      // long length past the input
      "f90180",                                    // list length past the input
      "bf0f000000000000021111",                    // absurd 8-byte length
      "ffffffffffffffffffff",                      // absurd list length
      "b8",                                        // length bytes missing
      "c3",                                        // list payload missing
      "0000",                                      // trailing bytes
      "c0c0",                                      // trailing bytes
      "8180ff",                                    // trailing bytes
  };
  for (const char* v : invalid) {
    INFO(std::string(v));
    CHECK_THROWS_AS(rlp::decode(fromHex(v)), rlp::Error);
  }
  // Nested items are checked by decode itself, however deep.
  CHECK_THROWS_AS(rlp::decode(fromHex("c28100")), rlp::Error);
  CHECK_THROWS_AS(rlp::decode(fromHex("c281")), rlp::Error);
  CHECK_THROWS_AS(rlp::decode(fromHex("c4c3c28100")), rlp::Error);
  std::size_t consumed = 0;
  CHECK_THROWS_AS(rlp::decodePrefix(fromHex("c28100c0"), consumed), rlp::Error);
  // A canonical string that is not a canonical integer is only an error when read as one.
  CHECK_THROWS_AS(rlp::decode(fromHex("c3820001")).items()[0].toU64(), rlp::Error);

  // A very deep nest decodes without recursion.
  Bytes deep;
  for (int i = 0; i < 100000; ++i) deep.push_back(0xc1);
  deep.back() = 0xc0;
  CHECK_THROWS_AS(rlp::decode(deep), rlp::Error);  // c1 claims one byte but the nest is longer
  rlp::Encoder e;
  std::vector<std::size_t> marks;
  for (int i = 0; i < 10000; ++i) marks.push_back(e.beginList());
  for (auto it = marks.rbegin(); it != marks.rend(); ++it) e.endList(*it);
  CHECK_NOTHROW(rlp::decode(e.out()));
}
