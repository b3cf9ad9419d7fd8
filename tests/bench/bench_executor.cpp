// (a) Signed UNIT transfers committed per second through the executor, and (c) the secp256k1
// sender-recovery rate. Everything runs in-process on a real ChainStore (RocksDB, synced commits).
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>

#include "chain/blockbuilder.hpp"
#include "chain/recover.hpp"
#include "modules/catalog/catalog.hpp"
#include "tests/bench/bench_util.hpp"

namespace fs = std::filesystem;
using namespace tn;

namespace tnbench {
namespace {

using TxList = std::vector<std::shared_ptr<Transaction>>;

// Wire bytes → transactions without senders, as eth_sendRawTransaction receives them.
TxList decodeAll(const std::vector<Bytes>& raw, std::size_t begin, std::size_t end) {
  TxList out;
  out.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i)
    out.push_back(std::make_shared<Transaction>(Transaction::decode(raw[i])));
  return out;
}

void recoverAll(TxList& txs, unsigned threads) {
  std::vector<Transaction*> ptrs;
  ptrs.reserve(txs.size());
  for (auto& t : txs) ptrs.push_back(t.get());
  auto errors = recoverSenders(ptrs, threads);
  for (std::size_t i = 0; i < errors.size(); ++i)
    if (errors[i]) throw std::runtime_error("recovery failed: " + *errors[i]);
}

// The genesis state of a dev chain with `accounts` funded, committed like the node does
// (apps/treasurenetd/node.cpp openOrInitChain).
void commitGenesis(ChainStore& chain, const Executor& executor, const Genesis& genesis) {
  EmptyState empty;
  Overlay state(empty);
  executor.initGenesis(state, genesis.context(), genesis.modules);
  for (const GenesisAccount& a : genesis.alloc)
    executor.modules().ledger().credit(state, a.address, a.balance);
  BlockHeader h;
  h.timestamp = genesis.timestamp;
  h.gasLimit = executor.params().blockGasLimit;
  h.baseFeePerGas = genesis.baseFeePerGas;
  h.transactionsRoot = orderedRoot({});
  h.receiptsRoot = orderedRoot({});
  h.stateRoot = chain.prepareState(state.writes()).newRoot;
  chain.commitGenesis(h, state.writes(), genesis.toJson());
}

struct Phases {
  double decode = 0, recover = 0, execute = 0, commit = 0;
};

}  // namespace

