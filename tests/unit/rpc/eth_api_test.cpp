// The web3_/net_/eth_ methods against the fake backend: exact result shapes, errors, eth_getLogs
// caps, transaction rejections and subscriptions.
#include "rpc/eth_api.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "chain/rlp.hpp"
#include "rpc/format.hpp"
#include "rpc/subscriptions.hpp"
#include "tests/unit/rpc/api_fixture.hpp"

namespace tn::rpc {

namespace json = boost::json;
using test::addr;
using test::Api;
using test::codeOf;
using test::FakeBackend;
using test::filled;
using test::messageOf;
using test::q;

namespace {

std::string H(uint8_t b) { return filled(b).hex(); }
std::string A(uint8_t b) { return addr(b).hex(); }
const std::string kZeroHash = Hash32{}.hex();
const std::string kZeroBloom = Bloom{}.hex();

// Block 5 of the fake chain: two transactions (fills 0x10, 0x11), one log each.
json::object expectedTx5(std::size_t i) {
  return json::object{
      {"blockHash", H(0x85)},
      {"blockNumber", "0x5"},
      {"from", A(0x22)},
      {"gas", "0x5208"},
      {"gasPrice", "0xb2d05e00"},  // min(30 gwei cap, 1 gwei base fee + 2 gwei tip)
      {"maxFeePerGas", "0x6fc23ac00"},
      {"maxPriorityFeePerGas", "0x77359400"},
      {"hash", H(uint8_t(0x10 + i))},
      {"input", "0xa9059cbb"},
      {"nonce", i == 0 ? "0x0" : "0x1"},
      {"to", A(0x11)},
      {"transactionIndex", i == 0 ? "0x0" : "0x1"},
      {"value", "0xde0b6b3a7640000"},
      {"type", "0x2"},
      {"accessList", json::array{}},
      {"chainId", "0x1b58"},
      {"v", "0x1"},
      {"r", "0x1234"},
      {"s", "0x5678"},
      {"yParity", "0x1"},
  };
}

json::object expectedLog(uint64_t block, std::size_t txIndex, uint64_t logIndex) {
  return json::object{
      {"address", A(0xaa)},
      {"topics", json::array{H(0x77), H(uint8_t(txIndex))}},
      {"data", "0x0102"},
      {"blockNumber", toQuantity(block)},
      {"transactionHash", H(uint8_t(block * 3 + txIndex + 1))},
      {"transactionIndex", toQuantity(uint64_t{txIndex})},
      {"blockHash", H(uint8_t(0x80 + block))},
      {"logIndex", toQuantity(logIndex)},
      {"removed", false},
  };
}

json::object expectedBlock5(json::array transactions) {
  return json::object{
      {"baseFeePerGas", "0x3b9aca00"},
      {"difficulty", "0x0"},
      {"extraData", "0x"},
      {"gasLimit", "0x1c9c380"},
      {"gasUsed", "0x0"},
      {"hash", H(0x85)},
      {"logsBloom", kZeroBloom},
      {"miner", A(0x33)},
      {"mixHash", kZeroHash},
      {"nonce", "0x0000000000000000"},
      {"number", "0x5"},
      {"parentHash", H(0x84)},
      {"receiptsRoot", kZeroHash},
      {"sha3Uncles", "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"},
      {"stateRoot", kZeroHash},
      {"timestamp", "0x6553f105"},
      {"transactionsRoot", kZeroHash},
      {"size", "0x258"},
      {"transactions", std::move(transactions)},
      {"uncles", json::array{}},
  };
}

}  // namespace

TEST_SUITE("rpc eth api") {

TEST_CASE("the methods the foundation issue requires are declared with their parameters") {
  Api api;
  const char* required[] = {
      "web3_clientVersion", "net_version", "net_listening", "eth_chainId", "eth_blockNumber",
      "eth_syncing", "eth_getBalance", "eth_getTransactionCount", "eth_getCode", "eth_gasPrice",
      "eth_maxPriorityFeePerGas", "eth_feeHistory", "eth_estimateGas", "eth_sendRawTransaction",
      "eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_getBlockByNumber",
      "eth_getBlockByHash", "eth_getBlockTransactionCountByNumber", "eth_call", "eth_getLogs",
      "eth_subscribe", "eth_unsubscribe", "rpc_methods"};
  json::value listed = api.result("rpc_methods");
  for (const char* name : required) {
    CAPTURE(name);
    const MethodDecl* m = api.d.find(name);
    REQUIRE(m != nullptr);
    CHECK_FALSE(m->summary.empty());
    CHECK_FALSE(m->result.empty());
    bool found = false;
    for (const auto& entry : listed.as_array())
      found |= entry.at("name") == name;
    CHECK(found);
  }
  CHECK(api.d.find("eth_getLogs")->params.at(0).name == "filter");
  CHECK(api.d.find("eth_getBalance")->params.size() == 2);
  CHECK_FALSE(api.d.find("eth_getBalance")->params[1].required);
}

TEST_CASE("identity, network and fee methods") {
  Api api;
  CHECK(api.result("web3_clientVersion") == "treasurenetd/v0.1.0-test");
  CHECK(api.result("net_version") == "7000");
  CHECK(api.result("net_listening") == true);
  CHECK(api.result("net_peerCount") == "0x3");
  CHECK(api.result("eth_chainId") == "0x1b58");
  CHECK(api.result("eth_blockNumber") == "0x9");
  CHECK(api.result("eth_gasPrice") == "0xb2d05e00");
  CHECK(api.result("eth_maxPriorityFeePerGas") == "0x77359400");
  CHECK(api.result("eth_accounts") == json::array{});
  CHECK(api.result("web3_sha3", R"(["0x"])") ==
        "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  // Methods without parameters refuse arguments.
  CHECK(codeOf(api.error("eth_chainId", "[1]")) == -32602);
}

TEST_CASE("eth_syncing: false when in sync, else the progress object") {
  Api api;
  CHECK(api.result("eth_syncing") == false);
  api.be.syncStatus = SyncStatus{1, 5, 9};
  CHECK(api.result("eth_syncing") ==
        json::parse(R"({"startingBlock":"0x1","currentBlock":"0x5","highestBlock":"0x9"})"));
}

TEST_CASE("account state: eth_getBalance, eth_getTransactionCount, eth_getCode") {
  Api api;
  const std::string rich = q(A(0x22));
  CHECK(api.result("eth_getBalance", "[" + rich + "]") == "0x4563918244f40000");  // 5 UNIT
  CHECK(api.result("eth_getBalance", "[" + rich + R"(,"latest"])") == "0x4563918244f40000");
  CHECK(api.result("eth_getBalance", "[" + rich + R"(,"0x9"])") == "0x4563918244f40000");
  CHECK(api.result("eth_getBalance", "[" + rich + R"(,{"blockHash":")" + H(0x89) + "\"}]") ==
        "0x4563918244f40000");
  CHECK(api.result("eth_getBalance", "[" + q(A(0x01)) + "]") == "0x0");
  // A checksummed address is accepted, a wrong checksum is a parameter error.
  CHECK(api.result("eth_getBalance", R"(["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"])") == "0x0");
  auto bad = api.error("eth_getBalance", R"(["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"])");
  CHECK(codeOf(bad) == -32602);
  CHECK(messageOf(bad).starts_with("invalid argument 0 (address): bad EIP-55 checksum"));
  // Only the latest state is kept: the backend's -32000 passes through.
  auto old = api.error("eth_getBalance", "[" + rich + R"(,"0x3"])");
  CHECK(codeOf(old) == -32000);
  CHECK(messageOf(old) == "historical state not available");
  auto badTag = api.error("eth_getBalance", "[" + rich + R"(,"newest"])");
  CHECK(codeOf(badTag) == -32602);
  CHECK(messageOf(badTag).starts_with("invalid argument 1 (block): block number or tag expected"));
  auto missing = api.error("eth_getBalance", "[]");
  CHECK(messageOf(missing) == "missing value for required argument 0 (address)");

  CHECK(api.result("eth_getTransactionCount", "[" + rich + "]") == "0x7");
  CHECK(api.result("eth_getTransactionCount", "[" + rich + R"(,"pending"])") == "0x8");
  CHECK(api.result("eth_getCode", "[" + q(A(0xaa)) + "]") == "0xfe");
  CHECK(api.result("eth_getCode", "[" + q(A(0x22)) + R"(,"latest"])") == "0x");
  CHECK(codeOf(api.error("eth_getCode", "[" + q(A(0x22)) + R"(,"0x1"])")) == -32000);
}

TEST_CASE("blocks by number and by hash, with hashes or full transactions") {
  Api api;
  const json::object byNumber = api.result("eth_getBlockByNumber", R"(["0x5", false])").as_object();
  CHECK(byNumber == expectedBlock5(json::array{H(0x10), H(0x11)}));
  CHECK(api.result("eth_getBlockByNumber", R"(["0x5"])") == byNumber);  // default: hashes
  CHECK(api.result("eth_getBlockByHash", "[" + q(H(0x85)) + ", false]") == byNumber);

  json::value full = api.result("eth_getBlockByNumber", R"(["0x5", true])");
  CHECK(full == expectedBlock5(json::array{expectedTx5(0), expectedTx5(1)}));
  CHECK(api.result("eth_getBlockByHash", "[" + q(H(0x85)) + ", true]") == full);

  CHECK(api.result("eth_getBlockByNumber", R"(["latest"])").at("number") == "0x9");
  CHECK(api.result("eth_getBlockByNumber", R"(["pending"])").at("number") == "0x9");
  CHECK(api.result("eth_getBlockByNumber", R"(["finalized"])").at("number") == "0x9");
  json::value genesis = api.result("eth_getBlockByNumber", R"(["earliest"])");
  CHECK(genesis.at("number") == "0x0");
  CHECK(genesis.at("parentHash") == json::value(kZeroHash));
  CHECK(genesis.at("transactions") == json::array{});
  CHECK(api.result("eth_getBlockByNumber", R"(["0x64"])").is_null());
  CHECK(api.result("eth_getBlockByHash", "[" + q(H(0x01)) + "]").is_null());

  auto e = api.error("eth_getBlockByNumber", R"(["0x05"])");
  CHECK(codeOf(e) == -32602);
  CHECK(messageOf(e) ==
        "invalid argument 0 (block): block number or tag expected (quantity has leading zeros)");
  e = api.error("eth_getBlockByNumber", R"(["0x5", "yes"])");
  CHECK(messageOf(e) == "invalid argument 1 (fullTransactions): must be true or false");
  e = api.error("eth_getBlockByHash", R"(["0x85"])");
  CHECK(messageOf(e) == "invalid argument 0 (blockHash): hash must be 32 bytes, got 1");

  CHECK(api.result("eth_getBlockTransactionCountByNumber", R"(["0x5"])") == "0x2");
  CHECK(api.result("eth_getBlockTransactionCountByNumber", R"(["0x3"])") == "0x0");
  CHECK(api.result("eth_getBlockTransactionCountByNumber", R"(["latest"])") == "0x0");
  CHECK(api.result("eth_getBlockTransactionCountByNumber", R"(["0x64"])").is_null());
  CHECK(api.result("eth_getBlockTransactionCountByHash", "[" + q(H(0x84)) + "]") == "0x1");
  CHECK(api.result("eth_getBlockTransactionCountByHash", "[" + q(H(0x01)) + "]").is_null());
}

TEST_CASE("transactions by block and index; uncles, which this chain never has") {
  Api api;
  CHECK(api.result("eth_getTransactionByBlockNumberAndIndex", R"(["0x5","0x1"])") ==
        expectedTx5(1));
  CHECK(api.result("eth_getTransactionByBlockHashAndIndex", "[" + q(H(0x85)) + R"(,"0x0"])") ==
        expectedTx5(0));
  CHECK(api.result("eth_getTransactionByBlockNumberAndIndex", R"(["0x5","0x2"])").is_null());
  CHECK(api.result("eth_getTransactionByBlockNumberAndIndex", R"(["0x64","0x0"])").is_null());
  CHECK(api.result("eth_getTransactionByBlockHashAndIndex", "[" + q(H(0x01)) + R"(,"0x0"])")
            .is_null());
  // The latest block, 9, has none (9 % 3 = 0); block 8 has two.
  CHECK(api.result("eth_getTransactionByBlockNumberAndIndex", R"(["latest","0x0"])").is_null());
  CHECK(api.result("eth_getTransactionByBlockNumberAndIndex", R"(["0x8","0x1"])").at("hash") ==
        json::value(H(8 * 3 + 2)));
  auto e = api.error("eth_getTransactionByBlockNumberAndIndex", R"(["0x5","1"])");
  CHECK(codeOf(e) == -32602);
  CHECK(messageOf(e).starts_with("invalid argument 1 (index):"));

  CHECK(api.result("eth_getUncleCountByBlockNumber", R"(["0x5"])") == "0x0");
  CHECK(api.result("eth_getUncleCountByBlockNumber", R"(["0x64"])").is_null());
  CHECK(api.result("eth_getUncleCountByBlockHash", "[" + q(H(0x85)) + "]") == "0x0");
  CHECK(api.result("eth_getUncleCountByBlockHash", "[" + q(H(0x01)) + "]").is_null());
  CHECK(api.result("eth_getUncleByBlockNumberAndIndex", R"(["0x5","0x0"])").is_null());
  CHECK(api.result("eth_getUncleByBlockHashAndIndex", "[" + q(H(0x85)) + R"(,"0x0"])").is_null());
  CHECK(codeOf(api.error("eth_getUncleByBlockHashAndIndex", R"(["0x85","0x0"])")) == -32602);
  CHECK(codeOf(api.error("eth_getUncleByBlockNumberAndIndex", R"(["0x5",0])")) == -32602);
}

TEST_CASE("txpool_status, txpool_content, txpool_contentFrom and txpool_inspect") {
  Api api;
  auto sign = [&](uint64_t nonce, bool dynamic) {
    Transaction t;
    t.type = dynamic ? Transaction::Type::DynamicFee : Transaction::Type::Legacy;
    t.chainId = test::kChainId;
    t.nonce = nonce;
    if (dynamic) {
      t.maxFeePerGas = 2'000'000'000;
      t.maxPriorityFeePerGas = 1'000'000'000;
    } else {
      t.gasPrice = 3'000'000'000ull;
    }
    t.gasLimit = 21000;
    t.to = addr(0x11);
    t.value = 7 + nonce;
    t.sign(test::secretKey(test::kFundedKey));
    CHECK(api.result("eth_sendRawTransaction", "[" + q(toHex(t.raw)) + "]") ==
          json::value(t.hash.hex()));
    return t;
  };
  CHECK(api.result("txpool_status") == json::object{{"pending", "0x0"}, {"queued", "0x0"}});
  CHECK(api.result("txpool_content") ==
        json::object{{"pending", json::object{}}, {"queued", json::object{}}});
  // The funded account's committed nonce is 5: 5 and 6 are pending, 8 waits for 7.
  Transaction t5 = sign(test::kFundedNonce, true);
  Transaction t6 = sign(test::kFundedNonce + 1, false);
  Transaction t8 = sign(test::kFundedNonce + 3, true);
  CHECK(api.result("txpool_status") == json::object{{"pending", "0x2"}, {"queued", "0x1"}});
  auto pooled = [&](const Transaction& t) {
    return api.result("eth_getTransactionByHash", "[" + q(t.hash.hex()) + "]");
  };
  const std::string sender = t5.sender->hex();
  json::object mine{{"pending", json::object{{"5", pooled(t5)}, {"6", pooled(t6)}}},
                    {"queued", json::object{{"8", pooled(t8)}}}};
  CHECK(api.result("txpool_content") ==
        json::object{{"pending", json::object{{sender, mine.at("pending")}}},
                     {"queued", json::object{{sender, mine.at("queued")}}}});
  CHECK(api.result("txpool_contentFrom", "[" + q(sender) + "]") == mine);
  CHECK(api.result("txpool_contentFrom", "[" + q(A(0x22)) + "]") ==
        json::object{{"pending", json::object{}}, {"queued", json::object{}}});
  const std::string to = A(0x11);
  CHECK(api.result("txpool_inspect") ==
        json::object{
            {"pending",
             json::object{
                 {sender, json::object{{"5", to + ": 12 wei + 21000 gas × 2000000000 wei"},
                                       {"6", to + ": 13 wei + 21000 gas × 3000000000 wei"}}}}},
            {"queued",
             json::object{
                 {sender, json::object{{"8", to + ": 15 wei + 21000 gas × 2000000000 wei"}}}}}});
  // Nonce 7 closes the gap: everything is pending.
  sign(test::kFundedNonce + 2, true);
  CHECK(api.result("txpool_status") == json::object{{"pending", "0x4"}, {"queued", "0x0"}});
  CHECK(codeOf(api.error("txpool_contentFrom", R"(["0x22"])")) == -32602);

  // One answer shows at most maxPoolAnswerBytes of encoded transactions.
  EthApiOptions o;
  o.maxPoolAnswerBytes = t5.raw.size() + t6.raw.size();
  Api capped(o);
  for (const Transaction* t : {&t5, &t6})
    capped.result("eth_sendRawTransaction", "[" + q(toHex(t->raw)) + "]");
  CHECK(capped.result("txpool_content").at("pending").as_object().size() == 1);
  capped.result("eth_sendRawTransaction", "[" + q(toHex(t8.raw)) + "]");
  auto e = capped.error("txpool_content", "[]");
  CHECK(codeOf(e) == -32005);
  CHECK(messageOf(e) == "the pool's 3 transactions (" +
                            std::to_string(t5.raw.size() + t6.raw.size() + t8.raw.size()) +
                            " bytes) exceed one answer's " + std::to_string(o.maxPoolAnswerBytes) +
                            " bytes; use txpool_status, txpool_inspect or txpool_contentFrom");
  CHECK(codeOf(capped.error("txpool_contentFrom", "[" + q(sender) + "]")) == -32005);
  CHECK(capped.result("txpool_inspect").at("queued").as_object().size() == 1);
  CHECK(capped.result("txpool_status") == json::object{{"pending", "0x2"}, {"queued", "0x1"}});
}

TEST_CASE("transactions and receipts by hash") {
  Api api;
  CHECK(api.result("eth_getTransactionByHash", "[" + q(H(0x11)) + "]") == expectedTx5(1));
  CHECK(api.result("eth_getTransactionByHash", "[" + q(H(0x10)) + "]") == expectedTx5(0));
  CHECK(api.result("eth_getTransactionByHash", "[" + q(H(0x01)) + "]").is_null());

  // The second transaction of block 5: its log is the block's second (logIndex 1).
  json::object receipt{
      {"blockHash", H(0x85)},
      {"blockNumber", "0x5"},
      {"contractAddress", nullptr},
      {"cumulativeGasUsed", "0xa410"},
      {"effectiveGasPrice", "0xb2d05e00"},
      {"from", A(0x22)},
      {"gasUsed", "0x5208"},
      {"logs", json::array{expectedLog(5, 1, 1)}},
      {"logsBloom", kZeroBloom},
      {"status", "0x1"},
      {"to", A(0x11)},
      {"transactionHash", H(0x11)},
      {"transactionIndex", "0x1"},
      {"type", "0x2"},
  };
  CHECK(api.result("eth_getTransactionReceipt", "[" + q(H(0x11)) + "]") == receipt);
  CHECK(api.result("eth_getTransactionReceipt", "[" + q(H(0x01)) + "]").is_null());

  // A failed transaction carries its reason.
  api.be.chain().receipts[5][0].success = false;
  api.be.chain().receipts[5][0].revertReason = "no";
  json::value failed = api.result("eth_getTransactionReceipt", "[" + q(H(0x10)) + "]");
  CHECK(failed.at("status") == "0x0");
  CHECK(failed.at("revertReason") == "no");
  CHECK(failed.at("logs").at(0).at("logIndex") == "0x0");

  // eth_getBlockReceipts (the Backend's default, one receipt() per transaction): block 5's two
  // receipts as eth_getTransactionReceipt gives them, by number and by hash; none for block 0.
  json::array block5{api.result("eth_getTransactionReceipt", "[" + q(H(0x10)) + "]"), receipt};
  CHECK(api.result("eth_getBlockReceipts", R"(["0x5"])") == block5);
  CHECK(api.result("eth_getBlockReceipts", "[" + q(H(0x85)) + "]") == block5);
  CHECK(api.result("eth_getBlockReceipts", R"([{"blockHash":")" + H(0x85) + R"("}])") == block5);
  CHECK(api.result("eth_getBlockReceipts", R"(["0x0"])") == json::array{});
  CHECK(api.result("eth_getBlockReceipts", R"(["0x63"])").is_null());
  CHECK(api.result("eth_getBlockReceipts", "[" + q(H(0x01)) + "]").is_null());
}

TEST_CASE("eth_feeHistory") {
  Api api;
  json::value h = api.result("eth_feeHistory", R"(["0x4", "latest", [25, 75]])");
  json::array fees(5, json::value("0x3b9aca00"));
  json::array ratios(4, json::value(0.5));
  json::array rewards(4, json::value(json::array{"0x77359400", "0x77359400"}));
  CHECK(h == json::object{{"oldestBlock", "0x6"},
                          {"baseFeePerGas", fees},
                          {"gasUsedRatio", ratios},
                          {"reward", rewards}});
  // No percentiles: no reward field. blockCount may be a plain integer.
  json::value noReward = api.result("eth_feeHistory", R"([4, "0x9"])");
  CHECK(noReward.at("oldestBlock") == "0x6");
  CHECK_FALSE(noReward.as_object().contains("reward"));
  // Near genesis fewer blocks come back.
  json::value early = api.result("eth_feeHistory", R"(["0xa", "0x2", []])");
  CHECK(early.at("oldestBlock") == "0x0");
  CHECK(early.at("gasUsedRatio").as_array().size() == 3);
  CHECK(early.at("baseFeePerGas").as_array().size() == 4);
  CHECK(api.result("eth_feeHistory", R"(["0x0", "latest"])") ==
        json::parse(R"({"oldestBlock":"0x0","baseFeePerGas":[],"gasUsedRatio":[]})"));

  auto e = api.error("eth_feeHistory", R"(["0x1", "0xa"])");
  CHECK(codeOf(e) == -32000);
  CHECK(messageOf(e) == "request beyond head block: requested 10, head 9");
  e = api.error("eth_feeHistory", R"(["0x1", "latest", [75, 25]])");
  CHECK(codeOf(e) == -32602);
  CHECK(messageOf(e) == "invalid argument 2 (rewardPercentiles): percentiles must be in ascending order");
  e = api.error("eth_feeHistory", R"(["0x1", "latest", [101]])");
  CHECK(messageOf(e) == "invalid argument 2 (rewardPercentiles): percentile out of range [0, 100]");
  e = api.error("eth_feeHistory", R"(["0x01", "latest"])");
  CHECK(messageOf(e) == "invalid argument 0 (blockCount): quantity has leading zeros");
  e = api.error("eth_feeHistory", R"([-1, "latest"])");
  CHECK(messageOf(e) == "invalid argument 0 (blockCount): negative number");

  EthApiOptions capped;
  capped.maxFeeHistoryBlocks = 3;
  capped.maxFeeHistoryPercentiles = 2;
  Api small(capped);
  CHECK(small.result("eth_feeHistory", R"(["0x64", "latest"])").at("oldestBlock") == "0x7");
  CHECK(messageOf(small.error("eth_feeHistory", R"(["0x1", "latest", [1, 2, 3]])")) ==
        "invalid argument 2 (rewardPercentiles): at most 2 percentiles");
}

TEST_CASE("eth_call and eth_estimateGas, reverts as error 3 with the payload") {
  Api api;
  const std::string call = R"({"to":")" + A(0x11) + R"(","data":"0x1234"})";
  CHECK(api.result("eth_call", "[" + call + "]") == "0x1234");
  CHECK(api.result("eth_call", "[" + call + R"(,"latest"])") == "0x1234");
  CHECK(api.result("eth_estimateGas", "[" + call + "]") == "0x5228");  // 21000 + 16 × 2

  const std::string reverting = R"({"to":")" + A(0xee) + R"("})";
  const json::object revert{{"code", 3},
                            {"message", "execution reverted: no"},
                            {"data", toHex(test::revertNo())}};
  CHECK(api.error("eth_call", "[" + reverting + "]") == revert);
  CHECK(api.error("eth_estimateGas", "[" + reverting + "]") == revert);

  auto e = api.error("eth_call", "[" + call + R"(,"0x2"])");
  CHECK(codeOf(e) == -32000);
  e = api.error("eth_call", "[]");
  CHECK(messageOf(e) == "missing value for required argument 0 (transaction)");
  e = api.error("eth_call", R"([{"data":"0x01","input":"0x02"}])");
  CHECK(codeOf(e) == -32602);
  CHECK(messageOf(e) ==
        "invalid argument 0 (transaction): both \"data\" and \"input\" are set and not equal");
  e = api.error("eth_estimateGas", R"([{"value":"0x0a"}])");
  CHECK(messageOf(e) == "invalid argument 0 (transaction): field 'value': quantity has leading zeros");
}

TEST_CASE("eth_getLogs: filters, shapes, block-range and result caps") {
  EthApiOptions o;
  o.maxLogBlockRange = 5;
  o.maxLogResults = 4;
  Api api(o);
  auto logs = [&](const std::string& filter) { return api.result("eth_getLogs", "[" + filter + "]"); };

  // Blocks 0..4 hold 4 logs (blocks 1, 2, 2, 4): exactly the result cap.
  json::value r = logs(R"({"fromBlock":"0x0","toBlock":"0x4"})");
  CHECK(r == json::array{expectedLog(1, 0, 0), expectedLog(2, 0, 0), expectedLog(2, 1, 1),
                         expectedLog(4, 0, 0)});
  REQUIRE(api.be.lastQuery);
  CHECK(api.be.lastQuery->fromBlock == 0);
  CHECK(api.be.lastQuery->toBlock == 4);
  CHECK(api.be.lastQuery->limit == 4);
  CHECK(logs(R"({"fromBlock":"earliest","toBlock":"0x4"})").as_array().size() == 4);

  // Six blocks: over the range cap.
  auto e = api.error("eth_getLogs", R"([{"fromBlock":"0x0","toBlock":"0x5"}])");
  CHECK(codeOf(e) == -32005);
  CHECK(messageOf(e) == "block range too large: 6 blocks, max 5");
  // Five blocks with six logs: over the result cap.
  e = api.error("eth_getLogs", R"([{"fromBlock":"0x1","toBlock":"0x5"}])");
  CHECK(codeOf(e) == -32005);
  CHECK(messageOf(e) == "query returned more than 4 results");
  // The result cap holds for a block-hash query too.
  Api tight([] {
    EthApiOptions t;
    t.maxLogResults = 1;
    return t;
  }());
  CHECK(codeOf(tight.error("eth_getLogs", R"([{"blockHash":")" + H(0x85) + "\"}]")) == -32005);

  // Defaults: latest..latest (block 9 has no logs); toBlock defaults to the head.
  CHECK(logs("{}") == json::array{});
  CHECK(logs(R"({"fromBlock":"0x8"})") == json::array{expectedLog(8, 0, 0), expectedLog(8, 1, 1)});
  CHECK(logs(R"({"fromBlock":"0x8","toBlock":"0x64"})").as_array().size() == 2);
  CHECK(logs(R"({"fromBlock":"0x64"})") == json::array{});  // nothing committed there yet

  // Criteria.
  CHECK(logs(R"({"fromBlock":"0x0","toBlock":"0x4","topics":[null,")" + H(0x01) + "\"]}") ==
        json::array{expectedLog(2, 1, 1)});
  CHECK(logs(R"({"fromBlock":"0x0","toBlock":"0x4","topics":[")" + H(0x77) + "\"]}")
            .as_array()
            .size() == 4);
  CHECK(logs(R"({"fromBlock":"0x0","toBlock":"0x4","address":")" + A(0x01) + "\"}") == json::array{});
  CHECK(logs(R"({"fromBlock":"0x0","toBlock":"0x4","address":[")" + A(0x01) + "\",\"" + A(0xaa) +
             "\"]}")
            .as_array()
            .size() == 4);
  CHECK(logs(R"({"blockHash":")" + H(0x85) + "\"}") ==
        json::array{expectedLog(5, 0, 0), expectedLog(5, 1, 1)});

  e = api.error("eth_getLogs", R"([{"blockHash":")" + H(0x01) + "\"}]");
  CHECK(codeOf(e) == -32000);
  e = api.error("eth_getLogs", R"([{"fromBlock":"0x4","toBlock":"0x2"}])");
  CHECK(codeOf(e) == -32602);
  CHECK(messageOf(e) == "invalid argument 0 (filter): fromBlock is after toBlock");
  e = api.error("eth_getLogs", R"([{"blockHash":")" + H(0x85) + R"(","toBlock":"0x2"}])");
  CHECK(codeOf(e) == -32602);
  e = api.error("eth_getLogs", R"([{"topics":[null,null,null,null,null]}])");
  CHECK(messageOf(e) == "invalid argument 0 (filter): field 'topics': at most 4 topic positions");
}

