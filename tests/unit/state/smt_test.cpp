#include "state/smt.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "tests/unit/state/helpers.hpp"

using namespace tn;
using tn::test::TempDir;

namespace {

// --- An independent, naive reference: the definition applied to the whole key set ------------

Hash32 refLeaf(const Hash32& path, const Hash32& valueHash) {
  return keccak256(concat({Bytes{0x00}, path.view(), valueHash.view()}));
}
Hash32 refInternal(const Hash32& l, const Hash32& r) {
  return keccak256(concat({Bytes{0x01}, l.view(), r.view()}));
}
unsigned refBit(const Hash32& h, unsigned i) {
  return (h.bytes[i / 8] >> (7 - i % 8)) & 1;
}

struct Ref {
  Hash32 root;
  std::size_t nodes = 0;  // stored nodes: every leaf, and the internal nodes at depth >= top
};

Ref refSubtree(std::span<const std::pair<Hash32, Hash32>> leaves, unsigned depth, unsigned top) {
  if (leaves.empty()) return {};
  if (leaves.size() == 1) return {refLeaf(leaves[0].first, leaves[0].second), 1};
  std::size_t mid = 0;
  while (mid < leaves.size() && refBit(leaves[mid].first, depth) == 0) ++mid;
  Ref l = refSubtree(leaves.first(mid), depth + 1, top);
  Ref r = refSubtree(leaves.subspan(mid), depth + 1, top);
  return {refInternal(l.root, r.root), l.nodes + r.nodes + (depth >= top ? 1 : 0)};
}

using Model = std::map<Bytes, Bytes, BytesLess>;

Ref reference(const Model& model, unsigned top = 0) {
  std::vector<std::pair<Hash32, Hash32>> leaves;
  for (const auto& [k, v] : model) leaves.emplace_back(keccak256(k), keccak256(v));
  std::sort(leaves.begin(), leaves.end());
  return refSubtree(leaves, 0, top);
}

void applyToModel(Model& model, const WriteSet& ws) {
  for (const auto& [k, v] : ws) {
    if (v)
      model[k] = *v;
    else
      model.erase(k);
  }
}

// --- A node's state layer, as the chain will drive it -----------------------------------------

struct Harness {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<StateTree> tree;

