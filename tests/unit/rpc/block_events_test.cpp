// Hook events (the block-events receipt) end to end: real blocks built by the executor and
// committed to a ChainStore, served by the node's Backend (apps/treasurenetd/node_backend.cpp)
// through the eth_ methods and the logs subscription; and the commit certificates stored with the
// blocks, through tn_getCommit; and the head state answered consistently while blocks commit.
#include <doctest/doctest.h>

#include <atomic>
#include <exception>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "apps/treasurenetd/node_backend.hpp"
#include "chain/blockbuilder.hpp"
#include "chain/genesis.hpp"
#include "consensus/vote.hpp"
#include "modules/bank/bank.hpp"
#include "modules/catalog/catalog.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/subscriptions.hpp"
#include "rpc/tn_api.hpp"
#include "tests/unit/chain/hook_module.hpp"
#include "tests/unit/chain/test_ledger.hpp"
#include "tests/unit/state/helpers.hpp"

namespace tn::rpc {

namespace json = boost::json;

namespace {

constexpr uint64_t kChain = 4242;
const Address kPingAddr = Address::fromU64(0x3000);
const Address kHooksAddr = Address::fromU64(0x4000);

// Emits Ping(uint256 indexed n) for each call.
class Pinger final : public Module {
 public:
  std::string name() const override { return "pinger"; }
  Address address() const override { return kPingAddr; }
  std::vector<EventDecl> events() override { return {{"Ping(uint256)", {true}}}; }
  std::vector<CallDecl> calls() override {
    return {{"ping(uint256)", "", Mutability::NonPayable,
             [](tn::CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
               ctx.emit(ctx.modules.event(ctx.self, "Ping(uint256)"), {a[0]});
               return {};
             }}};
  }
};

// Call data of Pinger's ping(n).
Bytes pingCall(uint64_t n) {
  Bytes data(4);
  auto sel = abi::selector("ping(uint256)");
  std::copy(sel.begin(), sel.end(), data.begin());
  append(data, abi::encode({abi::Type::parse("uint256")}, {U256(n)}));
  return data;
}

Transaction signedTx(const Hash32& key, uint64_t chainId, uint64_t nonce, const U256& fee,
                     const U256& tip, const Address& to, Bytes data, uint64_t gas) {
  Transaction t;
  t.type = Transaction::Type::DynamicFee;
  t.chainId = chainId;
  t.nonce = nonce;
  t.maxFeePerGas = fee;
  t.maxPriorityFeePerGas = tip;
  t.gasLimit = gas;
  t.to = to;
  t.data = std::move(data);
  t.sign(key);
  return t;
}

// A node without consensus or server: the executor, a chain database, NodeBackend, the eth_
// methods. Blocks are built and committed as the dev engine does, and published to `published`.
struct TestNode {
  std::unique_ptr<ModuleRegistry> registry;
  ChainParams params;
  std::unique_ptr<Executor> executor;
  tn::test::TempDir dir;
  std::unique_ptr<ChainStore> chain;
  std::unique_ptr<Mempool> mempool;
  std::unique_ptr<NodeBackend> backend;
  Dispatcher d;
  std::shared_ptr<const PublishedBlock> published;

  TestNode(std::unique_ptr<ModuleRegistry> modules, ChainParams p,
           const std::vector<GenesisAccount>& alloc,
           const json::value& modulesConfig = json::object{})
      : registry(std::move(modules)), params(std::move(p)) {
    executor = std::make_unique<Executor>(*registry, params);
    chain = std::make_unique<ChainStore>(dir.path());
    mempool =
        std::make_unique<Mempool>(MempoolConfig{params.chainId, 1000, 64, params.blockGasLimit});
    backend = std::make_unique<NodeBackend>(*chain, *executor, *mempool);
    addEthApi(d, *backend);
    EmptyState empty;
    Overlay state(empty);
    BlockContext ctx;
    ctx.chainId = params.chainId;
    ctx.timestamp = 1'700'000'000;
    ctx.baseFee = params.baseFee;
    for (const auto& a : alloc) registry->ledger().credit(state, a.address, a.balance);
    executor->initGenesis(state, ctx, modulesConfig);
    BlockHeader h;
    h.timestamp = ctx.timestamp;
    h.gasLimit = params.blockGasLimit;
    h.baseFeePerGas = params.baseFee;
    h.transactionsRoot = orderedRoot({});
    h.receiptsRoot = orderedRoot({});
    h.stateRoot = chain->prepareState(state.writes()).newRoot;
    chain->commitGenesis(h, state.writes(), json::object{{"chainId", params.chainId}});
  }

