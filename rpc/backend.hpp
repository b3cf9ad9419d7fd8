// What the RPC layer needs from the node. The node (apps/) implements Backend; every method returns
// chain types and rpc/ does all JSON formatting, so the node never builds JSON itself.
//
// Threading: the server calls a Backend from its io threads concurrently, so every method must be
// safe to call from several threads at once.
// Errors: a method throws RpcError to answer with a specific code (e.g. -32000 for admission
// failures, "historical state not available"); TxError and Revert are mapped as well (see
// dispatcher.hpp); anything else becomes -32603.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/block.hpp"
#include "chain/module.hpp"
#include "rpc/error.hpp"
#include "state/smt.hpp"

namespace tn::rpc {

// A block selector as the eth_ methods take it: a tag, a number, or (EIP-1898) a block hash.
struct BlockTag {
  enum class Kind : uint8_t { Latest, Pending, Earliest, Safe, Finalized, Number, Hash };
  Kind kind = Kind::Latest;
  uint64_t number = 0;  // Kind::Number
  Hash32 hash;          // Kind::Hash

  static BlockTag latest() { return {}; }
  static BlockTag pending() { return {Kind::Pending, 0, {}}; }
  static BlockTag at(uint64_t n) { return {Kind::Number, n, {}}; }
  static BlockTag byHash(const Hash32& h) { return {Kind::Hash, 0, h}; }
  // "latest", "0x1f", "0xabc…" (hash): for error messages.
  std::string str() const;
};

// A committed block as stored.
struct BlockView {
  Block block;  // transactions with senders recovered
  Hash32 hash;
  uint64_t size = 0;  // bytes of block.encode(), the "size" field
};

// Where a committed transaction sits.
struct TxLocation {
  Hash32 blockHash;
  uint64_t blockNumber = 0;
  uint64_t index = 0;
  U256 baseFeePerGas = 0;  // of that block: the tx object's gasPrice shows the price paid
};

struct TxView {
  Transaction tx;                      // sender recovered
  std::optional<TxLocation> location;  // nullopt: pending in the mempool
};

struct ReceiptView {
  Receipt receipt;
  TxLocation location;
  uint64_t firstLogIndex = 0;  // block-wide index of receipt.logs[0] (logs of earlier txs before)
};

// A log with the context eth_getLogs and the logs subscription report.
struct LogView {
  Log log;
  Hash32 blockHash;
  uint64_t blockNumber = 0;
  Hash32 txHash;
  uint64_t txIndex = 0;
  uint64_t logIndex = 0;  // position in the block
};

// Address and topic criteria of eth_getLogs and eth_subscribe("logs").
struct LogCriteria {
  std::vector<Address> addresses;  // empty: any emitter; else any of them
  // Position i: empty = any topic (JSON null), else the log's topic i must be one of the set.
  // A log with fewer topics than positions given does not match.
  std::vector<std::vector<Hash32>> topics;