  explicit Harness(StateTreeOptions options = {}) { open(options); }
  void open(StateTreeOptions options = {}) {
    store = std::make_unique<Store>(dir.path());
    tree = std::make_unique<StateTree>(*store, options);
  }
  void close() {
    tree.reset();
    store.reset();
  }
  // prepare -> stage into the block's one batch -> write -> committed. Without sync: these
  // tests never lose power, and an fsync per block would dominate their run time.
  Hash32 commit(const WriteSet& ws) {
    auto update = tree->prepare(ws);
    Hash32 root = update.newRoot;
    auto batch = store->batch();
    stageStateWrites(batch, ws);
    tree->stage(update, batch);
    store->write(batch, /*sync=*/false);
    tree->committed(std::move(update));
    CHECK(tree->root() == root);
    return root;
  }
  std::size_t trieRecords() const {
    std::size_t n = 0;
    store->scan(Column::trie, {}, [&](BytesView, BytesView) { return ++n, true; });
    return n;
  }
};

Bytes key(uint64_t i) {
  return toBytes("key-" + std::to_string(i));
}

Bytes randomValue(std::mt19937_64& rng) {
  Bytes v(1 + rng() % 40);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// Checks the tree's root, leaf count and stored node count against the reference.
void checkAgainstReference(const Harness& h, const Model& model) {
  Ref ref = reference(model, h.tree->topDepth());
  CHECK(h.tree->root() == ref.root);
  CHECK(h.tree->leafCount() == model.size());
  CHECK(h.trieRecords() == ref.nodes);  // nothing stale left behind
}

}  // namespace

TEST_CASE("smt: the empty tree has a zero root and proves absence") {
  Harness h;
  CHECK(h.tree->root().isZero());
  CHECK(h.tree->leafCount() == 0);
  auto proof = h.tree->prove(asBytes("anything"));
  CHECK(proof.siblings.empty());
  CHECK_FALSE(proof.leaf);
  CHECK(StateTree::verify(Hash32{}, asBytes("anything"), std::nullopt, proof));
  CHECK_FALSE(StateTree::verify(Hash32{}, asBytes("anything"), asBytes("v"), proof));
  // An empty block changes nothing.
  CHECK(h.commit({}).isZero());
  CHECK(h.trieRecords() == 0);
}

TEST_CASE("smt: a single key is a leaf at the root") {
  Harness h;
  Hash32 root = h.commit({{toBytes("alice"), toBytes("100")}});
  CHECK(root == refLeaf(keccak256(std::string_view("alice")), keccak256(std::string_view("100"))));
  CHECK(h.tree->leafCount() == 1);
  CHECK(h.trieRecords() == 1);
  CHECK(h.store->get(Column::trie, Bytes{0, 0}).has_value());  // depth 0, no prefix bytes

  auto in = h.tree->prove(asBytes("alice"));
  CHECK(in.siblings.empty());
  CHECK(StateTree::verify(root, asBytes("alice"), asBytes("100"), in));
  CHECK_FALSE(StateTree::verify(root, asBytes("alice"), asBytes("101"), in));
  auto out = h.tree->prove(asBytes("bob"));
  REQUIRE(out.leaf);  // bob's walk ends at alice's leaf, alone in the whole tree
  CHECK(StateTree::verify(root, asBytes("bob"), std::nullopt, out));
  CHECK_FALSE(StateTree::verify(root, asBytes("alice"), std::nullopt, in));

  Hash32 updated = h.commit({{toBytes("alice"), toBytes("200")}});
  CHECK(updated != root);
  CHECK(h.trieRecords() == 1);
  CHECK(h.commit({{toBytes("alice"), std::nullopt}}).isZero());
  CHECK(h.trieRecords() == 0);
  CHECK(h.tree->leafCount() == 0);
}

TEST_CASE("smt: the root depends only on the key set, not on order or block boundaries") {
  std::mt19937_64 rng(7);
  Model model;
  for (uint64_t i = 0; i < 300; ++i) model[key(i)] = randomValue(rng);
  Hash32 expected = reference(model).root;
  std::vector<std::pair<Bytes, Bytes>> items(model.begin(), model.end());

  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    std::shuffle(items.begin(), items.end(), rng);
    Harness h(round % 2 ? StateTreeOptions{2, 1} : StateTreeOptions{});
    std::size_t pos = 0;
    while (pos < items.size()) {
      std::size_t n = std::min<std::size_t>(1 + rng() % 80, items.size() - pos);
      WriteSet ws;
      for (std::size_t i = pos; i < pos + n; ++i) ws[items[i].first] = items[i].second;
      // Noise that cancels out: a key inserted here and deleted in the next block.
      ws[toBytes("noise-" + std::to_string(round) + "-" + std::to_string(pos))] = toBytes("x");
      h.commit(ws);
      WriteSet undo;
      undo[toBytes("noise-" + std::to_string(round) + "-" + std::to_string(pos))] = std::nullopt;
      h.commit(undo);
      pos += n;
    }
    CHECK(h.tree->root() == expected);
    checkAgainstReference(h, model);
  }
}

TEST_CASE("smt: deleting what was added restores the previous root") {
  std::mt19937_64 rng(11);
  Harness h;
  Model model;
  WriteSet initial;
  for (uint64_t i = 0; i < 200; ++i) initial[key(i)] = randomValue(rng);
  h.commit(initial);
  applyToModel(model, initial);
  for (int i = 0; i < 40; ++i) {
    Hash32 before = h.tree->root();
    std::size_t records = h.trieRecords();
    Bytes extra = toBytes("extra-" + std::to_string(i));
    CHECK(h.commit({{extra, randomValue(rng)}}) != before);
    CHECK(h.commit({{extra, std::nullopt}}) == before);
    CHECK(h.trieRecords() == records);
    // Changing a value and changing it back, too.
    Bytes existing = key(rng() % 200);
    Bytes old = model.at(existing);
    CHECK(h.commit({{existing, toBytes("changed")}}) != before);
    CHECK(h.commit({{existing, old}}) == before);
  }
  // Deleting an absent key is a no-op.
  Hash32 before = h.tree->root();
  CHECK(h.commit({{toBytes("never-there"), std::nullopt}}) == before);
  checkAgainstReference(h, model);
  // Deleting everything empties the trie column.
  WriteSet all;
  for (const auto& [k, v] : model) all[k] = std::nullopt;
  CHECK(h.commit(all).isZero());
  CHECK(h.trieRecords() == 0);
}

