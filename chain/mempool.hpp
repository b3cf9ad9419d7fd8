// The pool of signed transactions waiting for a block: admission checks against the committed
// state, per-sender nonce order, fee-based replacement and eviction, and block selection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "chain/module.hpp"
#include "chain/transaction.hpp"

namespace tn {

struct MempoolConfig {
  uint64_t chainId = 0;
  std::size_t maxTxs = 20000;
  uint64_t maxNonceGap = 64;  // how far past the pending nonce a transaction may be queued
  uint64_t blockGasLimit = 0;
  // Hashes of the latest admissions kept for pending-transaction filters (admittedSince).
  std::size_t recentAdmissions = 16384;
  // Encoded bytes of the pooled transactions together. Without it the count alone would let
  // 20,000 transactions of 128 KiB (kMaxTxSize) hold 2.5 GB, for the fees of 2M gas each.
  std::size_t maxBytes = 64u << 20;
};

struct AddResult {
  Hash32 hash;
  std::optional<Hash32> replaced;  // same sender and nonce, dropped for this one
  std::vector<Hash32> evicted;     // other senders' transactions dropped to make room
  bool executable = false;         // contiguous with the committed nonce (no gap before it)
};

// Thread-safe: every public member takes one mutex. State reads (nonce, balance) go through the
// Ledger given to each call, so the pool never caches committed state.
class Mempool {
 public:
  using TxPtr = std::shared_ptr<const Transaction>;

  explicit Mempool(MempoolConfig config);

  // Admits a transaction. A transaction without a recovered sender is copied and recovered.
  // Throws TxError (code kErrInvalidInput) with a geth-like message on rejection.
  AddResult add(TxPtr tx, const StateReader& committed, const Ledger& ledger, const U256& baseFee);

  // The committed nonce plus the pooled transactions contiguous with it.
  uint64_t pendingNonce(const Address& a, const StateReader& committed, const Ledger& ledger) const;
  // The committed balance minus the maximum cost (gasLimit × feeCap + value) of the contiguous
  // pooled transactions, floored at zero.
  U256 pendingBalance(const Address& a, const StateReader& committed, const Ledger& ledger) const;

  // Transactions executable on `state` for a block: per sender in nonce order from its committed
  // nonce without gaps, across senders by effective tip descending then arrival order. Skips a
  // sender whose next transaction does not fit the remaining gas or its balance (conservatively,
  // at feeCap). At most `maxCount` transactions and `gasLimit` total gas limit. Deterministic for
  // a given pool content and state.
  std::vector<TxPtr> select(const StateReader& state, const Ledger& ledger, const U256& baseFee,
                            uint64_t gasLimit, std::size_t maxCount) const;

  // After a block commit: drops the included transactions and every pooled transaction of their
  // senders whose nonce is now below the committed nonce.
  void removeCommitted(std::span<const Transaction* const> included, const StateReader& newState,
                       const Ledger& ledger);
  void removeCommitted(const std::vector<TxPtr>& included, const StateReader& newState,
                       const Ledger& ledger);

  TxPtr get(const Hash32& hash) const;  // null when absent
  bool contains(const Hash32& hash) const;
  std::size_t size() const;
  std::size_t bytes() const;  // encoded bytes pooled (config().maxBytes bounds it)
  // One sender's pooled transactions in nonce order.
  std::vector<TxPtr> senderTxs(const Address& a) const;
  // Every pooled transaction, by sender address then nonce (txpool_content and tests).
  std::vector<TxPtr> all() const;

  // txpool_content / txpool_status: the pooled transactions by sender then nonce, split as geth
  // does into pending (contiguous with the sender's committed nonce: executable in order) and
  // queued (after a gap). Entries below the committed nonce, about to be dropped, are in neither.
  // `only`: one sender's. One consistent snapshot.
  struct Content {
    std::vector<TxPtr> pending;
    std::vector<TxPtr> queued;
  };
  Content content(const StateReader& committed, const Ledger& ledger,
                  const std::optional<Address>& only = std::nullopt) const;

  // For a gossiping node: after trackAdded(), takeAdded() returns the transactions added since
  // its previous call that are still pooled, by sender then nonce, so a wake-up costs the new
  // transactions rather than the whole pool. When more than maxTxs were added between two calls
  // the record is dropped and takeAdded() returns every pooled transaction instead.
  void trackAdded();
  std::vector<TxPtr> takeAdded();

  // For pending-transaction filters (eth_newPendingTransactionFilter): the hashes of the
  // transactions admitted after the first `cursor` admissions (addedCount() values), oldest first,
  // and the new cursor. Only the last config().recentAdmissions are remembered: a reader that fell
  // further behind gets those, and `missed` says how many it lost. Committed or evicted ones are
  // included: the filter reports admissions, as geth's does.
  struct Admissions {
    std::vector<Hash32> hashes;
    uint64_t cursor = 0;
    uint64_t missed = 0;
  };
  Admissions admittedSince(uint64_t cursor) const;

  // Block-producer wake-ups. `addedCount` counts successful adds; waitForAdded returns true as
  // soon as it exceeds `seen` (false on timeout). waitForPending returns true once the pool is
  // non-empty. onAdded callbacks run on the adding thread after the pool lock is released and
  // must be cheap and must not throw.
  uint64_t addedCount() const;
  bool waitForAdded(uint64_t seen, std::chrono::milliseconds timeout) const;
  bool waitForPending(std::chrono::milliseconds timeout) const;
  void onAdded(std::function<void()> callback);

  const MempoolConfig& config() const { return config_; }

 private:
  struct Entry {
    TxPtr tx;
    uint64_t seq;  // arrival order
    U512 cost;     // gasLimit × feeCap + value; cannot overflow 512 bits
  };
  // Eviction candidates: the highest-nonce transaction of each sender, cheapest first
  // (not executable at the index's base fee, then lowest tip, then newest).
  struct EvictKey {
    bool executable;
    U256 tip;
    uint64_t seq;
    Address sender;
    bool operator<(const EvictKey& o) const;
  };
  using EvictSet = std::set<EvictKey>;
  struct Account {
    std::map<uint64_t, Entry> txs;  // by nonce
    U512 totalCost = 0;             // sum of Entry::cost
    EvictSet::iterator evictIt;     // valid when `indexed`
    bool indexed = false;
  };

  uint64_t contiguousEnd(const Account& acct, uint64_t committedNonce) const;
  EvictKey keyOf(const Entry& e, const U256& baseFee) const;
  void reindex(Account& acct);
  void rebuildEvictIndex(const U256& baseFee);
  void eraseEntry(Account& acct, std::map<uint64_t, Entry>::iterator it);
  void dropIfEmpty(const Address& a);
  std::vector<TxPtr> allLocked() const;

  const MempoolConfig config_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::unordered_map<Address, Account> accounts_;
  std::unordered_map<Hash32, TxPtr> byHash_;
  EvictSet evict_;
  U256 evictBaseFee_ = 0;  // the base fee EvictKey tips were computed at
  uint64_t seq_ = 0;
  std::size_t bytes_ = 0;  // sum of the pooled transactions' raw sizes
  uint64_t added_ = 0;
  std::vector<Hash32> recent_;  // admission i at i % recentAdmissions, grown to that size
  bool trackAdded_ = false;
  bool addedOverflow_ = false;
  std::vector<TxPtr> addedLog_;  // since the last takeAdded(), when tracked

  std::mutex callbacksMu_;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace tn