TEST_CASE("eth_sendRawTransaction admits a signed transaction, then it is pending") {
  Api api;
  Transaction t = test::fundedTransfer(test::kFundedNonce);
  CHECK(api.result("eth_sendRawTransaction", "[" + q(toHex(t.raw)) + "]") == json::value(t.hash.hex()));
  CHECK(api.be.mempool().contains(t.hash));

  json::value pending = api.result("eth_getTransactionByHash", "[" + q(t.hash.hex()) + "]");
  CHECK(pending == json::object{{"blockHash", nullptr},
                                {"blockNumber", nullptr},
                                {"from", t.sender->hex()},
                                {"gas", "0x5208"},
                                {"gasPrice", "0x77359400"},  // pending: the fee cap
                                {"maxFeePerGas", "0x77359400"},
                                {"maxPriorityFeePerGas", "0x3b9aca00"},
                                {"hash", t.hash.hex()},
                                {"input", "0x"},
                                {"nonce", "0x5"},
                                {"to", A(0x11)},
                                {"transactionIndex", nullptr},
                                {"value", "0x1"},
                                {"type", "0x2"},
                                {"accessList", json::array{}},
                                {"chainId", "0x1b58"},
                                {"v", toQuantity(uint64_t{t.yParity})},
                                {"r", toQuantity(t.r)},
                                {"s", toQuantity(t.s)},
                                {"yParity", toQuantity(uint64_t{t.yParity})}});
  CHECK(api.result("eth_getTransactionReceipt", "[" + q(t.hash.hex()) + "]").is_null());

  auto again = api.error("eth_sendRawTransaction", "[" + q(toHex(t.raw)) + "]");
  CHECK(codeOf(again) == -32000);
  CHECK(messageOf(again) == "already known");

  // A pending EIP-155 legacy transaction shows v = chainId × 2 + 35 + parity and no yParity.
  Transaction legacy;
  legacy.type = Transaction::Type::Legacy;
  legacy.chainId = test::kChainId;
  legacy.nonce = test::kFundedNonce + 1;
  legacy.gasPrice = 2'000'000'000;
  legacy.gasLimit = 21000;
  legacy.to = addr(0x11);
  legacy.sign(test::secretKey(test::kFundedKey));
  CHECK(api.result("eth_sendRawTransaction", "[" + q(toHex(legacy.raw)) + "]") == json::value(legacy.hash.hex()));
  json::value l = api.result("eth_getTransactionByHash", "[" + q(legacy.hash.hex()) + "]");
  CHECK(l.at("type") == "0x0");
  CHECK(l.at("v") == json::value(toQuantity(uint64_t{7000 * 2 + 35} + legacy.yParity)));
  CHECK(l.at("chainId") == "0x1b58");
  CHECK(l.at("gasPrice") == "0x77359400");
  CHECK_FALSE(l.as_object().contains("yParity"));
  CHECK_FALSE(l.as_object().contains("accessList"));
  CHECK_FALSE(l.as_object().contains("maxFeePerGas"));
}