int runExecutorBench(const Options& o) {
  const std::size_t N = o.num("txs"), B = o.num("block-txs"), S = o.num("senders");
  const unsigned threads = unsigned(o.num("threads"));
  const bool pipeline = o.num("pipeline") != 0;
  o.print("executor bench");
  if (B == 0 || S == 0 || N == 0) throw std::invalid_argument("txs, block-txs and senders must be > 0");

  fs::path dir = o.str("dir").empty()
                     ? fs::temp_directory_path() / ("tn_bench_exec." + std::to_string(::getpid()))
                     : fs::path(o.str("dir"));
  if (fs::exists(dir) && !fs::is_empty(dir)) throw std::runtime_error(dir.string() + " is not empty");
  fs::create_directories(dir);

  auto t0 = Clock::now();
  auto accounts = benchAccounts(S);
  Genesis genesis = devGenesis(kDefaultDevChainId, accounts, parseUnits("1000000"), 1'700'000'000);
  TransferPlan plan;
  plan.count = N;
  plan.recipients = o.num("recipients");
  auto raw = signTransfers(accounts, plan);
  std::printf("setup: %zu senders, %zu transfers signed in %.1f s\n", S, N, secondsSince(t0));

  auto modules = makeStandardModules();
  ChainParams params = genesis.params();
  params.feeCollector = kFeeCollector;
  params.blockGasLimit = std::max<uint64_t>(params.blockGasLimit, B * 21000);
  Executor executor(*modules, params);
  int rc = 0;
  {
    ChainStore chain(dir);
    commitGenesis(chain, executor, genesis);

    Phases ph;
    std::size_t committed = 0, blocks = 0;
    auto start = Clock::now();
    auto runBlock = [&](TxList& txs) {
      auto t = Clock::now();
      std::vector<std::shared_ptr<const Transaction>> candidates(txs.begin(), txs.end());
      SealedBlock sealed = buildBlock(chain, executor, candidates, genesis.timestamp + blocks + 1, Address{});
      ph.execute += secondsSince(t);
      if (!sealed.dropped.empty())
        throw std::runtime_error("block dropped " + std::to_string(sealed.dropped.size()) +
                                 " transfers, first: " + sealed.dropped.front().second);
      for (const auto& r : sealed.receipts)
        if (!r.success) throw std::runtime_error("transfer failed: " + r.revertReason);
      t = Clock::now();
      committed += sealed.block.transactions.size();
      commitSealed(chain, sealed);
      ph.commit += secondsSince(t);
      ++blocks;
    };

    if (!pipeline) {
      for (std::size_t first = 0; first < N; first += B) {
        auto t = Clock::now();
        TxList txs = decodeAll(raw, first, std::min(N, first + B));
        ph.decode += secondsSince(t);
        t = Clock::now();
        recoverAll(txs, threads);
        ph.recover += secondsSince(t);
        runBlock(txs);
      }
    } else {
      // A node decodes and recovers on its RPC threads while the engine executes the previous
      // block: a producer thread does the same here, at most two blocks ahead.
      std::mutex mu;
      std::condition_variable cv;
      std::deque<TxList> ready;
      bool failed = false;
      std::thread producer([&] {
        try {
          for (std::size_t first = 0; first < N; first += B) {
            TxList txs = decodeAll(raw, first, std::min(N, first + B));
            recoverAll(txs, threads);
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return ready.size() < 2; });
            ready.push_back(std::move(txs));
            cv.notify_all();
          }
        } catch (const std::exception& e) {
          std::fprintf(stderr, "producer: %s\n", e.what());
          std::lock_guard lk(mu);
          failed = true;
          cv.notify_all();
        }
      });
      for (std::size_t first = 0; first < N; first += B) {
        TxList txs;
        {
          std::unique_lock lk(mu);
          auto t = Clock::now();
          cv.wait(lk, [&] { return !ready.empty() || failed; });
          ph.recover += secondsSince(t);  // time the executor waited for recovered senders
          if (failed) break;
          txs = std::move(ready.front());
          ready.pop_front();
          cv.notify_all();
        }
        runBlock(txs);
      }
      producer.join();
      if (failed) throw std::runtime_error("recovery failed");
    }
    double total = secondsSince(start);

    // Every transfer is in and the state adds up: each sender's nonce, sampled recipients.
    if (committed != N || chain.height() != blocks) throw std::runtime_error("not every transfer committed");
    auto state = chain.state();
    const Ledger& ledger = executor.modules().ledger();
    for (std::size_t s = 0; s < S; s += std::max<std::size_t>(1, S / 50)) {
      uint64_t want = N / S + (s < N % S ? 1 : 0);
      if (ledger.nonce(*state, accounts[s].address) != want)
        throw std::runtime_error("sender " + std::to_string(s) + " nonce mismatch");
    }
    for (std::size_t r = 0; r < std::min<std::size_t>(plan.recipients, 50); ++r) {
      uint64_t transfers = N / plan.recipients + (r < N % plan.recipients ? 1 : 0);
      if (ledger.balance(*state, recipient(r)) != U256(transfers) * 1'000'000'000'000ull)
        throw std::runtime_error("recipient " + std::to_string(r) + " balance mismatch");
    }

    std::printf("committed %zu transfers in %zu blocks in %.2f s: %.0f tx/s (%s)\n", committed, blocks,
                total, committed / total, pipeline ? "pipelined recovery" : "sequential phases");
    if (pipeline)
      std::printf("  executor waited for recovery %.2f s | execute %.2f s | commit %.2f s\n", ph.recover,
                  ph.execute, ph.commit);
    else
      std::printf("  decode %.2f s | recover %.2f s (%.0f/s) | execute %.2f s | commit %.2f s\n", ph.decode,
                  ph.recover, N / ph.recover, ph.execute, ph.commit);
    std::printf("  per block of %zu: execute %.1f ms, commit %.1f ms; state root %s\n", B,
                1000 * ph.execute / blocks, 1000 * ph.commit / blocks, chain.stateRoot().hex().c_str());
    std::printf("  peak RSS %ld MiB\n", peakRssKiB() / 1024);
  }
  if (o.str("dir").empty()) fs::remove_all(dir);
  return rc;
}

int runRecoverBench(const Options& o) {
  const std::size_t N = o.num("txs");
  o.print("recover bench");
  auto accounts = benchAccounts(std::min<std::size_t>(N, 1000));
  TransferPlan plan;
  plan.count = N;
  auto raw = signTransfers(accounts, plan);

  TxList txs = decodeAll(raw, 0, N);
  auto t = Clock::now();
  for (auto& tx : txs) tx->recoverSender();
  double single = secondsSince(t);
  std::printf("one core, Transaction::recoverSender: %zu in %.2f s = %.0f recoveries/s (%.1f us each)\n", N,
              single, N / single, 1e6 * single / N);

  txs = decodeAll(raw, 0, N);
  t = Clock::now();
  recoverAll(txs, 1);
  double one = secondsSince(t);
  std::printf("recoverSenders(threads=1): %.0f recoveries/s\n", N / one);

  txs = decodeAll(raw, 0, N);
  t = Clock::now();
  recoverAll(txs, 0);
  double all = secondsSince(t);
  std::printf("recoverSenders(threads=0, %u hardware threads): %.0f recoveries/s\n", hardwareThreads(), N / all);

  t = Clock::now();
  TxList again = decodeAll(raw, 0, N);
  double dec = secondsSince(t);
  std::printf("decode only (one core): %.0f tx/s\n", N / dec);
  return 0;
}

}  // namespace tnbench
