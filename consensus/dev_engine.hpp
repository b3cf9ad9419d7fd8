// Single-validator dev chain: seals a block as soon as transactions are pending, but no more than
// once per `blockTime`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "chain/mempool.hpp"
#include "consensus/engine.hpp"

namespace tn {

struct DevEngineOptions {
  std::chrono::milliseconds blockTime{0};  // minimum spacing between blocks
  std::size_t maxTxsPerBlock = 10'000;
  Address proposer;
};

class DevEngine final : public Engine {
 public:
  DevEngine(ChainStore& chain, const Executor& executor, Mempool& mempool, DevEngineOptions options);
  ~DevEngine() override;

  void start() override;
  void stop() override;
  void onCommit(CommitListener listener) override { listeners_.push_back(std::move(listener)); }

  // Seals one block now from whatever is pending (used by tests and by the loop).
  // Returns false if nothing was pending.
  bool sealOnce();

 private:
  void run();
  void wake();

  ChainStore& chain_;
  const Executor& executor_;
  Mempool& mempool_;
  DevEngineOptions options_;
  std::vector<CommitListener> listeners_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tn
