#include "chain/mempool.hpp"

#include <algorithm>
#include <queue>
#include <string>
#include <tuple>

namespace tn {
namespace {

TxError reject(const std::string& msg) { return TxError(kErrInvalidInput, msg); }

U512 wide(const U256& v) { return U512(v); }

U512 maxCost(const Transaction& tx) {
  return U512(tx.gasLimit) * wide(tx.feeCap()) + wide(tx.value);
}

// The priority fee a transaction pays per gas at `baseFee`; nullopt when it cannot pay the base
// fee at all.
std::optional<U256> effectiveTip(const Transaction& tx, const U256& baseFee) {
  const U256& cap = tx.feeCap();
  if (cap < baseFee) return std::nullopt;
  U256 headroom = cap - baseFee;
  return std::min<U256>(tx.tipCap(), headroom);
}

// geth's rule: a replacement must raise both the fee cap and the tip by at least 10 %.
bool outbids(const Transaction& repl, const Transaction& old) {
  auto bumped = [](const U256& now, const U256& before) {
    return now > before && wide(now) * 100 >= wide(before) * 110;
  };
  return bumped(repl.feeCap(), old.feeCap()) && bumped(repl.tipCap(), old.tipCap());
}

}  // namespace

bool Mempool::EvictKey::operator<(const EvictKey& o) const {
  if (executable != o.executable) return !executable;  // unpayable ones go first
  if (tip != o.tip) return tip < o.tip;
  if (seq != o.seq) return seq > o.seq;  // among equals the newest goes first
  return sender < o.sender;
}

Mempool::Mempool(MempoolConfig config) : config_(std::move(config)) {}

uint64_t Mempool::contiguousEnd(const Account& acct, uint64_t n) const {
  if (acct.txs.empty()) return n;
  uint64_t first = acct.txs.begin()->first, last = acct.txs.rbegin()->first;
  if (n > last || n < first) return n;
  // Fast path for the usual shape, a gap-free run: no walk needed.
  if (last - first + 1 == acct.txs.size()) return last + 1;
  for (auto it = acct.txs.find(n); it != acct.txs.end() && it->first == n; ++it) ++n;
  return n;
}

Mempool::EvictKey Mempool::keyOf(const Entry& e, const U256& baseFee) const {
  auto tip = effectiveTip(*e.tx, baseFee);
  return EvictKey{tip.has_value(), tip.value_or(U256(0)), e.seq, *e.tx->sender};
}

void Mempool::reindex(Account& acct) {
  if (acct.indexed) {
    evict_.erase(acct.evictIt);
    acct.indexed = false;
  }
  if (acct.txs.empty()) return;
  acct.evictIt = evict_.insert(keyOf(acct.txs.rbegin()->second, evictBaseFee_)).first;
  acct.indexed = true;
}

void Mempool::rebuildEvictIndex(const U256& baseFee) {
  evict_.clear();
  evictBaseFee_ = baseFee;
  for (auto& [addr, acct] : accounts_) {
    acct.indexed = false;
    reindex(acct);
  }
}

void Mempool::eraseEntry(Account& acct, std::map<uint64_t, Entry>::iterator it) {
  byHash_.erase(it->second.tx->hash);
  bytes_ -= it->second.tx->raw.size();
  acct.totalCost -= it->second.cost;
  acct.txs.erase(it);
}

void Mempool::dropIfEmpty(const Address& a) {
  auto it = accounts_.find(a);
  if (it == accounts_.end() || !it->second.txs.empty()) return;
  if (it->second.indexed) evict_.erase(it->second.evictIt);
  accounts_.erase(it);
}

AddResult Mempool::add(TxPtr tx, const StateReader& committed, const Ledger& ledger,
                       const U256& baseFee) {
  if (!tx) throw std::invalid_argument("mempool: null transaction");
  if (!tx->sender) {
    auto copy = std::make_shared<Transaction>(*tx);
    copy->recoverSender();
    tx = std::move(copy);
  }
  const Transaction& t = *tx;
  const Address from = *t.sender;

  // Stateless checks first, outside the lock.
  if (t.chainId != config_.chainId)
    throw reject("invalid chain id: have " + std::to_string(t.chainId) + ", want " +
                 std::to_string(config_.chainId));
  if (!t.to) throw reject("contract creation is not supported");
  if (t.gasLimit > config_.blockGasLimit)
    throw reject("exceeds block gas limit: have " + std::to_string(t.gasLimit) + ", max " +
                 std::to_string(config_.blockGasLimit));
  if (uint64_t want = t.intrinsicGas(); t.gasLimit < want)
    throw reject("intrinsic gas too low: have " + std::to_string(t.gasLimit) + ", want " +
                 std::to_string(want));
  if (t.tipCap() > t.feeCap())
    throw reject("max priority fee per gas higher than max fee per gas: address " +
                 from.checksumHex() + ", maxPriorityFeePerGas: " + t.tipCap().str() +
                 ", maxFeePerGas: " + t.feeCap().str());
  if (t.feeCap() < baseFee)
    throw reject("max fee per gas less than block base fee: address " + from.checksumHex() +
                 ", maxFeePerGas: " + t.feeCap().str() + ", baseFee: " + baseFee.str());

  Entry entry{tx, 0, maxCost(t)};
  AddResult res;
  res.hash = t.hash;
  {
    std::lock_guard lk(mu_);
    if (byHash_.contains(t.hash)) throw reject("already known");
    const Ledger::AccountState account = ledger.account(committed, from);  // one state read
    const uint64_t committedNonce = account.nonce;
    if (t.nonce < committedNonce)
      throw reject("nonce too low: next nonce " + std::to_string(committedNonce) + ", tx nonce " +
                   std::to_string(t.nonce));
    auto acctIt = accounts_.find(from);
    Account* acct = acctIt == accounts_.end() ? nullptr : &acctIt->second;
    const uint64_t pending = acct ? contiguousEnd(*acct, committedNonce) : committedNonce;
    if (t.nonce > pending && t.nonce - pending > config_.maxNonceGap)
      throw reject("nonce too high: next nonce " + std::to_string(pending) + ", tx nonce " +
                   std::to_string(t.nonce) + " is more than " +
                   std::to_string(config_.maxNonceGap) + " ahead");

    std::map<uint64_t, Entry>::iterator old;
    const bool replacing = acct && (old = acct->txs.find(t.nonce)) != acct->txs.end();
    if (replacing && !outbids(t, *old->second.tx))
      throw reject("replacement transaction underpriced");

    const U256& balance = account.balance;
    if (entry.cost > wide(balance))
      throw reject("insufficient funds for gas * price + value: balance " + balance.str() +
                   ", tx cost " + entry.cost.str());
    if (acct) {
      // The sender's pooled transactions that run before this one must stay affordable too.
      U512 before = acct->totalCost;
      for (auto it = acct->txs.lower_bound(t.nonce); it != acct->txs.end(); ++it)
        before -= it->second.cost;
      for (auto it = acct->txs.begin(); it != acct->txs.end() && it->first < committedNonce; ++it)
        before -= it->second.cost;
      if (before + entry.cost > wide(balance))
        throw reject("insufficient funds for gas * price + value: balance " + balance.str() +
                     ", tx cost " + entry.cost.str() + ", pooled transactions cost " +
                     before.str());
    }

    if (byHash_.empty()) evictBaseFee_ = baseFee;
    // Room by count and by bytes; a replacement frees its predecessor's.
    const std::size_t freed = replacing ? old->second.tx->raw.size() : 0;
    std::size_t count = byHash_.size() + (replacing ? 0 : 1);
    std::size_t bytes = bytes_ - freed + t.raw.size();
    if (count > config_.maxTxs || bytes > config_.maxBytes) {
      // Only a sender's highest nonce is a candidate, so eviction never opens a gap; the new
      // transaction's own sender is skipped since dropping its tail could strand the new one.
      // Victims are chosen cheapest first and all of them before any is dropped, so a refused
      // transaction evicts nothing.
      if (evictBaseFee_ != baseFee) rebuildEvictIndex(baseFee);
      const U256 myTip = *effectiveTip(t, baseFee);
      std::vector<Address> victims;
      for (auto v = evict_.begin();
           v != evict_.end() && (count > config_.maxTxs || bytes > config_.maxBytes); ++v) {
        if (v->sender == from) continue;
        if (v->executable && myTip <= v->tip) break;  // the rest pay at least as much
        const Entry& last = std::prev(accounts_.at(v->sender).txs.end())->second;
        --count;
        bytes -= last.tx->raw.size();
        victims.push_back(v->sender);
      }
      if (count > config_.maxTxs || bytes > config_.maxBytes) throw reject("txpool is full");
      for (const Address& victimSender : victims) {
        Account& va = accounts_.at(victimSender);
        auto last = std::prev(va.txs.end());
        res.evicted.push_back(last->second.tx->hash);
        eraseEntry(va, last);
        reindex(va);
        dropIfEmpty(victimSender);
      }
    }

    if (!acct) acct = &accounts_[from];
    if (replacing) {
      res.replaced = old->second.tx->hash;
      eraseEntry(*acct, old);
    }
    entry.seq = ++seq_;
    byHash_.emplace(t.hash, tx);
    bytes_ += t.raw.size();
    acct->totalCost += entry.cost;
    acct->txs.emplace(t.nonce, std::move(entry));
    reindex(*acct);
    res.executable = t.nonce <= pending;
    if (recent_.size() < config_.recentAdmissions)
      recent_.push_back(t.hash);
    else if (!recent_.empty())
      recent_[added_ % recent_.size()] = t.hash;
    ++added_;
    if (trackAdded_) {
      if (addedLog_.size() < config_.maxTxs)
        addedLog_.push_back(tx);
      else
        addedOverflow_ = true;
    }
  }
  cv_.notify_all();
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lk(callbacksMu_);
    callbacks = callbacks_;
  }
  for (const auto& cb : callbacks) cb();
  return res;
}

