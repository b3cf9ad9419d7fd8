#include "rpc/filters.hpp"

#include <algorithm>
#include <limits>

#include "rpc/subscriptions.hpp"

namespace tn::rpc {

namespace {

constexpr uint64_t kNoUpperBound = std::numeric_limits<uint64_t>::max();

// The block range a log filter's tags bound its changes to: a number bounds it, "earliest" is
// block 0, the moving tags (latest, pending, safe, finalized) do not bound it.
uint64_t lowerBound(const BlockTag& tag) {
  return tag.kind == BlockTag::Kind::Number ? tag.number : 0;
}
uint64_t upperBound(const BlockTag& tag) {
  switch (tag.kind) {
    case BlockTag::Kind::Number:
      return tag.number;
    case BlockTag::Kind::Earliest:
      return 0;
    default:
      return kNoUpperBound;
  }
}

RpcError notFound() {
  return RpcError(code::kServer, "filter not found");
}

}  // namespace

FilterRegistry::FilterRegistry(const Backend& backend, FilterOptions options,
                               std::function<Clock::time_point()> now)
    : backend_(backend), options_(options), now_(std::move(now)) {}

std::string FilterRegistry::newLogFilter(LogFilterSpec spec) {
  std::size_t criteria = spec.criteria.addresses.size();
  for (const auto& set : spec.criteria.topics) criteria += set.size();
  if (criteria > options_.maxCriteria) {
    throw invalidParams("filter too large: " + std::to_string(criteria) +
                        " addresses and topics, max " + std::to_string(options_.maxCriteria));
  }
  auto f = std::make_shared<Filter>();
  f->kind = Kind::Logs;
  f->spec = std::move(spec);
  f->cursor = backend_.latestBlockNumber();
  return install(std::move(f));
}

std::string FilterRegistry::newBlockFilter() {
  auto f = std::make_shared<Filter>();
  f->kind = Kind::Blocks;
  f->cursor = backend_.latestBlockNumber();
  return install(std::move(f));
}

std::string FilterRegistry::newPendingTransactionFilter() {
  auto f = std::make_shared<Filter>();
  f->kind = Kind::PendingTransactions;
  // A cursor past the count asks for nothing and returns the count: the filter starts from now.
  f->cursor = backend_.admittedSince(std::numeric_limits<uint64_t>::max()).cursor;
  return install(std::move(f));
}

std::string FilterRegistry::install(std::shared_ptr<Filter> filter) {
  std::lock_guard lk(mu_);
  Clock::time_point now = now_();
  if (filters_.size() >= options_.maxFilters) {
    sweepLocked(now);
    if (filters_.size() >= options_.maxFilters) {
      throw RpcError(code::kLimitExceeded,
                     "too many filters (max " + std::to_string(options_.maxFilters) +
                         "): uninstall the ones no longer needed (eth_uninstallFilter); a filter "
                         "not polled for " +
                         std::to_string(options_.timeout.count()) + " s expires");
    }
  }
  std::string id = newRandomId();
  filters_.emplace(id, Entry{std::move(filter), now});
  return id;
}

void FilterRegistry::sweepLocked(Clock::time_point now) {
  lastSweep_ = now;
  std::erase_if(filters_,
                [&](const auto& kv) { return now - kv.second.lastUsed > options_.timeout; });
}

std::shared_ptr<FilterRegistry::Filter> FilterRegistry::find(std::string_view id) {
  std::lock_guard lk(mu_);
  Clock::time_point now = now_();
  if (now - lastSweep_ > std::chrono::seconds(1)) sweepLocked(now);
  auto it = filters_.find(id);
  if (it == filters_.end()) throw notFound();
  if (now - it->second.lastUsed > options_.timeout) {  // expired since the last sweep
    filters_.erase(it);
    throw notFound();
  }
  it->second.lastUsed = now;
  return it->second.filter;
}

bool FilterRegistry::uninstall(std::string_view id) {
  std::lock_guard lk(mu_);
  auto it = filters_.find(id);
  if (it == filters_.end()) return false;
  // An expired filter that no sweep has reached yet is gone all the same.
  bool live = now_() - it->second.lastUsed <= options_.timeout;
  filters_.erase(it);
  return live;
}

std::size_t FilterRegistry::size() const {
  std::lock_guard lk(mu_);
  return filters_.size();
}

LogFilterSpec FilterRegistry::logFilter(std::string_view id) {
  auto f = find(id);
  if (f->kind != Kind::Logs)
    throw RpcError(code::kServer, "filter " + std::string(id) + " is not a log filter");
  return f->spec;  // never changes after installation
}

FilterChanges FilterRegistry::changes(std::string_view id) {
  auto f = find(id);
  std::lock_guard poll(f->pollMutex);
  FilterChanges out;
  switch (f->kind) {
    case Kind::Logs:
      out.logs = true;
      out.logViews = logChanges(*f);
      break;
    case Kind::Blocks:
      out.hashes = blockChanges(*f);
      break;
    case Kind::PendingTransactions: {
      PoolAdmissions a = backend_.admittedSince(f->cursor);
      f->cursor = a.cursor;
      out.hashes = std::move(a.hashes);
      break;
    }
  }
  return out;
}

uint64_t FilterRegistry::scanEnd(uint64_t cursor, uint64_t latest) const {
  return latest - cursor > options_.maxBlockRange ? cursor + options_.maxBlockRange : latest;
}

std::vector<Hash32> FilterRegistry::blockChanges(Filter& f) {
  uint64_t latest = backend_.latestBlockNumber();
  if (f.cursor >= latest) return {};
  uint64_t to = scanEnd(f.cursor, latest);
  std::vector<Hash32> out = backend_.blockHashes(f.cursor + 1, to);
  f.cursor = to;
  return out;
}

std::vector<LogView> FilterRegistry::logChanges(Filter& f) {
  uint64_t latest = backend_.latestBlockNumber();
  if (f.cursor >= latest) return {};
  uint64_t scanTo = scanEnd(f.cursor, latest);
  LogQuery q;
  q.criteria = f.spec.criteria;
  q.fromBlock = std::max(f.cursor + 1, lowerBound(f.spec.fromBlock));
  q.toBlock = std::min(scanTo, upperBound(f.spec.toBlock));
  q.limit = options_.maxResults;
  std::vector<LogView> logs;
  if (q.fromBlock <= q.toBlock) logs = backend_.logs(q);
  if (logs.size() > options_.maxResults) {
    // Too many for one answer: report whole blocks only, and the rest at the next poll. A single
    // block with more than maxResults matches is reported whole (its gas limit bounds it).
    uint64_t last = logs.back().blockNumber;
    if (logs.front().blockNumber == last) {
      q.fromBlock = q.toBlock = last;
      q.limit = std::numeric_limits<std::size_t>::max() - 1;
      logs = backend_.logs(q);
      scanTo = last;
    } else {
      std::erase_if(logs, [&](const LogView& l) { return l.blockNumber == last; });
      scanTo = last - 1;
    }
  }
  f.cursor = scanTo;
  return logs;
}

}  // namespace tn::rpc
