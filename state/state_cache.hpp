// A bounded in-memory copy of recently used keys of the latest committed state. Block execution,
// mempool admission and RPC reads of hot accounts hit it instead of a RocksDB lookup each; the
// chain keeps it exact by applying every committed block's writes (docs/STATE.md, "State cache").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>

#include "state/overlay.hpp"
#include "state/store.hpp"

namespace tn {

// Thread-safe. The owner of the store's state column brackets every write of it:
// beginCommit(), Store::write, then committed(changes) (or reset() when the write failed).
class StateCache : public std::enable_shared_from_this<StateCache> {
 public:
  // Up to 2 × `capacity` entries: when the current generation is full it becomes the old one and
  // the previous old one is dropped.
  explicit StateCache(std::size_t capacity = std::size_t{1} << 17) : capacity_(capacity) {}

  // A reader of the state as committed now: a snapshot of `store`, served from the cache while
  // the cache still describes that snapshot (it stops doing so at the next commit).
  std::shared_ptr<const StateReader> reader(const Store& store);

  // Readers made from now on bypass the cache, older ones stop using it.
  void beginCommit();
  // The write of `changes` succeeded: they become the cache's state.
  void committed(const WriteSet& changes);
  // The write failed: forget everything (the cache resumes at the next successful commit).
  void reset();

  std::size_t size() const;

 private:
  class Reader;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(BytesView b) const noexcept {
      return std::hash<std::string_view>()(asChars(b));
    }
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(BytesView a, BytesView b) const noexcept {
      return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
    }
  };
  using Map = std::unordered_map<Bytes, std::optional<Bytes>, Hash, Equal>;

  // Both return false when `version` is not the cached state (any more).
  bool lookup(uint64_t version, BytesView key, std::optional<Bytes>& out) const;
  void insert(uint64_t version, BytesView key, const std::optional<Bytes>& value);
  void putLocked(BytesView key, const std::optional<Bytes>& value);

  const std::size_t capacity_;
  mutable std::shared_mutex mu_;
  bool valid_ = true;     // the cache equals the committed state `version_`
  uint64_t version_ = 0;  // bumped by every commit
  Map current_, old_;
};

}  // namespace tn
