#include "state/smt.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

namespace tn {
namespace smt {

Position Position::child(unsigned bit) const {
  if (depth >= kPathBits) throw std::logic_error("smt: no position below depth 256");
  Position c = *this;
  if (bit) c.prefix.bytes[depth / 8] |= static_cast<uint8_t>(0x80u >> (depth % 8));
  ++c.depth;
  return c;
}

Bytes Position::dbKey() const {
  Bytes key(2 + (depth + 7u) / 8);
  key[0] = static_cast<uint8_t>(depth >> 8);
  key[1] = static_cast<uint8_t>(depth);
  std::copy_n(prefix.bytes.begin(), key.size() - 2, key.begin() + 2);
  return key;
}

Position Position::fromDbKey(BytesView key) {
  if (key.size() < 2) throw std::invalid_argument("smt: trie key too short");
  Position p;
  p.depth = static_cast<uint16_t>(key[0] << 8 | key[1]);
  if (p.depth > kPathBits || key.size() != 2 + (p.depth + 7u) / 8)
    throw std::invalid_argument("smt: malformed trie key");
  std::copy(key.begin() + 2, key.end(), p.prefix.bytes.begin());
  return p;
}

std::array<uint8_t, 65> Node::record() const {
  std::array<uint8_t, 65> r;
  r[0] = leaf ? 0x00 : 0x01;
  std::copy(a.bytes.begin(), a.bytes.end(), r.begin() + 1);
  std::copy(b.bytes.begin(), b.bytes.end(), r.begin() + 33);
  return r;
}

Node Node::fromRecord(BytesView record) {
  if (record.size() != 65 || record[0] > 1) throw std::invalid_argument("smt: malformed node");
  Node n;
  n.leaf = record[0] == 0;
  std::copy_n(record.begin() + 1, 32, n.a.bytes.begin());
  std::copy_n(record.begin() + 33, 32, n.b.bytes.begin());
  return n;
}

Hash32 Node::hash() const {
  auto r = record();
  return keccak256(BytesView(r.data(), r.size()));
}

Hash32 leafHash(const Hash32& path, const Hash32& valueHash) {
  return Node::makeLeaf(path, valueHash).hash();
}
Hash32 internalHash(const Hash32& left, const Hash32& right) {
  return Node::makeInternal(left, right).hash();
}

Bytes Proof::serialize() const {
  Bytes out;
  out.reserve(3 + 64 + 32 * siblings.size());
  out.push_back(leaf ? 1 : 0);
  out.push_back(static_cast<uint8_t>(siblings.size() >> 8));
  out.push_back(static_cast<uint8_t>(siblings.size()));
  if (leaf) {
    append(out, leaf->path);
    append(out, leaf->valueHash);
  }
  for (const auto& s : siblings) append(out, s);
  return out;
}

Proof Proof::deserialize(BytesView in) {
  if (in.size() < 3 || in[0] > 1) throw std::invalid_argument("smt: malformed proof header");
  bool hasLeaf = in[0] == 1;
  std::size_t n = static_cast<std::size_t>(in[1]) << 8 | in[2];
  if (n > kPathBits) throw std::invalid_argument("smt: proof deeper than 256");
  if (in.size() != 3 + (hasLeaf ? 64 : 0) + 32 * n)
    throw std::invalid_argument("smt: proof has the wrong length");
  Proof p;
  std::size_t off = 3;
  auto take = [&] {
    auto h = Hash32::fromView(in.subspan(off, 32));
    off += 32;
    return h;
  };
  if (hasLeaf) {
    Hash32 path = take();
    Hash32 valueHash = take();
    p.leaf = Leaf{path, valueHash};
  }
  p.siblings.reserve(n);
  for (std::size_t i = 0; i < n; ++i) p.siblings.push_back(take());
  return p;
}

}  // namespace smt

using smt::bitAt;
using smt::Node;
using smt::NodeWrite;
using smt::Position;

namespace {

Bytes encodeU64(uint64_t v) {
  Bytes out(8);
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<uint8_t>(v);
  return out;
}

std::optional<Hash32> storedRoot(const ReadView& view) {
  auto r = view.get(Column::meta, asBytes(StateTree::kRootKey));
  if (!r) return std::nullopt;
  if (r->size() != 32) throw std::runtime_error("smt: malformed root in meta");
  return Hash32::fromView(*r);
}

// Index of a position within its level: the top `depth` bits of the prefix (depth <= 20).
std::size_t levelIndex(const Position& pos) {
  if (pos.depth == 0) return 0;
  const auto& p = pos.prefix.bytes;
  uint32_t top = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  return top >> (32 - pos.depth);
}

Position positionAt(unsigned depth, std::size_t index) {
  Position pos;
  pos.depth = static_cast<uint16_t>(depth);
  if (depth == 0) return pos;
  uint32_t top = static_cast<uint32_t>(index) << (32 - depth);
  for (int i = 0; i < 4; ++i) pos.prefix.bytes[i] = static_cast<uint8_t>(top >> (24 - 8 * i));
  return pos;
}

}  // namespace

// One prepare() call: walks the current tree along the sorted updates, descending only into
// subtrees that change, so each touched node is read and hashed once per batch.
class StateTree::Preparer {
 public:
  struct Op {
    Hash32 path;
    std::optional<Hash32> valueHash;  // nullopt = delete
  };