  // `consensus` and `commit` as the BFT engine gives them (empty: as the dev engine).
  SealedBlock mine(const std::vector<Transaction>& txs, const ConsensusData& consensus = {},
                   const std::function<Bytes(const Hash32& blockHash)>& commit = {}) {
    std::vector<std::shared_ptr<const Transaction>> c;
    for (const auto& t : txs) c.push_back(std::make_shared<const Transaction>(t));
    SealedBlock s = buildBlock(*chain, *executor, c, chain->head().timestamp + 1,
                               Address::fromU64(1), consensus);
    REQUIRE(s.dropped.empty());
    if (commit) s.block.commit = commit(s.block.header.hash());
    commitSealed(*chain, s);
    published = PublishedBlock::make(s.block, s.block.header.hash(), s.receipts);  // as onCommit
    return s;
  }

  json::value result(std::string_view method, const std::string& params) {
    CallContext http;
    std::string body = R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(method) +
                       R"(","params":)" + params + "}";
    auto out = d.handle(body, http);
    REQUIRE(out.has_value());
    json::value r = json::parse(*out);
    INFO(*out);
    REQUIRE(r.as_object().contains("result"));
    return r.at("result");
  }
};

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace

TEST_CASE(
    "rpc: hook events through NodeBackend: eth_getLogs, the block-events receipt, logs "
    "subscription") {
  const Hash32 key = tn::test::secretKey(21);
  const Address sender = addressOfSecret(key);
  auto ledger = std::make_shared<tn::test::TestLedger>();
  auto modules = std::make_unique<ModuleRegistry>(ledger);
  modules->add(std::make_shared<Pinger>());
  auto hooks = std::make_shared<tn::test::HookEmitter>(kHooksAddr);
  modules->add(hooks);
  ChainParams p;
  p.chainId = kChain;
  p.baseFee = 1;
  TestNode node(std::move(modules), p, {{sender, U256(1) << 80}});

  const Bytes data = pingCall(5);
  Transaction tx = signedTx(key, kChain, 0, 10, 2, kPingAddr, data, 100'000);
  SealedBlock s = node.mine({tx});
  const Hash32 blockHash = s.block.header.hash();
  const Hash32 eventsHash = blockEventsTxHash(1, blockHash);
  const std::string began = abi::eventTopic(tn::test::kBeganEvent).hex();

  // eth_getLogs with a topic filter: the begin-block event, after the transaction's log.
  json::value logs = node.result(
      "eth_getLogs", R"([{"fromBlock":"0x0","toBlock":"latest","topics":[")" + began + R"("]}])");
  REQUIRE(logs.as_array().size() == 1);
  json::object want{
      {"address", kHooksAddr.hex()},
      {"topics", json::array{json::string(began), json::string(u256ToBE32(U256(1)).hex())}},
      {"data", "0x"},
      {"blockNumber", "0x1"},
      {"transactionHash", eventsHash.hex()},
      {"transactionIndex", "0x1"},
      {"blockHash", blockHash.hex()},
      {"logIndex", "0x1"},
      {"removed", false},
  };
  CHECK(logs.at(0) == want);
  // By address, and all logs of the block (by block hash): the transaction's first.
  CHECK(node.result("eth_getLogs", R"([{"address":")" + kHooksAddr.hex() + R"("}])")
            .as_array()
            .size() == 2);
  json::value all = node.result("eth_getLogs", R"([{"blockHash":")" + blockHash.hex() + R"("}])");
  REQUIRE(all.as_array().size() == 3);
  CHECK(all.at(0).at("transactionHash") == json::value(tx.hash.hex()));
  CHECK(all.at(0).at("logIndex") == "0x0");
  CHECK(all.at(2).at("logIndex") == "0x2");
  CHECK(all.at(2).at("transactionHash") == json::value(eventsHash.hex()));

  // The block-events receipt by its synthetic hash.
  json::value r = node.result("eth_getTransactionReceipt", "[" + quoted(eventsHash.hex()) + "]");
  CHECK(r.at("transactionHash") == json::value(eventsHash.hex()));
  CHECK(r.at("transactionIndex") == "0x1");
  CHECK(r.at("blockHash") == json::value(blockHash.hex()));
  CHECK(r.at("blockNumber") == "0x1");
  CHECK(r.at("from") == json::value(Address().hex()));
  CHECK(r.at("to").is_null());
  CHECK(r.at("contractAddress").is_null());
  CHECK(r.at("gasUsed") == "0x0");
  CHECK(r.at("cumulativeGasUsed") == json::value(toQuantity(s.block.header.gasUsed)));
  CHECK(r.at("effectiveGasPrice") == "0x0");
  CHECK(r.at("status") == "0x1");
  CHECK(r.at("type") == "0x0");
  CHECK_FALSE(r.as_object().contains("revertReason"));
  REQUIRE(r.at("logs").as_array().size() == 2);
  CHECK(r.at("logs").at(0) == want);
  CHECK(r.at("logs").at(1).at("logIndex") == "0x2");
  // In eth_getBlockReceipts it follows the transaction's, log indexes counting through the block.
  json::value both = node.result("eth_getBlockReceipts", R"(["0x1"])");
  REQUIRE(both.as_array().size() == 2);
  CHECK(both.at(0).at("logs").at(0).at("logIndex") == "0x0");
  CHECK(both.at(1) == r);
  Bloom ownBloom;
  for (const Log& l : s.receipts.back().logs) bloomAddLog(ownBloom, l);
  CHECK(r.at("logsBloom") == json::value(ownBloom.hex()));
  // It is not a transaction; the block's transactions are unchanged.
  CHECK(node.result("eth_getTransactionByHash", "[" + quoted(eventsHash.hex()) + "]").is_null());
  CHECK(node.result("eth_getBlockTransactionCountByNumber", R"(["0x1"])") == "0x1");
  json::value block = node.result("eth_getBlockByNumber", R"(["0x1", false])");
  CHECK(block.at("transactions") == json::value(json::array{json::string(tx.hash.hex())}));
  CHECK(block.at("logsBloom") == json::value(s.block.header.logsBloom.hex()));
  json::value txReceipt =
      node.result("eth_getTransactionReceipt", "[" + quoted(tx.hash.hex()) + "]");
  CHECK(txReceipt.at("transactionIndex") == "0x0");
  CHECK(txReceipt.at("logs").as_array().size() == 1);
  // eth_feeHistory's tips count transactions only (the tip paid: 2).
  json::value fees = node.result("eth_feeHistory", R"(["0x1", "latest", [0, 100]])");
  CHECK(fees.at("reward").at(0) == json::value(json::array{"0x2", "0x2"}));

  // The logs subscription: the same log objects, filtered the same way.
  REQUIRE(node.published);
  SubscriptionSet subs(10);
  Subscription sub;
  sub.kind = Subscription::Kind::Logs;
  sub.criteria.topics = {{abi::eventTopic(tn::test::kBeganEvent)}};
  std::string id = subs.add(sub);
  std::vector<std::string> out;
  subs.render(*node.published, out);
  REQUIRE(out.size() == 1);
  CHECK(json::parse(out[0]).at("params").at("result") == want);

  // A block without hook events: no block-events receipt, nothing under its would-be hash.
  hooks->enabled = false;
  SealedBlock quiet = node.mine({signedTx(key, kChain, 1, 10, 2, kPingAddr, data, 100'000)});
  CHECK(quiet.receipts.size() == 1);
  CHECK(quiet.block.header.receiptsRoot == receiptsRoot({quiet.receipts[0]}));
  const Hash32 none = blockEventsTxHash(2, quiet.block.header.hash());
  CHECK(node.result("eth_getTransactionReceipt", "[" + quoted(none.hex()) + "]").is_null());
  CHECK(node.result("eth_getLogs", R"([{"fromBlock":"0x2","topics":[")" + began + R"("]}])")
            .as_array()
            .empty());
  CHECK(node.published->logs.size() == 1);
}

TEST_CASE(
    "rpc: staking's end-block BlockRewarded event is visible in eth_getLogs and its receipt") {
  // The standard modules with one genesis validator: each block's endBlock pays the reward.
  auto accounts = devAccounts(2);
  Genesis g = devGenesis(kChain, accounts, U256(1'000'000) * U256(1'000'000'000'000'000'000ull),
                         1'700'000'000);
  g.modules.as_object()["staking"] = json::object{
      {"validators", json::array{json::object{{"address", accounts[1].address.checksumHex()},
                                              {"selfStake", "200000000000000000000"},
                                              {"moniker", "node1"}}}}};
  ChainParams p = g.params();
  p.feeCollector = kFeeCollector;
  TestNode node(makeStandardModules(), p, g.alloc, g.modules);
  // A transfer pays a fee, so the reward pot is not empty whatever the emission schedule says.
  Transaction tx =
      signedTx(accounts[0].secretKey, kChain, 0, p.baseFee, 0, accounts[1].address, {}, 21000);
  SealedBlock s = node.mine({tx});
  REQUIRE(s.receipts.size() == 2);
  REQUIRE(s.receipts.back().blockEvents);

  const Hash32 topic =
      node.registry->event(kStakingAddress, "BlockRewarded(uint256,uint256,uint256,uint256)")
          .topic0;
  json::value logs =
      node.result("eth_getLogs", R"([{"fromBlock":"0x1","address":")" + kStakingAddress.hex() +
                                     R"(","topics":[")" + topic.hex() + R"("]}])");
  REQUIRE(logs.as_array().size() == 1);
  const Hash32 eventsHash = blockEventsTxHash(1, s.block.header.hash());
  CHECK(logs.at(0).at("transactionHash") == json::value(eventsHash.hex()));
  CHECK(logs.at(0).at("transactionIndex") == "0x1");
  CHECK(bloomMayContain(s.block.header.logsBloom, kStakingAddress));
  json::value r = node.result("eth_getTransactionReceipt", "[" + quoted(eventsHash.hex()) + "]");
  // eth_getBlockReceipts (NodeBackend's, one read of the block's receipts): the transaction's
  // receipt, then the block-events one, each as eth_getTransactionReceipt gives it.
  const json::array all{node.result("eth_getTransactionReceipt", "[" + quoted(tx.hash.hex()) + "]"),
                        r};
  CHECK(node.result("eth_getBlockReceipts", R"(["0x1"])") == all);
  CHECK(node.result("eth_getBlockReceipts", "[" + quoted(s.block.header.hash().hex()) + "]") ==
        all);
  CHECK(node.result("eth_getBlockReceipts", R"(["latest"])") == all);
  CHECK(node.result("eth_getBlockReceipts", R"(["earliest"])") == json::array{});
  CHECK(node.result("eth_getBlockReceipts", R"(["0x2"])").is_null());
  bool found = false;
  for (const auto& l : r.at("logs").as_array())
    found = found || l.at("topics").at(0) == json::value(topic.hex());
  CHECK(found);
}

TEST_CASE("rpc: tn_getCommit serves the certificate a block's successor records, else its own") {
  auto modules = std::make_unique<ModuleRegistry>(std::make_shared<tn::test::TestLedger>());
  ChainParams p;
  p.chainId = kChain;
  p.baseFee = 1;
  TestNode node(std::move(modules), p, {});
  addTnApi(node.d, *node.backend);
  std::vector<Hash32> keys;
  for (uint64_t i = 0; i < 4; ++i) keys.push_back(tn::test::secretKey(40 + i));
  // Precommits of keys[first..first+2] for (height, round 1, blockHash), in address order.
  auto certificate = [&](uint64_t height, const Hash32& blockHash, std::size_t first) {
    bft::Commit c{height, 1, blockHash, {}};
    const Hash32 digest = bft::signingHash(kChain, bft::MsgType::Precommit, height, 1, blockHash);
    for (std::size_t i = first; i < first + 3; ++i)
      c.sigs.push_back({addressOfSecret(keys[i]), signHash(digest, keys[i])});
    std::sort(c.sigs.begin(), c.sigs.end(),
              [](const auto& a, const auto& b) { return a.validator < b.validator; });
    return c;
  };
  auto checkServed = [&](const json::value& r, const bft::Commit& want, bool canonical) {
    INFO(json::serialize(r));
    CHECK(r.at("number") == json::value(want.height));
    CHECK(r.at("hash") == json::value(want.blockHash.hex()));
    CHECK(r.at("round") == json::value(1));
    CHECK(r.at("canonical") == json::value(canonical));
    CHECK(r.at("raw") == json::value(toHex(want.encode())));
    const Hash32 digest =
        bft::signingHash(kChain, bft::MsgType::Precommit, want.height, 1, want.blockHash);
    CHECK(r.at("signingHash") == json::value(digest.hex()));
    const json::array& pcs = r.at("precommits").as_array();
    REQUIRE(pcs.size() == want.sigs.size());
    for (std::size_t i = 0; i < pcs.size(); ++i) {
      CHECK(pcs[i].at("validator") == json::value(want.sigs[i].validator.hex()));
      // The JSON alone lets a client check the signature.
      Signature sig{quantityToU256(pcs[i].at("r").as_string()),
                    quantityToU256(pcs[i].at("s").as_string()),
                    uint8_t(quantityToU64(pcs[i].at("yParity").as_string()))};
      CHECK(recoverAddress(digest, sig) == want.sigs[i].validator);
    }
  };

  // Block 1 with the certificate this node collected (validators 0-2).
  bft::Commit own1;
  SealedBlock b1 = node.mine({}, {}, [&](const Hash32& h) {
    own1 = certificate(1, h, 0);
    return own1.encode();
  });
  checkServed(node.result("tn_getCommit", R"(["0x1"])"), own1, false);
  checkServed(node.result("tn_getCommit", R"(["latest"])"), own1, false);

  // Block 2 records block 1's certificate as its proposer collected it (validators 1-3): that
  // one is served from now on, by number and by hash.
  ConsensusData cd;
  const bft::Commit recorded1 = certificate(1, b1.block.header.hash(), 1);
  cd.lastCommit = recorded1.encode();
  bft::Commit own2;
  node.mine({}, cd, [&](const Hash32& h) {
    own2 = certificate(2, h, 0);
    return own2.encode();
  });
  checkServed(node.result("tn_getCommit", R"(["0x1"])"), recorded1, true);
  checkServed(node.result("tn_getCommit", "[" + quoted(b1.block.header.hash().hex()) + "]"),
              recorded1, true);
  checkServed(node.result("tn_getCommit", R"(["latest"])"), own2, false);

  // Unknown block: null. The genesis block and a dev-engine block have none: an error says so.
  CHECK(node.result("tn_getCommit", R"(["0x63"])").is_null());
  node.mine({});
  checkServed(node.result("tn_getCommit", R"(["0x2"])"), own2, false);
  for (const char* block : {"0x0", "0x3"}) {
    CallContext http;
    auto out = node.d.handle(
        std::string(R"({"jsonrpc":"2.0","id":1,"method":"tn_getCommit","params":[")") + block +
            "\"]}",
        http);
    REQUIRE(out.has_value());
    json::value r = json::parse(*out);
    INFO(*out);
    REQUIRE(r.as_object().contains("error"));
    CHECK(r.at("error").at("code") == json::value(code::kServer));
    CHECK(std::string(r.at("error").at("message").as_string())
              .find(block == std::string("0x0") ? "genesis" : "no commit certificate") !=
          std::string::npos);
  }
}

// A proof entry of tn_getProof as a client reads it: the JSON alone, checked with the tree's own
// verify against `root`.
static bool proofVerifies(const json::value& entry, const Hash32& root) {
  smt::Proof proof;
  for (const json::value& h : entry.at("siblings").as_array())
    proof.siblings.push_back(Hash32::fromHex(h.as_string()));
  if (!entry.at("leaf").is_null())
    proof.leaf = smt::Proof::Leaf{Hash32::fromHex(entry.at("leaf").at("path").as_string()),
                                  Hash32::fromHex(entry.at("leaf").at("valueHash").as_string())};
  // The serialized form says the same.
  if (smt::Proof::deserialize(fromHex(entry.at("proof").as_string())) != proof) return false;
  const Bytes key = fromHex(entry.at("key").as_string());
  std::optional<Bytes> value;
  if (!entry.at("value").is_null()) value = fromHex(entry.at("value").as_string());
  return StateTree::verify(
      root, key, value ? std::optional<BytesView>(*value) : std::optional<BytesView>(), proof);
}

TEST_CASE("rpc: tn_getProof proves accounts and module state against the head's stateRoot") {
  auto accounts = devAccounts(3);
  Genesis g = devGenesis(kChain, accounts, U256(1'000'000) * U256(1'000'000'000'000'000'000ull),
                         1'700'000'000);
  ChainParams p = g.params();
  p.feeCollector = kFeeCollector;
  TestNode node(makeStandardModules(), p, g.alloc, g.modules);
  addTnApi(node.d, *node.backend);
  const Address to = Address::fromU64(0xabcdef);
  Transaction tx = signedTx(accounts[0].secretKey, kChain, 0, p.baseFee, 0, to, {}, 21000);
  SealedBlock s = node.mine({tx});
  const Hash32 root = s.block.header.stateRoot;

  // The sender: its record proven, nonce and balance as eth_ reports them; a module key too.
  const std::string moduleKey = toHex(toBytes("roles/"));
  json::value r = node.result("tn_getProof", "[" + quoted(accounts[0].address.hex()) + ", [\"" +
                                                 moduleKey + "\"], \"latest\"]");
  INFO(json::serialize(r));
  CHECK(r.at("blockNumber") == "0x1");
  CHECK(r.at("blockHash") == json::value(s.block.header.hash().hex()));
  CHECK(r.at("stateRoot") == json::value(root.hex()));
  CHECK(r.at("address") == json::value(accounts[0].address.checksumHex()));
  CHECK(r.at("nonce") == "0x1");
  CHECK(r.at("balance") ==
        node.result("eth_getBalance", "[" + quoted(accounts[0].address.hex()) + ", \"latest\"]"));
  const json::value& account = r.at("accountProof");
  CHECK(account.at("key") == json::value(toHex(Bank::key(accounts[0].address))));
  REQUIRE(account.at("value").is_string());
  CHECK(proofVerifies(account, root));
  CHECK_FALSE(proofVerifies(account, node.chain->header(0)->stateRoot));  // another root
  // A changed value does not verify: the balance is bound by the proof.
  json::value forged = account;
  std::string value(forged.at("value").as_string());
  value.back() = value.back() == '0' ? '1' : '0';
  forged.as_object()["value"] = value;
  CHECK_FALSE(proofVerifies(forged, root));
  // An absent module key: an exclusion proof that verifies with no value.
  REQUIRE(r.at("stateProofs").as_array().size() == 1);
  const json::value& absent = r.at("stateProofs").at(0);
  CHECK(absent.at("value").is_null());
  CHECK(proofVerifies(absent, root));

  // A fresh address: nonce 0, balance 0, its account absent, proven so.
  const Address fresh = Address::fromU64(0x5eed);
  r = node.result("tn_getProof", "[" + quoted(fresh.hex()) + "]");
  CHECK(r.at("balance") == "0x0");
  CHECK(r.at("accountProof").at("value").is_null());
  CHECK(proofVerifies(r.at("accountProof"), root));
  CHECK(r.at("stateProofs").as_array().empty());

  // By number and hash of the head; an older block's state is not kept.
  CHECK(node.result("tn_getProof", "[" + quoted(fresh.hex()) + ", [], \"0x1\"]").at("stateRoot") ==
        json::value(root.hex()));
  CHECK(node.result("tn_getProof", "[" + quoted(fresh.hex()) + ", [], " +
                                       quoted(s.block.header.hash().hex()) + "]")
            .at("blockNumber") == "0x1");
  for (const std::string block : {"\"0x0\"", "\"earliest\"", "\"0x7\""}) {
    CallContext http;
    auto out = node.d.handle(R"({"jsonrpc":"2.0","id":1,"method":"tn_getProof","params":[")" +
                                 fresh.hex() + R"(", [], )" + block + "]}",
                             http);
    REQUIRE(out.has_value());
    INFO(*out);
    json::value e = json::parse(*out);
    REQUIRE(e.as_object().contains("error"));
    CHECK(e.at("error").at("code") == json::value(code::kServer));
    CHECK(std::string(e.at("error").at("message").as_string())
              .find("historical state not available") != std::string::npos);
  }
  // Limits: 101 keys, a key of 1025 bytes.
  std::string many = "[";
  for (int i = 0; i <= 100; ++i) many += std::string(i ? "," : "") + "\"0x01\"";
  many += "]";
  const std::string bigKey = "[\"0x" + std::string(2050, 'a') + "\"]";
  for (const std::string& keys : {many, bigKey}) {
    CallContext http;
    auto out = node.d.handle(R"({"jsonrpc":"2.0","id":1,"method":"tn_getProof","params":[")" +
                                 fresh.hex() + R"(", )" + keys + "]}",
                             http);
    REQUIRE(out.has_value());
    CHECK(json::parse(*out).at("error").at("code") == json::value(code::kInvalidParams));
  }

  // After the next block the proofs follow the new head.
  Transaction second = signedTx(accounts[0].secretKey, kChain, 1, p.baseFee, 0, to, {}, 21000);
  SealedBlock s2 = node.mine({second});
  r = node.result("tn_getProof", "[" + quoted(accounts[0].address.hex()) + "]");
  CHECK(r.at("nonce") == "0x2");
  CHECK(r.at("stateRoot") == json::value(s2.block.header.stateRoot.hex()));
  CHECK(proofVerifies(r.at("accountProof"), s2.block.header.stateRoot));
  CHECK_FALSE(proofVerifies(r.at("accountProof"), root));
}

