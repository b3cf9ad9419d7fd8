#include <doctest/doctest.h>

#include <limits>

#include "chain/abi.hpp"

using namespace tn;
using abi::Type;
using abi::Value;
using abi::ValueList;

namespace {

// One 32-byte word holding a number, as 64 hex digits.
std::string w(uint64_t v) {
  std::string h = toHex(u256ToBE32(U256(v)).view(), false);
  return h;
}
// Text left-aligned in a 32-byte word (how bytesN and string/bytes payloads are laid out).
std::string wText(std::string_view s) {
  std::string h = toHex(asBytes(s), false);
  return h + std::string(64 - h.size() % 64 == 64 ? 0 : 64 - h.size() % 64, '0');
}
std::string wAddr(const std::string& hex40) { return std::string(24, '0') + hex40; }

std::string sel(std::string_view sig) {
  auto s = abi::selector(sig);
  return toHex(BytesView(s.data(), s.size()), false);
}

std::string call(std::string_view sig, const ValueList& values) {
  auto open = sig.find('(');
  auto types = Type::parseList(sig.substr(open + 1, sig.size() - open - 2));
  return sel(sig) + toHex(abi::encode(types, values), false);
}

Bytes padded(std::string_view s, std::size_t n) {
  Bytes b = toBytes(s);
  b.resize(n, 0);
  return b;
}

U256 neg(uint64_t x) { return std::numeric_limits<U256>::max() - (x - 1); }  // two's complement -x

// Decodes `hex` with `types`, expecting abi::Error.
void rejects(const char* types, const std::string& hex) {
  INFO(std::string(types));
  CAPTURE(hex);
  CHECK_THROWS_AS(abi::decode(Type::parseList(types), fromHex(hex)), abi::Error);
}

}  // namespace

TEST_CASE("abi: Solidity docs examples") {
  CHECK(sel("baz(uint32,bool)") == "cdcd77c0");
  CHECK(call("baz(uint32,bool)", {69, true}) == "cdcd77c0" + w(69) + w(1));

  CHECK(sel("bar(bytes3[2])") == "fce353f6");
  // Value(...) makes the single array argument explicit: a braced {ValueList{...}} argument
  // would copy the inner list instead of wrapping it.
  CHECK(call("bar(bytes3[2])", {Value(ValueList{toBytes("abc"), toBytes("def")})}) ==
        "fce353f6" + wText("abc") + wText("def"));

  CHECK(sel("sam(bytes,bool,uint256[])") == "a5643bf2");
  CHECK(call("sam(bytes,bool,uint256[])", {toBytes("dave"), true, ValueList{1, 2, 3}}) ==
        "a5643bf2" + w(0x60) + w(1) + w(0xa0) + w(4) + wText("dave") + w(3) + w(1) + w(2) + w(3));

  CHECK(sel("f(uint256,uint32[],bytes10,bytes)") == "8be65246");
  CHECK(call("f(uint256,uint32[],bytes10,bytes)",
             {0x123, ValueList{0x456, 0x789}, toBytes("1234567890"), toBytes("Hello, world!")}) ==
        "8be65246" + w(0x123) + w(0x80) + wText("1234567890") + w(0xe0) + w(2) + w(0x456) +
            w(0x789) + w(13) + wText("Hello, world!"));

  CHECK(sel("g(uint256[][],string[])") == "2289b18c");
  CHECK(call("g(uint256[][],string[])",
             {ValueList{ValueList{1, 2}, ValueList{3}}, ValueList{"one", "two", "three"}}) ==
        "2289b18c" + w(0x40) + w(0x140) +                               // heads
            w(2) + w(0x40) + w(0xa0) + w(2) + w(1) + w(2) + w(1) + w(3) +  // [[1,2],[3]]
            w(3) + w(0x60) + w(0xa0) + w(0xe0) +                        // ["one","two","three"]
            w(3) + wText("one") + w(3) + wText("two") + w(5) + wText("three"));
}