  // What a subtree became. kUnread: untouched, and not read because only its hash was needed.
  enum class Kind { kEmpty, kLeaf, kInternal, kUnread };
  struct Sub {
    Kind kind = Kind::kEmpty;
    Hash32 hash;
    Node leaf;            // kLeaf: the leaf node
    bool stored = false;  // kLeaf / kUnread: it is at `at` in the current tree
    Position at;
    bool dirty = false;  // kLeaf still at `at`: its value changed, so it must be rewritten
  };

  explicit Preparer(const StateTree& tree) : tree_(tree) {}

  // `existing` is the current node at `pos` (nullopt if the subtree is empty), `hash` its hash.
  Sub descend(const Position& pos, const Hash32& hash, const std::optional<Node>& existing,
              std::span<const Op> ops) {
    if (ops.empty()) {
      if (!existing) return {};
      return Sub{existing->leaf ? Kind::kLeaf : Kind::kInternal, hash, *existing, true, pos};
    }
    if (!existing || existing->leaf) {
      // Below a leaf or an empty subtree there is nothing: rebuild from the leaf set.
      auto leaves = merge(existing, ops);
      if (existing && leaves.size() == 1 && leaves[0].a == existing->a) {
        // The common case, a value update: the leaf stays where it is.
        bool dirty = leaves[0] != *existing;
        return Sub{Kind::kLeaf, dirty ? leaves[0].hash() : hash, leaves[0], true, pos, dirty};
      }
      if (existing) erase(pos, true);
      return build(pos, leaves);
    }
    std::size_t mid = split(ops, pos.depth);
    Sub l = child(pos.child(0), existing->a, ops.first(mid));
    Sub r = child(pos.child(1), existing->b, ops.subspan(mid));
    return combine(pos, l, r, &*existing, hash);
  }

  // Stores a leaf result at the position where it ended up (a subtree of its own).
  void place(const Sub& s, const Position& pos) {
    if (s.kind == Kind::kLeaf && !(s.stored && s.at == pos && !s.dirty)) put(pos, s.leaf);
  }

  int64_t delta() const { return delta_; }

  // The root's two subtrees are disjoint: a second Preparer may work on one of them (on another
  // thread) and hand its node changes over here before the root is combined.
  Sub subtree(const Position& pos, const Hash32& hash, std::span<const Op> ops) {
    return child(pos, hash, ops);
  }
  Sub join(const Position& pos, Sub& l, Sub& r, const Node* old, const Hash32& oldHash) {
    return combine(pos, l, r, old, oldHash);
  }
  void absorb(Preparer&& other) {
    puts_.insert(puts_.end(), std::make_move_iterator(other.puts_.begin()),
                 std::make_move_iterator(other.puts_.end()));
    erases_.insert(erases_.end(), other.erases_.begin(), other.erases_.end());
    delta_ += other.delta_;
  }