uint64_t Mempool::pendingNonce(const Address& a, const StateReader& committed,
                               const Ledger& ledger) const {
  std::lock_guard lk(mu_);
  uint64_t n = ledger.nonce(committed, a);
  auto it = accounts_.find(a);
  return it == accounts_.end() ? n : contiguousEnd(it->second, n);
}

U256 Mempool::pendingBalance(const Address& a, const StateReader& committed,
                             const Ledger& ledger) const {
  std::lock_guard lk(mu_);
  U256 balance = ledger.balance(committed, a);
  auto acctIt = accounts_.find(a);
  if (acctIt == accounts_.end()) return balance;
  const Account& acct = acctIt->second;
  uint64_t n = ledger.nonce(committed, a);
  uint64_t end = contiguousEnd(acct, n);
  U512 spent = 0;
  for (auto it = acct.txs.find(n); it != acct.txs.end() && it->first < end; ++it)
    spent += it->second.cost;
  if (spent >= wide(balance)) return 0;
  return static_cast<U256>(wide(balance) - spent);
}

std::vector<Mempool::TxPtr> Mempool::select(const StateReader& state, const Ledger& ledger,
                                            const U256& baseFee, uint64_t gasLimit,
                                            std::size_t maxCount) const {
  using Iter = std::map<uint64_t, Entry>::const_iterator;
  // One cursor per sender, positioned at the next transaction it would contribute. The committed
  // nonce and balance are read lazily, when the sender first reaches the top of the heap, so a
  // block costs state reads only for the senders it actually touches.
  struct Cursor {
    const Account* acct;
    Iter it;
    bool checked = false;
    U512 balanceLeft = 0;
  };
  // The heap holds small keys; cursors stay put in a vector.
  struct Rank {
    bool executable;
    U256 tip;
    uint64_t seq;
    uint32_t cursor;
  };
  auto worse = [](const Rank& a, const Rank& b) {
    if (a.executable != b.executable) return !a.executable;
    if (a.tip != b.tip) return a.tip < b.tip;
    return a.seq > b.seq;  // earlier arrival wins a tie
  };
  auto rank = [&](uint32_t idx, Iter it) {
    auto tip = effectiveTip(*it->second.tx, baseFee);
    return Rank{tip.has_value(), tip.value_or(U256(0)), it->second.seq, idx};
  };

  std::vector<TxPtr> out;
  if (maxCount == 0) return out;
  std::lock_guard lk(mu_);
  std::vector<Cursor> cursors;
  std::vector<Rank> ranks;
  cursors.reserve(accounts_.size());
  ranks.reserve(accounts_.size());
  for (const auto& [addr, acct] : accounts_) {
    auto idx = static_cast<uint32_t>(cursors.size());
    cursors.push_back(Cursor{&acct, acct.txs.begin()});
    ranks.push_back(rank(idx, acct.txs.begin()));
  }
  std::priority_queue<Rank, std::vector<Rank>, decltype(worse)> heap(worse, std::move(ranks));
  uint64_t gasLeft = gasLimit;
  while (!heap.empty() && out.size() < maxCount && gasLeft >= gas::kTransfer) {
    const Rank top = heap.top();
    heap.pop();
    Cursor& c = cursors[top.cursor];
    const Address& sender = *c.it->second.tx->sender;
    if (!c.checked) {
      c.checked = true;
      uint64_t nonce = ledger.nonce(state, sender);
      auto it = c.acct->txs.find(nonce);
      if (it == c.acct->txs.end()) continue;  // gap at the committed nonce: nothing to run
      c.balanceLeft = wide(ledger.balance(state, sender));
      if (it != c.it) {
        // Stale entries below the committed nonce: re-rank by the real next transaction.
        c.it = it;
        heap.push(rank(top.cursor, it));
        continue;
      }
    }
    const Entry& e = c.it->second;
    if (!top.executable) continue;  // cannot pay the base fee; later nonces must wait for it
    if (e.tx->gasLimit > gasLeft) continue;
    if (e.cost > c.balanceLeft) continue;
    out.push_back(e.tx);
    gasLeft -= e.tx->gasLimit;
    c.balanceLeft -= e.cost;
    Iter next = std::next(c.it);
    if (next != c.acct->txs.end() && next->first == c.it->first + 1) {
      c.it = next;
      heap.push(rank(top.cursor, next));
    }
  }
  return out;
}