TEST_CASE("abi: Solidity docs examples decode back") {
  auto types = Type::parseList("uint256[][],string[]");
  Bytes data = abi::encode(types, {ValueList{ValueList{1, 2}, ValueList{3}},
                                   ValueList{"one", "two", "three"}});
  ValueList v = abi::decode(types, data);
  REQUIRE(v.size() == 2);
  const auto& a = v[0].asList();
  REQUIRE(a.size() == 2);
  CHECK(a[0].asList().size() == 2);
  CHECK(a[0].asList()[1].asU64() == 2);
  CHECK(a[1].asList()[0].asU64() == 3);
  CHECK(v[1].asList()[2].asString() == "three");

  auto ftypes = Type::parseList("uint256,uint32[],bytes10,bytes");
  ValueList f = abi::decode(ftypes, abi::encode(ftypes, {0x123, ValueList{0x456, 0x789},
                                                         toBytes("1234567890"),
                                                         toBytes("Hello, world!")}));
  CHECK(f[0].asU64() == 0x123);
  CHECK(f[1].asList()[1].asU64() == 0x789);
  CHECK(f[2].asBytes() == toBytes("1234567890"));
  CHECK(f[3].asBytes() == toBytes("Hello, world!"));
}

TEST_CASE("abi: REFERENCE.md 1.5(a) the uploader's setProductionData call") {
  const char* sig =
      "setProductionData(bytes32,(bytes32,uint256,address,uint256,uint256,uint256,uint256,string,"
      "uint256,uint256,uint8))";
  CHECK(sel(sig) == "a31bffb8");
  Bytes uid = padded("MYg8h9Ewi3yfDAi03OxL6", 32);
  Address acct = Address::parse("0x1111111111111111111111111111111111111111");
  ValueList data{uid, 0, acct, 123456, 0, 230105, 2301, "", 0, 0, 0};
  std::string uidWord = "4d596738683945776933796644416930334f784c360000000000000000000000";
  std::string expected = "a31bffb8" + uidWord + w(0x40) + uidWord + w(0) +
                         wAddr(std::string(40, '1')) + w(0x1e240) + w(0) + w(0x382d9) +
                         w(0x8fd) + w(0x160) + w(0) + w(0) + w(0) + w(0);
  CHECK(call(sig, {uid, data}) == expected);

  auto types = Type::parseList(
      "bytes32,(bytes32,uint256,address,uint256,uint256,uint256,uint256,string,uint256,uint256,"
      "uint8)");
  CHECK(types[1].isDynamic());
  ValueList v = abi::decode(types, fromHex(expected.substr(8)));
  CHECK(v[0].asBytes32() == Hash32::fromView(uid));
  const ValueList& d = v[1].asList();
  REQUIRE(d.size() == 11);
  CHECK(d[2].asAddress() == acct);
  CHECK(d[3].asU64() == 123456);
  CHECK(d[5].asU64() == 230105);
  CHECK(d[6].asU64() == 2301);
  CHECK(d[7].asString().empty());
  CHECK(d[10].asU64() == 0);
}

TEST_CASE("abi: REFERENCE.md 1.5(b) getProducer return data") {
  auto types = Type::parseList("uint8,(string,address,uint256,uint256,string)");
  Address owner = Address::parse("0x2222222222222222222222222222222222222222");
  Bytes out = abi::encode(types, {1, ValueList{"well-1", owner, 35, 2, ""}});
  CHECK(toHex(out, false) == w(1) + w(0x40) + w(0xa0) + wAddr(std::string(40, '2')) + w(0x23) +
                                 w(2) + w(0xe0) + w(6) + wText("well-1") + w(0));
  ValueList v = abi::decode(types, out);
  CHECK(v[0].asU64() == 1);
  CHECK(v[1].asList()[0].asString() == "well-1");
  CHECK(v[1].asList()[1].asAddress() == owner);
  CHECK(v[1].asList()[4].asString() == "");
}

