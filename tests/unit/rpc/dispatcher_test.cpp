// The JSON-RPC 2.0 envelope (dispatcher.hpp) and the argument parsers (params.hpp).
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "chain/abi.hpp"
#include "chain/module.hpp"       // Revert
#include "chain/transaction.hpp"  // TxError
#include "rpc/dispatcher.hpp"
#include "rpc/params.hpp"
#include "tests/unit/rpc/fake_backend.hpp"

namespace tn::rpc {

namespace json = boost::json;

namespace {

// A table of test methods: echoes its arguments, or fails in each way a handler can.
struct TestTable {
  Dispatcher d;
  TestTable() {
    d.add({"test_echo",
           "Echoes a (a quantity as a number) and b.",
           {{"a", "Quantity", true}, {"b", "Any", false}},
           "[a, b]",
           [](const Params& p, CallContext&) -> json::value {
             return json::array{p.get(0, parse::u64), p.has(1) ? p[1] : json::value(nullptr)};
           }});
    d.add({"test_none", "No parameters.", {}, "\"ok\"",
           [](const Params&, CallContext&) -> json::value { return "ok"; }});
    d.add({"test_rpcError", "Throws an RpcError with data.", {}, "-",
           [](const Params&, CallContext&) -> json::value {
             throw RpcError(-32042, "custom", json::string("0xbeef"));
           }});
    d.add({"test_txError", "Throws a TxError.", {}, "-",
           [](const Params&, CallContext&) -> json::value {
             throw TxError(kErrInvalidInput, "nonce too low: next nonce 5, tx nonce 4");
           }});
    d.add({"test_revert", "Throws a Revert.", {}, "-",
           [](const Params&, CallContext&) -> json::value {
             throw Revert("not allowed");
           }});
    d.add({"test_internal", "Throws something unexpected.", {}, "-",
           [](const Params&, CallContext&) -> json::value { throw std::runtime_error("boom"); }});
    d.add({"test_kilobyte",
           "A 1,000-character string.",
           {},
           "String",
           [this](const Params&, CallContext&) -> json::value {
             ++kilobytesMade;
             return json::string(std::string(1000, 'k'));
           }});
  }
  mutable int kilobytesMade = 0;