  // Each position is put at most once (a node is final once its parent placed it), but it may
  // also have been erased before, when the node that was there moved or vanished: the put wins
  // for the in-memory tree, and the column loses the old record unless the new one replaces it.
  std::vector<NodeWrite> takeWrites(unsigned topDepth) {
    auto stored = [&](const Position& pos, bool leaf) { return leaf || pos.depth >= topDepth; };
    std::unordered_map<Position, bool, smt::PositionHash> erased;  // -> the old node was a leaf
    erased.reserve(erases_.size());
    for (const auto& [pos, leaf] : erases_) erased.emplace(pos, leaf);
    std::vector<NodeWrite> out = std::move(puts_);
    for (auto& w : out) {
      bool oldStored = false;
      if (!erased.empty()) {
        if (auto it = erased.find(w.pos); it != erased.end()) {
          oldStored = stored(w.pos, it->second);
          erased.erase(it);
        }
      }
      w.op = stored(w.pos, w.node->leaf)
                 ? NodeWrite::Op::kPut
                 : (oldStored ? NodeWrite::Op::kErase : NodeWrite::Op::kNone);
    }
    for (const auto& [pos, leaf] : erased) {
      out.push_back(
          {pos, std::nullopt, stored(pos, leaf) ? NodeWrite::Op::kErase : NodeWrite::Op::kNone});
    }
    // Column changes first, in trie-key order (depth, then prefix): RocksDB's memtable inserts
    // ascending keys faster (it resumes from the previous insert's position), and the batch is
    // deterministic. The memory-only rest needs no order.
    auto memoryOnly = std::partition(
        out.begin(), out.end(), [](const NodeWrite& w) { return w.op != NodeWrite::Op::kNone; });
    std::sort(out.begin(), memoryOnly, [](const NodeWrite& x, const NodeWrite& y) {
      if (x.pos.depth != y.pos.depth) return x.pos.depth < y.pos.depth;
      return std::memcmp(x.pos.prefix.data(), y.pos.prefix.data(), 32) < 0;
    });
    return out;
  }

  // A block rewrites about one node per level per key, fewer where paths share the top.
  void reserve(std::size_t keys) { puts_.reserve(keys * 10 + 64); }

 private:
  static std::size_t split(std::span<const Op> ops, unsigned depth) {
    auto it = std::partition_point(ops.begin(), ops.end(),
                                   [&](const Op& o) { return bitAt(o.path, depth) == 0; });
    return static_cast<std::size_t>(it - ops.begin());
  }

  Sub child(const Position& pos, const Hash32& hash, std::span<const Op> ops) {
    if (hash.isZero()) return ops.empty() ? Sub{} : descend(pos, hash, std::nullopt, ops);
    if (ops.empty()) return Sub{Kind::kUnread, hash, {}, true, pos};
    return descend(pos, hash, tree_.readNode(pos), ops);
  }

  // The existing leaf (if any) with the updates applied, sorted by path.
  std::vector<Node> merge(const std::optional<Node>& existing, std::span<const Op> ops) {
    std::vector<Node> leaves;
    leaves.reserve(ops.size() + 1);
    bool pending = existing.has_value();
    for (const Op& op : ops) {
      if (pending && existing->a < op.path) {
        leaves.push_back(*existing);
        pending = false;
      }
      bool replaces = pending && existing->a == op.path;
      if (replaces) pending = false;
      if (op.valueHash) {
        leaves.push_back(Node::makeLeaf(op.path, *op.valueHash));
        if (!replaces) ++delta_;
      } else if (replaces) {
        --delta_;
      }
    }
    if (pending) leaves.push_back(*existing);
    return leaves;
  }

  Sub build(const Position& pos, std::span<const Node> leaves) {
    if (leaves.empty()) return {};
    if (leaves.size() == 1) return Sub{Kind::kLeaf, leaves[0].hash(), leaves[0], false, {}};
    if (pos.depth >= smt::kPathBits) throw std::logic_error("smt: two leaves share a path");
    auto it = std::partition_point(leaves.begin(), leaves.end(),
                                   [&](const Node& n) { return bitAt(n.a, pos.depth) == 0; });
    auto mid = static_cast<std::size_t>(it - leaves.begin());
    Sub l = build(pos.child(0), leaves.first(mid));
    Sub r = build(pos.child(1), leaves.subspan(mid));
    return combine(pos, l, r, nullptr, {});
  }