TEST_CASE("abi: selectors, topics and Error(string)") {
  CHECK(sel("transfer(address,uint256)") == "a9059cbb");
  CHECK(sel("Error(string)") == "08c379a0");
  CHECK(sel("Panic(uint256)") == "4e487b71");
  CHECK(sel("burn(uint256)") == "42966c68");
  CHECK(sel("burn(string,uint256)") == "b48272cc");
  CHECK(abi::eventTopic("Transfer(address,address,uint256)").hex() ==
        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

  Bytes err = abi::encodeError("Not enough Ether provided.");
  CHECK(toHex(err, false) ==
        "08c379a0" + w(0x20) + w(26) + wText("Not enough Ether provided."));
  CHECK(abi::decodeError(err) == "Not enough Ether provided.");

  // An empty message is still an Error payload, not "no reason".
  Bytes empty = abi::encodeError("");
  CHECK(toHex(empty, false) == "08c379a0" + w(0x20) + w(0));
  CHECK(abi::decodeError(empty) == std::string());

  std::string longMsg(100, 'x');
  CHECK(abi::decodeError(abi::encodeError(longMsg)) == longMsg);

  CHECK_FALSE(abi::decodeError({}).has_value());
  CHECK_FALSE(abi::decodeError(fromHex("08c379")).has_value());
  CHECK_FALSE(abi::decodeError(fromHex("08c379a0")).has_value());  // no argument
  CHECK_FALSE(abi::decodeError(fromHex("4e487b71" + w(0x11))).has_value());  // Panic(0x11)
  Bytes truncated(err.begin(), err.end() - 1);
  // The string's 26 bytes are still there, only padding is missing: solc accepts that.
  CHECK(abi::decodeError(truncated) == "Not enough Ether provided.");
  Bytes cut(err.begin(), err.begin() + 4 + 64 + 10);
  CHECK_FALSE(abi::decodeError(cut).has_value());
}

TEST_CASE("abi: type parsing and canonical text") {
  const char* canonical[] = {
      "uint8", "uint256", "int8", "int256", "address", "bool", "bytes1", "bytes32", "bytes",
      "string", "uint256[]", "uint256[4]", "string[2]", "uint256[][]", "uint256[2][]",
      "(address,uint256)", "(address,uint256)[]", "(string,address,uint256,uint256,string)",
      "(bytes32,(string,(bool,int24)[3])[],uint8)[2]",
  };
  for (const char* t : canonical) {
    INFO(std::string(t));
    CHECK(Type::parse(t).canonical() == t);
    CHECK(Type::parse(Type::parse(t).canonical()) == Type::parse(t));
  }
  CHECK(Type::parse("uint").canonical() == "uint256");
  CHECK(Type::parse("int").canonical() == "int256");
  CHECK(Type::parse("uint[]").canonical() == "uint256[]");
  CHECK(Type::parse("uint") == Type::parse("uint256"));
  CHECK_FALSE(Type::parse("uint8") == Type::parse("uint16"));
  CHECK_FALSE(Type::parse("uint8[2]") == Type::parse("uint8[3]"));

  Type arr = Type::parse("uint32[3][]");
  CHECK(arr.kind == Type::Kind::Array);
  CHECK(arr.size == 0);
  CHECK(arr.components.at(0).size == 3);
  CHECK(arr.components.at(0).components.at(0).bits == 32);

  CHECK(Type::parseList("").empty());
  auto list = Type::parseList("bytes32,(string,address,uint256)");
  REQUIRE(list.size() == 2);
  CHECK(list[1].kind == Type::Kind::Tuple);
  CHECK(list[1].components.size() == 3);

  const char* invalid[] = {
      "", "uint7", "uint0", "uint264", "uint08", "int255", "bytes0", "bytes33", "bytes01", "byte",
      "uint256[0]", "uint256[01]", "uint256[-1]", "uint256[", "uint256[x]", "uint256]", "(",
      "()", "(uint256", "(uint256,)", "(,uint256)", "uint256)", "address payable", "Uint256",
      "uint256 ", " uint256", "string[][99999999999]", "fixed128x18", "function",
      "uint256[4294967296]", "uint256[65536][65536]",
  };
  for (std::string t : invalid) {
    INFO(std::string(t));
    CHECK_THROWS_AS(Type::parse(t), abi::Error);
  }
  for (const char* t : {",", "uint256,", ",uint256", "uint256,,bool", "uint256 ,bool"}) {
    INFO(std::string(t));
    CHECK_THROWS_AS(Type::parseList(t), abi::Error);
  }
}

TEST_CASE("abi: isDynamic") {
  for (const char* t : {"uint256", "address", "bool", "bytes32", "uint256[2]", "(uint256,bool)",
                        "(uint256,bytes32)[3]", "(address,(uint8,bool))"}) {
    INFO(std::string(t));
    CHECK_FALSE(Type::parse(t).isDynamic());
  }
  for (const char* t : {"bytes", "string", "uint256[]", "string[2]", "(uint256,string)",
                        "(uint256,uint256[])[2]", "(address,(uint8,bytes))"}) {
    INFO(std::string(t));
    CHECK(Type::parse(t).isDynamic());
  }
}

TEST_CASE("abi: round trips over nested types") {
  Address a = Address::fromU64(0x1001);
  struct Case {
    const char* types;
    ValueList values;
  };
  const Case cases[] = {
      {"uint8,int8,int256,bool,address", {255, neg(128), neg(1), false, a}},
      {"string[2]", {ValueList{"a", std::string(40, 'b')}}},
      {"(uint256,string)[]", {ValueList{ValueList{1, "x"}, ValueList{2, ""}}}},
      {"bytes32[2][]", {ValueList{ValueList{Bytes(32, 1), Bytes(32, 2)}}}},
      {"uint256[2][2]", {ValueList{ValueList{1, 2}, ValueList{3, 4}}}},
      {"(uint256,bytes32)[3]",
       {ValueList{ValueList{1, Bytes(32, 7)}, ValueList{2, Bytes(32, 8)}, ValueList{3, Bytes(32, 9)}}}},
      {"string[][]", {ValueList{ValueList{}, ValueList{"p", "q"}, ValueList{""}}}},
      {"bytes,uint256[],(bool,address)", {Bytes(65, 0xab), ValueList{}, ValueList{true, a}}},
      {"uint24,int24,bytes5", {0xffffff, neg(0x800000), Bytes{1, 2, 3, 4, 5}}},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.types));
    auto types = Type::parseList(c.types);
    Bytes enc = abi::encode(types, c.values);
    CHECK(enc.size() % 32 == 0);
    ValueList dec = abi::decode(types, enc);
    CHECK(abi::encode(types, dec) == enc);
    // Trailing bytes after the data are tolerated, as solc tolerates them.
    Bytes longer = enc;
    longer.insert(longer.end(), 32, 0xee);
    CHECK(abi::encode(types, abi::decode(types, longer)) == enc);
  }
  ValueList v = abi::decode(Type::parseList("uint8,int8,int256,bool,address"),
                            abi::encode(Type::parseList("uint8,int8,int256,bool,address"),
                                        {255, neg(128), neg(1), false, a}));
  CHECK(v[1].asUint() == neg(128));
  CHECK(v[4].asAddress() == a);
  CHECK_FALSE(v[3].asBool());
}