TEST_CASE("smt: keys whose paths share a long prefix") {
  // Find, among many keys, the two whose keccak paths share the most leading bits.
  std::vector<std::pair<Hash32, uint64_t>> paths;
  for (uint64_t i = 0; i < 60000; ++i) paths.emplace_back(keccak256(key(i)), i);
  std::sort(paths.begin(), paths.end());
  auto commonBits = [](const Hash32& a, const Hash32& b) {
    unsigned n = 0;
    while (n < 256 && refBit(a, n) == refBit(b, n)) ++n;
    return n;
  };
  std::size_t best = 0;
  unsigned bestBits = 0;
  for (std::size_t i = 0; i + 1 < paths.size(); ++i) {
    unsigned bits = commonBits(paths[i].first, paths[i + 1].first);
    if (bits > bestBits) bestBits = bits, best = i;
  }
  MESSAGE("longest shared path prefix: " << bestBits << " bits");
  REQUIRE(bestBits >= 24);
  Bytes a = key(paths[best].second), b = key(paths[best + 1].second);

  for (auto options : {StateTreeOptions{0, 0}, StateTreeOptions{8, 4}, StateTreeOptions{}}) {
    CAPTURE(options.cacheDepth);
    Harness h(options);
    Model model;
    WriteSet ws{{a, toBytes("A")}, {b, toBytes("B")}};
    h.commit(ws);
    applyToModel(model, ws);
    // A chain of internal nodes with one empty child down to the split, plus two leaves.
    CHECK(reference(model).nodes == bestBits + 1 + 2);
    checkAgainstReference(h, model);

    auto pa = h.tree->prove(a);
    CHECK(pa.siblings.size() == bestBits + 1);
    CHECK(StateTree::verify(h.tree->root(), a, asBytes("A"), pa));
    CHECK(StateTree::verify(h.tree->root(), b, asBytes("B"), h.tree->prove(b)));

    // A third key splits the chain near the top.
    WriteSet third{{toBytes("third"), toBytes("C")}};
    h.commit(third);
    applyToModel(model, third);
    checkAgainstReference(h, model);
    CHECK(StateTree::verify(h.tree->root(), a, asBytes("A"), h.tree->prove(a)));

    // Removing one of the pair collapses the chain: the other leaf moves up.
    WriteSet del{{b, std::nullopt}};
    h.commit(del);
    applyToModel(model, del);
    checkAgainstReference(h, model);
    auto pb = h.tree->prove(b);
    CHECK(StateTree::verify(h.tree->root(), b, std::nullopt, pb));
    CHECK(StateTree::verify(h.tree->root(), a, asBytes("A"), h.tree->prove(a)));

    // Both back, in a block that also deletes the third key.
    WriteSet again{{b, toBytes("B")}, {toBytes("third"), std::nullopt}};
    h.commit(again);
    applyToModel(model, again);
    checkAgainstReference(h, model);
  }
}

