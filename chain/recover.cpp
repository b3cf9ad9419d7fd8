#include "chain/recover.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace tn {
namespace {

// Batches smaller than this are recovered on the calling thread: waking a worker costs more
// than a few recoveries.
constexpr std::size_t kMinParallelBatch = 16;

// A fixed set of helper threads that join the caller on one batch at a time. Helpers are created
// on first demand and live until process exit.
class RecoverPool {
 public:
  static RecoverPool& instance() {
    static RecoverPool pool;
    return pool;
  }

  // Runs work(i) for every i in [0, n) on the caller plus up to `helpers` pool threads.
  void run(std::size_t n, unsigned helpers, const std::function<void(std::size_t)>& work) {
    std::lock_guard batch(batchMu_);  // one batch at a time; callers take turns
    {
      std::lock_guard lk(mu_);
      while (workers_.size() < helpers) {
        unsigned id = static_cast<unsigned>(workers_.size());
        workers_.emplace_back([this, id](std::stop_token st) { loop(st, id); });
      }
      work_ = &work;
      total_ = n;
      next_.store(0, std::memory_order_relaxed);
      helpers_ = helpers;
      active_ = helpers;
      ++generation_;
    }
    cv_.notify_all();
    drain();
    std::unique_lock lk(mu_);
    // The batch's memory belongs to the caller: wait until no helper can still touch it.
    doneCv_.wait(lk, [&] { return active_ == 0; });
    work_ = nullptr;
  }

  ~RecoverPool() {
    for (auto& w : workers_) w.request_stop();
    cv_.notify_all();
    workers_.clear();  // joins
  }

 private:
  void drain() {
    for (;;) {
      std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= total_) return;
      (*work_)(i);
    }
  }

  void loop(std::stop_token st, unsigned id) {
    std::unique_lock lk(mu_);
    // Helpers are only created inside run(), after which generation_ counts the batch that
    // created them; starting one behind makes the new helper take part in it.
    uint64_t seen = generation_ - 1;
    for (;;) {
      cv_.wait(lk, st, [&] { return generation_ != seen; });
      if (st.stop_requested()) return;
      seen = generation_;
      if (id >= helpers_) continue;  // this batch asked for fewer helpers
      lk.unlock();
      drain();
      lk.lock();
      if (--active_ == 0) doneCv_.notify_all();
    }
  }

  std::mutex batchMu_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::condition_variable doneCv_;
  std::vector<std::jthread> workers_;
  const std::function<void(std::size_t)>* work_ = nullptr;
  std::size_t total_ = 0;
  std::atomic<std::size_t> next_{0};
  unsigned helpers_ = 0;
  unsigned active_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace

std::vector<std::optional<std::string>> recoverSenders(std::span<Transaction*> txs,
                                                       unsigned threads) {
  std::vector<std::optional<std::string>> errors(txs.size());
  // Each index is handled by exactly one thread, so writes to txs[i] and errors[i] never race.
  auto work = [&](std::size_t i) {
    Transaction* tx = txs[i];
    if (!tx || tx->sender) return;
    try {
      tx->recoverSender();
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  // hardware_concurrency() is a sched_getaffinity system call: ask once, not once per batch.
  static const unsigned hardwareThreads = std::max(1u, std::thread::hardware_concurrency());
  if (threads == 0) threads = hardwareThreads;
  std::size_t pending = 0;
  for (Transaction* tx : txs) pending += tx && !tx->sender;
  if (threads <= 1 || pending < kMinParallelBatch) {
    for (std::size_t i = 0; i < txs.size(); ++i) work(i);
    return errors;
  }
  unsigned helpers =
      static_cast<unsigned>(std::min<std::size_t>(threads - 1, pending / kMinParallelBatch));
  RecoverPool::instance().run(txs.size(), std::max(1u, helpers), work);
  return errors;
}

}  // namespace tn