  bool matches(const Log& log) const;
  // False when the bloom proves no log of the block can match (lets a backend skip blocks).
  bool mayMatch(const Bloom& bloom) const {
    auto anyIn = [&](auto const& set) {
      for (const auto& item : set)
        if (bloomMayContain(bloom, item)) return true;
      return false;
    };
    if (!addresses.empty() && !anyIn(addresses)) return false;
    for (const auto& set : topics)
      if (!set.empty() && !anyIn(set)) return false;
    return true;
  }
};

// eth_getLogs after the RPC layer resolved tags and checked the block-range cap.
struct LogQuery {
  LogCriteria criteria;
  std::optional<Hash32> blockHash;  // set: that block only (unknown → RpcError -32000)
  uint64_t fromBlock = 0;           // inclusive, both <= the latest block
  uint64_t toBlock = 0;
  // Return at most limit + 1 logs: the extra one tells the RPC layer the query was too large
  // without the backend scanning the rest.
  std::size_t limit = 0;
};

// The transaction-like object of eth_call and eth_estimateGas; absent fields take node defaults.
struct CallRequest {
  std::optional<Address> from;
  std::optional<Address> to;
  std::optional<uint64_t> gas;
  std::optional<U256> gasPrice;
  std::optional<U256> maxFeePerGas;
  std::optional<U256> maxPriorityFeePerGas;
  std::optional<U256> value;
  std::optional<uint64_t> nonce;
  Bytes data;  // "input" or "data"
  std::vector<AccessListEntry> accessList;
};

struct CallResult {
  Bytes output;  // return data, or the revert payload when reverted
  bool reverted = false;
  std::string revertReason;  // decoded Error(string), may be empty
  uint64_t gas = 0;          // call: gas used; estimateGas: the estimate
};

struct FeeHistory {
  uint64_t oldestBlock = 0;
  std::vector<U256> baseFeePerGas;        // one per block plus the next block's
  std::vector<double> gasUsedRatio;       // one per block
  std::vector<std::vector<U256>> reward;  // one row per block, one entry per percentile
};

// The head block's state, for the tn_ methods that read module state (rpc/tn_api.hpp).
struct HeadState {
  std::shared_ptr<const StateReader> state;  // a consistent snapshot
  uint64_t number = 0;                       // the block it is the state after
  uint64_t timestamp = 0;                    // that block's time: "today" of the modules
};

// A block's commit certificate (tn_getCommit): the precommit signatures of validators holding more
// than 2/3 of the power of the block's validator set, for (number, round, blockHash).
struct CommitView {
  struct Precommit {
    Address validator;
    Signature signature;  // over signingHash
  };
  uint64_t number = 0;
  Hash32 blockHash;
  uint64_t round = 0;
  Hash32 signingHash;                 // what each validator signed (docs/CONSENSUS.md)
  std::vector<Precommit> precommits;  // in validator address order
  // true: the certificate block number + 1 records (its lastCommit), the same on every node;
  // false: the one this node collected (the head block has no successor yet).
  bool canonical = false;
  Bytes raw;  // the certificate's RLP as stored
};

// txpool_content: the pool's transactions (senders recovered) by sender then nonce, split into
// pending (executable in nonce order now) and queued (after a nonce gap).
struct PoolContent {
  std::vector<std::shared_ptr<const Transaction>> pending;
  std::vector<std::shared_ptr<const Transaction>> queued;
};

// Transactions admitted to the pool after a cursor (pending-transaction filters).
struct PoolAdmissions {
  std::vector<Hash32> hashes;  // oldest first
  uint64_t cursor = 0;         // the admission count now: the next call's cursor
};

// tn_getProof: an account's record and further state keys, each with its value and a proof
// against the stateRoot of one block (the head: only its state is kept).
struct StateProofView {
  struct Entry {
    Bytes key;
    std::optional<Bytes> value;  // nullopt: absent, and the proof is an exclusion proof
    smt::Proof proof;
  };
  uint64_t blockNumber = 0;
  Hash32 blockHash;
  Hash32 stateRoot;
  uint64_t nonce = 0;  // the account's, as the ledger reads its record
  U256 balance = 0;
  Entry account;
  std::vector<Entry> entries;  // the keys asked for, in order
};

struct SyncStatus {
  uint64_t startingBlock = 0;
  uint64_t currentBlock = 0;
  uint64_t highestBlock = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Node identity and network.
  virtual uint64_t chainId() const = 0;
  virtual std::string clientVersion() const = 0;  // "treasurenetd/v0.1.0/linux-amd64"
  virtual uint64_t peerCount() const = 0;
  virtual bool listening() const = 0;
  virtual std::optional<SyncStatus> syncing() const = 0;  // nullopt: in sync

  // Blocks and transactions; nullopt when unknown.
  virtual uint64_t latestBlockNumber() const = 0;
  // Tags: "pending" may be answered with the latest block. Never called with Kind::Hash.
  virtual std::optional<BlockView> blockByNumber(const BlockTag& tag) const = 0;
  virtual std::optional<BlockView> blockByHash(const Hash32& hash) const = 0;
  // Committed (with location) or pending in the mempool. Never a block-events hash.
  virtual std::optional<TxView> transaction(const Hash32& hash) const = 0;
  // Committed transactions only, plus a block's block-events receipt by its synthetic hash
  // (blockEventsTxHash; location.index = the block's transaction count).
  virtual std::optional<ReceiptView> receipt(const Hash32& hash) const = 0;
  // Every receipt of a committed block in order, its block-events receipt last when it has one;
  // nullopt for an unknown block. The default asks receipt() for each.
  virtual std::optional<std::vector<ReceiptView>> blockReceipts(const BlockTag& tag) const {
    auto view = tag.kind == BlockTag::Kind::Hash ? blockByHash(tag.hash) : blockByNumber(tag);
    if (!view) return std::nullopt;
    std::vector<ReceiptView> out;
    for (const Transaction& tx : view->block.transactions)
      if (auto r = receipt(tx.hash)) out.push_back(std::move(*r));
    if (auto events = receipt(blockEventsTxHash(view->block.header.number, view->hash)))
      out.push_back(std::move(*events));
    return out;
  }