TEST_CASE("smt: inclusion and exclusion proofs verify; tampered ones fail") {
  std::mt19937_64 rng(3);
  Harness h;
  Model model;
  WriteSet ws;
  for (uint64_t i = 0; i < 500; ++i) ws[key(i)] = randomValue(rng);
  h.commit(ws);
  applyToModel(model, ws);
  Hash32 root = h.tree->root();
  Hash32 otherRoot = keccak256(std::string_view("not the root"));

  for (uint64_t i = 0; i < 500; ++i) {
    Bytes k = key(i);
    const Bytes& v = model.at(k);
    auto p = h.tree->prove(k);
    REQUIRE(p.leaf);
    CHECK(StateTree::verify(root, k, v, p));
    CHECK_FALSE(StateTree::verify(otherRoot, k, v, p));
    CHECK_FALSE(StateTree::verify(root, k, std::nullopt, p));  // present: no exclusion
    Bytes wrong = v;
    wrong[0] ^= 1;
    CHECK_FALSE(StateTree::verify(root, k, wrong, p));
    CHECK_FALSE(StateTree::verify(root, key(i + 1000), v, p));  // another key's proof

    auto round = StateTree::Proof::deserialize(p.serialize());
    CHECK(round == p);
    if (!p.siblings.empty()) {
      auto t = p;
      t.siblings[rng() % t.siblings.size()].bytes[rng() % 32] ^= 0x10;
      CHECK_FALSE(StateTree::verify(root, k, v, t));
      t = p;
      t.siblings.pop_back();
      CHECK_FALSE(StateTree::verify(root, k, v, t));
    }
    auto t = p;
    t.siblings.push_back(Hash32{});
    CHECK_FALSE(StateTree::verify(root, k, v, t));
  }

  int endedAtLeaf = 0, endedEmpty = 0;
  for (uint64_t i = 1000; i < 1500; ++i) {
    Bytes k = key(i);
    auto p = h.tree->prove(k);
    (p.leaf ? endedAtLeaf : endedEmpty)++;
    CHECK(StateTree::verify(root, k, std::nullopt, p));
    CHECK_FALSE(StateTree::verify(root, k, asBytes("v"), p));
    CHECK_FALSE(StateTree::verify(otherRoot, k, std::nullopt, p));
    CHECK(StateTree::Proof::deserialize(p.serialize()) == p);
    if (p.leaf) {
      // Pretending the neighbour leaf is somewhere else, or has another value, fails.
      auto t = p;
      t.leaf->valueHash.bytes[0] ^= 1;
      CHECK_FALSE(StateTree::verify(root, k, std::nullopt, t));
      t = p;
      t.leaf.reset();
      CHECK_FALSE(StateTree::verify(root, k, std::nullopt, t));
    }
    // A present key's proof cannot show an absent key's absence, unless the walks coincide
    // (the absent key's path ends at that very leaf).
    auto other = h.tree->prove(key(i - 1000));
    if (!(other == p)) CHECK_FALSE(StateTree::verify(root, k, std::nullopt, other));
  }
  // Both kinds of exclusion occur in a tree this size.
  CHECK(endedAtLeaf > 0);
  CHECK(endedEmpty > 0);

  // Malformed encodings are rejected.
  Bytes good = h.tree->prove(key(1)).serialize();
  Bytes truncated(good.begin(), good.end() - 1);
  CHECK_THROWS_AS(StateTree::Proof::deserialize(truncated), std::invalid_argument);
  Bytes longer = good;
  longer.push_back(0);
  CHECK_THROWS_AS(StateTree::Proof::deserialize(longer), std::invalid_argument);
  Bytes badFlags = good;
  badFlags[0] = 2;
  CHECK_THROWS_AS(StateTree::Proof::deserialize(badFlags), std::invalid_argument);
  CHECK_THROWS_AS(StateTree::Proof::deserialize(Bytes{0, 1}), std::invalid_argument);
  Bytes tooDeep{0, 0x01, 0x01};  // 257 siblings
  tooDeep.resize(3 + 32 * 257);
  CHECK_THROWS_AS(StateTree::Proof::deserialize(tooDeep), std::invalid_argument);
  CHECK(StateTree::Proof::deserialize(Bytes{0, 0, 0}) == StateTree::Proof{});
}

TEST_CASE("smt: the root and proofs survive a restart") {
  std::mt19937_64 rng(5);
  Harness h;
  Model model;
  for (int block = 0; block < 5; ++block) {
    WriteSet ws;
    for (int i = 0; i < 100; ++i) ws[key(rng() % 300)] = randomValue(rng);
    h.commit(ws);
    applyToModel(model, ws);
  }
  Hash32 root = h.tree->root();
  std::vector<Bytes> proofs;
  for (uint64_t i = 0; i < 50; ++i) proofs.push_back(h.tree->prove(key(i)).serialize());
  // A prepared but never committed block is simply lost.
  auto lost = h.tree->prepare({{toBytes("lost"), toBytes("1")}});
  CHECK(lost.newRoot != root);
  CHECK(h.tree->root() == root);

  // The recorded top depth rules over the options on reopening.
  for (auto options : {StateTreeOptions{}, StateTreeOptions{1, 0}, StateTreeOptions{20, 20}}) {
    h.close();
    h.open(options);
    CHECK(h.tree->topDepth() == StateTreeOptions{}.topDepth);
    CHECK(h.tree->cacheDepth() >= h.tree->topDepth());
    CHECK(h.tree->root() == root);
    CHECK(h.tree->leafCount() == model.size());
    for (uint64_t i = 0; i < 50; ++i) CHECK(h.tree->prove(key(i)).serialize() == proofs[i]);
  }
  WriteSet more;
  for (int i = 0; i < 100; ++i) more[key(rng() % 400)] = rng() % 3 ? randomValue(rng) : Bytes{};
  for (auto& [k, v] : more)
    if (v->empty()) v.reset();  // a third of them become deletions
  h.commit(more);
  applyToModel(model, more);
  checkAgainstReference(h, model);
  // The state column holds exactly the model.
  std::size_t n = 0;
  h.store->scan(Column::state, {}, [&](BytesView k, BytesView v) {
    auto it = model.find(k);
    CHECK((it != model.end() &&
           std::equal(v.begin(), v.end(), it->second.begin(), it->second.end())));
    return ++n, true;
  });
  CHECK(n == model.size());
}

