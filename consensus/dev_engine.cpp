#include "consensus/dev_engine.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <unordered_set>

namespace tn {

DevEngine::DevEngine(ChainStore& chain, const Executor& executor, Mempool& mempool,
                     DevEngineOptions options)
    : chain_(chain), executor_(executor), mempool_(mempool), options_(std::move(options)) {
  mempool_.onAdded([this] { wake(); });
}

DevEngine::~DevEngine() { stop(); }

void DevEngine::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void DevEngine::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DevEngine::wake() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  cv_.notify_all();
}

bool DevEngine::sealOnce() {
  auto state = chain_.state();
  const Ledger& ledger = executor_.modules().ledger();
  auto txs = mempool_.select(*state, ledger, executor_.params().baseFee,
                             executor_.params().blockGasLimit, options_.maxTxsPerBlock);
  if (txs.empty()) return false;
  uint64_t now = uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  SealedBlock sealed = buildBlock(chain_, executor_, txs, now, options_.proposer);
  for (const auto& [tx, why] : sealed.dropped)
    if (why != kBlockFull)
      std::fprintf(stderr, "dropped transaction %s: %s\n", tx->hash.hex().c_str(), why.c_str());
  commitSealed(chain_, sealed);  // keeps sealed.block and sealed.receipts for the listeners
  auto newState = chain_.state();
  // Included and invalid transactions leave the pool; those that did not fit wait for the next block.
  std::vector<std::shared_ptr<const Transaction>> done;
  done.reserve(txs.size());
  std::unordered_set<Hash32> postponed;
  for (const auto& [tx, why] : sealed.dropped)
    if (why == kBlockFull) postponed.insert(tx->hash);
  for (const auto& tx : txs)
    if (!postponed.count(tx->hash)) done.push_back(tx);
  mempool_.removeCommitted(done, *newState, ledger);
  for (const auto& l : listeners_) l(sealed.block, sealed.receipts);
  return true;
}

void DevEngine::run() {
  auto lastSeal = std::chrono::steady_clock::now() - options_.blockTime;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(500),
                   [&] { return stopping_ || pending_ || mempool_.size() > 0; });
      if (stopping_) return;
      pending_ = false;
    }
    if (mempool_.size() == 0) continue;
    auto next = lastSeal + options_.blockTime;
    auto now = std::chrono::steady_clock::now();
    if (now < next) {
      std::unique_lock lock(mutex_);
      if (cv_.wait_until(lock, next, [&] { return stopping_; })) return;
    }
    try {
      if (sealOnce()) lastSeal = std::chrono::steady_clock::now();
    } catch (const std::exception& e) {
      // A failure here means the database or the executor is broken; keep the last commit and stop
      // sealing rather than write anything doubtful.
      std::fprintf(stderr, "fatal: block production failed: %s\n", e.what());
      std::fflush(stderr);
      std::abort();
    }
  }
}

}  // namespace tn