  // The response body parsed, or null when nothing is to be sent.
  json::value handle(std::string_view body, std::size_t maxBatch = 1000,
                     std::size_t maxBatchResponseBytes = 25'000'000) const {
    CallContext ctx;
    ctx.maxBatch = maxBatch;
    ctx.maxBatchResponseBytes = maxBatchResponseBytes;
    auto out = d.handle(body, ctx);
    if (!out) return nullptr;
    return json::parse(*out);
  }
};

const json::object& errorOf(const json::value& response) {
  REQUIRE(response.is_object());
  REQUIRE(response.as_object().contains("error"));
  CHECK_FALSE(response.as_object().contains("result"));
  CHECK(response.at("jsonrpc") == "2.0");
  return response.at("error").as_object();
}

int64_t codeOf(const json::value& response) { return errorOf(response).at("code").to_number<int64_t>(); }
std::string messageOf(const json::value& response) {
  return std::string(errorOf(response).at("message").as_string());
}

}  // namespace

TEST_SUITE("rpc dispatcher") {

TEST_CASE("a successful call echoes the id with jsonrpc 2.0 and the result") {
  TestTable t;
  json::value r = t.handle(R"({"jsonrpc":"2.0","id":7,"method":"test_echo","params":["0x1f","x"]})");
  CHECK(r == json::parse(R"({"jsonrpc":"2.0","id":7,"result":[31,"x"]})"));
  // String and null ids come back unchanged.
  r = t.handle(R"({"jsonrpc":"2.0","id":"abc","method":"test_none"})");
  CHECK(r == json::parse(R"({"jsonrpc":"2.0","id":"abc","result":"ok"})"));
  r = t.handle(R"({"jsonrpc":"2.0","id":null,"method":"test_none","params":[]})");
  CHECK(r == json::parse(R"({"jsonrpc":"2.0","id":null,"result":"ok"})"));
  // params: null is no arguments.
  r = t.handle(R"({"jsonrpc":"2.0","id":1,"method":"test_none","params":null})");
  CHECK(r.at("result") == "ok");
}

TEST_CASE("unparseable JSON is -32700 with a null id") {
  TestTable t;
  for (const char* body : {"{", "", "{\"jsonrpc\":\"2.0\",}", "[1,2", "{} x"}) {
    CAPTURE(body);
    json::value r = t.handle(body);
    CHECK(codeOf(r) == -32700);
    CHECK(r.at("id").is_null());
  }
}

TEST_CASE("structurally invalid requests are -32600") {
  TestTable t;
  struct Case {
    const char* body;
    json::value id;
    const char* why;
  };
  const Case cases[] = {
      {R"(1)", nullptr, "not an object"},
      {R"("x")", nullptr, "not an object"},
      {R"({"id":1,"method":"test_none"})", 1, "jsonrpc must be"},
      {R"({"jsonrpc":"1.0","id":2,"method":"test_none"})", 2, "jsonrpc must be"},
      {R"({"jsonrpc":2.0,"id":3,"method":"test_none"})", 3, "jsonrpc must be"},
      {R"({"jsonrpc":"2.0","id":4})", 4, "method must be a string"},
      {R"({"jsonrpc":"2.0","id":5,"method":7})", 5, "method must be a string"},
      {R"({"jsonrpc":"2.0","id":6,"method":"test_none","params":"0x1"})", 6,
       "params must be an array or an object"},
      {R"({"jsonrpc":"2.0","id":{"a":1},"method":"test_none"})", nullptr, "id must be"},
      {R"({"jsonrpc":"2.0","id":[1],"method":"test_none"})", nullptr, "id must be"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    json::value r = t.handle(c.body);
    CHECK(codeOf(r) == -32600);
    CHECK(r.at("id") == c.id);
    CHECK(messageOf(r).find(c.why) != std::string::npos);
  }
}

TEST_CASE("an unknown method is -32601 naming it") {
  TestTable t;
  json::value r = t.handle(R"({"jsonrpc":"2.0","id":1,"method":"eth_nope"})");
  CHECK(codeOf(r) == -32601);
  CHECK(messageOf(r) == "the method eth_nope does not exist/is not available");
  CHECK(r.at("id") == 1);
}

TEST_CASE("invalid params are -32602 with a message naming the parameter") {
  TestTable t;
  auto message = [&](const char* params) {
    json::value r = t.handle(std::string(R"({"jsonrpc":"2.0","id":1,"method":"test_echo","params":)") +
                             params + "}");
    CHECK(codeOf(r) == -32602);
    return messageOf(r);
  };
  CHECK(message("[]") == "missing value for required argument 0 (a)");
  CHECK(message("[null, 1]") == "missing value for required argument 0 (a)");
  CHECK(message(R"({"b":1})") == "missing value for required argument 0 (a)");
  CHECK(message(R"(["0x1", 2, 3])") == "too many arguments, want at most 2");
  CHECK(message(R"({"a":"0x1","c":2})") == "unknown argument 'c'");
  CHECK(message(R"(["0x01"])") == "invalid argument 0 (a): quantity has leading zeros");
  CHECK(message(R"([1])") == "invalid argument 0 (a): quantity must be a string");
  CHECK(message(R"(["0x10000000000000000"])") == "invalid argument 0 (a): quantity exceeds 64 bits");
  // test_none takes nothing.
  json::value r = t.handle(R"({"jsonrpc":"2.0","id":1,"method":"test_none","params":[1]})");
  CHECK(codeOf(r) == -32602);
  CHECK(messageOf(r) == "too many arguments, want at most 0");
}

TEST_CASE("by-name params map onto the declared positions") {
  TestTable t;
  json::value r = t.handle(R"({"jsonrpc":"2.0","id":1,"method":"test_echo","params":{"b":true,"a":"0x2"}})");
  CHECK(r.at("result") == json::parse("[2,true]"));
  r = t.handle(R"({"jsonrpc":"2.0","id":1,"method":"test_echo","params":{"a":"0x0"}})");
  CHECK(r.at("result") == json::parse("[0,null]"));
}

TEST_CASE("handler failures map to their error codes") {
  TestTable t;
  json::value r = t.handle(R"({"jsonrpc":"2.0","id":1,"method":"test_rpcError"})");
  CHECK(errorOf(r) == json::parse(R"({"code":-32042,"message":"custom","data":"0xbeef"})"));
  // TxError: its own code (geth's -32000 for admission failures), its message; no data.
  r = t.handle(R"({"jsonrpc":"2.0","id":2,"method":"test_txError"})");
  CHECK(errorOf(r) ==
        json::parse(R"({"code":-32000,"message":"nonce too low: next nonce 5, tx nonce 4"})"));
  // Revert: code 3, "execution reverted: reason", the payload as data.
  r = t.handle(R"({"jsonrpc":"2.0","id":3,"method":"test_revert"})");
  CHECK(errorOf(r) == json::value(json::object{{"code", 3},
                                               {"message", "execution reverted: not allowed"},
                                               {"data", toHex(abi::encodeError("not allowed"))}}));
  CHECK(toHex(abi::encodeError("not allowed")).starts_with("0x08c379a0"));
  r = t.handle(R"({"jsonrpc":"2.0","id":4,"method":"test_internal"})");
  CHECK(codeOf(r) == -32603);
  CHECK(messageOf(r) == "internal error: boom");
  CHECK(r.at("id") == 4);
}

TEST_CASE("notifications produce no response, even when they fail") {
  TestTable t;
  CHECK(t.handle(R"({"jsonrpc":"2.0","method":"test_none"})").is_null());
  CHECK(t.handle(R"({"jsonrpc":"2.0","method":"eth_nope"})").is_null());
  CHECK(t.handle(R"({"jsonrpc":"2.0","method":"test_echo","params":["bad"]})").is_null());
  CHECK(t.handle(R"({"jsonrpc":"2.0","method":"test_internal"})").is_null());
  // A batch of notifications only: nothing at all, not an empty array.
  CHECK(t.handle(R"([{"jsonrpc":"2.0","method":"test_none"},{"jsonrpc":"2.0","method":"x"}])")
            .is_null());
  // Structurally broken messages are answered even without an id (there is no telling whether
  // they were meant as notifications).
  CHECK(codeOf(t.handle(R"({"method":"test_none"})")) == -32600);
}

TEST_CASE("a batch answers in request order, skipping notifications") {
  TestTable t;
  json::value r = t.handle(R"([
    {"jsonrpc":"2.0","id":3,"method":"test_echo","params":["0x3"]},
    {"jsonrpc":"2.0","method":"test_none"},
    {"jsonrpc":"2.0","id":1,"method":"eth_nope"},
    7,
    {"jsonrpc":"2.0","id":"z","method":"test_none"}
  ])");
  REQUIRE(r.is_array());
  const auto& a = r.as_array();
  REQUIRE(a.size() == 4);
  CHECK(a[0] == json::parse(R"({"jsonrpc":"2.0","id":3,"result":[3,null]})"));
  CHECK(a[1].at("id") == 1);
  CHECK(codeOf(a[1]) == -32601);
  CHECK(a[2].at("id").is_null());
  CHECK(codeOf(a[2]) == -32600);
  CHECK(a[3] == json::parse(R"({"jsonrpc":"2.0","id":"z","result":"ok"})"));
}

TEST_CASE("an empty batch is one -32600 error object") {
  TestTable t;
  json::value r = t.handle("[]");
  REQUIRE(r.is_object());
  CHECK(codeOf(r) == -32600);
  CHECK(r.at("id").is_null());
  CHECK(messageOf(r) == "empty batch");
}

TEST_CASE("the batch cap: up to maxBatch requests run, more get one -32600 error") {
  TestTable t;
  const std::string three = R"([{"jsonrpc":"2.0","id":1,"method":"test_none"},
                                {"jsonrpc":"2.0","id":2,"method":"test_none"},
                                {"jsonrpc":"2.0","id":3,"method":"test_none"}])";
  json::value ok = t.handle(three, 3);
  REQUIRE(ok.is_array());
  CHECK(ok.as_array().size() == 3);
  json::value r = t.handle(three, 2);
  REQUIRE(r.is_object());
  CHECK(codeOf(r) == -32600);
  CHECK(messageOf(r) == "batch too large: 3 requests, max 2");
}

