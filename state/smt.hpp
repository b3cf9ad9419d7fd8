// The authenticated state: a binary sparse Merkle tree whose single-leaf subtrees are collapsed
// into the leaf. Its root is the block header's stateRoot. Definition and storage: docs/STATE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <utility>
#include <vector>

#include "state/bytes.hpp"
#include "state/overlay.hpp"
#include "state/store.hpp"

namespace tn {
namespace smt {

inline constexpr unsigned kPathBits = 256;

// Bit `i` of a path, MSB of byte 0 first.
inline unsigned bitAt(const Hash32& path, unsigned i) {
  return (path.bytes[i / 8] >> (7 - i % 8)) & 1u;
}

// Where a node sits: its depth (0 = root; a leaf can sit at 256) and the path bits leading to it
// (bits at and after `depth` are zero).
struct Position {
  uint16_t depth = 0;
  Hash32 prefix;

  Position child(unsigned bit) const;
  // Key in the `trie` column: depth as 2 bytes big-endian, then ceil(depth/8) prefix bytes.
  Bytes dbKey() const;
  static Position fromDbKey(BytesView key);  // throws std::invalid_argument
  bool operator==(const Position&) const = default;
};

struct PositionHash {
  std::size_t operator()(const Position& p) const noexcept {
    return std::hash<Hash32>()(p.prefix) * 0x9E3779B97F4A7C15ull + p.depth;
  }
};

// A stored node. Its record is tag ‖ a ‖ b, and its hash is keccak256 of that record:
// a leaf is (0x00, path, keccak256(value)), an internal node (0x01, left hash, right hash).
struct Node {
  bool leaf = false;
  Hash32 a;
  Hash32 b;

  static Node makeLeaf(const Hash32& path, const Hash32& valueHash) {
    return {true, path, valueHash};
  }
  static Node makeInternal(const Hash32& left, const Hash32& right) { return {false, left, right}; }
  std::array<uint8_t, 65> record() const;
  static Node fromRecord(BytesView record);  // throws std::invalid_argument
  Hash32 hash() const;
  bool operator==(const Node&) const = default;
};

inline Hash32 pathOf(BytesView key) {
  return keccak256(key);
}
Hash32 leafHash(const Hash32& path, const Hash32& valueHash);
Hash32 internalHash(const Hash32& left, const Hash32& right);

// The nodes met walking from the root along a key's path. Inclusion: `leaf` is the key's own leaf.
// Exclusion: the walk ended in an empty subtree (no leaf) or at another key's leaf, which is then
// alone in the subtree the key would belong to.
struct Proof {
  struct Leaf {
    Hash32 path;
    Hash32 valueHash;
    bool operator==(const Leaf&) const = default;
  };
  std::vector<Hash32> siblings;  // siblings[i] is the sibling of the path node at depth i + 1
  std::optional<Leaf> leaf;

  // flags(1: bit 0 = leaf present) ‖ depth (2, big-endian) ‖ [path(32) ‖ valueHash(32)] ‖
  // siblings (32 each, top-down).
  Bytes serialize() const;
  static Proof deserialize(BytesView bytes);  // throws std::invalid_argument
  bool operator==(const Proof&) const = default;
};

// What an update does at one position: the node there afterwards (for the in-memory tree) and
// the change to the `trie` column, which holds leaves and the internal nodes at depth >= topDepth.
struct NodeWrite {
  enum class Op : uint8_t { kNone, kPut, kErase };
  Position pos;
  std::optional<Node> node;  // nullopt = no node here any more
  Op op = Op::kNone;
};

}  // namespace smt

struct StateTreeOptions {
  // Nodes at depth <= cacheDepth live in memory, in dense per-level arrays: at most
  // 2^(cacheDepth+1) slots of 65 bytes (34 MiB at 18), allocated as the tree grows into a level.
  // Deeper nodes are read from the `trie` column (and RocksDB's block cache). At most 20, and
  // raised to topDepth if below it.
  unsigned cacheDepth = 18;
  // Only for a new database (afterwards the value recorded in `meta` rules): internal nodes at
  // depth < topDepth are not written to disk but rebuilt at startup from the nodes below them.
  // They are the ones every block rewrites, so this cuts the trie writes per block several-fold.
  // At most 20.
  unsigned topDepth = 18;
};

// Thread-safe: root/prepare/stage/prove may run concurrently (e.g. RPC proofs while a block is
// executed); committed() and reload() take an exclusive lock.
class StateTree {
 public:
  using Proof = smt::Proof;