TEST_CASE(
    "rpc: NodeBackend answers a block number's state with that block's, while blocks commit") {
  const Hash32 key = tn::test::secretKey(22);
  const Address sender = addressOfSecret(key);
  auto ledger = std::make_shared<tn::test::TestLedger>();
  auto modules = std::make_unique<ModuleRegistry>(ledger);
  modules->add(std::make_shared<Pinger>());
  ChainParams p;
  p.chainId = kChain;
  p.baseFee = 1;
  TestNode node(std::move(modules), p, {{sender, U256(1) << 80}});
  const Bytes data = pingCall(5);

  constexpr uint64_t kBlocks = 150;
  std::atomic<bool> done{false};
  std::exception_ptr failure;
  std::jthread committer([&] {
    try {
      for (uint64_t b = 1; b <= kBlocks; ++b) {
        // Two transactions per block: the sender's nonce after block n is 2n.
        std::vector<std::shared_ptr<const Transaction>> txs;
        for (uint64_t nonce : {2 * b - 2, 2 * b - 1})
          txs.push_back(std::make_shared<const Transaction>(
              signedTx(key, kChain, nonce, 10, 2, kPingAddr, data, 100'000)));
        SealedBlock s = buildBlock(*node.chain, *node.executor, txs, 1'700'000'000 + b,
                                   Address::fromU64(1));
        commitSealed(*node.chain, s);
      }
    } catch (...) {
      failure = std::current_exception();
    }
    done = true;
  });
  int answered = 0, refused = 0, wrong = 0;
  while (!done) {
    // The head as a client last saw it: asking for its state by number (or hash) gets that
    // block's state, or "historical state not available" once the head has moved on; never a
    // later block's state under the number asked for.
    const uint64_t n = node.chain->height();
    const Hash32 hash = node.chain->header(n)->hash();
    for (const BlockTag& tag : {BlockTag::at(n), BlockTag::byHash(hash)}) {
      try {
        wrong += node.backend->nonce(sender, tag) != 2 * n;
        const HeadState head = node.backend->headState();
        wrong += ledger->nonce(*head.state, sender) != 2 * head.number;
        ++answered;
      } catch (const RpcError& e) {
        REQUIRE(std::string(e.what()).find("historical state not available") != std::string::npos);
        ++refused;
      }
    }
  }
  committer.join();
  if (failure) std::rethrow_exception(failure);
  INFO(answered << " answered, " << refused << " refused");
  CHECK(answered > 0);
  CHECK(wrong == 0);
}

}  // namespace tn::rpc