void Mempool::removeCommitted(const std::vector<TxPtr>& included, const StateReader& newState,
                              const Ledger& ledger) {
  std::vector<const Transaction*> txs;
  txs.reserve(included.size());
  for (const auto& tx : included) txs.push_back(tx.get());
  removeCommitted(txs, newState, ledger);
}

void Mempool::removeCommitted(std::span<const Transaction* const> included,
                              const StateReader& newState, const Ledger& ledger) {
  std::lock_guard lk(mu_);
  std::set<Address> senders;
  for (const auto& tx : included) {
    if (!tx) continue;
    std::optional<Address> sender = tx->sender;
    if (auto it = byHash_.find(tx->hash); it != byHash_.end()) {
      sender = it->second->sender;
      Account& acct = accounts_.at(*sender);
      eraseEntry(acct, acct.txs.find(it->second->nonce));
    }
    if (sender) senders.insert(*sender);
  }
  // Restore the eviction index before any state read, so a throwing Ledger leaves the pool
  // consistent.
  for (const Address& a : senders) {
    auto acctIt = accounts_.find(a);
    if (acctIt == accounts_.end()) continue;
    reindex(acctIt->second);
    dropIfEmpty(a);
  }
  // A block may carry another transaction with a nonce we hold (e.g. sent to another validator):
  // everything of these senders below their new nonce can never run.
  for (const Address& a : senders) {
    auto acctIt = accounts_.find(a);
    if (acctIt == accounts_.end()) continue;
    Account& acct = acctIt->second;
    const uint64_t nonce = ledger.nonce(newState, a);
    if (acct.txs.begin()->first >= nonce) continue;
    while (!acct.txs.empty() && acct.txs.begin()->first < nonce) eraseEntry(acct, acct.txs.begin());
    reindex(acct);
    dropIfEmpty(a);
  }
}