TEST_CASE("smt: randomized differential test against the naive recomputation") {
  for (auto options : {StateTreeOptions{0, 0}, StateTreeOptions{3, 2}, StateTreeOptions{5, 5},
                       StateTreeOptions{}}) {
    for (uint64_t seed : {1u, 2u}) {
      CAPTURE(options.cacheDepth);
      CAPTURE(options.topDepth);
      CAPTURE(seed);
      std::mt19937_64 rng(seed * 1000 + options.cacheDepth);
      Harness h(options);
      Model model;
      for (int block = 0; block < 25; ++block) {
        WriteSet ws;
        int n = static_cast<int>(rng() % 120);
        // A small key space so that updates, deletes and re-inserts all happen often.
        for (int i = 0; i < n; ++i) {
          Bytes k = key(rng() % 400);
          switch (rng() % 4) {
            case 0:
              ws[k] = std::nullopt;
              break;
            case 1:
              if (auto it = model.find(k); it != model.end()) {
                ws[k] = it->second;  // rewrite the same value
                break;
              }
              [[fallthrough]];
            default:
              ws[k] = randomValue(rng);
          }
        }
        if (block == 12) {  // a block that deletes nearly everything
          for (const auto& [k, v] : model)
            if (rng() % 10) ws[k] = std::nullopt;
        }
        auto preview = h.tree->prepare(ws);  // pure: may be prepared more than once
        h.commit(ws);
        applyToModel(model, ws);
        CHECK(preview.newRoot == h.tree->root());
        checkAgainstReference(h, model);
        for (int i = 0; i < 5; ++i) {
          Bytes k = key(rng() % 400);
          auto it = model.find(k);
          auto p = h.tree->prove(k);
          CHECK(StateTree::verify(
              h.tree->root(), k,
              it == model.end() ? std::nullopt : std::optional<BytesView>(it->second), p));
        }
      }
    }
  }
}

TEST_CASE("smt: large batches (root subtrees hashed on two threads) match the naive recomputation") {
  // Batches with at least StateTree::kParallelPrepare / 2 changes on each side of the root take
  // the two-thread path of prepare(); the tree must come out exactly as the reference says,
  // including the stored nodes, and reload from the store.
  const std::size_t big = StateTree::kParallelPrepare * 3;
  for (auto options : {StateTreeOptions{0, 0}, StateTreeOptions{5, 5}, StateTreeOptions{}}) {
    CAPTURE(options.topDepth);
    std::mt19937_64 rng(77 + options.topDepth);
    Harness h(options);
    Model model;
    for (int block = 0; block < 5; ++block) {
      WriteSet ws;
      if (block == 3) {  // delete nearly everything, in one big batch
        for (const auto& [k, v] : model)
          if (rng() % 20) ws[k] = std::nullopt;
      } else {
        for (std::size_t i = 0; i < big; ++i) {
          Bytes k = key(rng() % (big * 2));
          if (rng() % 5 == 0)
            ws[k] = std::nullopt;
          else
            ws[k] = randomValue(rng);
        }
      }
      auto preview = h.tree->prepare(ws);
      auto again = h.tree->prepare(ws);
      CHECK(preview.newRoot == again.newRoot);
      CHECK(preview.writes.size() == again.writes.size());
      h.commit(ws);
      applyToModel(model, ws);
      CHECK(preview.newRoot == h.tree->root());
      checkAgainstReference(h, model);
    }
    Hash32 root = h.tree->root();
    h.close();
    h.open(options);  // rebuilds the top levels from the stored nodes and checks the root
    CHECK(h.tree->root() == root);
    checkAgainstReference(h, model);
  }
}

