#include "chain/chainstore.hpp"

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "chain/rlp.hpp"

namespace tn {

namespace {

// Key layout (docs/STATE.md): numbers are 8-byte big-endian so keys sort by height.
Bytes be64(uint64_t v) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = uint8_t(v >> (56 - 8 * i));
  return b;
}
uint64_t readBe64(BytesView b) {
  if (b.size() < 8) throw std::runtime_error("corrupt index entry");
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | b[i];
  return v;
}
Bytes headerKey(uint64_t n) { return concat({asBytes("H"), be64(n)}); }
Bytes bodyKey(uint64_t n) { return concat({asBytes("B"), be64(n)}); }
Bytes hashKey(const Hash32& h) { return concat({asBytes("h"), h.view()}); }
Bytes addrLogKey(const Address& a, uint64_t n) { return concat({asBytes("a"), a.view(), be64(n)}); }
Bytes topicLogKey(const Hash32& t, uint64_t n) { return concat({asBytes("t"), t.view(), be64(n)}); }
const Bytes kLastCommitted = toBytes("last_committed");
const Bytes kGenesis = toBytes("genesis");

}  // namespace

ChainStore::ChainStore(const std::filesystem::path& dir) : store_(dir), tree_(store_) { loadHead(); }

void ChainStore::loadHead() {
  auto marker = store_.get(Column::meta, kLastCommitted);
  if (!marker) return;
  uint64_t n = readBe64(*marker);
  auto h = header(n);
  if (!h) throw std::runtime_error("database is corrupt: last committed block is missing");
  if (h->stateRoot != tree_.root())
    throw std::runtime_error("database is corrupt: state root does not match the last block");
  auto published = cache_->reader(store_);
  std::lock_guard lock(headMutex_);
  head_ = *h;
  headHash_ = Hash32::fromView(BytesView(*marker).subspan(8));
  headState_ = std::move(published);
}

void ChainStore::commitGenesis(const BlockHeader& header, const WriteSet& state,
                               const boost::json::value& genesisJson) {
  if (hasGenesis()) throw std::logic_error("genesis already committed");
  if (header.number != 0) throw std::logic_error("genesis must be block 0");
  Store::Batch batch = store_.batch();
  batch.put(Column::meta, kGenesis, asBytes(boost::json::serialize(genesisJson)));
  Block b;
  b.header = header;
  writeBlock(batch, b, {}, state, tree_.prepare(state));
}

void ChainStore::commitBlock(const Block& block, const std::vector<Receipt>& receipts,
                             const WriteSet& changes, StateTree::Update&& update,
                             const std::vector<Bytes>* receiptsRlp) {
  if (!hasGenesis()) throw std::logic_error("commit genesis first");
  if (block.header.number != height() + 1)
    throw std::logic_error("block " + std::to_string(block.header.number) + " does not follow the head");
  if (block.header.parentHash != headHash()) throw std::logic_error("block parent is not the head");
  Store::Batch batch = store_.batch();
  if (receiptsRlp && receiptsRlp->size() != receipts.size())
    throw std::logic_error("receipt encodings do not match the receipts");
  for (std::size_t i = 0; i < receipts.size(); ++i)
    if (receipts[i].blockEvents && (i != block.transactions.size() || i + 1 != receipts.size()))
      throw std::logic_error("the block-events receipt must follow the transactions' receipts");
  writeBlock(batch, block, receipts, changes, std::move(update), receiptsRlp);
}