TEST_CASE("abi: encoding rejects values that do not fit the type") {
  auto one = [](const char* t, Value v) { return abi::encode(Type::parseList(t), {std::move(v)}); };
  CHECK_THROWS_AS(one("uint8", 256), abi::Error);
  CHECK_NOTHROW(one("uint8", 255));
  CHECK_THROWS_AS(one("uint32", U256(1) << 32), abi::Error);
  CHECK_NOTHROW(one("int8", 127));
  CHECK_THROWS_AS(one("int8", 128), abi::Error);
  CHECK_NOTHROW(one("int8", neg(128)));
  CHECK_THROWS_AS(one("int8", neg(129)), abi::Error);
  CHECK_THROWS_AS(one("bytes3", Bytes{1, 2}), abi::Error);
  CHECK_THROWS_AS(one("bytes3", Bytes{1, 2, 3, 4}), abi::Error);
  CHECK_THROWS_AS(one("uint256", "12"), abi::Error);
  CHECK_THROWS_AS(one("string", toBytes("12")), abi::Error);
  CHECK_THROWS_AS(one("address", 1), abi::Error);
  CHECK_THROWS_AS(one("bool", 1), abi::Error);
  CHECK_THROWS_AS(one("uint256[2]", ValueList{1}), abi::Error);
  CHECK_THROWS_AS(one("(uint256,bool)", ValueList{1}), abi::Error);
  CHECK_THROWS_AS(abi::encode(Type::parseList("uint256,bool"), {1}), abi::Error);
}