TEST_CASE("smt: the top levels are rebuilt at startup, and a damaged trie is detected") {
  std::mt19937_64 rng(13);
  Harness h(StateTreeOptions{4, 3});
  Model model;
  WriteSet ws;
  for (uint64_t i = 0; i < 300; ++i) ws[key(i)] = randomValue(rng);
  h.commit(ws);
  applyToModel(model, ws);
  Hash32 root = h.tree->root();
  // Nothing internal above depth 3 is on disk.
  std::size_t internalAbove = 0;
  h.store->scan(Column::trie, {}, [&](BytesView k, BytesView v) {
    auto pos = smt::Position::fromDbKey(k);
    if (pos.depth < 3 && !smt::Node::fromRecord(v).leaf) ++internalAbove;
    return true;
  });
  CHECK(internalAbove == 0);
  h.close();
  h.open(StateTreeOptions{4, 3});
  CHECK(h.tree->root() == root);
  checkAgainstReference(h, model);

  // Drop one stored node of a cached level: the rebuilt root no longer matches.
  h.close();
  {
    Store s(h.dir.path());
    Bytes victim;
    s.scan(Column::trie, Bytes{0, 3}, [&](BytesView k, BytesView) {
      victim.assign(k.begin(), k.end());
      return false;
    });
    REQUIRE(!victim.empty());
    auto b = s.batch();
    b.erase(Column::trie, victim);
    s.write(b);
  }
  CHECK_THROWS_WITH_AS(h.open(StateTreeOptions{4, 3}), doctest::Contains("corrupt"),
                       std::runtime_error);
}

