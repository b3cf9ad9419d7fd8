// The block executor through a small test module: routing, reverts, gas, fees, nonces, events.
#include <doctest/doctest.h>

#include "chain/blockbuilder.hpp"
#include "chain/executor.hpp"
#include "tests/unit/chain/hook_module.hpp"
#include "tests/unit/chain/test_genesis.hpp"
#include "tests/unit/chain/test_ledger.hpp"
#include "tests/unit/state/helpers.hpp"

using namespace tn;
using tn::test::TestLedger;

namespace {

const Address kCounterAddr = Address::fromU64(0x2000);
constexpr uint64_t kChain = 99;

class Counter final : public Module {
 public:
  std::string name() const override { return "counter"; }
  Address address() const override { return kCounterAddr; }
  bool acceptsPlainTransfers() const override { return false; }
  std::vector<EventDecl> events() override {
    return {{"Incremented(address,uint256)", {true, false}}};
  }
  std::vector<CallDecl> calls() override {
    return {
        {"increment(uint256)", "uint256", Mutability::NonPayable,
         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
           U256 v = read(ctx) + a[0].asUint();  // checked: overflow reverts the call
           ctx.put(asBytes("counter/value"), u256ToBE32(v));
           ctx.emit(ctx.modules.event(ctx.self, "Incremented(address,uint256)"), {ctx.sender, v});
           return {v};
         }},
        {"get()", "uint256", Mutability::View,
         [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList { return {read(ctx)}; }},
        {"fail(string)", "", Mutability::NonPayable,
         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
           ctx.put(asBytes("counter/value"), u256ToBE32(U256(12345)));
           throw Revert(a[0].asString());
         }},
        {"deposit()", "", Mutability::Payable,
         [](CallContext&, const abi::ValueList&) -> abi::ValueList { return {}; }},
        {"sneakyView()", "", Mutability::View,
         [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
           ctx.put(asBytes("counter/value"), u256ToBE32(U256(1)));
           return {};
         }},
        {"sneakyErase()", "", Mutability::View,
         [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
           ctx.erase(asBytes("counter/value"));
           return {};
         }},
        {"sneakyEmit()", "", Mutability::View,
         [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
           ctx.emit(ctx.modules.event(ctx.self, "Incremented(address,uint256)"),
                    {ctx.sender, U256(1)});
           return {};
         }},
        {"burn()", "", Mutability::NonPayable,
         [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
           for (;;) ctx.chargeGas(100000);
         }},
    };
  }
  static U256 read(const CallContext& ctx) {
    auto v = ctx.get(asBytes("counter/value"));
    return v ? u256FromBE(*v) : U256(0);
  }
};

struct Fixture {
  std::shared_ptr<TestLedger> ledger = std::make_shared<TestLedger>();
  ModuleRegistry registry{ledger};
  ChainParams params;
  std::unique_ptr<Executor> executor;
  EmptyState empty;
  Overlay state{empty};
  BlockContext block;
  Hash32 alice = test::secretKey(1), bob = test::secretKey(2);
  Address aliceAddr = addressOfSecret(alice), bobAddr = addressOfSecret(bob);