void ChainStore::writeBlock(Store::Batch& batch, const Block& block,
                            const std::vector<Receipt>& receipts, const WriteSet& changes,
                            StateTree::Update&& update, const std::vector<Bytes>* receiptsRlp) {
  const BlockHeader& h = block.header;
  uint64_t n = h.number;
  if (update.newRoot != h.stateRoot) throw std::logic_error("block state root mismatch");
  Hash32 blockHash = h.hash();

  stageStateWrites(batch, changes);
  tree_.stage(update, batch);
  batch.put(Column::blocks, headerKey(n), h.encode());
  batch.put(Column::blocks, bodyKey(n), block.encode(true));
  batch.put(Column::blocks, hashKey(blockHash), be64(n));

  rlp::Encoder re;
  auto m = re.beginList();
  if (receiptsRlp)
    for (const Bytes& r : *receiptsRlp) re.bytes(r);
  else
    for (const Receipt& r : receipts) re.bytes(r.encode());
  re.endList(m);
  batch.put(Column::receipts, be64(n), re.out());

  // Index entries in key order: RocksDB's memtable inserts ascending keys from the previous
  // insert's position instead of searching the skip list from the top for each random hash.
  std::vector<uint32_t> order(block.transactions.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return block.transactions[x].hash < block.transactions[y].hash;
  });
  uint8_t loc[12];
  for (int i = 0; i < 8; ++i) loc[i] = uint8_t(n >> (56 - 8 * i));
  for (uint32_t i : order) {
    for (int s = 0; s < 4; ++s) loc[8 + s] = uint8_t(i >> (24 - 8 * s));
    batch.put(Column::txindex, block.transactions[i].hash, BytesView(loc, sizeof loc));
  }
  // The block-events receipt is found by its synthetic hash, at index = the transaction count.
  if (!receipts.empty() && receipts.back().blockEvents) {
    uint32_t i = uint32_t(block.transactions.size());
    for (int s = 0; s < 4; ++s) loc[8 + s] = uint8_t(i >> (24 - 8 * s));
    batch.put(Column::txindex, blockEventsTxHash(n, blockHash), BytesView(loc, sizeof loc));
  }
  std::set<Bytes, BytesLess> logKeys;
  for (const Receipt& r : receipts)
    for (const Log& l : r.logs) {
      logKeys.insert(addrLogKey(l.address, n));
      for (const Hash32& t : l.topics) logKeys.insert(topicLogKey(t, n));
    }
  for (const Bytes& k : logKeys) batch.put(Column::logindex, k, {});

  Bytes marker = be64(n);
  append(marker, blockHash);
  batch.put(Column::meta, kLastCommitted, marker);
  cache_->beginCommit();
  try {
    store_.write(batch, true);  // the commit point: all of the above or none of it
  } catch (...) {
    cache_->reset();
    throw;
  }
  cache_->committed(changes);

  // The new state becomes "latest" together with its header, and both together with the tree's
  // root (under the tree's lock, for proveAtHead): a reader never sees block N's state while the
  // head still says N - 1 (or the reverse).
  auto published = cache_->reader(store_);
  tree_.committed(std::move(update), [&] {
    std::lock_guard lock(headMutex_);
    head_ = h;
    headHash_ = blockHash;
    headState_ = std::move(published);
  });
}

std::shared_ptr<const StateReader> ChainStore::state() const {
  std::lock_guard lock(headMutex_);
  if (headState_) return headState_;
  return cache_->reader(store_);  // no block yet: the (empty) store as it is
}

BlockHeader ChainStore::head() const {
  std::lock_guard lock(headMutex_);
  if (!head_) throw std::logic_error("chain has no genesis");
  return *head_;
}

Hash32 ChainStore::headHash() const {
  std::lock_guard lock(headMutex_);
  return headHash_;
}

std::optional<BlockHeader> ChainStore::header(uint64_t number) const {
  auto v = store_.get(Column::blocks, headerKey(number));
  if (!v) return std::nullopt;
  return BlockHeader::decode(*v);
}

std::optional<Block> ChainStore::block(uint64_t number) const {
  auto v = store_.get(Column::blocks, bodyKey(number));
  if (!v) return std::nullopt;
  return Block::decode(*v);
}

std::optional<uint64_t> ChainStore::numberOf(const Hash32& blockHash) const {
  auto v = store_.get(Column::blocks, hashKey(blockHash));
  if (!v) return std::nullopt;
  return readBe64(*v);
}

std::vector<Receipt> ChainStore::receipts(uint64_t number) const {
  return readReceipts(number, nullptr);
}

std::vector<Receipt> ChainStore::readReceipts(uint64_t number, const Hash32* blockHash) const {
  std::vector<Receipt> out;
  auto v = store_.get(Column::receipts, be64(number));
  if (!v) return out;
  for (const auto& item : rlp::decode(*v).items()) out.push_back(Receipt::decode(item.bytes()));
  // Stored as committed, with a zero txHash: name the block-events receipt by its block.
  if (!out.empty() && out.back().blockEvents) {
    if (blockHash) {
      out.back().txHash = blockEventsTxHash(number, *blockHash);
    } else if (auto h = header(number)) {
      out.back().txHash = blockEventsTxHash(number, h->hash());
    }
  }
  return out;
}

std::optional<TxLocation> ChainStore::txLocation(const Hash32& txHash) const {
  auto v = store_.get(Column::txindex, txHash);
  if (!v || v->size() != 12) return std::nullopt;
  TxLocation loc;
  loc.blockNumber = readBe64(*v);
  loc.index = uint32_t((*v)[8]) << 24 | uint32_t((*v)[9]) << 16 | uint32_t((*v)[10]) << 8 | (*v)[11];
  return loc;
}