TEST_CASE("a batch's answers stop at maxBatchResponseBytes: the rest get -32003 without running") {
  TestTable t;
  std::string batch = "[";
  for (int i = 1; i <= 8; ++i) {
    batch += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"test_kilobyte"},)";
    if (i == 5) batch += R"({"jsonrpc":"2.0","method":"test_kilobyte"},)";  // a notification
  }
  batch += R"({"jsonrpc":"2.0","id":{},"method":"test_none"}])";  // an id that is not one
  // Each answer is ~1,040 bytes: answers start while fewer than 2,500 bytes are out, so three run.
  json::value r = t.handle(batch, 1000, 2500);
  REQUIRE(r.is_array());
  const auto& a = r.as_array();
  REQUIRE(a.size() == 9);  // the notification gets nothing
  for (int i = 0; i < 3; ++i) {
    CHECK(a[i].at("id") == i + 1);
    CHECK(a[i].at("result").as_string().size() == 1000);
  }
  for (int i = 3; i < 8; ++i) {
    CHECK(a[i].at("id") == i + 1);
    CHECK(codeOf(a[i]) == -32003);
    CHECK(messageOf(a[i]) == "response too large");
  }
  CHECK(a[8].at("id").is_null());
  CHECK(codeOf(a[8]) == -32003);
  CHECK(t.kilobytesMade == 3);  // nothing past the cap ran
  // Under the cap the same batch runs whole.
  json::value whole = t.handle(batch, 1000, 1'000'000);
  CHECK(whole.as_array().size() == 9);
  CHECK(codeOf(whole.as_array()[8]) == -32600);
}