Mempool::TxPtr Mempool::get(const Hash32& hash) const {
  std::lock_guard lk(mu_);
  auto it = byHash_.find(hash);
  return it == byHash_.end() ? nullptr : it->second;
}

bool Mempool::contains(const Hash32& hash) const {
  std::lock_guard lk(mu_);
  return byHash_.contains(hash);
}

std::size_t Mempool::size() const {
  std::lock_guard lk(mu_);
  return byHash_.size();
}

std::size_t Mempool::bytes() const {
  std::lock_guard lk(mu_);
  return bytes_;
}

std::vector<Mempool::TxPtr> Mempool::senderTxs(const Address& a) const {
  std::lock_guard lk(mu_);
  std::vector<TxPtr> out;
  auto it = accounts_.find(a);
  if (it == accounts_.end()) return out;
  for (const auto& [nonce, e] : it->second.txs) out.push_back(e.tx);
  return out;
}

Mempool::Content Mempool::content(const StateReader& committed, const Ledger& ledger,
                                  const std::optional<Address>& only) const {
  std::lock_guard lk(mu_);
  std::vector<const decltype(accounts_)::value_type*> accts;
  if (only) {
    if (auto it = accounts_.find(*only); it != accounts_.end()) accts.push_back(&*it);
  } else {
    accts.reserve(accounts_.size());
    for (const auto& kv : accounts_) accts.push_back(&kv);
    std::sort(accts.begin(), accts.end(), [](auto* a, auto* b) { return a->first < b->first; });
  }
  Content out;
  for (auto* kv : accts) {
    uint64_t committedNonce = ledger.nonce(committed, kv->first);
    uint64_t end = contiguousEnd(kv->second, committedNonce);
    for (const auto& [nonce, e] : kv->second.txs) {
      if (nonce < committedNonce) continue;
      (nonce < end ? out.pending : out.queued).push_back(e.tx);
    }
  }
  return out;
}

