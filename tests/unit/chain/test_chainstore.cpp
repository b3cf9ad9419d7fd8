// Blocks built, committed, read back, queried for logs and re-applied on a second database.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "chain/blockbuilder.hpp"
#include "chain/rlp.hpp"
#include "tests/unit/chain/hook_module.hpp"
#include "tests/unit/chain/test_genesis.hpp"
#include "tests/unit/chain/test_ledger.hpp"
#include "tests/unit/state/helpers.hpp"

using namespace tn;
using tn::test::TestLedger;

namespace {

const Address kEmitter = Address::fromU64(0x3000);
constexpr uint64_t kChain = 42;

// Emits Ping(uint256 indexed n) for each call.
class Pinger final : public Module {
 public:
  std::string name() const override { return "pinger"; }
  Address address() const override { return kEmitter; }
  std::vector<EventDecl> events() override { return {{"Ping(uint256)", {true}}}; }
  std::vector<CallDecl> calls() override {
    return {{"ping(uint256)", "", Mutability::NonPayable,
             [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
               ctx.put(asBytes("pinger/last"), u256ToBE32(a[0].asUint()));
               ctx.emit(ctx.modules.event(ctx.self, "Ping(uint256)"), {a[0]});
               return {};
             }}};
  }
};

struct Node {
  std::shared_ptr<TestLedger> ledger = std::make_shared<TestLedger>();
  ModuleRegistry registry{ledger};
  ChainParams params;
  std::unique_ptr<Executor> executor;
  std::unique_ptr<ChainStore> chain;

  explicit Node(const std::filesystem::path& dir) {
    registry.add(std::make_shared<Pinger>());
    params.chainId = kChain;
    params.baseFee = 1;
    executor = std::make_unique<Executor>(registry, params);
    chain = std::make_unique<ChainStore>(dir);
  }
  void genesis(const Address& funded) {
    EmptyState empty;
    Overlay state(empty);
    TestLedger::write(state, funded, {0, U256(1) << 80});
    test::commitTestGenesis(*chain, params, state.writes(),
                            boost::json::object{{"chainId", kChain}});
  }
};

std::shared_ptr<const Transaction> ping(const Hash32& key, uint64_t nonce, uint64_t n) {
  Transaction t;
  t.chainId = kChain;
  t.nonce = nonce;
  t.maxFeePerGas = 2;
  t.maxPriorityFeePerGas = 1;
  t.gasLimit = 100'000;
  t.to = kEmitter;
  auto s = abi::selector("ping(uint256)");
  t.data.assign(s.begin(), s.end());
  append(t.data, abi::encode({abi::Type::parse("uint256")}, {U256(n)}));
  t.sign(key);
  return std::make_shared<const Transaction>(std::move(t));
}

}  // namespace

