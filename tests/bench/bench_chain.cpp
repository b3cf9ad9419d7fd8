#include "tests/bench/bench_chain.hpp"

#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "chain/recover.hpp"

namespace fs = std::filesystem;
using namespace tn;

namespace tnbench {

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

BenchDir::BenchDir(const std::string& given, const char* tag) : temporary_(given.empty()) {
  dir_ = temporary_ ? fs::temp_directory_path() / (std::string(tag) + "." + std::to_string(::getpid()))
                    : fs::path(given);
  if (fs::exists(dir_) && !fs::is_empty(dir_)) throw std::runtime_error(dir_.string() + " is not empty");
  fs::create_directories(dir_);
}

BenchDir::~BenchDir() {
  std::error_code ec;
  if (temporary_) fs::remove_all(dir_, ec);
}

void RunStats::print(const char* what, bool pipeline) const {
  std::printf("committed %zu %s in %zu blocks in %.2f s: %.0f tx/s (%s)\n", txs, what, blocks, total,
              txs / total, pipeline ? "pipelined recovery" : "sequential phases");
  if (pipeline)
    std::printf("  executor waited for recovery %.2f s | execute %.2f s | commit %.2f s\n", recover, execute,
                commit);
  else
    std::printf("  decode %.2f s | recover %.2f s (%.0f/s) | execute %.2f s | commit %.2f s\n", decode,
                recover, txs / recover, execute, commit);
  std::printf("  per transaction: execute %.1f us, commit %.1f us; gas %.0f per tx\n", 1e6 * execute / txs,
              1e6 * commit / txs, double(gasUsed) / double(txs));
  if (blockSeconds.size() >= 10) {
    // Drift over the run (state and database growth, background compaction).
    const std::size_t fifth = blockSeconds.size() / 5;
    double first = 0, last = 0;
    for (std::size_t i = 0; i < fifth; ++i) {
      first += blockSeconds[i];
      last += blockSeconds[blockSeconds.size() - 1 - i];
    }
    std::printf("  execute + commit per block: first fifth %.1f ms, last fifth %.1f ms\n", 1000 * first / fifth,
                1000 * last / fifth);
  }
}

RunStats runBlocks(ChainStore& chain, const Executor& executor, const std::vector<Bytes>& raw,
                   const std::vector<uint64_t>& time, const RunOptions& o) {
  const std::size_t N = raw.size(), B = o.blockTxs;
  if (B == 0) throw std::invalid_argument("block size must be > 0");
  RunStats st;
  auto runBlock = [&](std::size_t first, TxList& txs) {
    uint64_t ts = 0;
    for (std::size_t i = first; i < first + txs.size(); ++i) ts = std::max(ts, time[i]);
    auto t = Clock::now();
    const auto blockStart = t;
    std::vector<std::shared_ptr<const Transaction>> candidates(txs.begin(), txs.end());
    SealedBlock sealed = buildBlock(chain, executor, candidates, ts, Address{});
    st.execute += secondsSince(t);
    if (!sealed.dropped.empty())
      throw std::runtime_error("block dropped " + std::to_string(sealed.dropped.size()) +
                               " transactions, first: " + sealed.dropped.front().second);
    for (std::size_t i = 0; i < sealed.receipts.size(); ++i)
      if (!sealed.receipts[i].success)
        throw std::runtime_error("transaction " + std::to_string(first + i) +
                                 " failed: " + sealed.receipts[i].revertReason);
    t = Clock::now();
    st.txs += sealed.block.transactions.size();
    st.gasUsed += sealed.block.header.gasUsed;
    commitSealed(chain, sealed);
    st.commit += secondsSince(t);
    st.blockSeconds.push_back(secondsSince(blockStart));
    ++st.blocks;
  };

  auto start = Clock::now();
  if (!o.pipeline) {
    for (std::size_t first = 0; first < N; first += B) {
      auto t = Clock::now();
      TxList txs = decodeAll(raw, first, std::min(N, first + B));
      st.decode += secondsSince(t);
      t = Clock::now();
      recoverAll(txs, o.threads);
      st.recover += secondsSince(t);
      runBlock(first, txs);
    }
  } else {
    // A node decodes and recovers on its RPC threads while the engine executes the previous
    // block: a producer thread does the same here, at most two blocks ahead.
    std::mutex mu;
    std::condition_variable cv;
    std::deque<TxList> ready;
    bool failed = false;
    std::string why;
    std::thread producer([&] {
      try {
        for (std::size_t first = 0; first < N; first += B) {
          TxList txs = decodeAll(raw, first, std::min(N, first + B));
          recoverAll(txs, o.threads);
          std::unique_lock lk(mu);
          cv.wait(lk, [&] { return ready.size() < 2 || failed; });
          if (failed) return;
          ready.push_back(std::move(txs));
          cv.notify_all();
        }
      } catch (const std::exception& e) {
        std::lock_guard lk(mu);
        failed = true;
        why = e.what();
        cv.notify_all();
      }
    });
    try {
      for (std::size_t first = 0; first < N; first += B) {
        TxList txs;
        {
          std::unique_lock lk(mu);
          auto t = Clock::now();
          cv.wait(lk, [&] { return !ready.empty() || failed; });
          st.recover += secondsSince(t);  // time the executor waited for recovered senders
          if (failed) break;
          txs = std::move(ready.front());
          ready.pop_front();
          cv.notify_all();
        }
        runBlock(first, txs);
      }
    } catch (...) {
      {
        std::lock_guard lk(mu);
        failed = true;
        cv.notify_all();
      }
      producer.join();
      throw;
    }
    producer.join();
    if (failed) throw std::runtime_error("recovery failed: " + why);
  }
  st.total = secondsSince(start);
  return st;
}

}  // namespace tnbench