std::optional<boost::json::value> ChainStore::genesisJson() const {
  auto v = store_.get(Column::meta, kGenesis);
  if (!v) return std::nullopt;
  return boost::json::parse(asChars(*v));
}

StateTree::Proof ChainStore::prove(BytesView key) const { return tree_.prove(key); }

ChainStore::HeadView ChainStore::headView() const {
  std::lock_guard lock(headMutex_);
  if (!head_) throw std::logic_error("chain has no genesis");
  return {*head_, headHash_, headState_};  // published with head_ (loadHead, writeBlock)
}

ChainStore::HeadProof ChainStore::proveAtHead(const std::vector<Bytes>& keys) const {
  HeadProof out;
  Hash32 root;
  // The head is published under the tree's lock together with its root (writeBlock), so the head
  // read here is the one whose stateRoot the proofs are made against.
  out.proofs = tree_.prove(keys, root, [&] { out.head = headView(); });
  if (root != out.head.header.stateRoot)
    throw std::logic_error("the state tree's root is not the head's stateRoot");
  out.values.reserve(keys.size());
  for (const Bytes& key : keys) out.values.push_back(out.head.state->get(key));
  return out;
}

std::vector<LogEntry> ChainStore::logs(const LogFilter& f, const LogQueryLimits& limits) const {
  if (f.toBlock < f.fromBlock) return {};
  if (f.toBlock - f.fromBlock >= limits.maxBlockRange)
    throw LimitExceeded("block range too large: at most " + std::to_string(limits.maxBlockRange) +
                        " blocks per query");

  // Candidate blocks from the index: blocks holding any wanted address, intersected with blocks
  // holding any wanted topic at each constrained position. Receipts decide exactly.
  auto blocksWith = [&](char tag, BytesView id) {
    std::set<uint64_t> out;
    Bytes from = concat({BytesView(reinterpret_cast<const uint8_t*>(&tag), 1), id, be64(f.fromBlock)});
    Bytes to = concat({BytesView(reinterpret_cast<const uint8_t*>(&tag), 1), id, be64(f.toBlock)});
    to.push_back(0);
    store_.scanRange(Column::logindex, from, to, [&](BytesView key, BytesView) {
      out.insert(readBe64(key.subspan(key.size() - 8)));
      return true;
    });
    return out;
  };
  std::optional<std::set<uint64_t>> candidates;
  auto intersect = [&](std::set<uint64_t> s) {
    if (!candidates) {
      candidates = std::move(s);
      return;
    }
    std::set<uint64_t> both;
    for (uint64_t n : s)
      if (candidates->count(n)) both.insert(n);
    candidates = std::move(both);
  };
  if (!f.addresses.empty()) {
    std::set<uint64_t> any;
    for (const Address& a : f.addresses) any.merge(blocksWith('a', a));
    intersect(std::move(any));
  }
  for (const auto& set : f.topics) {
    if (set.empty()) continue;
    std::set<uint64_t> any;
    for (const Hash32& t : set) any.merge(blocksWith('t', t));
    intersect(std::move(any));
  }
  std::vector<uint64_t> blocks;
  if (candidates) {
    blocks.assign(candidates->begin(), candidates->end());
  } else {
    for (uint64_t n = f.fromBlock; n <= f.toBlock; ++n) blocks.push_back(n);
  }

  std::vector<LogEntry> out;
  for (uint64_t n : blocks) {
    auto h = header(n);
    if (!h) break;
    if (!candidates && h->logsBloom.isZero()) continue;
    Hash32 blockHash = h->hash();
    auto rs = readReceipts(n, &blockHash);
    uint32_t logIndex = 0;
    for (uint32_t ti = 0; ti < rs.size(); ++ti) {
      for (const Log& l : rs[ti].logs) {
        uint32_t li = logIndex++;
        if (!f.addresses.empty() &&
            std::find(f.addresses.begin(), f.addresses.end(), l.address) == f.addresses.end())
          continue;
        bool match = true;
        for (std::size_t p = 0; p < f.topics.size() && match; ++p) {
          if (f.topics[p].empty()) continue;
          match = p < l.topics.size() &&
                  std::find(f.topics[p].begin(), f.topics[p].end(), l.topics[p]) != f.topics[p].end();
        }
        if (!match) continue;
        if (out.size() >= limits.maxResults) return out;
        out.push_back({l, n, blockHash, rs[ti].txHash, ti, li});
      }
    }
  }
  return out;
}

}  // namespace tn