TEST_CASE("abi: strict decoding") {
  // Short data.
  rejects("uint256", "");
  rejects("uint256", std::string(62, '0'));
  rejects("uint256,uint256", w(1));
  rejects("uint256[2]", w(1));
  CHECK(abi::decode({}, {}).empty());

  // Dirty high bits / invalid values.
  rejects("address", "01" + std::string(22, '0') + std::string(40, '1'));
  CHECK(abi::decode(Type::parseList("address"), fromHex(wAddr(std::string(40, 'f'))))[0]
            .asAddress()
            .hex() == "0x" + std::string(40, 'f'));
  rejects("uint8", w(256));
  rejects("uint32", w(uint64_t{1} << 32));
  rejects("bool", w(2));
  rejects("bool", "8" + std::string(63, '0'));
  rejects("bytes3", "61626301" + std::string(56, '0'));
  rejects("bytes31", std::string(62, '1') + "01");
  rejects("int8", w(0x80));                                  // +128 does not fit
  rejects("int8", std::string(62, 'f') + "7f");             // high bits set, sign bit clear
  CHECK(abi::decode(Type::parseList("int8"), fromHex(std::string(62, 'f') + "80"))[0].asUint() ==
        neg(128));

  // Offsets.
  rejects("string", w(0x40));                                // points past the end
  rejects("string", w(0x20));                                // length word missing
  rejects("string", "8" + std::string(63, '0') + w(0));      // 2^255
  rejects("bytes", w(0xffffffffffffffff) + w(0));
  rejects("uint256[]", w(0x21) + w(1) + w(1));               // misaligned: runs past the end
  rejects("(uint256,string)", w(0x1000));

  // Lengths.
  rejects("string", w(0x20) + w(1));                         // 1 byte declared, none there
  rejects("string", w(0x20) + w(33) + wText("x"));
  rejects("bytes", w(0x20) + "1" + std::string(63, '0'));    // 2^252 bytes
  rejects("uint256[]", w(0x20) + w(2) + w(1));               // 2 elements, 1 word
  rejects("uint256[]", w(0x20) + std::string(48, '0') + "ffffffffffffffff");  // no allocation
  rejects("uint256[][]", w(0x20) + w(1) + w(0x20) + w(0x7fffffff));
  rejects("string[]", w(0x20) + w(1) + w(0x20) + w(3));      // element's bytes past the end

  // Well-formed but non-standard layouts that solc accepts are accepted.
  CHECK(abi::decode(Type::parseList("string"), fromHex(w(0x20) + w(2) + "6869"))[0].asString() ==
        "hi");  // padding missing
  CHECK(abi::decode(Type::parseList("string,string"),
                    fromHex(w(0x40) + w(0x40) + w(2) + wText("hi")))[1]
            .asString() == "hi");  // two offsets share one payload
}

TEST_CASE("abi: aliased offsets cannot blow up the decoded size") {
  // bytes[] of 1000 elements that all point at one 32000-byte payload: 64 KB of input that
  // would materialize 32 MB. The decoder refuses instead of allocating.
  const std::size_t n = 1000, payload = 32000;
  std::string hex = w(0x20) + w(n);
  for (std::size_t i = 0; i < n; ++i) hex += w(n * 32);
  hex += w(payload) + std::string(payload * 2, 'a');
  rejects("bytes[]", hex);

  // A few aliases stay within budget.
  std::string small = w(0x20) + w(3) + w(0x60) + w(0x60) + w(0x60) + w(2) + wText("ok");
  ValueList v = abi::decode(Type::parseList("string[]"), fromHex(small));
  CHECK(v[0].asList().size() == 3);
  CHECK(v[0].asList()[2].asString() == "ok");
}

TEST_CASE("abi: Value accessors") {
  Value u = U256(5);
  CHECK(u.asU64() == 5);
  CHECK_THROWS_AS(u.asString(), abi::Error);
  CHECK_THROWS_AS(u.asBool(), abi::Error);
  CHECK_THROWS_AS(u.asAddress(), abi::Error);
  CHECK_THROWS_AS(u.asBytes(), abi::Error);
  CHECK_THROWS_AS(u.asList(), abi::Error);
  CHECK_THROWS_AS(Value(U256(1) << 64).asU64(), abi::Error);
  CHECK(Value(U256(std::numeric_limits<uint64_t>::max())).asU64() ==
        std::numeric_limits<uint64_t>::max());
  CHECK_THROWS_AS(Value(true).asUint(), abi::Error);
  CHECK_THROWS_AS(Value(Bytes(31, 0)).asBytes32(), abi::Error);
  Hash32 h = keccak256(std::string_view("x"));
  CHECK(Value(h).asBytes32() == h);
  CHECK(Value("s").asString() == "s");
  CHECK(Value(Address::fromU64(7)).asAddress() == Address::fromU64(7));
  CHECK(Value(ValueList{1, 2}).asList().size() == 2);
  CHECK(Value().asUint() == 0);
}