  // Joins two child results at `pos`, whose current node is `old` (internal) or none.
  Sub combine(const Position& pos, Sub& l, Sub& r, const Node* old, const Hash32& oldHash) {
    if (l.kind == Kind::kUnread && r.kind == Kind::kEmpty) resolve(l);
    if (r.kind == Kind::kUnread && l.kind == Kind::kEmpty) resolve(r);
    if (l.kind == Kind::kEmpty && r.kind == Kind::kEmpty) {
      if (old) erase(pos, false);
      return {};
    }
    if ((l.kind == Kind::kEmpty && r.kind == Kind::kLeaf) ||
        (r.kind == Kind::kEmpty && l.kind == Kind::kLeaf)) {
      // A lone leaf moves up to the shallowest position where it is alone.
      Sub s = l.kind == Kind::kLeaf ? l : r;
      if (s.stored) erase(s.at, true);
      s.stored = false;
      s.dirty = false;
      if (old) erase(pos, false);
      return s;
    }
    place(l, pos.child(0));
    place(r, pos.child(1));
    Node n = Node::makeInternal(l.hash, r.hash);
    if (old && *old == n) return Sub{Kind::kInternal, oldHash, {}, true, pos};
    put(pos, n);
    return Sub{Kind::kInternal, n.hash(), {}, false, pos};
  }

  void resolve(Sub& s) {
    Node n = tree_.readNode(s.at);
    s.kind = n.leaf ? Kind::kLeaf : Kind::kInternal;
    s.leaf = n;
  }

  void put(const Position& pos, const Node& n) { puts_.push_back({pos, n, NodeWrite::Op::kPut}); }
  void erase(const Position& pos, bool wasLeaf) { erases_.emplace_back(pos, wasLeaf); }