TEST_CASE("smt: a corrupt meta record or trie record gets an error naming it") {
  using smt::Node;
  using smt::Position;
  std::mt19937_64 rng(17);
  const StateTreeOptions options{4, 3};  // depths 0-4 in memory, 5 and below read from the column
  Harness h(options);
  Model model;
  WriteSet ws;
  for (uint64_t i = 0; i < 300; ++i) ws[key(i)] = randomValue(rng);
  h.commit(ws);
  applyToModel(model, ws);
  h.close();

  // Writes `value` (nullopt: erases) at `key`, expects opening the tree (or `use`, once it is
  // open) to fail with `message`, then puts the record back and expects the tree whole again.
  auto expectRefused = [&](Column c, const Bytes& key, const std::optional<Bytes>& value,
                           const char* message, const std::function<void()>& use = {}) {
    CAPTURE(message);
    std::optional<Bytes> before;
    {
      Store s(h.dir.path());
      before = s.get(c, key);
      auto b = s.batch();
      value ? b.put(c, key, *value) : b.erase(c, key);
      s.write(b);
    }
    if (use) {
      h.open(options);
      CHECK_THROWS_WITH_AS(use(), doctest::Contains(message), std::exception);
    } else {
      CHECK_THROWS_WITH_AS(h.open(options), doctest::Contains(message), std::exception);
    }
    h.close();
    {
      Store s(h.dir.path());
      auto b = s.batch();
      before ? b.put(c, key, *before) : b.erase(c, key);
      s.write(b);
    }
    h.open(options);
    checkAgainstReference(h, model);
    h.close();
  };

  expectRefused(Column::meta, toBytes(StateTree::kRootKey), Bytes(31, 1), "malformed root");
  expectRefused(Column::meta, toBytes(StateTree::kLeafCountKey), Bytes(7, 0),
                "malformed leaf count");
  expectRefused(Column::meta, toBytes(StateTree::kTopDepthKey), Bytes{21}, "malformed top depth");

  // The first record of each depth.
  std::map<uint16_t, std::pair<Bytes, Bytes>> firstAtDepth;  // depth -> (key, record)
  {
    Store s(h.dir.path());
    s.scan(Column::trie, {}, [&](BytesView k, BytesView v) {
      firstAtDepth.try_emplace(Position::fromDbKey(k).depth, Bytes(k.begin(), k.end()),
                               Bytes(v.begin(), v.end()));
      return true;
    });
  }
  REQUIRE(firstAtDepth.count(3));
  const auto [cachedKey, cachedRecord] = firstAtDepth.at(3);  // loaded at startup
  expectRefused(Column::trie, cachedKey, Bytes(cachedRecord.begin(), cachedRecord.begin() + 64),
                "malformed node");
  Bytes badTag = cachedRecord;
  badTag[0] = 2;
  expectRefused(Column::trie, cachedKey, badTag, "malformed node");
  expectRefused(Column::trie, Bytes{0, 3}, cachedRecord, "malformed trie key");  // no prefix byte

  // A leaf stored at depth 2, above that node at depth 3.
  const Position below = Position::fromDbKey(cachedKey);
  Position leafPos;
  for (unsigned i = 0; i < 2; ++i) leafPos = leafPos.child(smt::bitAt(below.prefix, i));
  const Hash32 anyHash = keccak256(std::string_view("x"));
  const auto leafRecord = Node::makeLeaf(anyHash, anyHash).record();
  expectRefused(Column::trie, leafPos.dbKey(), Bytes(leafRecord.begin(), leafRecord.end()),
                "a node below a leaf");

  // A node below the cached levels is read only when a block changes a key under it.
  auto deep = std::find_if(firstAtDepth.begin(), firstAtDepth.end(),
                           [](const auto& e) { return e.first > 4; });
  REQUIRE(deep != firstAtDepth.end());
  const auto [deepKey, deepRecord] = deep->second;
  const Position deepPos = Position::fromDbKey(deepKey);
  std::optional<Bytes> under;  // a key whose path runs through deepPos
  for (const auto& entry : model) {
    const Hash32 path = smt::pathOf(entry.first);
    bool match = true;
    for (unsigned i = 0; i < deepPos.depth && match; ++i)
      match = smt::bitAt(path, i) == smt::bitAt(deepPos.prefix, i);
    if (match) {
      under = entry.first;
      break;
    }
  }
  REQUIRE(under);
  auto changeUnder = [&] { (void)h.tree->prepare(WriteSet{{*under, toBytes("new value")}}); };
  expectRefused(Column::trie, deepKey, std::nullopt, "missing trie node", changeUnder);
  Bytes garbled = deepRecord;
  garbled[0] = 7;
  expectRefused(Column::trie, deepKey, garbled, "malformed node", changeUnder);
}

TEST_CASE("smt: updates prepared on another tree are refused") {
  Harness h;
  h.commit({{toBytes("a"), toBytes("1")}});
  Hash32 base = h.tree->root();
  auto u1 = h.tree->prepare({{toBytes("b"), toBytes("2")}});
  auto u2 = h.tree->prepare({{toBytes("c"), toBytes("3")}});
  CHECK(h.tree->root() == base);  // prepare is pure
  CHECK(u1.baseRoot == base);
  CHECK(u2.baseRoot == base);

  auto batch = h.store->batch();
  h.tree->stage(u1, batch);
  h.store->write(batch);
  h.tree->committed(std::move(u1));
  auto batch2 = h.store->batch();
  CHECK_THROWS_AS(h.tree->stage(u2, batch2), std::logic_error);
  CHECK_THROWS_AS(h.tree->committed(std::move(u2)), std::logic_error);
}

TEST_CASE("smt: a write without committed() is detected, and reload() recovers") {
  Harness h;
  h.commit({{toBytes("a"), toBytes("1")}});
  auto u = h.tree->prepare({{toBytes("b"), toBytes("2")}});
  Hash32 newRoot = u.newRoot;
  auto batch = h.store->batch();
  h.tree->stage(u, batch);
  h.store->write(batch);
  // committed() was never called: building the next block on the stale tree must fail.
  auto next = h.tree->prepare({{toBytes("c"), toBytes("3")}});
  auto batch2 = h.store->batch();
  CHECK_THROWS_AS(h.tree->stage(next, batch2), std::logic_error);
  h.tree->reload();
  CHECK(h.tree->root() == newRoot);
  Model model{
      {toBytes("a"), toBytes("1")}, {toBytes("b"), toBytes("2")}, {toBytes("c"), toBytes("3")}};
  h.commit({{toBytes("c"), toBytes("3")}});
  CHECK(h.tree->root() == reference(model).root);
}