  // Hashes of the committed blocks from..to (inclusive, to <= the latest), for block filters.
  // The default reads each block; a node reads only headers.
  virtual std::vector<Hash32> blockHashes(uint64_t from, uint64_t to) const {
    std::vector<Hash32> out;
    for (uint64_t n = from; n <= to; ++n)
      if (auto b = blockByNumber(BlockTag::at(n))) out.push_back(b->hash);
    return out;
  }
  // The hashes of the transactions admitted to the pool after its first `cursor` admissions
  // (the last 16,384 at most) and the admission count now; for pending-transaction filters.
  virtual PoolAdmissions admittedSince(uint64_t /*cursor*/) const {
    throw RpcError(code::kServer, "pending-transaction filters not available on this node");
  }

  // The pool's content (txpool_): every sender's, or only `sender`'s. The default: no pool.
  virtual PoolContent poolContent(const std::optional<Address>& /*sender*/) const {
    throw RpcError(code::kServer, "no transaction pool on this node");
  }

  // Account state at a block. The node keeps only the latest state: for an older block throw
  // RpcError(-32000, "historical state not available"). nonce("pending") counts the mempool.
  virtual U256 balance(const Address& account, const BlockTag& tag) const = 0;
  virtual uint64_t nonce(const Address& account, const BlockTag& tag) const = 0;
  virtual Bytes code(const Address& account, const BlockTag& tag) const = 0;

  // Fee suggestions.
  virtual U256 gasPrice() const = 0;  // legacy: base fee + suggested tip
  virtual U256 maxPriorityFeePerGas() const = 0;
  // `blockCount` >= 1 (already capped), `newest` a resolved number <= latest, percentiles
  // ascending in [0, 100] (already checked). Fewer blocks may be returned near genesis.
  virtual FeeHistory feeHistory(uint64_t blockCount, uint64_t newest,
                                const std::vector<double>& rewardPercentiles) const = 0;

  // Admits a signed transaction to the mempool; throws RpcError(-32000, reason) or TxError.
  virtual Hash32 sendRawTransaction(const Bytes& raw) = 0;
  // Runs a call against the state at `tag` without committing. A revert is a result, not an
  // error; failures before execution (unknown block, insufficient funds) throw RpcError.
  virtual CallResult call(const CallRequest& request, const BlockTag& tag) const = 0;
  // Gas needed for the call to succeed, in CallResult::gas; a revert as in call().
  virtual CallResult estimateGas(const CallRequest& request, const BlockTag& tag) const = 0;

  virtual std::vector<LogView> logs(const LogQuery& query) const = 0;

  // tn_getProof at `tag` (the head only; else RpcError -32000 "historical state not available").
  virtual StateProofView stateProof(const Address& /*account*/, const std::vector<Bytes>& /*keys*/,
                                    const BlockTag& /*tag*/) const {
    throw RpcError(code::kServer, "state proofs not available on this node");
  }

  // Module state for the tn_ namespace. The defaults say the backend has none (the tn_ methods
  // then answer -32000), so backends without modules need not implement them.
  virtual HeadState headState() const {
    throw RpcError(code::kServer, "module state not available on this node");
  }
  // tn_getCommit: nullopt for an unknown block; RpcError(-32000) for a block without one (the
  // genesis block, blocks of the dev engine). The default: no block has one on this backend.
  virtual std::optional<CommitView> commit(const BlockTag& tag) const {
    if (!(tag.kind == BlockTag::Kind::Hash ? blockByHash(tag.hash) : blockByNumber(tag)))
      return std::nullopt;
    throw RpcError(code::kServer, "commit certificates not available on this node");
  }
  // The composed module set (names, addresses, call tables); null when there is none.
  virtual const ModuleRegistry* modules() const { return nullptr; }
  // tn_getConsensusState: the engine's state as JSON (the node composes it from its engine).
  virtual boost::json::value consensusState() const {
    return boost::json::object{{"engine", "none"}, {"height", latestBlockNumber() + 1}};
  }
};

// Appends the logs of a committed block that match `criteria`, in block order, with their
// context; stops once `out` holds `maxOut` entries. For subscriptions and Backend::logs.
// `receipts` may end with the block-events receipt (its txHash already the synthetic one): its
// logs (the hook events) come last, with transactionIndex = the block's transaction count.
void appendBlockLogs(const Block& block, const Hash32& blockHash,
                     const std::vector<Receipt>& receipts, const LogCriteria& criteria,
                     std::vector<LogView>& out, std::size_t maxOut = SIZE_MAX);

}  // namespace tn::rpc
