// The JSON-RPC layer fed what a hostile or broken client could send: byte mutations of valid
// requests for many methods, every parameter and object field of every method given values of the
// wrong type or range, broken envelopes, deep nesting, oversized batches and mutated signed
// transactions. Whatever comes in, Dispatcher::handle must not throw and must answer with
// well-formed JSON-RPC 2.0 (or nothing, for notifications only), and an input error must never
// be reported as an internal error. All inputs are derived from fixed seeds, so a failure
// reproduces on every machine.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chain/transaction.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/error.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/subscriptions.hpp"
#include "rpc/tn_api.hpp"
#include "state/bytes.hpp"
#include "tests/unit/modules/prod_fixture.hpp"
#include "tests/unit/mutate.hpp"
#include "tests/unit/rpc/chain_backend.hpp"
#include "tests/unit/rpc/fake_backend.hpp"

namespace tn::rpc {

namespace json = boost::json;
using test::addr;
using test::filled;

namespace {

const std::size_t kMaxBatch = CallContext{}.maxBatch;

// ------------------------------------------------------------------------------- the node

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

// A signed transfer from the fake backend's funded account.
Transaction signedTransfer(Transaction::Type type, uint64_t nonce) {
  Transaction t;
  t.type = type;
  t.chainId = test::kChainId;
  t.nonce = nonce;
  t.gasPrice = 2'000'000'000;
  t.maxFeePerGas = 2'000'000'000;
  t.maxPriorityFeePerGas = 1'000'000'000;
  t.gasLimit = 30'000;
  t.to = addr(0x11);
  t.value = 1;
  t.data = fromHex("0xa9059cbb");
  if (type == Transaction::Type::AccessList) t.accessList = {{addr(0x11), {filled(0x01)}}};
  t.sign(test::secretKey(test::kFundedKey));
  return t;
}

// Every eth_/net_/web3_/tn_ method on one dispatcher: the eth_ ones over the fake chain, the tn_
// ones over a module chain where account 1 owns an active OIL well with one uploaded, priced and
// trusted January day and a margin.
struct Node {
  test::FakeBackend chain;
  tn::test::ProdChain moduleChain{tn::test::at(24, 1, 1)};
  test::ChainBackend modules{moduleChain};
  Dispatcher d;
  const Hash32 well = moduleChain.activeWell(1, tn::test::oilKind(), "well-a");
  const std::string owner = quoted(moduleChain.addr(1).hex());

