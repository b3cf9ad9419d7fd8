#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include "chain/abi_text.hpp"

using namespace tn;
using namespace tn::abi;

namespace {

Value parse(std::string_view type, std::string_view text) {
  return parseText(Type::parse(type), text);
}

std::string errorOf(std::string_view type, std::string_view text) {
  try {
    parse(type, text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

const std::string kAddr = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";  // EIP-55 example

}  // namespace

TEST_CASE("abi_text: unsigned integers in decimal and hex, range checked") {
  CHECK(parse("uint256", "1000000000000000000").asUint() == U256("1000000000000000000"));
  CHECK(parse("uint256", "0x00ff").asUint() == 255);
  CHECK(parse("uint256", " 7 ").asUint() == 7);
  CHECK(parse("uint8", "255").asUint() == 255);
  CHECK(contains(errorOf("uint8", "256"), "out of range for uint8"));
  CHECK(contains(errorOf("uint256", "-1"), "cannot be negative"));
  CHECK(contains(errorOf("uint256", "12a"), "not a decimal number"));
  CHECK(contains(errorOf("uint256", ""), "not a number"));
  CHECK(contains(errorOf("uint256", "0x1" + std::string(64, '0')), "out of range"));
  CHECK(parse("uint256", "0x" + std::string(64, 'f')).asUint() == ~U256(0));
}

TEST_CASE("abi_text: signed integers are two's complement over the full word") {
  CHECK(parse("int256", "-1").asUint() == ~U256(0));
  CHECK(parse("int8", "127").asUint() == 127);
  CHECK(parse("int8", "-128").asUint() == ~U256(0) - 127);
  CHECK(contains(errorOf("int8", "128"), "out of range for int8"));
  CHECK(contains(errorOf("int8", "-129"), "out of range for int8"));
  CHECK(parse("int256", "-0").asUint() == 0);

  Type i8 = Type::parse("int8");
  CHECK(formatText(i8, parse("int8", "-128")) == "-128");
  CHECK(formatText(Type::parse("int256"), parse("int256", "-5")) == "-5");
  CHECK(formatText(i8, Value(uint64_t{0x80})) == "-128");  // an N-bit form also reads as signed
  CHECK(formatText(i8, Value(uint64_t{5})) == "5");
}

TEST_CASE("abi_text: addresses, bools, bytes and strings") {
  Address a = Address::parse(kAddr);
  CHECK(parse("address", kAddr).asAddress() == a);
  CHECK(parse("address", a.bech32()).asAddress() == a);
  CHECK(contains(errorOf("address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
                 "not an address"));
  CHECK(formatText(Type::parse("address"), Value(a)) == kAddr);

  CHECK(parse("bool", "true").asBool());
  CHECK_FALSE(parse("bool", "FALSE").asBool());
  CHECK(parse("bool", "1").asBool());
  CHECK(contains(errorOf("bool", "yes"), "not a bool"));

  CHECK(parse("bytes4", "0xa9059cbb").asBytes() == fromHex("a9059cbb"));
  CHECK(contains(errorOf("bytes4", "0xa9059c"), "needs exactly 4 bytes"));
  CHECK(parse("bytes", "0x").asBytes().empty());
  CHECK(contains(errorOf("bytes", "0xzz"), "not hex"));
  CHECK(parse("bytes32", "0x" + std::string(64, '1')).asBytes().size() == 32);

  CHECK(parse("string", "  hello, world ").asString() == "  hello, world ");
}

TEST_CASE("abi_text: arrays and tuples from bracketed text") {
  ValueList xs = parse("uint256[]", "[1, 0x2, 3]").asList();
  REQUIRE(xs.size() == 3);
  CHECK(xs[1].asUint() == 2);
  CHECK(parse("uint256[]", "[]").asList().empty());
  CHECK(contains(errorOf("uint256[2]", "[1]"), "needs 2 elements"));
  CHECK(contains(errorOf("uint256[]", "1,2"), "list"));

  ValueList ss = parse("string[]", R"(["a,b", c , "q\"uote"])").asList();
  REQUIRE(ss.size() == 3);
  CHECK(ss[0].asString() == "a,b");
  CHECK(ss[1].asString() == "c");
  CHECK(ss[2].asString() == "q\"uote");

  ValueList t = parse("(address,uint256,string)", "(" + kAddr + ", 5, \"hi there\")").asList();
  REQUIRE(t.size() == 3);
  CHECK(t[0].asAddress() == Address::parse(kAddr));
  CHECK(t[2].asString() == "hi there");
  CHECK(contains(errorOf("(uint256,bool)", "(1)"), "needs 2 fields"));

  Type nested = Type::parse("(uint256,string[])[]");
  Value v = parseText(nested, R"([(1, ["x", "y,z"]), [2, []]])");
  REQUIRE(v.asList().size() == 2);
  CHECK(v.asList()[0].asList()[1].asList()[1].asString() == "y,z");
  CHECK(formatText(nested, v) == R"([(1, ["x", "y,z"]), (2, [])])");
  CHECK(contains(errorOf("uint256[]", "[1, [2]"), "unbalanced"));
}

TEST_CASE("abi_text: argument lists, encoding and JSON output") {
  std::vector<Type> types = Type::parseList("address,uint256");
  ValueList vals = parseTextList(types, {kAddr, "1000"});
  Bytes data = encode(types, vals);
  CHECK(toHex(data) ==
        "0x0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        "00000000000000000000000000000000000000000000000000000000000003e8");

  try {
    parseTextList(types, {kAddr});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "expected 2 argument(s) (address,uint256), got 1");
  }
  try {
    parseTextList(types, {kAddr, "x"});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(contains(e.what(), "argument 2 (uint256)"));
  }

  Type tuple = Type::parse("(uint256,bool,bytes2,string)");
  Value v = parseText(tuple, R"((1, true, 0xabcd, "s"))");
  CHECK(boost::json::serialize(toJson(tuple, v)) == R"(["1",true,"0xabcd","s"])");
}

TEST_CASE("abi_text: function signatures") {
  FunctionSig s = parseSignature("balanceOf(address)(uint256)");
  CHECK(s.name == "balanceOf");
  CHECK(s.canonical() == "balanceOf(address)");
  CHECK(toHex(s.selector()) == "0x70a08231");
  REQUIRE(s.outputs.size() == 1);
  CHECK(s.hasOutputs);

  FunctionSig t = parseSignature("transfer(address to, uint256 amount)");
  CHECK(t.canonical() == "transfer(address,uint256)");
  CHECK(toHex(t.selector()) == "0xa9059cbb");
  CHECK_FALSE(t.hasOutputs);

  FunctionSig u = parseSignature(
      "function f((address a, uint256[] b)[] calldata xs, string memory s) external view "
      "returns (bool ok, (uint8,string) r)");
  CHECK(u.canonical() == "f((address,uint256[])[],string)");
  REQUIRE(u.outputs.size() == 2);
  CHECK(u.outputs[1].canonical() == "(uint8,string)");

  CHECK(parseSignature("ping()()").hasOutputs);
  CHECK(parseSignature("ping()").inputs.empty());
  CHECK_THROWS_AS(parseSignature("f(uint256"), Error);
  CHECK_THROWS_AS(parseSignature("1f()"), Error);
  CHECK_THROWS_AS(parseSignature("f() junk"), Error);
  CHECK_THROWS_AS(parseSignature("transfer"), Error);
}
