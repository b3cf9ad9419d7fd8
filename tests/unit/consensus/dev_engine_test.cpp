// The single-validator dev engine: seals pending transactions into committed blocks.
#include "consensus/dev_engine.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "tests/unit/chain/test_genesis.hpp"
#include "tests/unit/chain/test_ledger.hpp"
#include "tests/unit/state/helpers.hpp"

using namespace tn;
using tn::test::TestLedger;

namespace {

constexpr uint64_t kChain = 5;

struct DevChain {
  test::TempDir dir;
  std::shared_ptr<TestLedger> ledger = std::make_shared<TestLedger>();
  ModuleRegistry registry{ledger};
  ChainParams params;
  std::unique_ptr<Executor> executor;
  std::unique_ptr<ChainStore> chain;
  std::unique_ptr<Mempool> pool;
  Hash32 key = test::secretKey(3);
  Address sender = addressOfSecret(key);

  explicit DevChain(uint64_t gasLimit = 1'000'000) {
    params.chainId = kChain;
    params.baseFee = 1;
    params.blockGasLimit = gasLimit;
    executor = std::make_unique<Executor>(registry, params);
    chain = std::make_unique<ChainStore>(dir.path());
    EmptyState empty;
    Overlay state(empty);
    TestLedger::write(state, sender, {0, U256(1) << 70});
    test::commitTestGenesis(*chain, params, state.writes());
    pool = std::make_unique<Mempool>(MempoolConfig{kChain, 1000, 64, gasLimit});
  }
  void submit(uint64_t nonce) {
    Transaction t;
    t.chainId = kChain;
    t.nonce = nonce;
    t.maxFeePerGas = 3;
    t.gasLimit = 21000;
    t.to = Address::fromU64(0xabc);
    t.value = 1;
    t.sign(key);
    auto state = chain->state();
    pool->add(std::make_shared<const Transaction>(std::move(t)), *state, *ledger, params.baseFee);
  }
};

}  // namespace

TEST_CASE("dev engine: sealOnce commits pending transactions and empties the pool") {
  DevChain c;
  DevEngine engine(*c.chain, *c.executor, *c.pool, {});
  std::vector<uint64_t> seen;
  engine.onCommit([&](const Block& b, const std::vector<Receipt>& r) {
    seen.push_back(b.header.number);
    CHECK(r.size() == b.transactions.size());
  });
  CHECK_FALSE(engine.sealOnce());
  for (uint64_t n = 0; n < 3; ++n) c.submit(n);
  CHECK(engine.sealOnce());
  CHECK(c.chain->height() == 1);
  CHECK(c.chain->block(1)->transactions.size() == 3);
  CHECK(c.pool->size() == 0);
  CHECK(seen == std::vector<uint64_t>{1});
  CHECK(c.ledger->balance(*c.chain->state(), Address::fromU64(0xabc)) == 3);
}

TEST_CASE("dev engine: transactions that do not fit stay pending for the next block") {
  DevChain c(50'000);  // two transfers per block
  DevEngine engine(*c.chain, *c.executor, *c.pool, {});
  for (uint64_t n = 0; n < 5; ++n) c.submit(n);
  CHECK(engine.sealOnce());
  CHECK(c.chain->block(1)->transactions.size() == 2);
  CHECK(c.pool->size() == 3);
  CHECK(engine.sealOnce());
  CHECK(engine.sealOnce());
  CHECK(c.pool->size() == 0);
  CHECK(c.chain->height() == 3);
}

TEST_CASE("dev engine: the running engine seals on arrival and stops cleanly") {
  DevChain c;
  DevEngineOptions o;
  o.blockTime = std::chrono::milliseconds(20);
  DevEngine engine(*c.chain, *c.executor, *c.pool, o);
  std::atomic<int> commits{0};
  engine.onCommit([&](const Block&, const std::vector<Receipt>&) { ++commits; });
  engine.start();
  c.submit(0);
  for (int i = 0; i < 200 && commits.load() < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(commits.load() == 1);
  c.submit(1);
  for (int i = 0; i < 200 && commits.load() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  engine.stop();
  CHECK(commits.load() == 2);
  CHECK(c.chain->height() == 2);
  // Blocks respect the minimum spacing only in time, never in order.
  CHECK(c.chain->header(2)->timestamp >= c.chain->header(1)->timestamp);
}
