// Polling filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter,
// eth_getFilterChanges, eth_getFilterLogs, eth_uninstallFilter): the HTTP clients' alternative to
// eth_subscribe, which ethers.js v6 uses for contract events over HTTP. A filter lives on the node
// under a random id, remembers how far it has reported, and is dropped once it has not been polled
// for `timeout`, as in geth (a node restart drops them all). Nothing is buffered per filter: a poll
// reads the blocks committed since the previous one, or the pool's record of recent admissions.
// Thread-safe; concurrent polls of one filter take turns, so nothing is reported twice.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/backend.hpp"

namespace tn::rpc {

struct FilterOptions {
  // Installed filters at most; past it, -32005 until some are uninstalled or expire.
  std::size_t maxFilters = 1000;
  std::chrono::seconds timeout{300};  // unpolled for this long: dropped
  // Addresses plus topics of one log filter: a filter's criteria stay in memory until it expires.
  std::size_t maxCriteria = 1024;
  // One poll reads at most this many blocks (the rest is reported by the next poll) and stops at
  // a block boundary once it holds more than maxResults logs. eth_getFilterLogs has eth_getLogs'
  // caps.
  uint64_t maxBlockRange = 10'000;
  std::size_t maxResults = 10'000;
};

// What eth_newFilter was given, tags unresolved: eth_getFilterLogs resolves them when it runs.
struct LogFilterSpec {
  LogCriteria criteria;
  BlockTag fromBlock;  // default latest
  BlockTag toBlock;    // default latest
};

// What a poll returns: logs for a log filter, hashes (blocks or transactions) for the others.
struct FilterChanges {
  bool logs = false;
  std::vector<LogView> logViews;
  std::vector<Hash32> hashes;
};

class FilterRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  // `backend` must outlive the registry; `now` is the clock expiry reads (tests pass their own).
  FilterRegistry(const Backend& backend, FilterOptions options,
                 std::function<Clock::time_point()> now = Clock::now);

  // Each returns the new filter's id; it reports what happens after this call.
  // Throws RpcError -32005 when maxFilters are installed, -32602 when the criteria are too large.
  std::string newLogFilter(LogFilterSpec spec);
  std::string newBlockFilter();
  std::string newPendingTransactionFilter();

  // Since the previous poll (or the installation): the matching logs of the blocks committed
  // since, in order; or those blocks' hashes; or the hashes of the transactions admitted to the
  // pool since. Throws RpcError -32000 "filter not found" for an unknown or expired id.
  FilterChanges changes(std::string_view id);
  // A log filter's spec (eth_getFilterLogs); -32000 for an unknown id or another kind of filter.
  LogFilterSpec logFilter(std::string_view id);
  // False when the id is unknown (or already expired).
  bool uninstall(std::string_view id);

  std::size_t size() const;
  const FilterOptions& options() const { return options_; }

 private:
  enum class Kind { Logs, Blocks, PendingTransactions };
  struct Filter {
    Kind kind;
    LogFilterSpec spec;  // Logs
    // Logs and Blocks: the last block reported (the head at installation at first);
    // PendingTransactions: the pool's admission count already reported.
    uint64_t cursor = 0;
    std::mutex pollMutex;  // one poll at a time
  };
  struct Entry {
    std::shared_ptr<Filter> filter;
    Clock::time_point lastUsed;
  };

  std::string install(std::shared_ptr<Filter> filter);
  std::shared_ptr<Filter> find(std::string_view id);
  void sweepLocked(Clock::time_point now);
  std::vector<LogView> logChanges(Filter& f);
  std::vector<Hash32> blockChanges(Filter& f);
  // The last block a poll from `cursor` reads: the head, or maxBlockRange blocks on.
  uint64_t scanEnd(uint64_t cursor, uint64_t latest) const;

  const Backend& backend_;
  const FilterOptions options_;
  const std::function<Clock::time_point()> now_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> filters_;
  Clock::time_point lastSweep_{};
};

}  // namespace tn::rpc
