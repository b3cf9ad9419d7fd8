// The node's persistent chain: blocks, receipts, indexes and state, all committed per block in ONE
// RocksDB WriteBatch written with sync (docs/STATE.md). Reads are safe from any thread.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "chain/block.hpp"
#include "chain/executor.hpp"
#include "state/smt.hpp"
#include "state/state_cache.hpp"
#include "state/store.hpp"

namespace tn {

struct TxLocation {
  uint64_t blockNumber = 0;
  uint32_t index = 0;
};

struct LogFilter {
  uint64_t fromBlock = 0;
  uint64_t toBlock = 0;
  std::vector<Address> addresses;                 // empty: any
  std::vector<std::vector<Hash32>> topics;        // per position; empty set: any
};

// A hook event's txHash is the block's blockEventsTxHash, its txIndex the block's transaction
// count, and its logIndex continues after the transactions' logs.
struct LogEntry {
  Log log;
  uint64_t blockNumber = 0;
  Hash32 blockHash;
  Hash32 txHash;
  uint32_t txIndex = 0;
  uint32_t logIndex = 0;  // within the block
};

struct LogQueryLimits {
  uint64_t maxBlockRange = 10'000;
  std::size_t maxResults = 10'000;
};

// Thrown when a log query exceeds a limit; the RPC layer maps it to -32005.
struct LimitExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ChainStore {
 public:
  explicit ChainStore(const std::filesystem::path& dir);

  bool hasGenesis() const { return head_.has_value(); }
  // Writes the genesis block (number 0) with the given state; only on an empty database.
  void commitGenesis(const BlockHeader& header, const WriteSet& state, const boost::json::value& genesisJson);

  // Computes the state root a block's changes produce on top of the current head.
  StateTree::Update prepareState(const WriteSet& changes) const { return tree_.prepare(changes); }
  // Commits block, receipts, indexes, state and the last_committed marker atomically.
  // `receiptsRlp`, when given, holds receipts[i].encode() (made once by the block builder).
  // `receipts` may end with the block-events receipt (Receipt::blockEvents, right after the
  // transactions' receipts): it is stored with them and indexed under blockEventsTxHash.
  void commitBlock(const Block& block, const std::vector<Receipt>& receipts, const WriteSet& changes,
                   StateTree::Update&& update, const std::vector<Bytes>* receiptsRlp = nullptr);

  BlockHeader head() const;
  uint64_t height() const { return head().number; }
  Hash32 headHash() const;
  std::optional<BlockHeader> header(uint64_t number) const;
  std::optional<Block> block(uint64_t number) const;
  std::optional<uint64_t> numberOf(const Hash32& blockHash) const;
  // The block's receipts: one per transaction, then its block-events receipt if it has one
  // (blockEvents set, txHash = blockEventsTxHash(number, block hash)).
  std::vector<Receipt> receipts(uint64_t number) const;
  // Where a transaction is; also the block-events receipt's synthetic hash, whose index is the
  // block's transaction count (past its last transaction: there is no such transaction).
  std::optional<TxLocation> txLocation(const Hash32& txHash) const;
  std::optional<boost::json::value> genesisJson() const;

  // The state after the head block, published with it at commit (a consistent snapshot; hot keys
  // are served from the state cache). Thread-safe; readers are shared.
  std::shared_ptr<const StateReader> state() const;
  // Matching logs in block order, at most limits.maxResults of them (callers ask for one more
  // than they allow to detect an oversized query). Throws LimitExceeded on a too-large range.
  std::vector<LogEntry> logs(const LogFilter& filter, const LogQueryLimits& limits) const;
  StateTree::Proof prove(BytesView key) const;
  // The head block, its hash and the state after it, read together (they are published together).
  struct HeadView {
    BlockHeader header;
    Hash32 hash;
    std::shared_ptr<const StateReader> state;
  };
  HeadView headView() const;
  // Proofs of `keys` (in order) with their values, all against the head block's stateRoot, read
  // from the state published with that head: the head, the values and the proofs belong together
  // even while blocks commit.
  struct HeadProof {
    HeadView head;
    std::vector<std::optional<Bytes>> values;  // nullopt: the key is absent (exclusion proof)
    std::vector<StateTree::Proof> proofs;
  };
  HeadProof proveAtHead(const std::vector<Bytes>& keys) const;
  Hash32 stateRoot() const { return tree_.root(); }
  Store& store() { return store_; }

 private:
  void loadHead();
  // receipts(number); `blockHash` (when known) spares reading the header to name block events.
  std::vector<Receipt> readReceipts(uint64_t number, const Hash32* blockHash) const;
  void writeBlock(Store::Batch& batch, const Block& block, const std::vector<Receipt>& receipts,
                  const WriteSet& changes, StateTree::Update&& update,
                  const std::vector<Bytes>* receiptsRlp = nullptr);

  Store store_;
  StateTree tree_;
  std::shared_ptr<StateCache> cache_ = std::make_shared<StateCache>();
  mutable std::mutex headMutex_;
  std::optional<BlockHeader> head_;
  Hash32 headHash_;
  std::shared_ptr<const StateReader> headState_;  // the state after head_
};

}  // namespace tn