TEST_CASE("declarations are checked and listed by rpc_methods") {
  Dispatcher d;
  Handler h = [](const Params&, CallContext&) -> json::value { return nullptr; };
  CHECK_THROWS_AS(d.add({"rpc_methods", "again", {}, "-", h}), std::logic_error);
  CHECK_THROWS_AS(d.add({"x_noHandler", "no handler", {}, "-", nullptr}), std::logic_error);
  CHECK_THROWS_AS(d.add({"x_order", "bad order", {{"a", "A", false}, {"b", "B", true}}, "-", h}),
                  std::logic_error);
  d.add({"b_two", "Second.", {{"p", "Quantity", true}, {"q", "Data", false}}, "Data", h});
  d.add({"a_one", "First.", {}, "Boolean", h});
  CHECK(d.find("a_one") != nullptr);
  CHECK(d.find("x_order") == nullptr);

  CallContext ctx;
  auto out = d.handle(R"({"jsonrpc":"2.0","id":1,"method":"rpc_methods"})", ctx);
  REQUIRE(out.has_value());
  // Sorted by name; each method once, with its declared parameters and result.
  CHECK(json::parse(*out).at("result") == json::parse(R"([
    {"name":"a_one","summary":"First.","params":[],"result":"Boolean"},
    {"name":"b_two","summary":"Second.","params":[
       {"name":"p","type":"Quantity","required":true},
       {"name":"q","type":"Data","required":false}],"result":"Data"},
    {"name":"rpc_methods","summary":"Lists every method with its parameters and result.",
     "params":[],"result":"array of {name, summary, params: [{name, type, required}], result}"}
  ])"));
  CHECK(json::value(d.describe()) == json::parse(*out).at("result"));
}

}  // TEST_SUITE