TEST_CASE(
    "smt: proofs taken while blocks commit match the root they report and what was published "
    "with it") {
  Harness h(StateTreeOptions{4, 2});
  WriteSet fixed;
  for (uint64_t i = 0; i < 200; ++i) fixed[key(i)] = toBytes("fixed-" + std::to_string(i));
  h.commit(fixed);
  // What a chain publishes with each root (its head), set only through committed()'s `publish`.
  Hash32 published = h.tree->root();
  std::atomic<bool> done{false};
  std::jthread writer([&] {
    std::mt19937_64 rng(9);
    for (int block = 0; block < 60; ++block) {
      WriteSet ws;
      for (int i = 0; i < 50; ++i)
        ws[toBytes("churn-" + std::to_string(rng() % 500))] = randomValue(rng);
      auto update = h.tree->prepare(ws);
      const Hash32 root = update.newRoot;
      auto batch = h.store->batch();
      stageStateWrites(batch, ws);
      h.tree->stage(update, batch);
      h.store->write(batch, /*sync=*/false);
      h.tree->committed(std::move(update), [&] { published = root; });
    }
    done = true;
  });
  int failures = 0, mismatches = 0, proofs = 0;
  std::set<Hash32> roots;
  std::mt19937_64 rng(10);
  while (!done) {
    // Several keys per call: each proof must be against the one root returned.
    std::vector<Bytes> keys;
    for (int k = 0; k < 8; ++k) keys.push_back(key(rng() % 200));
    Hash32 root, seen;
    auto ps = h.tree->prove(keys, root, [&] { seen = published; });
    REQUIRE(ps.size() == keys.size());
    mismatches += seen != root;
    for (std::size_t k = 0; k < keys.size(); ++k)
      failures += !StateTree::verify(root, keys[k], fixed.at(keys[k]).value(), ps[k]);
    roots.insert(root);
    ++proofs;
  }
  writer.join();
  INFO(proofs << " calls over " << roots.size() << " roots");
  CHECK(proofs > 0);
  CHECK(failures == 0);
  CHECK(mismatches == 0);
}

TEST_CASE("smt: throughput (informational, no timing assertions)") {
  Harness h;
  std::mt19937_64 rng(42);
  constexpr uint64_t kAccounts = 100000;
  auto value = [&] {
    Bytes v(40);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    return v;
  };
  for (uint64_t start = 0; start < kAccounts; start += 5000) {
    WriteSet ws;
    for (uint64_t i = start; i < start + 5000; ++i) ws[key(i)] = value();
    h.commit(ws);
  }
  // Blocks like 1000 transfers: two balances and a nonce each, a few new accounts.
  constexpr int kBlocks = 20, kKeysPerBlock = 3000;
  // Wall time depends on the machine's load and its fsync latency; this thread's CPU time
  // is the steadier figure.
  auto cpuNow = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
  };
  auto wallNow = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  double prepareCpu = 0, totalCpu = 0, totalWall = 0;
  for (int b = 0; b < kBlocks; ++b) {
    WriteSet ws;
    while (ws.size() < kKeysPerBlock) ws[key(rng() % (kAccounts + kAccounts / 10))] = value();
    double c0 = cpuNow(), w0 = wallNow();
    auto update = h.tree->prepare(ws);
    double c1 = cpuNow();
    auto batch = h.store->batch();
    stageStateWrites(batch, ws);
    h.tree->stage(update, batch);
    h.store->write(batch, true);
    h.tree->committed(std::move(update));
    prepareCpu += c1 - c0;
    totalCpu += cpuNow() - c0;
    totalWall += wallNow() - w0;
  }
  double keys = double(kBlocks) * kKeysPerBlock;
  std::printf(
      "[smt throughput] %llu leaves, %d blocks x %d keys: prepare %.0f keys/s (cpu); "
      "prepare+stage+sync write+committed %.0f keys/s (cpu), %.0f keys/s (wall)\n",
      static_cast<unsigned long long>(h.tree->leafCount()), kBlocks, kKeysPerBlock,
      keys / prepareCpu, keys / totalCpu, keys / totalWall);
  CHECK(h.tree->leafCount() >= kAccounts);
}