std::vector<Mempool::TxPtr> Mempool::all() const {
  std::lock_guard lk(mu_);
  return allLocked();
}

void Mempool::trackAdded() {
  std::lock_guard lk(mu_);
  trackAdded_ = true;
}

std::vector<Mempool::TxPtr> Mempool::takeAdded() {
  std::lock_guard lk(mu_);
  std::vector<TxPtr> log = std::move(addedLog_);
  addedLog_.clear();
  if (addedOverflow_) {
    addedOverflow_ = false;
    return allLocked();
  }
  std::vector<TxPtr> out;
  out.reserve(log.size());
  for (auto& tx : log)
    if (auto it = byHash_.find(tx->hash); it != byHash_.end() && it->second == tx)
      out.push_back(std::move(tx));
  std::sort(out.begin(), out.end(), [](const TxPtr& a, const TxPtr& b) {
    return std::tie(*a->sender, a->nonce) < std::tie(*b->sender, b->nonce);
  });
  return out;
}

std::vector<Mempool::TxPtr> Mempool::allLocked() const {
  std::vector<const decltype(accounts_)::value_type*> accts;
  accts.reserve(accounts_.size());
  for (const auto& kv : accounts_) accts.push_back(&kv);
  std::sort(accts.begin(), accts.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::vector<TxPtr> out;
  out.reserve(byHash_.size());
  for (auto* kv : accts)
    for (const auto& [nonce, e] : kv->second.txs) out.push_back(e.tx);
  return out;
}

uint64_t Mempool::addedCount() const {
  std::lock_guard lk(mu_);
  return added_;
}

Mempool::Admissions Mempool::admittedSince(uint64_t cursor) const {
  std::lock_guard lk(mu_);
  Admissions out;
  out.cursor = added_;
  if (cursor >= added_) return out;  // nothing new (or a cursor from the future: nothing either)
  uint64_t first = cursor;
  if (added_ - first > recent_.size()) {
    first = added_ - recent_.size();
    out.missed = first - cursor;
  }
  out.hashes.reserve(added_ - first);
  for (uint64_t i = first; i < added_; ++i) out.hashes.push_back(recent_[i % recent_.size()]);
  return out;
}

bool Mempool::waitForAdded(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return added_ > seen; });
}

bool Mempool::waitForPending(std::chrono::milliseconds timeout) const {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return !byHash_.empty(); });
}

void Mempool::onAdded(std::function<void()> callback) {
  std::lock_guard lk(callbacksMu_);
  callbacks_.push_back(std::move(callback));
}

}  // namespace tn