  Fixture() {
    registry.add(std::make_shared<Counter>());
    params.chainId = kChain;
    params.blockGasLimit = 10'000'000;
    params.baseFee = 10;
    executor = std::make_unique<Executor>(registry, params);
    block.chainId = kChain;
    block.number = 1;
    block.timestamp = 1'700'000'000;
    block.baseFee = params.baseFee;
    TestLedger::write(state, aliceAddr, {0, U256(1'000'000'000)});
  }

  std::shared_ptr<const Transaction> tx(const Hash32& key, uint64_t nonce, Address to, Bytes data,
                                        U256 value = 0, uint64_t gas = 200'000) {
    Transaction t;
    t.type = Transaction::Type::DynamicFee;
    t.chainId = kChain;
    t.nonce = nonce;
    t.maxFeePerGas = 20;
    t.maxPriorityFeePerGas = 2;
    t.gasLimit = gas;
    t.to = to;
    t.value = value;
    t.data = std::move(data);
    t.sign(key);
    return std::make_shared<const Transaction>(std::move(t));
  }

  static Bytes calldata(std::string_view sig, const std::string& types,
                        const abi::ValueList& args) {
    auto s = abi::selector(sig);
    Bytes out(s.begin(), s.end());
    append(out, abi::encode(abi::Type::parseList(types), args));
    return out;
  }

  BlockExecution run(std::vector<std::shared_ptr<const Transaction>> txs, bool drop = true) {
    BlockExecution e = executor->executeBlock(state, block, txs, drop);
    for (auto& [k, v] : e.changes) {
      if (v)
        state.put(k, *v);
      else
        state.erase(k);
    }
    return e;
  }
  U256 balance(const Address& a) { return ledger->balance(state, a); }
};

}  // namespace

TEST_CASE("executor: plain transfer moves value, bumps the nonce and pays the fee") {
  Fixture f;
  auto e = f.run({f.tx(f.alice, 0, f.bobAddr, {}, 1000, 21000)});
  REQUIRE(e.receipts.size() == 1);
  const Receipt& r = e.receipts[0];
  CHECK(r.success);
  CHECK(r.gasUsed == 21000);
  CHECK(r.effectiveGasPrice == 12);  // base 10 + tip 2, under the cap of 20
  CHECK(f.balance(f.bobAddr) == 1000);
  CHECK(f.balance(f.aliceAddr) == U256(1'000'000'000) - 1000 - 21000 * 12);
  CHECK(f.balance(f.params.feeCollector) == 21000 * 12);
  CHECK(f.ledger->nonce(f.state, f.aliceAddr) == 1);
  CHECK(e.gasUsed == 21000);
}

TEST_CASE("executor: a module call is routed by selector, writes state and emits its event") {
  Fixture f;
  auto e = f.run({f.tx(f.alice, 0, kCounterAddr,
                       Fixture::calldata("increment(uint256)", "uint256", {U256(5)}))});
  const Receipt& r = e.receipts.at(0);
  REQUIRE(r.success);
  CHECK(abi::decode({abi::Type::parse("uint256")}, r.output)[0].asUint() == 5);
  REQUIRE(r.logs.size() == 1);
  CHECK(r.logs[0].address == kCounterAddr);
  CHECK(r.logs[0].topics[0] == abi::eventTopic("Incremented(address,uint256)"));
  CHECK(r.logs[0].topics[1] ==
        Hash32::fromView(abi::encode({abi::Type::parse("address")}, {f.aliceAddr})));
  CHECK(bloomMayContain(e.bloom, kCounterAddr));
  // Fee covers intrinsic + declared call gas + one write + one log, refund of the rest.
  CHECK(r.gasUsed > 21000 + gas::kDefaultCall);
  CHECK(f.balance(f.aliceAddr) == U256(1'000'000'000) - U256(r.gasUsed) * 12);

  CallRequest q;
  q.to = kCounterAddr;
  q.data = Fixture::calldata("get()", "", {});
  CallResult c = f.executor->call(f.state, f.block, q);
  REQUIRE(c.success);
  CHECK(abi::decode({abi::Type::parse("uint256")}, c.output)[0].asUint() == 5);
}

TEST_CASE(
    "executor: a revert keeps nonce and fee, drops the call's writes and value, reports the "
    "reason") {
  Fixture f;
  auto e = f.run(
      {f.tx(f.alice, 0, kCounterAddr, Fixture::calldata("fail(string)", "string", {"nope"}))});
  const Receipt& r = e.receipts.at(0);
  CHECK_FALSE(r.success);
  CHECK(r.revertReason == "nope");
  CHECK(abi::decodeError(r.output) == std::optional<std::string>("nope"));
  CHECK(f.ledger->nonce(f.state, f.aliceAddr) == 1);
  CHECK(f.balance(f.params.feeCollector) == U256(r.gasUsed) * 12);
  CHECK_FALSE(f.state.get(asBytes("counter/value")));

  // Value sent with a reverted payable call comes back.
  auto e2 = f.run(
      {f.tx(f.alice, 1, kCounterAddr, Fixture::calldata("fail(string)", "string", {"x"}), 0)});
  CHECK_FALSE(e2.receipts[0].success);
}

TEST_CASE("executor: malformed calls revert with empty data") {
  Fixture f;
  auto unknown = f.tx(f.alice, 0, kCounterAddr, {0xde, 0xad, 0xbe, 0xef});
  auto valueToNonPayable = f.tx(f.alice, 1, kCounterAddr,
                                Fixture::calldata("increment(uint256)", "uint256", {U256(1)}), 7);
  Bytes truncated = Fixture::calldata("increment(uint256)", "uint256", {U256(1)});
  truncated.resize(20);
  auto shortData = f.tx(f.alice, 2, kCounterAddr, truncated);
  auto plain = f.tx(f.alice, 3, kCounterAddr, {}, 5);
  auto e = f.run({unknown, valueToNonPayable, shortData, plain});
  REQUIRE(e.receipts.size() == 4);
  for (const Receipt& r : e.receipts) {
    CHECK_FALSE(r.success);
    CHECK(r.output.empty());
  }
  CHECK(f.balance(kCounterAddr) == 0);
  CHECK(f.ledger->nonce(f.state, f.aliceAddr) == 4);
}

TEST_CASE("executor: payable call keeps the value at the module address") {
  Fixture f;
  auto e = f.run({f.tx(f.alice, 0, kCounterAddr, Fixture::calldata("deposit()", "", {}), 777)});
  CHECK(e.receipts[0].success);
  CHECK(f.balance(kCounterAddr) == 777);
}

TEST_CASE("executor: out of gas consumes the whole limit; arithmetic overflow reverts") {
  Fixture f;
  auto e = f.run({f.tx(f.alice, 0, kCounterAddr, Fixture::calldata("burn()", "", {}), 0, 500'000)});
  CHECK_FALSE(e.receipts[0].success);
  CHECK(e.receipts[0].revertReason == "out of gas");
  CHECK(e.receipts[0].gasUsed == 500'000);

  U256 max = std::numeric_limits<U256>::max();
  auto e2 = f.run(
      {f.tx(f.alice, 1, kCounterAddr, Fixture::calldata("increment(uint256)", "uint256", {max})),
       f.tx(f.alice, 2, kCounterAddr,
            Fixture::calldata("increment(uint256)", "uint256", {U256(1)}))});
  CHECK(e2.receipts[0].success);
  CHECK_FALSE(e2.receipts[1].success);
  CHECK(e2.receipts[1].revertReason.find("overflow") != std::string::npos);
}

TEST_CASE("executor: a view cannot write, even through eth_call") {
  Fixture f;
  const std::pair<const char*, const char*> views[] = {
      {"sneakyView()", "state change in a read-only call"},
      {"sneakyErase()", "state change in a read-only call"},
      {"sneakyEmit()", "event in a read-only call"}};
  for (const auto& [signature, reason] : views) {
    CAPTURE(signature);
    CallRequest q;
    q.to = kCounterAddr;
    q.data = Fixture::calldata(signature, "", {});
    CallResult c = f.executor->call(f.state, f.block, q);
    CHECK_FALSE(c.success);
    CHECK(c.output.empty());
    CHECK(c.revertReason == reason);
    CHECK(c.logs.empty());
  }
}

// A module made of the declarations given, to see what the registry refuses.
class Declared final : public Module {
 public:
  Declared(Address at, std::vector<CallDecl> calls, std::vector<EventDecl> events)
      : at_(at), calls_(std::move(calls)), events_(std::move(events)) {}
  std::string name() const override { return "declared"; }
  Address address() const override { return at_; }
  std::vector<CallDecl> calls() override { return calls_; }
  std::vector<EventDecl> events() override { return events_; }

 private:
  Address at_;
  std::vector<CallDecl> calls_;
  std::vector<EventDecl> events_;
};

TEST_CASE("module registry: refuses declarations that would make a module ambiguous") {
  auto ledger = std::make_shared<TestLedger>();
  ModuleRegistry registry{ledger};
  const Address at = Address::fromU64(0x2100);
  auto refused = [&](std::vector<CallDecl> calls, std::vector<EventDecl> events) -> std::string {
    try {
      registry.add(std::make_shared<Declared>(at, std::move(calls), std::move(events)));
    } catch (const std::logic_error& e) {
      return e.what();
    }
    return "added";
  };
  auto call = [](std::string signature) {
    return CallDecl{std::move(signature), "", Mutability::View,
                    [](CallContext&, const abi::ValueList&) -> abi::ValueList { return {}; }};
  };
  CHECK(refused({call("get(")}, {}) == "malformed signature: get(");
  CHECK(refused({call("get()"), call("get()")}, {}) == "selector clash in module declared: get()");
  CHECK(refused({}, {{"Moved(address,uint256)", {true}}}) ==
        "event Moved(address,uint256) needs one indexed flag per parameter");
  CHECK(registry.find(at) == nullptr);  // nothing refused was kept

  REQUIRE(refused({call("get()")}, {{"Moved(address,uint256)", {true, false}}}) == "added");
  CHECK(refused({call("other()")}, {}) == "two modules at address " + at.hex());
  const EventDecl& moved = registry.event(at, "Moved(address,uint256)");
  CHECK(makeLog(at, moved, {at, U256(5)}).topics.size() == 2);
  CHECK_THROWS_WITH_AS(makeLog(at, moved, {at}),
                       "event Moved(address,uint256) emitted with wrong argument count",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(registry.event(at, "Stopped()"),
                       ("undeclared event Stopped() at " + at.hex()).c_str(), std::logic_error);
}

TEST_CASE("executor: estimateGas equals the gas the transaction then uses") {
  Fixture f;
  CallRequest q;
  q.from = f.aliceAddr;
  q.to = kCounterAddr;
  q.data = Fixture::calldata("increment(uint256)", "uint256", {U256(3)});
  uint64_t estimate = f.executor->estimateGas(f.state, f.block, q);
  auto e = f.run({f.tx(f.alice, 0, kCounterAddr, q.data)});
  CHECK(e.receipts[0].gasUsed == estimate);

  q.data = Fixture::calldata("fail(string)", "string", {"why"});
  CHECK_THROWS_AS(f.executor->estimateGas(f.state, f.block, q), Revert);
}

TEST_CASE(
    "executor: invalid transactions are dropped by a proposer and refused in a received block") {
  Fixture f;
  auto gap = f.tx(f.alice, 5, f.bobAddr, {}, 1, 21000);
  auto poor = f.tx(f.bob, 0, f.aliceAddr, {}, 1, 21000);
  auto ok = f.tx(f.alice, 0, f.bobAddr, {}, 1, 21000);
  auto e = f.executor->executeBlock(f.state, f.block, {gap, poor, ok}, true);
  CHECK(e.included.size() == 1);
  REQUIRE(e.dropped.size() == 2);
  CHECK(e.dropped[0].second.find("nonce") != std::string::npos);
  CHECK(e.dropped[1].second.find("insufficient funds") != std::string::npos);
  CHECK_THROWS_AS(f.executor->executeBlock(f.state, f.block, {gap}, false), std::runtime_error);
}

TEST_CASE("executor: transactions beyond the block gas limit wait for the next block") {
  Fixture f;
  f.params.blockGasLimit = 50'000;
  Executor small(f.registry, f.params);
  auto a = f.tx(f.alice, 0, f.bobAddr, {}, 1, 21000);
  auto b = f.tx(f.alice, 1, f.bobAddr, {}, 1, 21000);
  auto c = f.tx(f.alice, 2, f.bobAddr, {}, 1, 21000);
  auto e = small.executeBlock(f.state, f.block, {a, b, c}, true);
  CHECK(e.included.size() == 2);
  REQUIRE(e.dropped.size() == 1);
  CHECK(e.dropped[0].second == kBlockFull);
}

TEST_CASE("executor: wrong chain id and fee cap below base fee are refused") {
  Fixture f;
  Transaction t;
  t.chainId = kChain + 1;
  t.gasLimit = 21000;
  t.maxFeePerGas = 20;
  t.to = f.bobAddr;
  t.sign(f.alice);
  auto wrongChain = std::make_shared<const Transaction>(t);
  t.chainId = kChain;
  t.maxFeePerGas = 5;  // below base fee 10
  t.sign(f.alice);
  auto cheap = std::make_shared<const Transaction>(t);
  auto e = f.executor->executeBlock(f.state, f.block, {wrongChain, cheap}, true);
  CHECK(e.included.empty());
  CHECK(e.dropped.size() == 2);
}

TEST_CASE("executor: hook events are blockLogs (begin, then end, module order), in the bloom") {
  Fixture f;
  const Address earlyAddr = Address::fromU64(0x1500), lateAddr = Address::fromU64(0x2500);
  auto late = std::make_shared<test::HookEmitter>(lateAddr, "late");
  auto early = std::make_shared<test::HookEmitter>(earlyAddr, "early");
  f.registry.add(late);
  f.registry.add(early);
  const Hash32 began = abi::eventTopic(test::kBeganEvent),
               ended = abi::eventTopic(test::kEndedEvent);

  auto e = f.run({f.tx(f.alice, 0, kCounterAddr,
                       Fixture::calldata("increment(uint256)", "uint256", {U256(5)}))});
  REQUIRE(e.receipts.size() == 1);
  CHECK(e.receipts[0].logs.size() == 1);  // the call's event only
  CHECK_FALSE(bloomMayContain(e.receipts[0].bloom, earlyAddr));
  REQUIRE(e.blockLogs.size() == 4);
  const std::pair<Address, Hash32> want[] = {
      {earlyAddr, began}, {lateAddr, began}, {earlyAddr, ended}, {lateAddr, ended}};
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(e.blockLogs[i].address == want[i].first);
    REQUIRE(e.blockLogs[i].topics.size() == 2);
    CHECK(e.blockLogs[i].topics[0] == want[i].second);
    CHECK(e.blockLogs[i].topics[1] == u256ToBE32(U256(f.block.number)));
  }
  const auto seven = u256ToBE32(U256(7));
  CHECK(e.blockLogs[2].data == Bytes(seven.bytes.begin(), seven.bytes.end()));
  for (const Address& a : {earlyAddr, lateAddr, kCounterAddr}) CHECK(bloomMayContain(e.bloom, a));
  CHECK(bloomMayContain(e.bloom, began));
  CHECK(bloomMayContain(e.bloom, ended));

  // Hooks without events: no block logs, and the bloom is that of the transactions alone.
  early->enabled = late->enabled = false;
  auto quiet = f.run({});
  CHECK(quiet.blockLogs.empty());
  CHECK(quiet.bloom.isZero());
  early->enabled = true;
  auto hooksOnly = f.run({});
  CHECK(hooksOnly.receipts.empty());
  CHECK(hooksOnly.blockLogs.size() == 2);
  CHECK(bloomMayContain(hooksOnly.bloom, earlyAddr));
  CHECK_FALSE(bloomMayContain(hooksOnly.bloom, lateAddr));
}

namespace {

const Address kHooksAddr = Address::fromU64(0x2100);

// A chain database with the counter and a hook emitter, for the block builder.
struct HookChain {
  std::shared_ptr<TestLedger> ledger = std::make_shared<TestLedger>();
  ModuleRegistry registry{ledger};
  std::shared_ptr<test::HookEmitter> hooks = std::make_shared<test::HookEmitter>(kHooksAddr);
  ChainParams params;
  std::unique_ptr<Executor> executor;
  test::TempDir dir;
  std::unique_ptr<ChainStore> chain;

  explicit HookChain(const Address& funded, bool hooksOn) {
    hooks->enabled = hooksOn;
    registry.add(std::make_shared<Counter>());
    registry.add(hooks);
    params.chainId = kChain;
    params.baseFee = 10;
    executor = std::make_unique<Executor>(registry, params);
    chain = std::make_unique<ChainStore>(dir.path());
    EmptyState empty;
    Overlay state(empty);
    TestLedger::write(state, funded, {0, U256(1'000'000'000)});
    test::commitTestGenesis(*chain, params, state.writes(),
                            boost::json::object{{"chainId", kChain}});
  }
};

}  // namespace

TEST_CASE("block builder: hook events commit as the block-events receipt; validators agree") {
  Fixture f;  // for signing only
  auto inc =
      f.tx(f.alice, 0, kCounterAddr, Fixture::calldata("increment(uint256)", "uint256", {U256(5)}));
  HookChain proposer(f.aliceAddr, true), validator(f.aliceAddr, true),
      quietNode(f.aliceAddr, false);
  REQUIRE(proposer.chain->headHash() == quietNode.chain->headHash());

  SealedBlock s = buildBlock(*proposer.chain, *proposer.executor, {inc}, 1000, Address::fromU64(1));
  const BlockHeader& h = s.block.header;
  REQUIRE(s.block.transactions.size() == 1);
  REQUIRE(s.receipts.size() == 2);
  CHECK_FALSE(s.receipts[0].blockEvents);
  const Receipt& ev = s.receipts[1];
  CHECK(ev.blockEvents);
  CHECK(ev.txHash == blockEventsTxHash(1, h.hash()));
  CHECK(ev.success);
  CHECK(ev.type == 0);
  CHECK(ev.gasUsed == 0);
  CHECK(ev.cumulativeGasUsed == h.gasUsed);
  CHECK(ev.effectiveGasPrice == 0);
  CHECK(ev.from == Address());
  CHECK_FALSE(ev.to.has_value());
  REQUIRE(ev.logs.size() == 2);
  CHECK(ev.logs[0].topics[0] == abi::eventTopic(test::kBeganEvent));
  CHECK(ev.logs[1].topics[0] == abi::eventTopic(test::kEndedEvent));
  CHECK(bloomMayContain(ev.bloom, kHooksAddr));
  CHECK_FALSE(bloomMayContain(ev.bloom, kCounterAddr));
  CHECK(bloomMayContain(h.logsBloom, kHooksAddr));
  CHECK(bloomMayContain(h.logsBloom, kCounterAddr));
  // The receipts root commits to it (with a zero transaction hash: the synthetic one depends on
  // the block hash), after the transaction's receipt.
  Receipt committed = ev;
  committed.txHash = Hash32{};
  CHECK(h.receiptsRoot == receiptsRootOfEncoded({s.receipts[0].encode(), committed.encode()}));
  CHECK(h.receiptsRoot == receiptsRoot(s.receipts));
  CHECK(h.receiptsRoot != receiptsRoot({s.receipts[0]}));

  // The same transaction without hook events: exactly the receipts of the transactions, as before.
  SealedBlock plain =
      buildBlock(*quietNode.chain, *quietNode.executor, {inc}, 1000, Address::fromU64(1));
  REQUIRE(plain.receipts.size() == 1);
  CHECK(plain.block.header.receiptsRoot == receiptsRoot({plain.receipts[0]}));
  CHECK(plain.block.header.receiptsRoot == receiptsRoot({s.receipts[0]}));
  CHECK(plain.block.header.stateRoot == h.stateRoot);
  CHECK(plain.block.header.transactionsRoot == h.transactionsRoot);
  CHECK(plain.block.header.receiptsRoot != h.receiptsRoot);
  CHECK_FALSE(bloomMayContain(plain.block.header.logsBloom, kHooksAddr));
  CHECK(plain.block.header.hash() != h.hash());

  // A validator with the same modules re-derives the receipt and its hash.
  SealedBlock got = applyBlock(*validator.chain, *validator.executor, s.block);
  REQUIRE(got.receipts.size() == 2);
  CHECK(got.receiptsRlp == s.receiptsRlp);
  CHECK(got.receipts[1].txHash == ev.txHash);
  // One whose hooks emit nothing (or something else) disagrees on the receipts root, and the
  // other way round.
  CHECK_THROWS_WITH_AS(applyBlock(*quietNode.chain, *quietNode.executor, s.block),
                       doctest::Contains("receipts root"), std::runtime_error);
  CHECK_THROWS_WITH_AS(applyBlock(*validator.chain, *validator.executor, plain.block),
                       doctest::Contains("receipts root"), std::runtime_error);
  commitSealed(*proposer.chain, s);
  commitSealed(*validator.chain, got);
  CHECK(validator.chain->headHash() == proposer.chain->headHash());
  SealedBlock plainOk = applyBlock(*quietNode.chain, *quietNode.executor, plain.block);
  CHECK(plainOk.receipts.size() == 1);
}
