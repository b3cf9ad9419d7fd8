#include "state/state_cache.hpp"

#include <mutex>

namespace tn {

// A snapshot reader that asks the cache first while the cache is at the snapshot's version.
class StateCache::Reader final : public StateReader {
 public:
  Reader(std::shared_ptr<StateCache> cache, uint64_t version,
         std::shared_ptr<const Store::Snapshot> snap)
      : cache_(std::move(cache)), version_(version), store_(std::move(snap)) {}

  std::optional<Bytes> get(BytesView key) const override {
    std::optional<Bytes> value;
    if (cache_ && cache_->lookup(version_, key, value)) return value;
    value = store_.get(key);
    if (cache_) cache_->insert(version_, key, value);
    return value;
  }
  // Scans are rare and ordered: the snapshot serves them.
  void scan(BytesView prefix, const ScanFn& fn) const override { store_.scan(prefix, fn); }

 private:
  std::shared_ptr<StateCache> cache_;  // null: bypass
  uint64_t version_;
  StoreStateReader store_;
};

std::shared_ptr<const StateReader> StateCache::reader(const Store& store) {
  // The snapshot is taken under the lock, so a commit cannot slip between it and the version.
  std::shared_lock lk(mu_);
  return std::make_shared<Reader>(valid_ ? shared_from_this() : nullptr, version_, store.snapshot());
}

bool StateCache::lookup(uint64_t version, BytesView key, std::optional<Bytes>& out) const {
  std::shared_lock lk(mu_);
  if (!valid_ || version != version_) return false;
  auto it = current_.find(key);
  if (it == current_.end()) {
    it = old_.find(key);
    if (it == old_.end()) return false;
  }
  out = it->second;
  return true;
}

void StateCache::insert(uint64_t version, BytesView key, const std::optional<Bytes>& value) {
  std::unique_lock lk(mu_);
  if (valid_ && version == version_) putLocked(key, value);
}

void StateCache::putLocked(BytesView key, const std::optional<Bytes>& value) {
  if (auto it = current_.find(key); it != current_.end()) {
    it->second = value;
    return;
  }
  // An older copy must not outlive this one in the old generation.
  if (auto it = old_.find(key); it != old_.end()) old_.erase(it);
  if (current_.size() >= capacity_) {
    old_ = std::move(current_);
    current_ = Map();
  }
  current_.emplace(Bytes(key.begin(), key.end()), value);
}

void StateCache::beginCommit() {
  std::unique_lock lk(mu_);
  valid_ = false;
}

void StateCache::committed(const WriteSet& changes) {
  std::unique_lock lk(mu_);
  for (const auto& [key, value] : changes) putLocked(key, value);
  ++version_;
  valid_ = true;
}

void StateCache::reset() {
  std::unique_lock lk(mu_);
  current_.clear();
  old_.clear();
  valid_ = false;
}

std::size_t StateCache::size() const {
  std::shared_lock lk(mu_);
  return current_.size() + old_.size();
}

}  // namespace tn