TEST_CASE("chainstore: build, commit, reopen, query and replay blocks") {
  test::TempDir dirA, dirB;
  Hash32 key = test::secretKey(7);
  Address sender = addressOfSecret(key);
  std::vector<Hash32> roots, hashes;
  {
    Node a(dirA.path());
    a.genesis(sender);
    CHECK(a.chain->height() == 0);
    uint64_t nonce = 0;
    for (uint64_t b = 1; b <= 3; ++b) {
      std::vector<std::shared_ptr<const Transaction>> txs;
      for (int i = 0; i < 4; ++i) txs.push_back(ping(key, nonce++, b * 10 + i));
      SealedBlock s = buildBlock(*a.chain, *a.executor, txs, 1000 + b, Address::fromU64(1));
      CHECK(s.dropped.empty());
      commitSealed(*a.chain, s);
      roots.push_back(a.chain->head().stateRoot);
      hashes.push_back(a.chain->headHash());
    }
    CHECK(a.chain->height() == 3);
    CHECK(a.chain->stateRoot() == roots.back());
  }
  // Reopen: the head, blocks, receipts and indexes survive.
  Node a(dirA.path());
  REQUIRE(a.chain->height() == 3);
  CHECK(a.chain->headHash() == hashes.back());
  auto b2 = a.chain->block(2);
  REQUIRE(b2);
  CHECK(b2->transactions.size() == 4);
  CHECK(b2->transactions[0].sender == sender);
  CHECK(a.chain->numberOf(hashes[1]) == std::optional<uint64_t>(2));
  auto loc = a.chain->txLocation(b2->transactions[3].hash);
  REQUIRE(loc);
  CHECK(loc->blockNumber == 2);
  CHECK(loc->index == 3);
  auto receipts = a.chain->receipts(2);
  REQUIRE(receipts.size() == 4);
  CHECK(receipts[3].success);
  CHECK(receipts[3].cumulativeGasUsed == 4 * receipts[0].gasUsed);
  CHECK(a.chain->header(2)->receiptsRoot == receiptsRoot(receipts));

  // Logs by address, by topic, by value of an indexed topic, and a result cap.
  LogFilter f;
  f.fromBlock = 0;
  f.toBlock = 3;
  f.addresses = {kEmitter};
  CHECK(a.chain->logs(f, {}).size() == 12);
  f.topics = {{abi::eventTopic("Ping(uint256)")}, {u256ToBE32(U256(21))}};
  auto one = a.chain->logs(f, {});
  REQUIRE(one.size() == 1);
  CHECK(one[0].blockNumber == 2);
  CHECK(one[0].logIndex == 1);
  CHECK(one[0].txIndex == 1);
  f.topics.clear();
  f.addresses = {Address::fromU64(0x9999)};
  CHECK(a.chain->logs(f, {}).empty());
  f.addresses.clear();
  CHECK(a.chain->logs(f, {10'000, 5}).size() == 5);
  CHECK_THROWS_AS(a.chain->logs({0, 20'000, {}, {}}, {10'000, 5}), LimitExceeded);

  // Replaying every block on an empty database reproduces every root.
  Node b(dirB.path());
  b.genesis(sender);
  CHECK(b.chain->headHash() == a.chain->header(0)->hash());
  for (uint64_t n = 1; n <= 3; ++n) {
    SealedBlock s = applyBlock(*b.chain, *b.executor, *a.chain->block(n));
    commitSealed(*b.chain, s);
    CHECK(b.chain->head().stateRoot == roots[n - 1]);
    CHECK(b.chain->headHash() == hashes[n - 1]);
  }
}

TEST_CASE(
    "chainstore: proveAtHead and headView stay consistent while blocks commit on another thread") {
  test::TempDir dir;
  const Hash32 key = test::secretKey(8);
  const Address sender = addressOfSecret(key);
  Node a(dir.path());
  a.genesis(sender);
  // Alternately three keys and as many as tn_getProof takes (the account and 100 more): the
  // longer a proof takes, the more commits it may overlap.
  std::vector<Bytes> keys = {TestLedger::key(sender), toBytes("pinger/last")};
  for (int i = 0; keys.size() < 101; ++i)
    keys.push_back(toBytes("never/written/" + std::to_string(i)));
  constexpr uint64_t kBlocks = 40;
  std::atomic<bool> done{false};
  std::exception_ptr failure;
  // A jthread: a failed REQUIRE (or a throw) below then reaches doctest after the committer is
  // joined, instead of std::terminate for a joinable std::thread.
  std::jthread committer([&] {
    try {
      for (uint64_t b = 1; b <= kBlocks; ++b) {
        // Two pings per block: the sender's nonce is twice the height, the last ping b * 10 + 1.
        std::vector<std::shared_ptr<const Transaction>> txs = {ping(key, 2 * b - 2, b * 10),
                                                               ping(key, 2 * b - 1, b * 10 + 1)};
        SealedBlock sealed = buildBlock(*a.chain, *a.executor, txs, 1000 + b, Address::fromU64(1));
        commitSealed(*a.chain, sealed);
      }
    } catch (...) {
      failure = std::current_exception();
    }
    done = true;
  });
  // The state published with a head is that block's: the sender's nonce is twice its number.
  auto checkState = [&](const ChainStore::HeadView& head) {
    CHECK(head.header.hash() == head.hash);
    CHECK(TestLedger::read(*head.state, sender).nonce == 2 * head.header.number);
  };
  std::set<uint64_t> heights;
  int proofs = 0;
  while (!done || proofs == 0) {
    // Blocks commit here back to back, far faster than any chain's: every call must still return
    // proofs, values and a head that belong together.
    const std::vector<Bytes> asked(keys.begin(), keys.begin() + (proofs % 2 ? keys.size() : 3));
    const ChainStore::HeadProof p = a.chain->proveAtHead(asked);
    ++proofs;
    heights.insert(p.head.header.number);
    REQUIRE(p.proofs.size() == asked.size());
    REQUIRE(p.values.size() == asked.size());
    checkState(p.head);
    // The first two keys' proofs and the last one's (checking all 101 would make the loop slow,
    // and fewer calls overlap fewer commits).
    for (std::size_t i : {std::size_t{0}, std::size_t{1}, asked.size() - 1}) {
      const std::optional<BytesView> value =
          p.values[i] ? std::optional<BytesView>(*p.values[i]) : std::nullopt;
      CHECK(StateTree::verify(p.head.header.stateRoot, asked[i], value, p.proofs[i]));
    }
    // The values are those of that head, not of a block before or after it.
    if (p.head.header.number > 0) {
      REQUIRE(p.values[1].has_value());
      CHECK(toHex(*p.values[1]) == toHex(u256ToBE32(U256(p.head.header.number * 10 + 1)).view()));
    }
    CHECK(std::none_of(p.values.begin() + 2, p.values.end(),
                       [](const std::optional<Bytes>& v) { return v.has_value(); }));
    checkState(a.chain->headView());
  }
  committer.join();
  if (failure) std::rethrow_exception(failure);
  CHECK(a.chain->height() == kBlocks);
  INFO(proofs << " proofs over " << heights.size() << " heads");
  CHECK(heights.size() > 5);  // the proofs were made while the head moved
}

TEST_CASE("chainstore: a tampered block is refused by applyBlock") {
  test::TempDir dirA, dirB;
  Hash32 key = test::secretKey(8);
  Node a(dirA.path()), b(dirB.path());
  a.genesis(addressOfSecret(key));
  b.genesis(addressOfSecret(key));
  SealedBlock s = buildBlock(*a.chain, *a.executor, {ping(key, 0, 1)}, 5, Address::fromU64(1));
  Block good = s.block;

  Block badRoot = good;
  badRoot.header.stateRoot.bytes[0] ^= 1;
  CHECK_THROWS_WITH_AS(applyBlock(*b.chain, *b.executor, badRoot), doctest::Contains("state root"),
                       std::runtime_error);
  Block badGas = good;
  badGas.header.gasUsed += 1;
  CHECK_THROWS_AS(applyBlock(*b.chain, *b.executor, badGas), std::runtime_error);
  Block badParent = good;
  badParent.header.parentHash.bytes[0] ^= 1;
  CHECK_THROWS_AS(applyBlock(*b.chain, *b.executor, badParent), std::runtime_error);
  Block replayed = good;
  replayed.transactions.push_back(good.transactions[0]);  // same nonce twice: invalid
  CHECK_THROWS_AS(applyBlock(*b.chain, *b.executor, replayed), std::runtime_error);

  SealedBlock ok = applyBlock(*b.chain, *b.executor, good);
  commitSealed(*b.chain, ok);
  CHECK(b.chain->head().stateRoot == good.header.stateRoot);
}

TEST_CASE("chainstore: commitBlock refuses a block that does not follow the head") {
  test::TempDir dir;
  Hash32 key = test::secretKey(9);
  Node a(dir.path());
  a.genesis(addressOfSecret(key));
  SealedBlock s = buildBlock(*a.chain, *a.executor, {ping(key, 0, 1)}, 5, Address::fromU64(1));
  s.block.header.number = 5;
  CHECK_THROWS_AS(commitSealed(*a.chain, s), std::logic_error);
  CHECK(a.chain->height() == 0);
}

TEST_CASE("block: header, receipt and block encodings round-trip; bloom matches its items") {
  BlockHeader h;
  h.number = 7;
  h.timestamp = 99;
  h.gasUsed = 21000;
  h.baseFeePerGas = 5;
  h.extraData = {1, 2, 3};
  h.stateRoot = keccak256(std::string_view("x"));
  CHECK(BlockHeader::decode(h.encode()).hash() == h.hash());

  Receipt r;
  r.txHash = keccak256(std::string_view("tx"));
  r.success = false;
  r.gasUsed = 30000;
  r.from = Address::fromU64(5);
  r.logs.push_back({Address::fromU64(6), {keccak256(std::string_view("t"))}, {9, 9}});
  bloomAddLog(r.bloom, r.logs[0]);
  r.output = abi::encodeError("bad");
  r.revertReason = "bad";
  Receipt back = Receipt::decode(r.encode());
  CHECK(back.encode() == r.encode());
  CHECK_FALSE(back.to.has_value());
  CHECK(bloomMayContain(back.bloom, Address::fromU64(6)));
  CHECK_FALSE(bloomMayContain(back.bloom, Address::fromU64(7)));

  CHECK(orderedRoot({}) == keccak256(BytesView{}));
  Hash32 a = keccak256(std::string_view("a")), b = keccak256(std::string_view("b"));
  CHECK(orderedRoot({a, b}) != orderedRoot({b, a}));
}

TEST_CASE("block: consensus data round-trips, binds the block hash and reaches the block context") {
  ConsensusData c;
  c.lastCommit = Bytes{0xc1, 0x80};
  c.evidence = {Bytes{1, 2, 3}};
  c.parentSigners = std::vector<Address>{Address::fromU64(1), Address::fromU64(2)};
  c.doubleSigns = {DoubleSign{Address::fromU64(2), 7}};
  CHECK(ConsensusData::decode(c.encode()) == c);
  ConsensusData none;
  CHECK(none.empty());
  CHECK_FALSE(ConsensusData::decode(none.encode()).parentSigners.has_value());
  ConsensusData emptySigners;  // "no one signed" differs from "no commit to count"
  emptySigners.parentSigners = std::vector<Address>{};
  CHECK(ConsensusData::decode(emptySigners.encode()).parentSigners.has_value());
  CHECK(emptySigners.hash() != none.hash());
  CHECK_THROWS(ConsensusData::decode(Bytes{0xc0}));

  // Hand-made encodings, field by field: [lastCommit, [evidence], [flag, [signers]], [[addr, h]]].
  auto encoded = [](uint64_t flag, std::vector<Bytes> signers, std::size_t signerFields,
                    Bytes doubleSigner) {
    rlp::Encoder e;
    auto all = e.beginList();
    e.bytes({});
    e.endList(e.beginList());
    auto ps = e.beginList();
    if (signerFields >= 1) e.uint(flag);
    if (signerFields >= 2) {
      auto list = e.beginList();
      for (const Bytes& a : signers) e.bytes(a);
      e.endList(list);
    }
    if (signerFields >= 3) e.uint(uint64_t{0});
    e.endList(ps);
    auto ds = e.beginList();
    auto pair = e.beginList();
    e.bytes(doubleSigner).uint(uint64_t{7});
    e.endList(pair);
    e.endList(ds);
    e.endList(all);
    return e.out();
  };
  auto decodeError = [](const Bytes& in) -> std::string {
    try {
      ConsensusData::decode(in);
    } catch (const rlp::Error& e) {
      return e.what();
    }
    return "decoded";
  };
  const Bytes a20(20, 0xaa), a19(19, 0xaa);
  const ConsensusData good = ConsensusData::decode(encoded(1, {a20}, 2, a20));
  CHECK(good.parentSigners == std::vector<Address>{Address::fromView(a20)});
  CHECK(good.doubleSigns == std::vector<DoubleSign>{DoubleSign{Address::fromView(a20), 7}});
  CHECK(decodeError(encoded(0, {a20}, 2, a20)).find("signers without the flag") !=
        std::string::npos);
  CHECK(decodeError(encoded(2, {}, 2, a20)).find("bad signer flag") != std::string::npos);
  CHECK(decodeError(encoded(1, {a20, a19}, 2, a20)).find("bad signer address") !=
        std::string::npos);
  CHECK(decodeError(encoded(1, {}, 1, a20)).find("bad signer list") != std::string::npos);
  CHECK(decodeError(encoded(1, {}, 3, a20)).find("bad signer list") != std::string::npos);
  CHECK(decodeError(encoded(1, {}, 2, a19)).find("bad double sign") != std::string::npos);

  // Facts reach modules through the block context: a module that records them.
  struct Recorder final : public Module {
    std::string name() const override { return "recorder"; }
    Address address() const override { return Address::fromU64(0x3001); }
    std::vector<CallDecl> calls() override { return {}; }
    void endBlock(HookContext& ctx) override {
      Bytes v{uint8_t(ctx.block.parentSigners ? ctx.block.parentSigners->size() : 0xff),
              uint8_t(ctx.block.doubleSigns.size())};
      ctx.state.put(asBytes("recorder/facts"), v);
    }
  };
  test::TempDir dirA, dirB;
  Hash32 key = test::secretKey(9);
  Node a(dirA.path()), b(dirB.path());
  a.registry.add(std::make_shared<Recorder>());
  b.registry.add(std::make_shared<Recorder>());
  a.genesis(addressOfSecret(key));
  b.genesis(addressOfSecret(key));
  SealedBlock s = buildBlock(*a.chain, *a.executor, {ping(key, 0, 1)}, 5, Address::fromU64(1), c);
  const Hash32 ch = c.hash();
  CHECK(s.block.header.extraData == Bytes(ch.data(), ch.data() + 32));
  commitSealed(*a.chain, s);
  CHECK(*a.chain->state()->get(asBytes("recorder/facts")) == Bytes{2, 1});
  Block stored = *a.chain->block(1);
  CHECK(stored.consensus == c);

  Block forged = s.block;  // other proofs under the same header: refused
  forged.consensus.evidence = {Bytes{9}};
  CHECK_THROWS_WITH_AS(applyBlock(*b.chain, *b.executor, forged), doctest::Contains("extraData"),
                       std::runtime_error);
  forged = s.block;  // other facts: execution differs
  forged.consensus.doubleSigns.clear();
  CHECK_THROWS_WITH_AS(applyBlock(*b.chain, *b.executor, forged), doctest::Contains("state root"),
                       std::runtime_error);
  forged.consensus.doubleSigns = c.doubleSigns;
  forged.consensus.parentSigners->pop_back();
  CHECK_THROWS_AS(applyBlock(*b.chain, *b.executor, forged), std::runtime_error);
  Block decoded = Block::decode(s.block.encode(false));
  CHECK(decoded.consensus == c);
  decoded.transactions[0].sender = s.block.transactions[0].sender;
  SealedBlock ok = applyBlock(*b.chain, *b.executor, decoded);
  CHECK(ok.block.header.stateRoot == s.block.header.stateRoot);
}

TEST_CASE("block: block-events receipt encodes a zero tx hash; the synthetic hash formula") {
  Log l{Address::fromU64(0x4000), {keccak256(std::string_view("t"))}, {1}};
  Receipt r = makeBlockEventsReceipt({l}, 63000);
  CHECK(r.blockEvents);
  CHECK(r.success);
  CHECK(r.gasUsed == 0);
  CHECK(r.cumulativeGasUsed == 63000);
  CHECK(bloomMayContain(r.bloom, Address::fromU64(0x4000)));
  Bytes before = r.encode();
  const Hash32 blockHash = keccak256(std::string_view("block"));
  r.txHash = blockEventsTxHash(9, blockHash);
  CHECK(r.encode() == before);  // the name is not committed
  Receipt back = Receipt::decode(before);
  CHECK(back.blockEvents);
  CHECK(back.txHash.isZero());
  CHECK(back.logs.size() == 1);
  Receipt tx;
  tx.txHash = keccak256(std::string_view("tx"));
  CHECK_FALSE(Receipt::decode(tx.encode()).blockEvents);

  // keccak256("treasurenet-block-events" ‖ be64(number) ‖ blockHash)
  Bytes pre = toBytes("treasurenet-block-events");
  for (int i = 0; i < 7; ++i) pre.push_back(0);
  pre.push_back(9);
  append(pre, blockHash.view());
  CHECK(blockEventsTxHash(9, blockHash) == keccak256(pre));
  CHECK(blockEventsTxHash(10, blockHash) != blockEventsTxHash(9, blockHash));
}

TEST_CASE("chainstore: hook events stored with the receipts, served as block-events logs") {
  const Address hooksAddr = Address::fromU64(0x4000);
  const Hash32 began = abi::eventTopic(test::kBeganEvent),
               ended = abi::eventTopic(test::kEndedEvent);
  test::TempDir dirA, dirB;
  Hash32 key = test::secretKey(11);
  Address sender = addressOfSecret(key);
  std::vector<Hash32> hashes;
  {
    Node a(dirA.path());
    auto hooks = std::make_shared<test::HookEmitter>(hooksAddr);
    a.registry.add(hooks);
    a.genesis(sender);
    // Block 1: two pings and the hook events; block 2: hook events only; block 3: a ping, no hook
    // events.
    std::vector<std::vector<std::shared_ptr<const Transaction>>> blocks = {
        {ping(key, 0, 1), ping(key, 1, 2)}, {}, {ping(key, 2, 3)}};
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      hooks->enabled = i < 2;
      SealedBlock s = buildBlock(*a.chain, *a.executor, blocks[i], 1000 + i, Address::fromU64(1));
      commitSealed(*a.chain, s);
      hashes.push_back(a.chain->headHash());
    }
  }
  Node a(dirA.path());  // reopened
  REQUIRE(a.chain->height() == 3);

  auto r1 = a.chain->receipts(1);
  REQUIRE(r1.size() == 3);
  CHECK_FALSE(r1[1].blockEvents);
  CHECK(r1[2].blockEvents);
  CHECK(r1[2].txHash == blockEventsTxHash(1, hashes[0]));
  CHECK(r1[2].cumulativeGasUsed == a.chain->header(1)->gasUsed);
  REQUIRE(r1[2].logs.size() == 2);
  CHECK(a.chain->header(1)->receiptsRoot == receiptsRoot(r1));
  CHECK(a.chain->block(1)->transactions.size() == 2);  // no transaction added
  auto loc = a.chain->txLocation(r1[2].txHash);
  REQUIRE(loc);
  CHECK(loc->blockNumber == 1);
  CHECK(loc->index == 2);

  auto r2 = a.chain->receipts(2);
  REQUIRE(r2.size() == 1);
  CHECK(r2[0].blockEvents);
  CHECK(r2[0].txHash == blockEventsTxHash(2, hashes[1]));
  CHECK(a.chain->txLocation(r2[0].txHash)->index == 0);
  auto r3 = a.chain->receipts(3);
  REQUIRE(r3.size() == 1);
  CHECK_FALSE(r3[0].blockEvents);
  CHECK(a.chain->header(3)->receiptsRoot == receiptsRoot(r3));
  CHECK(bloomMayContain(a.chain->header(2)->logsBloom, hooksAddr));
  CHECK_FALSE(bloomMayContain(a.chain->header(3)->logsBloom, hooksAddr));
  CHECK_FALSE(a.chain->txLocation(blockEventsTxHash(3, hashes[2])));

  // By topic: transactionIndex = the block's transaction count, log indexes after the
  // transactions' logs, the synthetic transaction hash.
  LogFilter f;
  f.fromBlock = 0;
  f.toBlock = 3;
  f.topics = {{began}};
  auto got = a.chain->logs(f, {});
  REQUIRE(got.size() == 2);
  CHECK(got[0].blockNumber == 1);
  CHECK(got[0].blockHash == hashes[0]);
  CHECK(got[0].txHash == r1[2].txHash);
  CHECK(got[0].txIndex == 2);
  CHECK(got[0].logIndex == 2);
  CHECK(got[0].log.address == hooksAddr);
  CHECK(got[1].blockNumber == 2);
  CHECK(got[1].txHash == r2[0].txHash);
  CHECK(got[1].txIndex == 0);
  CHECK(got[1].logIndex == 0);
  // An indexed value, and the end-block event after the begin-block one.
  f.topics = {{ended}, {u256ToBE32(U256(1))}};
  got = a.chain->logs(f, {});
  REQUIRE(got.size() == 1);
  CHECK(got[0].logIndex == 3);
  CHECK(got[0].txIndex == 2);
  // By address; and unfiltered (the bloom pre-filter keeps block 2).
  f.topics.clear();
  f.addresses = {hooksAddr};
  CHECK(a.chain->logs(f, {}).size() == 4);
  f.addresses.clear();
  got = a.chain->logs(f, {});
  REQUIRE(got.size() == 7);
  std::vector<std::pair<uint64_t, uint32_t>> order;
  for (const auto& e : got) order.emplace_back(e.blockNumber, e.logIndex);
  CHECK(order == std::vector<std::pair<uint64_t, uint32_t>>{
                     {1, 0}, {1, 1}, {1, 2}, {1, 3}, {2, 0}, {2, 1}, {3, 0}});
  CHECK(got[1].txIndex == 1);
  CHECK(got[1].log.address == kEmitter);

  // A second database re-applies the blocks, hook events included, to the same hashes.
  Node b(dirB.path());
  auto hooksB = std::make_shared<test::HookEmitter>(hooksAddr);
  b.registry.add(hooksB);
  b.genesis(sender);
  for (uint64_t n = 1; n <= 3; ++n) {
    hooksB->enabled = n < 3;
    SealedBlock s = applyBlock(*b.chain, *b.executor, *a.chain->block(n));
    commitSealed(*b.chain, s);
    CHECK(b.chain->headHash() == hashes[n - 1]);
  }
  CHECK(b.chain->receipts(2)[0].txHash == r2[0].txHash);
}

TEST_CASE("chainstore: commitBlock refuses a block-events receipt that is not last") {
  test::TempDir dir;
  Hash32 key = test::secretKey(12);
  Node a(dir.path());
  a.registry.add(std::make_shared<test::HookEmitter>(Address::fromU64(0x4000)));
  a.genesis(addressOfSecret(key));
  SealedBlock s = buildBlock(*a.chain, *a.executor, {ping(key, 0, 1)}, 5, Address::fromU64(1));
  REQUIRE(s.receipts.size() == 2);
  std::swap(s.receipts[0], s.receipts[1]);
  std::swap(s.receiptsRlp[0], s.receiptsRlp[1]);
  CHECK_THROWS_AS(commitSealed(*a.chain, s), std::logic_error);
  CHECK(a.chain->height() == 0);
}