  const StateTree& tree_;
  std::vector<NodeWrite> puts_;
  std::vector<std::pair<Position, bool>> erases_;
  int64_t delta_ = 0;
};

StateTree::StateTree(const Store& store, const StateTreeOptions& options)
    : store_(store), options_(options) {
  auto lock = writeLock();
  loadLocked();
}

StateTree::Slot& StateTree::slotFor(Cache& cache, const Position& pos) {
  if (cache.size() <= pos.depth) cache.resize(pos.depth + 1);
  auto& level = cache[pos.depth];
  if (level.empty()) level.resize(std::size_t{1} << pos.depth);
  return level[levelIndex(pos)];
}

void StateTree::cacheSet(Cache& cache, const Position& pos, const std::optional<Node>& n) const {
  if (pos.depth > cacheDepth_) return;
  if (!n) {
    // Never allocate a level just to mark a slot empty.
    if (pos.depth < cache.size() && !cache[pos.depth].empty())
      cache[pos.depth][levelIndex(pos)].kind = 0;
    return;
  }
  slotFor(cache, pos) = Slot{static_cast<uint8_t>(n->leaf ? 1 : 2), n->a, n->b};
}

void StateTree::loadLocked() {
  auto view = store_.snapshot();
  Hash32 root = storedRoot(*view).value_or(Hash32{});
  uint64_t count = 0;
  if (auto c = view->get(Column::meta, asBytes(kLeafCountKey))) {
    if (c->size() != 8) throw std::runtime_error("smt: malformed leaf count in meta");
    for (uint8_t b : *c) count = count << 8 | b;
  }
  unsigned top = std::min(options_.topDepth, kMaxCacheDepth);
  if (auto t = view->get(Column::meta, asBytes(kTopDepthKey))) {
    if (t->size() != 1 || (*t)[0] > kMaxCacheDepth)
      throw std::runtime_error("smt: malformed top depth in meta");
    top = (*t)[0];
  } else if (!root.isZero()) {
    top = 0;  // written before the depth was recorded: every node is stored
  }
  topDepth_ = top;
  cacheDepth_ = std::clamp(options_.cacheDepth, top, kMaxCacheDepth);

  Cache cache;
  // Trie keys start with the depth, so the cached levels are one contiguous range.
  const unsigned end = cacheDepth_ + 1;
  const Bytes from{0, 0}, to{static_cast<uint8_t>(end >> 8), static_cast<uint8_t>(end)};
  view->scanRange(Column::trie, from, to, [&](BytesView key, BytesView value) {
    cacheSet(cache, Position::fromDbKey(key), Node::fromRecord(value));
    return true;
  });
  // Rebuild the unstored internal nodes above topDepth, bottom-up from the level below each.
  for (unsigned d = top; d-- > 0;) {
    if (cache.size() <= d + 1 || cache[d + 1].empty()) continue;
    const auto& below = cache[d + 1];
    for (std::size_t i = 0; i < below.size(); ++i) {
      const Slot& c = below[i];
      if (!c.kind) continue;
      Hash32 h = Node{c.kind == 1, c.a, c.b}.hash();
      Slot& parent = slotFor(cache, positionAt(d, i >> 1));
      if (parent.kind == 1)
        throw std::runtime_error("smt: trie column is corrupt (a node below a leaf)");
      parent.kind = 2;
      (i & 1 ? parent.b : parent.a) = h;
    }
  }
  Hash32 computed;
  if (!cache.empty() && !cache[0].empty() && cache[0][0].kind) {
    const Slot& r = cache[0][0];
    computed = Node{r.kind == 1, r.a, r.b}.hash();
  }
  if (computed != root)
    throw std::runtime_error("smt: the trie column does not hash to the recorded root " +
                             root.hex() + " (got " + computed.hex() + "): it is corrupt");

  root_ = root;
  leafCount_ = count;
  cache_ = std::move(cache);
  view_ = std::move(view);
}

void StateTree::reload() {
  auto lock = writeLock();
  loadLocked();
}

Hash32 StateTree::root() const {
  auto lock = readLock();
  return root_;
}

uint64_t StateTree::leafCount() const {
  auto lock = readLock();
  return leafCount_;
}

Node StateTree::readNode(const Position& pos) const {
  if (pos.depth <= cacheDepth_) {
    if (pos.depth < cache_.size() && !cache_[pos.depth].empty()) {
      const Slot& slot = cache_[pos.depth][levelIndex(pos)];
      if (slot.kind) return Node{slot.kind == 1, slot.a, slot.b};
    }
  } else if (auto rec = view_->get(Column::trie, pos.dbKey())) {
    return Node::fromRecord(*rec);
  }
  throw std::runtime_error("smt: missing trie node at depth " + std::to_string(pos.depth) + " (" +
                           toHex(pos.dbKey()) + "): the trie column is corrupt");
}

StateTree::Update StateTree::prepare(const WriteSet& changes) const {
  std::vector<Preparer::Op> ops;
  ops.reserve(changes.size());
  for (const auto& [key, value] : changes)
    ops.push_back({smt::pathOf(key), value ? std::optional(keccak256(*value)) : std::nullopt});
  std::sort(ops.begin(), ops.end(),
            [](const Preparer::Op& x, const Preparer::Op& y) { return x.path < y.path; });

  auto lock = readLock();
  Preparer p(*this);
  p.reserve(ops.size());
  Position rootPos;
  std::optional<Node> rootNode;
  if (!root_.isZero()) rootNode = readNode(rootPos);
  Preparer::Sub s;
  const std::size_t mid = static_cast<std::size_t>(
      std::partition_point(ops.begin(), ops.end(),
                           [](const Preparer::Op& o) { return bitAt(o.path, 0) == 0; }) -
      ops.begin());
  static const bool multicore = std::thread::hardware_concurrency() > 1;  // a system call
  if (rootNode && !rootNode->leaf && mid >= kParallelPrepare / 2 &&
      ops.size() - mid >= kParallelPrepare / 2 && multicore) {
    // A large batch under an internal root: the left subtree is hashed on a helper thread while
    // this one does the right. The subtrees share no node, the helper only reads (under the
    // shared lock this thread holds), and the node writes are sorted in takeWrites, so the
    // Update is the same as the single-threaded one (tests compare both).
    const std::span<const Preparer::Op> all(ops);
    Preparer left(*this);
    left.reserve(mid);
    Preparer::Sub l;
    std::exception_ptr failure;
    std::thread helper([&] {
      try {
        l = left.subtree(rootPos.child(0), rootNode->a, all.first(mid));
      } catch (...) {
        failure = std::current_exception();
      }
    });
    Preparer::Sub r;
    try {
      r = p.subtree(rootPos.child(1), rootNode->b, all.subspan(mid));
    } catch (...) {
      helper.join();
      throw;
    }
    helper.join();
    if (failure) std::rethrow_exception(failure);
    p.absorb(std::move(left));
    s = p.join(rootPos, l, r, &*rootNode, root_);
  } else {
    s = p.descend(rootPos, root_, rootNode, ops);
  }
  p.place(s, rootPos);

  Update u;
  u.baseRoot = root_;
  u.newRoot = s.kind == Preparer::Kind::kEmpty ? Hash32{} : s.hash;
  u.newLeafCount = static_cast<uint64_t>(static_cast<int64_t>(leafCount_) + p.delta());
  u.writes = p.takeWrites(topDepth_);
  return u;
}

void StateTree::stage(const Update& update, Store::Batch& batch) const {
  auto lock = readLock();
  if (update.baseRoot != root_)
    throw std::logic_error("smt: update was prepared on another tree (" + update.baseRoot.hex() +
                           ", current " + root_.hex() + ")");
  // Catches a write whose committed() was skipped: building on it would corrupt the trie.
  if (storedRoot(store_).value_or(Hash32{}) != root_)
    throw std::logic_error("smt: the store is ahead of the in-memory tree; call reload()");
  for (const auto& w : update.writes) {
    if (w.op == NodeWrite::Op::kPut) {
      auto rec = w.node->record();
      batch.put(Column::trie, w.pos.dbKey(), BytesView(rec.data(), rec.size()));
    } else if (w.op == NodeWrite::Op::kErase) {
      batch.erase(Column::trie, w.pos.dbKey());
    }
  }
  batch.put(Column::meta, asBytes(kRootKey), update.newRoot);
  batch.put(Column::meta, asBytes(kLeafCountKey), encodeU64(update.newLeafCount));
  const uint8_t top = static_cast<uint8_t>(topDepth_);
  batch.put(Column::meta, asBytes(kTopDepthKey), BytesView(&top, 1));
}

void StateTree::committed(Update&& update, const std::function<void()>& publish) {
  auto lock = writeLock();
  if (update.baseRoot != root_)
    throw std::logic_error("smt: committed an update prepared on another tree");
  for (const auto& w : update.writes) cacheSet(cache_, w.pos, w.node);
  root_ = update.newRoot;
  leafCount_ = update.newLeafCount;
  view_ = store_.snapshot();
  if (publish) publish();
}

StateTree::Proof StateTree::proveLocked(BytesView key) const {
  Proof proof;
  Hash32 path = smt::pathOf(key);
  if (root_.isZero()) return proof;
  Position pos;
  Node n = readNode(pos);
  while (!n.leaf) {
    unsigned bit = bitAt(path, pos.depth);
    const Hash32& next = bit ? n.b : n.a;
    proof.siblings.push_back(bit ? n.a : n.b);
    pos = pos.child(bit);
    if (next.isZero()) return proof;
    n = readNode(pos);
  }
  proof.leaf = Proof::Leaf{n.a, n.b};
  return proof;
}

StateTree::Proof StateTree::prove(BytesView key) const {
  auto lock = readLock();
  return proveLocked(key);
}

std::vector<StateTree::Proof> StateTree::prove(const std::vector<Bytes>& keys, Hash32& root,
                                                const std::function<void()>& atRoot) const {
  auto lock = readLock();
  if (atRoot) atRoot();
  root = root_;
  std::vector<Proof> out;
  out.reserve(keys.size());
  for (const Bytes& key : keys) out.push_back(proveLocked(key));
  return out;
}

bool StateTree::verify(const Hash32& root, BytesView key, std::optional<BytesView> value,
                       const Proof& proof) {
  const std::size_t depth = proof.siblings.size();
  if (depth > smt::kPathBits) return false;
  Hash32 path = smt::pathOf(key);
  Hash32 h;  // the node at the end of the path
  if (value) {
    if (!proof.leaf || proof.leaf->path != path || proof.leaf->valueHash != keccak256(*value))
      return false;
    h = smt::leafHash(path, proof.leaf->valueHash);
  } else if (proof.leaf) {
    // Another key's leaf, alone in the subtree this key would be in: it must lie on our path.
    if (proof.leaf->path == path) return false;
    for (std::size_t i = 0; i < depth; ++i)
      if (bitAt(proof.leaf->path, static_cast<unsigned>(i)) !=
          bitAt(path, static_cast<unsigned>(i)))
        return false;
    h = smt::leafHash(proof.leaf->path, proof.leaf->valueHash);
  }
  for (std::size_t i = depth; i-- > 0;) {
    const Hash32& sib = proof.siblings[i];
    h = bitAt(path, static_cast<unsigned>(i)) ? smt::internalHash(sib, h)
                                              : smt::internalHash(h, sib);
  }
  return h == root;
}

}  // namespace tn