  struct Update {
    Hash32 baseRoot;  // the tree this update was prepared on
    Hash32 newRoot;
    uint64_t newLeafCount = 0;
    std::vector<smt::NodeWrite> writes;
  };

  // Loads the root recorded in `meta` (zero for a new database). `store` must outlive the tree.
  explicit StateTree(const Store& store, const StateTreeOptions& options = {});

  Hash32 root() const;
  uint64_t leafCount() const;
  unsigned topDepth() const { return topDepth_; }
  unsigned cacheDepth() const { return cacheDepth_; }

  // Pure: the tree after applying `changes` (nullopt = delete) to the current one. Deleting an
  // absent key is a no-op. Several updates may be prepared on the same base.
  Update prepare(const WriteSet& changes) const;
  // Adds the update's node writes and the new root to `batch`. Throws std::logic_error if the
  // update was not prepared on the current tree or the store is ahead of this tree.
  void stage(const Update& update, Store::Batch& batch) const;
  // Call after the batch holding stage(update) was written: the update becomes the current tree.
  // `publish`, if given, runs under the same exclusive lock once the new root is in place: what
  // it makes visible (the chain's head) changes together with the root for prove(keys, ...).
  void committed(Update&& update, const std::function<void()>& publish = {});
  // Re-reads the root and cached nodes from the store (e.g. after a failed commit sequence).
  // Like the constructor, throws std::runtime_error if the nodes do not hash to the recorded root.
  void reload();

  Proof prove(BytesView key) const;
  // Every key's proof against one root, returned in `root` (the tree may move on between two
  // calls). `atRoot`, if given, runs first under the same shared lock: it reads what committed()'s
  // `publish` made visible together with that root.
  std::vector<Proof> prove(const std::vector<Bytes>& keys, Hash32& root,
                           const std::function<void()>& atRoot = {}) const;
  // value = the key's value for an inclusion proof, nullopt for an exclusion proof.
  static bool verify(const Hash32& root, BytesView key, std::optional<BytesView> value,
                     const Proof& proof);

  // `meta` keys owned by the tree.
  static constexpr std::string_view kRootKey = "smt/root";
  static constexpr std::string_view kLeafCountKey = "smt/leaves";
  static constexpr std::string_view kTopDepthKey = "smt/topdepth";
  static constexpr unsigned kMaxCacheDepth = 20;
  // prepare() hashes the root's two subtrees on two threads when each side has at least half
  // this many changes (the result does not depend on it).
  static constexpr std::size_t kParallelPrepare = 2048;

 private:
  class Preparer;
  // One slot per position of a level; kind 0 = no node there.
  struct Slot {
    uint8_t kind = 0;  // 0 none, 1 leaf, 2 internal
    Hash32 a, b;
  };
  using Cache = std::vector<std::vector<Slot>>;  // [depth][top `depth` bits of the prefix]

  static Slot& slotFor(Cache& cache, const smt::Position& pos);
  void cacheSet(Cache& cache, const smt::Position& pos, const std::optional<smt::Node>& n) const;

  void loadLocked();
  smt::Node readNode(const smt::Position& pos) const;  // caller holds mu_ (shared)
  Proof proveLocked(BytesView key) const;

  // Writer-preferring: glibc's shared_mutex favours readers, so a stream of RPC proofs could
  // hold off committed() forever. Every lock goes through the turnstile first.
  std::shared_lock<std::shared_mutex> readLock() const {
    std::lock_guard turn(turnstile_);
    return std::shared_lock(mu_);
  }
  std::unique_lock<std::shared_mutex> writeLock() {
    std::lock_guard turn(turnstile_);
    return std::unique_lock(mu_);
  }

  const Store& store_;
  StateTreeOptions options_;
  mutable std::mutex turnstile_;
  mutable std::shared_mutex mu_;
  unsigned topDepth_ = 0;
  unsigned cacheDepth_ = 0;
  Hash32 root_;
  uint64_t leafCount_ = 0;
  Cache cache_;                                  // every node at depth <= cacheDepth
  std::shared_ptr<const Store::Snapshot> view_;  // the store as of root_
};

}  // namespace tn