  Node() {
    moduleChain.januaryDay(1, tn::test::oilKind(), well, U256(1'000'000), U256(700'000),
                           U256(1'000'000), tn::test::whole(100));
    addEthApi(d, chain);
    addTnApi(d, modules);
    auto answer =
        d.handle(R"({"jsonrpc":"2.0","id":1,"method":"eth_newFilter","params":[{}]})", http);
    filterId = quoted(std::string(json::parse(*answer).at("result").as_string()));
  }
  CallContext http;
  std::string filterId;  // an installed log filter, as JSON text

  // Over a WebSocket-like connection, so that eth_subscribe gets past the transport check.
  std::optional<std::string> handle(std::string_view body) const {
    SubscriptionSet subscriptions(4);
    CallContext ws{&subscriptions};
    return d.handle(body, ws);
  }
};

// ------------------------------------------------------------------------ the answer checks

// `bytes` for a failure message: printable ASCII as is, anything else as \xNN, long inputs cut.
std::string escaped(std::string_view bytes) {
  constexpr std::size_t kShown = 3000;
  std::string out;
  for (std::size_t i = 0; i < std::min(bytes.size(), kShown); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (bytes.size() > kShown) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

bool isNotification(const json::value& request) {
  return request.is_object() && !request.get_object().contains("id");
}

// The id the answer to a single request must carry: the request's own when it is a valid one (a
// string, a finite number or null), else null.
json::value expectedId(const json::value& request) {
  if (!request.is_object()) return nullptr;
  const json::value* id = request.get_object().if_contains("id");
  if (!id) return nullptr;
  if (id->is_double() && !std::isfinite(id->get_double())) return nullptr;
  if (id->is_string() || id->is_number() || id->is_null()) return *id;
  return nullptr;
}

// Whether `echoed` is `sent`. Numeric ids with a fraction or past 64 bits are doubles, and
// Boost.JSON before 1.83 reads some decimal texts one unit in the last place off (1.65E71 is echoed
// as 1.6500000000000001E71): such ids come back within a few units, not exactly.
bool sameId(const json::value& echoed, const json::value& sent) {
  if (echoed.is_double() && sent.is_double())
    return std::abs(echoed.get_double() - sent.get_double()) <= std::abs(sent.get_double()) * 1e-15;
  return echoed == sent;
}

// What is wrong with one response object, or "" when nothing is.
std::string responseProblem(const json::value& response) {
  if (!response.is_object()) return "a response is not an object";
  const json::object& o = response.get_object();
  const json::value* version = o.if_contains("jsonrpc");
  if (!version || *version != "2.0") return "jsonrpc is not \"2.0\"";
  const json::value* id = o.if_contains("id");
  if (!id || !(id->is_string() || id->is_number() || id->is_null())) return "no valid id";
  const bool hasResult = o.contains("result");
  const bool hasError = o.contains("error");
  if (hasResult == hasError) return "not exactly one of result and error";
  if (o.size() != 3) return "members besides jsonrpc, id and result or error";
  if (hasError) {
    if (!o.at("error").is_object()) return "error is not an object";
    const json::object& e = o.at("error").get_object();
    const json::value* code = e.if_contains("code");
    const json::value* message = e.if_contains("message");
    if (!code || !code->is_int64()) return "error code is not an integer";
    if (!message || !message->is_string()) return "error message is not a string";
    for (const auto& member : e) {
      if (member.key() != "code" && member.key() != "message" && member.key() != "data")
        return "error member '" + std::string(member.key()) + "'";
    }
    if (code->get_int64() == code::kInternal)
      return "internal error for client input: " + std::string(message->get_string());
  }
  return "";
}

// What is wrong with `response` as the single error answer (id null) to a request that could not
// be read as one or more requests, or "".
std::string unreadableProblem(const json::value& response, int64_t wantCode) {
  if (std::string p = responseProblem(response); !p.empty()) return p;
  if (!response.at("id").is_null()) return "the id of an unreadable request is not null";
  if (!response.get_object().contains("error") || response.at("error").at("code") != wantCode)
    return "want a single error " + std::to_string(wantCode);
  return "";
}

// What is wrong with `answer` as the dispatcher's answer to `body` (any bytes), measured against
// JSON-RPC 2.0 and Dispatcher::handle's documentation; "" when nothing is.
std::string answerProblem(std::string_view body, const std::optional<std::string>& answer) {
  json::error_code ec;
  const json::value request = json::parse(body, ec);
  const bool readable = !ec;
  const bool isBatch = readable && request.is_array() && !request.get_array().empty() &&
                       request.get_array().size() <= kMaxBatch;
  if (!answer) {
    const bool notificationsOnly =
        readable && (isNotification(request) ||
                     (isBatch && std::all_of(request.get_array().begin(), request.get_array().end(),
                                             isNotification)));
    return notificationsOnly ? "" : "no answer to a request that is not only notifications";
  }
  const json::value response = json::parse(*answer, ec);
  if (ec) return "the answer is not JSON (" + ec.message() + "): " + escaped(*answer);
  if (!readable) return unreadableProblem(response, code::kParseError);
  if (request.is_array() && !isBatch) return unreadableProblem(response, code::kInvalidRequest);
  if (isBatch) {
    if (!response.is_array()) return "the answer to a batch is not an array";
    const json::array& batch = request.get_array();
    const json::array& responses = response.get_array();
    const auto mustAnswer = static_cast<std::size_t>(std::count_if(
        batch.begin(), batch.end(), [](const json::value& r) { return !isNotification(r); }));
    if (responses.empty() || responses.size() < mustAnswer || responses.size() > batch.size())
      return "a batch of " + std::to_string(batch.size()) + " answered with " +
             std::to_string(responses.size()) + " responses";
    for (const json::value& r : responses) {
      if (std::string p = responseProblem(r); !p.empty()) return "in the batch: " + p;
    }
    return "";
  }
  if (std::string p = responseProblem(response); !p.empty()) return p;
  if (!sameId(response.at("id"), expectedId(request))) return "the request's id is not echoed";
  return "";
}

// handle() on `body` and what is wrong with its answer, including an exception escaping it.
std::string problemAnswering(const Node& node, std::string_view body) {
  try {
    return answerProblem(body, node.handle(body));
  } catch (const std::exception& e) {
    return std::string("an exception escaped Dispatcher::handle: ") + e.what();
  } catch (...) {
    return "a non-standard exception escaped Dispatcher::handle";
  }
}

// ------------------------------------------------------------------------------- requests

std::string request(const json::value& id, std::string_view method, const json::value& params) {
  return json::serialize(
      json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}
std::string notification(std::string_view method, const json::value& params) {
  return json::serialize(json::object{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

// Valid bodies for many methods, with ids of every kind, by-position and by-name parameters, a
// mixed batch and notifications: the seeds of the mutations.
std::vector<std::string> seedCorpus(const Node& node) {
  const json::string rich(addr(0x22).hex());
  const json::string emitter(addr(0xaa).hex());
  const json::string well(node.well.hex());
  const json::string owner(node.moduleChain.addr(1).hex());
  const json::value callObject = {
      {"from", rich},
      {"to", addr(0x11).hex()},
      {"gas", "0x7530"},
      {"maxFeePerGas", "0x77359400"},
      {"maxPriorityFeePerGas", "0x3b9aca00"},
      {"value", "0x1"},
      {"nonce", "0x5"},
      {"data", "0xa9059cbb0000000000000000000000001111111111111111"},
      {"accessList", json::array{json::object{{"address", addr(0x11).hex()},
                                              {"storageKeys", {filled(0x01).hex()}}}}}};
  const json::value logFilter = {
      {"fromBlock", "0x0"},
      {"toBlock", "0x8"},
      {"address", {emitter, addr(0x01).hex()}},
      {"topics", {filled(0x77).hex(), nullptr, {filled(0x00).hex(), filled(0x01).hex()}}}};
  const std::string batch =
      "[" + request(1, "eth_getBalance", {rich, "latest"}) + "," +
      request("b", "eth_blockNumber", json::array{}) + "," +
      notification("eth_chainId", json::array{}) + "," + request(3, "tn_getWell", {well}) + "," +
      request(4, "eth_getLogs", {json::object{{"blockHash", filled(0x85).hex()}}}) + "]";
  return {
      request(1, "eth_getBalance", {rich, "latest"}),
      request("id-2", "eth_getBalance",
              json::object{{"address", rich},
                           {"block", json::object{{"blockHash", filled(0x89).hex()}}}}),
      request(3, "eth_getTransactionCount", {rich, "pending"}),
      request(4, "eth_getCode", {emitter, json::object{{"blockNumber", "0x9"}}}),
      request(5, "eth_call", {callObject, "latest"}),
      request(6, "eth_estimateGas",
              json::array{json::object{
                  {"to", addr(0x11).hex()}, {"input", "0x1234"}, {"gasPrice", "0x3b9aca00"}}}),
      request(7, "eth_sendRawTransaction",
              {toHex(signedTransfer(Transaction::Type::DynamicFee, test::kFundedNonce).raw)}),
      request(8, "eth_sendRawTransaction",
              {toHex(signedTransfer(Transaction::Type::Legacy, test::kFundedNonce + 1).raw)}),
      request(9, "eth_getLogs", json::array{logFilter}),
      request(10, "eth_getBlockByNumber", {"0x5", true}),
      request(11, "eth_getBlockByHash", {filled(0x85).hex(), false}),
      request(12, "eth_getBlockTransactionCountByNumber", {"earliest"}),
      request(13, "eth_getTransactionByHash", {filled(0x10).hex()}),
      request(14, "eth_getTransactionReceipt", {filled(0x11).hex()}),
      request(15, "eth_feeHistory", {"0x4", "latest", {25, 75.5}}),
      request(16.5, "eth_feeHistory", {4, "0x9"}),
      request(17, "web3_sha3", {"0x68656c6c6f"}),
      request(18, "eth_subscribe",
              {"logs", json::object{{"address", emitter}, {"topics", {filled(0x77).hex()}}}}),
      request(19, "eth_unsubscribe", {"0x0123456789abcdef0123456789abcdef"}),
      request(19.5, "eth_newFilter", json::array{logFilter}),
      request(19.6, "eth_getFilterChanges", json::array{json::parse(node.filterId)}),
      request(19.7, "eth_getFilterLogs", json::array{json::parse(node.filterId)}),
      request(19.8, "eth_uninstallFilter", {"0x0123456789abcdef0123456789abcdef"}),
      request(19.9, "eth_newPendingTransactionFilter", json::array{}),
      request(20.1, "eth_getTransactionByBlockHashAndIndex", {filled(0x85).hex(), "0x1"}),
      request(20.2, "txpool_content", json::array{}),
      request(20.3, "txpool_contentFrom", {rich}),
      request(nullptr, "eth_chainId", json::array{}),
      request(-21, "net_version", nullptr),
      request(22, "tn_getWell", {well}),
      request(23, "tn_getProductionMonth", {well, "2024-01"}),
      request(24, "tn_getPrices", {"OIL", "2024-01-01", "2024-01-31"}),
      request(25, "tn_listWells", {owner, "oil", "active", nullptr, 10}),
      request(26, "tn_listProducers",
              json::object{{"kind", "OIL"}, {"status", "Approved"}, {"limit", "0x5"}}),
      request(27, "tn_getProducer", {owner, "OIL"}),
      request(28, "tn_getMargin", {owner}),
      request(29, "tn_getShares", {well}),
      request(30, "tn_listProposals", {"all", "0", 5}),
      request(31, "tn_getTatStats", json::array{}),
      batch,
      notification("eth_getBalance", {rich}),
      "[" + notification("eth_blockNumber", json::array{}) + "," +
          notification("tn_getWell", {well}) + "]",
  };
}

// `text` with the characters of one of its string tokens (a key or a value) mutated and escaped
// again, so that it stays JSON. `text` is serializer output: no escapes in its strings.
std::string withMutatedString(std::string_view text, tn::test::Mutator& mutator) {
  std::vector<std::pair<std::size_t, std::size_t>> strings;  // [begin, end) of the characters
  for (std::size_t at = text.find('"'); at != std::string_view::npos;) {
    const std::size_t end = text.find('"', at + 1);
    strings.emplace_back(at + 1, end);
    at = text.find('"', end + 1);
  }
  const auto [begin, end] = strings[mutator.below(strings.size())];
  const std::vector<uint8_t> characters(text.begin() + begin, text.begin() + end);
  std::string out(text.substr(0, begin));
  for (const uint8_t c : mutator.mutate(characters)) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char escape[7];
      std::snprintf(escape, sizeof escape, "\\u%04x", c);
      out += escape;
    }
  }
  return out + std::string(text.substr(end));
}

// ------------------------------------------------------------------ parameters and fields

// What a parameter or an object field takes, as far as the hostile values below go.
enum class Takes {
  kExactText,  // an address, hash, quantity, block tag or name: no hostile value is one
  kHexData,    // 0x-hex bytes of any length
  kAnyString,
  kCount,   // a quantity or a JSON integer >= 0
  kObject,  // a call object or filter: unknown members are ignored
  kList,    // an array: [] is valid, no other hostile array is
  kBoolean,
};

bool isHexData(const json::value& v) {
  if (!v.is_string()) return false;
  const std::string_view s = v.get_string();
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() % 2 != 0)
    return false;
  return s.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string_view::npos;
}

// Whether a non-null value might be valid where `takes` applies; false means it must be refused.
bool mightTake(Takes takes, const json::value& v) {
  switch (takes) {
    case Takes::kExactText:
      return false;
    case Takes::kHexData:
      return isHexData(v);
    case Takes::kAnyString:
      return v.is_string();
    case Takes::kCount:
      return v.is_uint64() || (v.is_int64() && v.get_int64() >= 0);
    case Takes::kObject:
      return v.is_object();
    case Takes::kList:
      return v.is_array() && v.get_array().empty();
    case Takes::kBoolean:
      return v.is_bool();
  }
  return true;
}

// JSON texts of values of every type, out-of-range numbers and quantities, malformed hex, huge
// and odd strings, nested arrays and objects. None is a valid address, hash, quantity (even of
// 256 bits), block tag, date, month, asset kind or status name.
std::vector<std::string> hostileValues() {
  return {
      "null",
      "true",
      "123",
      "-1",
      "-0",
      "1.5",
      "1e400",
      "-9223372036854775808",
      "18446744073709551615",
      "18446744073709551616",
      "115792089237316195423570985008687907853269984665640564039457584007913129639936",
      R"("")",
      R"("0x")",
      R"("0X")",
      R"("0x0g")",
      R"("0x00")",
      R"("0x0001")",
      R"("-0x1")",
      R"("1")",
      R"("latest\u0000")",
      R"("\ud83d\ude00")",
      R"("2024-01-01T00:00:00Z")",
      quoted("0x1" + std::string(64, '0')),    // 2^256
      quoted("0x" + std::string(100, '0')),    // leading zeros
      quoted("0x" + std::string(10000, 'f')),  // 10000 hex digits
      quoted("0x" + std::string(10001, 'f')),
      quoted(std::string(100'000, 'a')),
      "[]",
      std::string(25, '[') + std::string(25, ']'),
      R"([1,"a",null,{},[]])",
      "[1e400]",
      "{}",
      R"({"a":{"b":[1,{"c":null}]}})",
      R"({"blockNumber":"0x1","blockHash":"0x00"})",
  };
}

struct Arg {
  Takes takes;
  std::string valid;  // JSON text of a value it takes
};
struct MethodArgs {
  std::string method;
  std::vector<Arg> args;  // one per declared parameter
};

// Valid arguments for every method with parameters, and what each parameter takes.
std::vector<MethodArgs> methodArgs(const Node& node) {
  using enum Takes;
  const std::string rich = quoted(addr(0x22).hex());
  const std::string hash = quoted(filled(0x85).hex());
  const std::string tx = quoted(filled(0x11).hex());
  const std::string call = R"({"to":")" + addr(0x11).hex() + R"(","data":"0x12"})";
  const std::string well = quoted(node.well.hex());
  const std::string& owner = node.owner;
  const std::string raw =
      quoted(toHex(signedTransfer(Transaction::Type::DynamicFee, test::kFundedNonce).raw));
  return {
      {"web3_sha3", {{kHexData, R"("0x68656c6c6f")"}}},
      {"eth_getBlockByNumber", {{kExactText, R"("0x5")"}, {kBoolean, "true"}}},
      {"eth_getBlockByHash", {{kExactText, hash}, {kBoolean, "false"}}},
      {"eth_getBlockTransactionCountByNumber", {{kExactText, R"("0x5")"}}},
      {"eth_getBlockTransactionCountByHash", {{kExactText, hash}}},
      {"eth_getTransactionByHash", {{kExactText, tx}}},
      {"eth_getTransactionReceipt", {{kExactText, tx}}},
      {"eth_getBlockReceipts", {{kExactText, R"("0x5")"}}},
      {"eth_getBalance", {{kExactText, rich}, {kExactText, R"("latest")"}}},
      {"eth_getTransactionCount", {{kExactText, rich}, {kExactText, R"("pending")"}}},
      {"eth_getCode", {{kExactText, rich}, {kExactText, R"({"blockNumber":"0x9"})"}}},
      {"eth_feeHistory", {{kCount, R"("0x4")"}, {kExactText, R"("latest")"}, {kList, "[25,75]"}}},
      {"eth_sendRawTransaction", {{kHexData, raw}}},
      {"eth_call", {{kObject, call}, {kExactText, R"("latest")"}}},
      {"eth_estimateGas", {{kObject, call}, {kExactText, R"("latest")"}}},
      {"eth_getLogs", {{kObject, R"({"fromBlock":"0x0","toBlock":"0x4"})"}}},
      {"eth_subscribe", {{kExactText, R"("logs")"}, {kObject, R"({"topics":[]})"}}},
      {"eth_unsubscribe", {{kAnyString, R"("0x1")"}}},
      {"eth_getTransactionByBlockNumberAndIndex",
       {{kExactText, R"("0x5")"}, {kExactText, R"("0x1")"}}},
      {"eth_getTransactionByBlockHashAndIndex", {{kExactText, hash}, {kExactText, R"("0x0")"}}},
      {"eth_getUncleCountByBlockNumber", {{kExactText, R"("latest")"}}},
      {"eth_getUncleCountByBlockHash", {{kExactText, hash}}},
      {"eth_getUncleByBlockNumberAndIndex", {{kExactText, R"("0x5")"}, {kExactText, R"("0x0")"}}},
      {"eth_getUncleByBlockHashAndIndex", {{kExactText, hash}, {kExactText, R"("0x0")"}}},
      {"txpool_contentFrom", {{kExactText, rich}}},
      {"eth_newFilter", {{kObject, R"({"fromBlock":"0x0","toBlock":"0x4"})"}}},
      {"eth_getFilterChanges", {{kAnyString, node.filterId}}},
      {"eth_getFilterLogs", {{kAnyString, node.filterId}}},
      {"eth_uninstallFilter", {{kAnyString, R"("0x1")"}}},
      {"tn_getProducer", {{kExactText, owner}, {kExactText, R"("OIL")"}}},
      {"tn_listProducers",
       {{kExactText, R"("OIL")"},
        {kExactText, R"("Approved")"},
        {kExactText, quoted(node.moduleChain.addr(0).hex() + "/OIL")},
        {kCount, "10"}}},
      {"tn_getWell", {{kExactText, well}}},
      {"tn_getCommit", {{kExactText, R"("0xffffff")"}}},
      {"tn_getProof", {{kExactText, owner}, {kList, R"(["0x6163"])"}, {kExactText, R"("latest")"}}},
      {"tn_listWells",
       {{kExactText, owner},
        {kExactText, R"("OIL")"},
        {kExactText, R"("Active")"},
        {kExactText, quoted(Hash32{}.hex())},
        {kCount, R"("0xa")"}}},
      {"tn_getProductionMonth", {{kExactText, well}, {kExactText, R"("2024-01")"}}},
      {"tn_getPrices",
       {{kExactText, R"("OIL")"},
        {kExactText, R"("2024-01-01")"},
        {kExactText, R"("2024-01-31")"}}},
      {"tn_getMargin", {{kExactText, owner}, {kExactText, R"("OIL")"}}},
      {"tn_getShares", {{kExactText, well}}},
      {"tn_listProposals", {{kExactText, R"("all")"}, {kAnyString, R"("0")"}, {kCount, "5"}}},
  };
}

// The members of the call object and of the log filters, and what each takes.
struct ObjectFields {
  std::string method;
  std::size_t position;      // of the object among the parameters
  std::string paramsBefore;  // JSON texts of the valid parameters before it, each with a comma
  std::vector<std::pair<std::string, Takes>> fields;
};

std::vector<ObjectFields> objectFields() {
  using enum Takes;
  const std::vector<std::pair<std::string, Takes>> call = {
      {"from", kExactText},     {"to", kExactText},           {"gas", kExactText},
      {"gasPrice", kExactText}, {"maxFeePerGas", kExactText}, {"maxPriorityFeePerGas", kExactText},
      {"value", kExactText},    {"nonce", kExactText},        {"data", kHexData},
      {"input", kHexData},      {"accessList", kList}};
  const std::vector<std::pair<std::string, Takes>> criteria = {{"address", kList},
                                                               {"topics", kList}};
  std::vector<std::pair<std::string, Takes>> filter = criteria;
  filter.insert(filter.end(),
                {{"fromBlock", kExactText}, {"toBlock", kExactText}, {"blockHash", kExactText}});
  return {{"eth_call", 0, "", call},
          {"eth_estimateGas", 0, "", call},
          {"eth_getLogs", 0, "", filter},
          {"eth_newFilter", 0, "", filter},
          {"eth_subscribe", 1, R"("logs",)", criteria}};
}

// What is wrong with the answer to a request whose parameter `position` (named `name`) got
// `value`, where a parameter or field that takes `takes` applies; `field` names the object member
// when the value went into one. "" when nothing is.
std::string hostileProblem(std::string_view body, const std::optional<std::string>& answer,
                           std::size_t position, const std::string& name, const std::string& field,
                           Takes takes, bool required, const json::value& value) {
  if (std::string p = answerProblem(body, answer); !p.empty()) return p;
  const json::value response = json::parse(*answer);
  const bool mustRefuse = value.is_null() ? required : !mightTake(takes, value);
  const json::object* error =
      response.get_object().if_contains("error") ? &response.at("error").get_object() : nullptr;
  if (!error) return mustRefuse ? "accepted" : "";
  const int64_t code = error->at("code").get_int64();
  const std::string_view message = error->at("message").get_string();
  if (mustRefuse) {
    if (code != code::kInvalidParams)
      return "refused with " + std::to_string(code) + ", want -32602";
    const std::string argument = "argument " + std::to_string(position) + " (" + name + ")";
    if (message.find(argument) == std::string_view::npos)
      return "the message does not name " + argument + ": " + std::string(message);
    if (!field.empty() && message.find("field '" + field + "'") == std::string_view::npos)
      return "the message does not name the field '" + field + "': " + std::string(message);
    return "";
  }
  // A value it might take: a parameter error, or an error the method documents.
  for (int allowed :
       {code::kInvalidParams, code::kServer, code::kLimitExceeded, code::kExecutionReverted}) {
    if (code == allowed) return "";
  }
  return "unexpected error code " + std::to_string(code);
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string requestText(std::string_view method, const std::string& paramsText) {
  return R"({"jsonrpc":"2.0","id":7,"method":")" + std::string(method) + R"(","params":)" +
         paramsText + "}";
}

// A batch of `n` copies of `item`.
std::string batchOf(std::size_t n, const std::string& item) {
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + item;
  return out + "]";
}

}  // namespace

TEST_CASE("mutated request bodies are answered with well-formed JSON-RPC responses") {
  Node node;
  const std::vector<std::string> corpus = seedCorpus(node);

  // The seeds are valid, so that mutations start from requests that reach the handlers.
  for (const std::string& body : corpus) {
    CAPTURE(body);
    const std::optional<std::string> answer = node.handle(body);
    CHECK(answerProblem(body, answer) == "");
    if (!answer) continue;  // notifications only
    const json::value response = json::parse(*answer);
    if (response.is_array()) {
      for (const json::value& r : response.get_array()) CHECK(r.as_object().contains("result"));
    } else {
      CHECK(response.as_object().contains("result"));
    }
  }

  // Each seed mutated as bytes, which mostly breaks the JSON (the parser and the envelope checks
  // answer), and inside one string token, which keeps it JSON and reaches the handlers with
  // damaged names, addresses, hashes, quantities and tags: 2 × 3000 × 42 seeds = 252000 inputs.
  constexpr int kMutationsPerSeed = 3000;
  constexpr int kFailuresShown = 10;
  tn::test::Mutator mutator(0x7e57'1a7e);
  int failures = 0;
  auto check = [&](const std::string& body) {
    if (std::string problem = problemAnswering(node, body);
        !problem.empty() && failures++ < kFailuresShown)
      FAIL_CHECK(problem << "\n  input: " << escaped(body));
  };
  for (const std::string& seed : corpus) {
    const std::vector<uint8_t> bytes(seed.begin(), seed.end());
    for (int i = 0; i < kMutationsPerSeed; ++i) {
      const std::vector<uint8_t> mutated = mutator.mutate(bytes);
      check(std::string(mutated.begin(), mutated.end()));
      check(withMutatedString(seed, mutator));
    }
  }
}

TEST_CASE("every parameter of every method refuses values of the wrong type or range") {
  Node node;
  const std::vector<std::string> hostile = hostileValues();
  const std::vector<MethodArgs> table = methodArgs(node);

  // The table covers every method the dispatcher declares with parameters, at its arity.
  for (const json::value& m : node.d.describe()) {
    const std::string_view name = m.at("name").as_string();
    const std::size_t declared = m.at("params").as_array().size();
    if (declared == 0) continue;
    CAPTURE(name);
    auto it = std::find_if(table.begin(), table.end(),
                           [&](const MethodArgs& t) { return t.method == name; });
    REQUIRE(it != table.end());
    CHECK(it->args.size() == declared);
  }

  int failures = 0;
  for (const MethodArgs& method : table) {
    const MethodDecl& decl = *node.d.find(method.method);
    std::vector<std::string> valid;
    for (const Arg& a : method.args) valid.push_back(a.valid);
    // The valid arguments are accepted.
    {
      const std::string body = requestText(method.method, "[" + joined(valid) + "]");
      CAPTURE(body);
      const std::optional<std::string> answer = node.handle(body);
      REQUIRE(answer.has_value());
      CHECK(json::parse(*answer).as_object().contains("result"));
    }
    for (std::size_t i = 0; i < method.args.size(); ++i) {
      for (const std::string& value : hostile) {
        std::vector<std::string> params = valid;
        params[i] = value;
        const std::string body = requestText(method.method, "[" + joined(params) + "]");
        std::string problem;
        try {
          problem =
              hostileProblem(body, node.handle(body), i, decl.params[i].name, "",
                             method.args[i].takes, decl.params[i].required, json::parse(value));
        } catch (const std::exception& e) {
          problem = std::string("an exception escaped: ") + e.what();
        }
        if (!problem.empty() && ++failures <= 20)
          FAIL_CHECK(method.method << " argument " << i << " = " << escaped(value) << ": "
                                   << problem);
      }
    }
  }

  for (const ObjectFields& object : objectFields()) {
    const MethodDecl& decl = *node.d.find(object.method);
    for (const auto& [field, takes] : object.fields) {
      for (const std::string& value : hostile) {
        const std::string body = requestText(
            object.method, "[" + object.paramsBefore + R"({")" + field + R"(":)" + value + "}]");
        std::string problem;
        try {
          problem = hostileProblem(body, node.handle(body), object.position,
                                   decl.params[object.position].name, field, takes, false,
                                   json::parse(value));
        } catch (const std::exception& e) {
          problem = std::string("an exception escaped: ") + e.what();
        }
        if (!problem.empty() && ++failures <= 20)
          FAIL_CHECK(object.method << " field " << field << " = " << escaped(value) << ": "
                                   << problem);
      }
    }
  }

  // Methods without parameters refuse any argument.
  for (const json::value& m : node.d.describe()) {
    if (!m.at("params").as_array().empty()) continue;
    const std::string_view name = m.at("name").as_string();
    for (const std::string& value : hostile) {
      const std::string body = requestText(name, "[" + value + "]");
      CAPTURE(body);
      const std::optional<std::string> answer = node.handle(body);
      REQUIRE(answer.has_value());
      CHECK(json::parse(*answer).at("error").at("code") == code::kInvalidParams);
    }
  }
}

TEST_CASE("broken envelopes, deep nesting and oversized batches get the JSON-RPC error codes") {
  Node node;
  const std::string chainId = R"({"jsonrpc":"2.0","id":1,"method":"eth_chainId"})";
  const std::string call = R"({"jsonrpc":"2.0","id":1,"method":)";
  struct Case {
    std::string what;
    std::string body;
    std::optional<int> code;  // the single error wanted; nullopt: a result
    json::value id;           // the id the answer carries
  };
  const std::string deepArray = std::string(100'000, '[');
  const Case cases[] = {
      {"empty body", "", code::kParseError, nullptr},
      {"blanks", " \n\t ", code::kParseError, nullptr},
      {"truncated", chainId.substr(0, 20), code::kParseError, nullptr},
      {"trailing garbage", chainId + " x", code::kParseError, nullptr},
      {"two objects", chainId + chainId, code::kParseError, nullptr},
      {"byte order mark", "\xef\xbb\xbf" + chainId, code::kParseError, nullptr},
      {"invalid UTF-8 in a string", call + "\"eth_chainId\xff\"}", code::kParseError, nullptr},
      {"NaN", call + R"("eth_feeHistory","params":[NaN,"latest"]})", code::kParseError, nullptr},
      {"100000 [", deepArray, code::kParseError, nullptr},
      {"100000 nested arrays", deepArray + std::string(100'000, ']'), code::kParseError, nullptr},
      {"100000 nested objects",
       [] {
         std::string s;
         for (int i = 0; i < 100'000; ++i) s += R"({"a":)";
         return s + "1" + std::string(100'000, '}');
       }(),
       code::kParseError, nullptr},
      {"params nested deeper than the parser allows",
       call + R"("eth_getLogs","params":)" + std::string(40, '[') + std::string(40, ']') + "}",
       code::kParseError, nullptr},
      {"null", "null", code::kInvalidRequest, nullptr},
      {"a number", "7", code::kInvalidRequest, nullptr},
      {"a string", R"("eth_chainId")", code::kInvalidRequest, nullptr},
      {"an empty object", "{}", code::kInvalidRequest, nullptr},
      {"an empty batch", "[]", code::kInvalidRequest, nullptr},
      {"jsonrpc 1.0", R"({"jsonrpc":"1.0","id":1,"method":"eth_chainId"})", code::kInvalidRequest,
       1},
      {"jsonrpc as a number", R"({"jsonrpc":2.0,"id":1,"method":"eth_chainId"})",
       code::kInvalidRequest, 1},
      {"no jsonrpc", R"({"id":1,"method":"eth_chainId"})", code::kInvalidRequest, 1},
      {"no jsonrpc, no id", R"({"method":"eth_chainId"})", code::kInvalidRequest, nullptr},
      {"no method", R"({"jsonrpc":"2.0","id":1})", code::kInvalidRequest, 1},
      {"method a number", call + "5}", code::kInvalidRequest, 1},
      {"method null", call + "null}", code::kInvalidRequest, 1},
      {"method an array", call + R"(["eth_chainId"]})", code::kInvalidRequest, 1},
      {"params a string", call + R"("eth_chainId","params":"[]"})", code::kInvalidRequest, 1},
      {"params a number", call + R"("eth_chainId","params":0})", code::kInvalidRequest, 1},
      {"params true", call + R"("eth_chainId","params":true})", code::kInvalidRequest, 1},
      {"id an object", R"({"jsonrpc":"2.0","id":{},"method":"eth_chainId"})", code::kInvalidRequest,
       nullptr},
      {"id an array", R"({"jsonrpc":"2.0","id":[1],"method":"eth_chainId"})", code::kInvalidRequest,
       nullptr},
      {"id true", R"({"jsonrpc":"2.0","id":true,"method":"eth_chainId"})", code::kInvalidRequest,
       nullptr},
      // Boost.JSON reads 1e400 as infinity, which it would write back as the non-JSON Infinity.
      {"id infinite", R"({"jsonrpc":"2.0","id":1e400,"method":"eth_chainId"})",
       code::kInvalidRequest, nullptr},
      {"id minus infinite", R"({"jsonrpc":"2.0","id":-1e400,"method":"eth_chainId"})",
       code::kInvalidRequest, nullptr},
      {"empty method", call + R"(""})", code::kMethodNotFound, 1},
      {"unknown method", call + R"("eth_mine"})", code::kMethodNotFound, 1},
      {"method with a NUL", call + R"("eth_chainId\u0000"})", code::kMethodNotFound, 1},
      {"method in upper case", call + R"("ETH_CHAINID"})", code::kMethodNotFound, 1},
      {"too many arguments",
       call + R"("eth_getBalance","params":[")" + addr(1).hex() + R"(","latest",1]})",
       code::kInvalidParams, 1},
      {"unknown argument name",
       call + R"("eth_getBalance","params":{"account":")" + addr(1).hex() + R"("}})",
       code::kInvalidParams, 1},
      {"missing argument by name", call + R"("eth_getBalance","params":{"block":"latest"}})",
       code::kInvalidParams, 1},
      {"arguments by name",
       call + R"("eth_getBalance","params":{"address":")" + addr(1).hex() + R"("}})", std::nullopt,
       1},
      {"params null", call + R"("eth_chainId","params":null})", std::nullopt, 1},
      {"id a fraction", R"({"jsonrpc":"2.0","id":1.5,"method":"eth_chainId"})", std::nullopt, 1.5},
      {"id negative", R"({"jsonrpc":"2.0","id":-1,"method":"eth_chainId"})", std::nullopt, -1},
      {"id past 64 bits", R"({"jsonrpc":"2.0","id":18446744073709551616,"method":"eth_chainId"})",
       std::nullopt, 18446744073709551616.0},
      {"id a decimal Boost.JSON reads one unit off",
       R"({"jsonrpc":"2.0","id":1.65E71,"method":"eth_chainId"})", std::nullopt, 1.65e71},
      {"id a huge string",
       R"({"jsonrpc":"2.0","id":")" + std::string(100'000, 'i') + R"(","method":"eth_chainId"})",
       std::nullopt, json::string(std::string(100'000, 'i'))},
      {"a batch one past the limit", batchOf(kMaxBatch + 1, chainId), code::kInvalidRequest,
       nullptr},
      {"a batch of 100001 numbers", batchOf(100'001, "1"), code::kInvalidRequest, nullptr},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::optional<std::string> answer;
    REQUIRE_NOTHROW(answer = node.handle(c.body));
    CHECK(answerProblem(c.body, answer) == "");
    REQUIRE(answer.has_value());
    const json::value response = json::parse(*answer);
    REQUIRE(response.is_object());
    CHECK(sameId(response.at("id"), c.id));
    if (c.code) {
      REQUIRE(response.as_object().contains("error"));
      CHECK(response.at("error").at("code") == *c.code);
    } else {
      CHECK(response.as_object().contains("result"));
    }
  }

  // Batches within the limit: one answer per request that has an id, in order.
  const std::optional<std::string> full = node.handle(batchOf(kMaxBatch, chainId));
  REQUIRE(full.has_value());
  CHECK(json::parse(*full).as_array().size() == kMaxBatch);
  const std::string mixed = R"([1,[],{"jsonrpc":"2.0","method":"eth_chainId"},)" + chainId +
                            R"(,{"jsonrpc":"2.0","method":"eth_nope"},{"method":"x"}])";
  const std::optional<std::string> answer = node.handle(mixed);
  CHECK(answerProblem(mixed, answer) == "");
  REQUIRE(answer.has_value());
  const json::array responses = json::parse(*answer).as_array();
  REQUIRE(responses.size() == 4);
  CHECK(responses[0].at("error").at("code") == code::kInvalidRequest);
  CHECK(responses[1].at("error").at("code") == code::kInvalidRequest);
  CHECK(responses[2].at("result") == "0x1b58");
  CHECK(responses[3].at("error").at("code") == code::kInvalidRequest);  // no jsonrpc

  // Notifications get no answer, even when they fail.
  const std::string notifications[] = {
      notification("eth_chainId", json::array{}),
      notification("eth_nope", json::array{}),
      notification("eth_getBalance", {"0x01"}),
      R"({"jsonrpc":"2.0","method":"eth_chainId"})",
      batchOf(3, notification("eth_getBalance", json::array{})),
      batchOf(kMaxBatch, notification("eth_chainId", nullptr)),
  };
  for (const std::string& body : notifications) {
    CAPTURE(body.substr(0, 200));
    CHECK_FALSE(node.handle(body).has_value());
  }
}

TEST_CASE("mutated signed transactions are rejected as transactions, never as internal errors") {
  Node node;
  tn::test::Mutator mutator(0x5167'2ed7);
  // 2000 mutations of each of the three transaction types: 6000 inputs.
  constexpr int kMutationsPerTx = 2000;
  int failures = 0;
  uint64_t nonce = test::kFundedNonce;
  for (auto type :
       {Transaction::Type::Legacy, Transaction::Type::AccessList, Transaction::Type::DynamicFee}) {
    const Bytes raw = signedTransfer(type, nonce++).raw;
    for (int i = 0; i < kMutationsPerTx && failures < 10; ++i) {
      const std::vector<uint8_t> mutated = mutator.mutate(raw);
      const std::string body =
          requestText("eth_sendRawTransaction", "[" + quoted(toHex(mutated)) + "]");
      std::string problem;
      try {
        const std::optional<std::string> answer = node.handle(body);
        problem = answerProblem(body, answer);
        // Well-formed hex: the transaction is admitted or refused as a transaction (-32000).
        if (problem.empty()) {
          const json::value response = json::parse(*answer);
          if (response.as_object().contains("error") &&
              response.at("error").at("code") != code::kServer)
            problem = "want -32000: " + *answer;
        }
      } catch (const std::exception& e) {
        problem = std::string("an exception escaped Dispatcher::handle: ") + e.what();
      }
      if (!problem.empty()) {
        ++failures;
        FAIL_CHECK(problem << "\n  raw: " << toHex(mutated));
      }
    }
  }
}

}  // namespace tn::rpc