TEST_SUITE("rpc params") {

// Parses `text` as JSON and runs `parser` on it.
template <class F>
auto parseJson(F&& parser, std::string_view text) {
  return parser(json::parse(text));
}
template <class F>
std::string rejection(F&& parser, std::string_view text) {
  try {
    parseJson(parser, text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("accepted " << text);
  return {};
}

TEST_CASE("quantities: 0x-prefixed hex strings without leading zeros, as geth") {
  CHECK(parseJson(parse::quantity, R"("0x0")") == 0);
  CHECK(parseJson(parse::quantity, R"("0x1f")") == 31);
  CHECK(parseJson(parse::quantity, R"("0x1F")") == 31);
  CHECK(parseJson(parse::quantity, R"("0X1f")") == 31);
  CHECK(parseJson(parse::quantity, R"("0x400")") == 1024);  // odd digit count
  const std::string max = "\"0x" + std::string(64, 'f') + "\"";
  CHECK(parseJson(parse::quantity, max) == ~U256(0));

  CHECK(rejection(parse::quantity, R"("0x00")") == "quantity has leading zeros");
  CHECK(rejection(parse::quantity, R"("0x01")") == "quantity has leading zeros");
  CHECK(rejection(parse::quantity, R"("0x")") == "quantity must be 0x-prefixed hex");
  CHECK(rejection(parse::quantity, R"("1f")") == "quantity must be 0x-prefixed hex");
  CHECK(rejection(parse::quantity, R"("31")") == "quantity must be 0x-prefixed hex");
  CHECK(rejection(parse::quantity, R"(31)") == "quantity must be a string");
  CHECK(rejection(parse::quantity, R"(null)") == "quantity must be a string");
  CHECK_FALSE(rejection(parse::quantity, R"("0xg1")").empty());
  CHECK_FALSE(rejection(parse::quantity, R"(" 0x1")").empty());
  CHECK(rejection(parse::quantity, "\"0x1" + std::string(64, '0') + "\"") ==
        "quantity exceeds 256 bits");

  CHECK(parseJson(parse::u64, R"("0xffffffffffffffff")") == UINT64_MAX);
  CHECK(rejection(parse::u64, R"("0x10000000000000000")") == "quantity exceeds 64 bits");
  // eth_feeHistory's blockCount: a quantity or a plain integer.
  CHECK(parseJson(parse::u64OrInteger, "5") == 5);
  CHECK(parseJson(parse::u64OrInteger, R"("0x5")") == 5);
  CHECK(rejection(parse::u64OrInteger, "-1") == "negative number");
  CHECK(rejection(parse::u64OrInteger, R"("0x05")") == "quantity has leading zeros");
}

TEST_CASE("block numbers and tags") {
  using Kind = BlockTag::Kind;
  CHECK(parseJson(parse::blockNumber, R"("latest")").kind == Kind::Latest);
  CHECK(parseJson(parse::blockNumber, R"("earliest")").kind == Kind::Earliest);
  CHECK(parseJson(parse::blockNumber, R"("pending")").kind == Kind::Pending);
  CHECK(parseJson(parse::blockNumber, R"("safe")").kind == Kind::Safe);
  CHECK(parseJson(parse::blockNumber, R"("finalized")").kind == Kind::Finalized);
  BlockTag n = parseJson(parse::blockNumber, R"("0x10")");
  CHECK(n.kind == Kind::Number);
  CHECK(n.number == 16);
  CHECK(parseJson(parse::blockNumber, R"("0x0")").number == 0);
  // Tags are case-sensitive, numbers strict.
  CHECK(rejection(parse::blockNumber, R"("Latest")") ==
        "block number or tag expected (quantity must be 0x-prefixed hex)");
  CHECK(rejection(parse::blockNumber, R"("0x010")") ==
        "block number or tag expected (quantity has leading zeros)");
  CHECK(rejection(parse::blockNumber, "16") == "block number or tag must be a string");
  // A hash is not a block number (eth_getBlockByNumber, eth_feeHistory).
  CHECK_FALSE(rejection(parse::blockNumber, "\"0x" + std::string(64, 'a') + "\"").empty());

  // blockTag adds EIP-1898 hashes and objects.
  const std::string h = "0x" + std::string(64, 'a');
  BlockTag byHash = parseJson(parse::blockTag, "\"" + h + "\"");
  CHECK(byHash.kind == Kind::Hash);
  CHECK(byHash.hash.hex() == h);
  CHECK(parseJson(parse::blockTag, R"({"blockHash":")" + h + R"(","requireCanonical":true})").kind ==
        Kind::Hash);
  BlockTag obj = parseJson(parse::blockTag, R"({"blockNumber":"0x2"})");
  CHECK(obj.kind == Kind::Number);
  CHECK(obj.number == 2);
  CHECK(parseJson(parse::blockTag, R"({"blockNumber":"pending"})").kind == Kind::Pending);
  CHECK(parseJson(parse::blockTag, R"("safe")").kind == Kind::Safe);
  CHECK(rejection(parse::blockTag, R"({})") ==
        "block object needs exactly one of blockNumber and blockHash");
  CHECK(rejection(parse::blockTag, R"({"blockNumber":"0x1","blockHash":")" + h + "\"}") ==
        "block object needs exactly one of blockNumber and blockHash");
  CHECK(rejection(parse::blockTag, R"({"blockNumber":"0x01"})") ==
        "field 'blockNumber': block number or tag expected (quantity has leading zeros)");
}

TEST_CASE("hex data and hashes") {
  CHECK(parseJson(parse::data, R"("0x")").empty());
  CHECK(parseJson(parse::data, R"("0xABcd")") == Bytes{0xab, 0xcd});
  CHECK(parseJson(parse::data, R"("0X00ff")") == Bytes{0x00, 0xff});
  CHECK(rejection(parse::data, R"("0xabc")") == "hex string has an odd number of digits");
  CHECK(rejection(parse::data, R"("abcd")") == "hex string without 0x prefix");
  CHECK(rejection(parse::data, R"("")") == "hex string without 0x prefix");
  CHECK(rejection(parse::data, R"("0xzz")") == "invalid hex digit");
  CHECK(rejection(parse::data, "12") == "hex data must be a string");

  const std::string h = "0x" + std::string(62, '0') + "01";
  CHECK(parseJson(parse::hash, "\"" + h + "\"").bytes[31] == 1);
  CHECK(rejection(parse::hash, R"("0x0102")") == "hash must be 32 bytes, got 2");
  CHECK(rejection(parse::hash, "\"" + h.substr(2) + "\"") == "hex string without 0x prefix");
}

TEST_CASE("addresses: any single case, or mixed case with a valid EIP-55 checksum") {
  // The EIP-55 test vector.
  const Address a = parseJson(parse::address, R"("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")");
  CHECK(a.hex() == "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  CHECK(parseJson(parse::address, R"("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")") == a);
  CHECK(parseJson(parse::address, R"("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED")") == a);
  CHECK(parseJson(parse::address, "\"" + a.bech32() + "\"") == a);
  CHECK(rejection(parse::address, R"("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")")
            .starts_with("bad EIP-55 checksum"));
  CHECK(rejection(parse::address, R"("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea")")
            .starts_with("address must have 40 hex digits"));
  CHECK(rejection(parse::address, R"("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")")
            .starts_with("address must be 0x-hex or treasurenet1"));
  CHECK(rejection(parse::address, "1") == "address must be a string");
}

TEST_CASE("call objects") {
  CallRequest r = parseJson(parse::callRequest, R"({
    "from":"0x1111111111111111111111111111111111111111","to":"0x2222222222222222222222222222222222222222",
    "gas":"0x5208","maxFeePerGas":"0x3b9aca00","maxPriorityFeePerGas":"0x1","value":"0xa",
    "nonce":"0x3","input":"0x0102","accessList":[{"address":"0x3333333333333333333333333333333333333333",
    "storageKeys":["0x0000000000000000000000000000000000000000000000000000000000000001"]}]})");
  CHECK(r.from == test::addr(0x11));
  CHECK(r.to == test::addr(0x22));
  CHECK(r.gas == 21000);
  CHECK_FALSE(r.gasPrice);
  CHECK(r.maxFeePerGas == U256(1'000'000'000));
  CHECK(r.maxPriorityFeePerGas == U256(1));
  CHECK(r.value == U256(10));
  CHECK(r.nonce == 3);
  CHECK(r.data == Bytes{1, 2});
  REQUIRE(r.accessList.size() == 1);
  CHECK(r.accessList[0].address == test::addr(0x33));
  CHECK(r.accessList[0].storageKeys.size() == 1);

  // "data" is the old name of "input"; equal values are fine, null fields are absent.
  CallRequest d = parseJson(parse::callRequest, R"({"data":"0x0a","input":"0x0a","to":null})");
  CHECK(d.data == Bytes{0x0a});
  CHECK_FALSE(d.to);
  CHECK(parseJson(parse::callRequest, R"({"data":"0x0b"})").data == Bytes{0x0b});

  CHECK(rejection(parse::callRequest, R"({"data":"0x0a","input":"0x0b"})") ==
        "both \"data\" and \"input\" are set and not equal");
  CHECK(rejection(parse::callRequest, R"({"gasPrice":"0x1","maxFeePerGas":"0x1"})") ==
        "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
  CHECK(rejection(parse::callRequest, R"({"gas":"0x01"})") == "field 'gas': quantity has leading zeros");
  CHECK(rejection(parse::callRequest, R"({"to":"0x12"})")
            .starts_with("field 'to': address must have 40 hex digits"));
  CHECK(rejection(parse::callRequest, R"("0x")") == "call must be an object");
}

TEST_CASE("log filters") {
  const std::string t1 = "0x" + std::string(64, '1');
  const std::string t2 = "0x" + std::string(64, '2');
  const std::string a1 = "0x" + std::string(40, 'a');
  LogCriteria c = parseJson(parse::logCriteria, R"({"address":")" + a1 + R"(","topics":[")" + t1 +
                                                    R"(",null,[")" + t1 + R"(",")" + t2 + R"("]]})");
  REQUIRE(c.addresses.size() == 1);
  CHECK(c.addresses[0].hex() == a1);
  REQUIRE(c.topics.size() == 3);
  CHECK(c.topics[0].size() == 1);
  CHECK(c.topics[1].empty());  // null: any
  CHECK(c.topics[2].size() == 2);
  // A null inside an OR-set makes the position a wildcard, as geth.
  LogCriteria w = parseJson(parse::logCriteria, R"({"topics":[[")" + t1 + R"(",null]]})");
  REQUIRE(w.topics.size() == 1);
  CHECK(w.topics[0].empty());
  LogCriteria many = parseJson(parse::logCriteria, R"({"address":[")" + a1 + R"(",")" + a1 + R"("]})");
  CHECK(many.addresses.size() == 2);
  CHECK(parseJson(parse::logCriteria, "{}").topics.empty());

  CHECK(rejection(parse::logCriteria, R"({"topics":[null,null,null,null,null]})") ==
        "field 'topics': at most 4 topic positions");
  CHECK(rejection(parse::logCriteria, R"({"topics":["0x01"]})") ==
        "field 'topics': hash must be 32 bytes, got 1");
  CHECK(rejection(parse::logCriteria, R"({"address":["0x01"]})")
            .starts_with("field 'address': address must have 40 hex digits"));

  // Matching: every given position must match; a log with fewer topics does not.
  Log log{Address{}, {Hash32::fromHex(t1), Hash32::fromHex(t2)}, {}};
  log.address = Address::parse(a1);
  CHECK(c.matches(log) == false);  // three positions, the log has two
  CHECK(parseJson(parse::logCriteria, R"({"topics":[null,")" + t2 + R"("]})").matches(log));
  CHECK_FALSE(parseJson(parse::logCriteria, R"({"topics":[")" + t2 + R"("]})").matches(log));
  CHECK(parseJson(parse::logCriteria, R"({"address":[")" + std::string("0x") + std::string(40, 'b') +
                                          R"(",")" + a1 + R"("]})")
            .matches(log));
  CHECK_FALSE(
      parseJson(parse::logCriteria, R"({"address":"0x)" + std::string(40, 'b') + R"("})").matches(log));

  // The eth_getLogs filter: a block range (default latest..latest) or a block hash.
  parse::LogFilter f = parseJson(parse::logFilter, "{}");
  CHECK(f.fromBlock.kind == BlockTag::Kind::Latest);
  CHECK(f.toBlock.kind == BlockTag::Kind::Latest);
  CHECK_FALSE(f.blockHash);
  f = parseJson(parse::logFilter, R"({"fromBlock":"earliest","toBlock":"0x5"})");
  CHECK(f.fromBlock.kind == BlockTag::Kind::Earliest);
  CHECK(f.toBlock.number == 5);
  f = parseJson(parse::logFilter, R"({"blockHash":")" + t1 + R"("})");
  CHECK(f.blockHash == Hash32::fromHex(t1));
  CHECK(rejection(parse::logFilter, R"({"blockHash":")" + t1 + R"(","fromBlock":"0x1"})") ==
        "cannot specify both blockHash and fromBlock/toBlock, choose one or the other");
  CHECK(rejection(parse::logFilter, R"({"toBlock":"0x01"})") ==
        "field 'toBlock': block number or tag expected (quantity has leading zeros)");
}

}  // TEST_SUITE

}  // namespace tn::rpc