TEST_CASE("eth_sendRawTransaction rejections map to clear JSON-RPC errors") {
  // A valid transfer from the funded account, edited before signing.
  auto make = [](auto edit) {
    Transaction t;
    t.type = Transaction::Type::DynamicFee;
    t.chainId = test::kChainId;
    t.nonce = test::kFundedNonce;
    t.maxFeePerGas = 2'000'000'000;
    t.maxPriorityFeePerGas = 1'000'000'000;
    t.gasLimit = 21000;
    t.to = addr(0x11);
    t.value = 1;
    edit(t);
    t.sign(test::secretKey(test::kFundedKey));
    return t;
  };
  auto none = [](Transaction&) {};

  Transaction highS = make(none);
  highS.s = quantityToU256("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141") - highS.s;
  highS.yParity ^= 1;

  rlp::Encoder unprotected;  // a legacy transaction signed without a chain id (v = 27)
  auto m = unprotected.beginList();
  unprotected.uint(uint64_t{5}).uint(uint64_t{2'000'000'000}).uint(uint64_t{21000});
  unprotected.bytes(addr(0x11).view()).uint(uint64_t{1}).bytes({});
  unprotected.uint(uint64_t{27}).uint(uint64_t{1}).uint(uint64_t{1});
  unprotected.endList(m);

  struct Case {
    const char* what;
    Bytes raw;
    std::string message;  // prefix
  };
  const Case cases[] = {
      {"wrong chain id", make([](Transaction& t) { t.chainId = 1; }).raw,
       "invalid chain id: have 1, want 7000"},
      {"unprotected legacy", unprotected.out(), "only replay-protected (EIP-155) transactions allowed"},
      {"high S", highS.encode(), "invalid signature: high S value"},
      {"bad RLP", fromHex("0xc5"), "invalid transaction RLP: "},
      {"RLP string, not a list", fromHex("0x8180"),
       "invalid transaction RLP: expected a list or a typed envelope"},
      {"typed envelope with too few fields", fromHex("0x02c0"),
       "invalid transaction: EIP-1559 transaction must have 12 fields, got 0"},
      {"unknown type", fromHex("0x03c0"), "transaction type not supported: 0x03"},
      {"empty", Bytes{}, "invalid transaction RLP: empty input"},
      {"nonce too low", make([](Transaction& t) { t.nonce = 4; }).raw,
       "nonce too low: next nonce 5, tx nonce 4"},
      {"nonce gap", make([](Transaction& t) { t.nonce = 5 + 65; }).raw,
       "nonce too high: next nonce 5, tx nonce 70 is more than 64 ahead"},
      {"insufficient funds", make([](Transaction& t) { t.value = test::kFundedBalance; }).raw,
       "insufficient funds for gas * price + value: balance 10000000000000000000"},
      {"intrinsic gas", make([](Transaction& t) { t.gasLimit = 20999; }).raw,
       "intrinsic gas too low: have 20999, want 21000"},
      {"fee below base fee",
       make([](Transaction& t) {
         t.maxFeePerGas = 999'999'999;
         t.maxPriorityFeePerGas = 1;
       }).raw,
       "max fee per gas less than block base fee"},
      {"over 128 KiB",
       make([](Transaction& t) {
         t.data = Bytes(128 * 1024, 1);
         t.gasLimit = 3'000'000;
       }).raw,
       "oversized transaction: "},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Api api;
    auto e = api.error("eth_sendRawTransaction", "[" + q(toHex(c.raw)) + "]");
    CHECK(codeOf(e) == -32000);
    CHECK(messageOf(e).starts_with(c.message));
    CHECK_FALSE(e.contains("data"));
    CHECK(api.be.mempool().size() == 0);
  }

  // Malformed parameters, as opposed to bad transactions, are -32602.
  Api api;
  auto e = api.error("eth_sendRawTransaction", R"(["0x02zz"])");
  CHECK(codeOf(e) == -32602);
  CHECK(messageOf(e) == "invalid argument 0 (transaction): invalid hex digit");
  e = api.error("eth_sendRawTransaction", R"(["02f8"])");
  CHECK(messageOf(e) == "invalid argument 0 (transaction): hex string without 0x prefix");
  e = api.error("eth_sendRawTransaction", R"(["0x02f"])");
  CHECK(messageOf(e) == "invalid argument 0 (transaction): hex string has an odd number of digits");
  e = api.error("eth_sendRawTransaction", "[]");
  CHECK(messageOf(e) == "missing value for required argument 0 (transaction)");
}

TEST_CASE("eth_subscribe and eth_unsubscribe need a connection with notifications") {
  Api api;
  auto e = api.error("eth_subscribe", R"(["newHeads"])");  // over HTTP: no SubscriptionSet
  CHECK(codeOf(e) == -32601);
  CHECK(messageOf(e) == "notifications not supported");
  CHECK(codeOf(api.error("eth_unsubscribe", R"(["0x1"])")) == -32601);

  SubscriptionSet subs(2);
  CallContext ws{&subs};
  json::value id = api.result("eth_subscribe", R"(["newHeads"])", &ws);
  REQUIRE(id.is_string());
  std::string s(id.as_string());
  CHECK(s.size() == 34);
  CHECK(s.starts_with("0x"));
  CHECK(s.find_first_not_of("0123456789abcdef", 2) == std::string::npos);
  CHECK(subs.size() == 1);

  e = api.error("eth_subscribe", R"(["syncing"])", &ws);
  CHECK(codeOf(e) == -32602);
  CHECK(messageOf(e) ==
        "invalid argument 0 (kind): unsupported subscription 'syncing' (newHeads, "
        "logs, newPendingTransactions)");
  e = api.error("eth_subscribe", R"(["newPendingTransactions", true])", &ws);
  CHECK(messageOf(e) ==
        "invalid argument 1 (filter): newPendingTransactions sends hashes only; full transactions "
        "are not supported");
  e = api.error("eth_subscribe", R"(["logs", {"topics":["0x01"]}])", &ws);
  CHECK(messageOf(e) == "invalid argument 1 (filter): field 'topics': hash must be 32 bytes, got 1");

  json::value logsId = api.result("eth_subscribe", R"(["logs", {"address":")" + A(0xaa) + "\"}]", &ws);
  CHECK(logsId != id);
  e = api.error("eth_subscribe", R"(["newHeads"])", &ws);
  CHECK(codeOf(e) == -32000);
  CHECK(messageOf(e) == "too many subscriptions on this connection (max 2)");

  CHECK(api.result("eth_unsubscribe", "[" + json::serialize(id) + "]", &ws) == true);
  CHECK(api.result("eth_unsubscribe", "[" + json::serialize(id) + "]", &ws) == false);
  CHECK(subs.size() == 1);
}

TEST_CASE("subscriptions render newHeads and matching logs as eth_subscription notifications") {
  FakeBackend be;
  const BlockView& b5 = be.chain().blocks[5];
  auto published = PublishedBlock::make(b5.block, b5.hash, be.chain().receipts[5]);
  REQUIRE(published->logs.size() == 2);

  SubscriptionSet subs(10);
  Subscription heads;
  std::string headsId = subs.add(heads);
  Subscription second;  // the second log of block 5 only
  second.kind = Subscription::Kind::Logs;
  second.criteria.topics = {{}, {filled(0x01)}};
  std::string secondId = subs.add(second);
  Subscription other;  // another emitter: never notified
  other.kind = Subscription::Kind::Logs;
  other.criteria.addresses = {addr(0x01)};
  subs.add(other);
  Subscription all;
  all.kind = Subscription::Kind::Logs;
  std::string allId = subs.add(all);

  std::vector<std::string> out;
  subs.render(*published, out);
  REQUIRE(out.size() == 4);
  auto note = [](const std::string& id, json::value result) {
    return json::value(json::object{
        {"jsonrpc", "2.0"},
        {"method", "eth_subscription"},
        {"params", json::object{{"subscription", id}, {"result", std::move(result)}}}});
  };
  json::object head = expectedBlock5({});
  for (const char* k : {"size", "transactions", "uncles"}) head.erase(k);
  CHECK(json::parse(out[0]) == note(headsId, head));
  CHECK(json::parse(out[1]) == note(secondId, expectedLog(5, 1, 1)));
  CHECK(json::parse(out[2]) == note(allId, expectedLog(5, 0, 0)));
  CHECK(json::parse(out[3]) == note(allId, expectedLog(5, 1, 1)));

  // A block without logs: heads only.
  const BlockView& b3 = be.chain().blocks[3];
  out.clear();
  subs.render(*PublishedBlock::make(b3.block, b3.hash, be.chain().receipts[3]), out);
  REQUIRE(out.size() == 1);
  CHECK(json::parse(out[0]).at("params").at("result").at("number") == "0x3");

  // Unsubscribed: no more notifications for it.
  CHECK(subs.remove(headsId));
  CHECK_FALSE(subs.remove(headsId));
  out.clear();
  subs.render(*published, out);
  CHECK(out.size() == 3);
  for (const auto& m : out) CHECK(json::parse(m).at("params").at("subscription") != json::value(headsId));
}

}  // TEST_SUITE

}  // namespace tn::rpc
