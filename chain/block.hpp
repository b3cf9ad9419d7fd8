// Block headers, blocks, receipts and the 2048-bit logs bloom, in Ethereum's shapes so that
// wallets and explorers read them unchanged.
#pragma once

#include <optional>
#include <vector>

#include "chain/module.hpp"
#include "chain/transaction.hpp"

namespace tn {

using Bloom = FixedBytes<256>;
void bloomAdd(Bloom& bloom, BytesView item);
void bloomAddLog(Bloom& bloom, const Log& log);
bool bloomMayContain(const Bloom& bloom, BytesView item);

struct BlockHeader {
  Hash32 parentHash;
  Address proposer;         // "miner"
  Hash32 stateRoot;
  Hash32 transactionsRoot;
  Hash32 receiptsRoot;
  Bloom logsBloom;
  uint64_t number = 0;
  uint64_t gasLimit = 0;
  uint64_t gasUsed = 0;
  uint64_t timestamp = 0;
  Bytes extraData;
  U256 baseFeePerGas = 0;

  Bytes encode() const;  // RLP; the block hash is keccak256 of it
  static BlockHeader decode(BytesView rlp);
  Hash32 hash() const { return keccak256(encode()); }
};

struct Receipt {
  Hash32 txHash;
  uint8_t type = 0;
  bool success = false;
  uint64_t gasUsed = 0;
  uint64_t cumulativeGasUsed = 0;
  U256 effectiveGasPrice = 0;
  Address from;
  std::optional<Address> to;
  std::vector<Log> logs;
  Bloom bloom;
  Bytes output;  // return data, or the revert payload when !success
  std::string revertReason;  // human-readable, empty on success
  // The block-events receipt (makeBlockEventsReceipt): the logs of the block's begin/end-block
  // hooks, after the transactions' receipts. Not encoded as a field: its encoding carries a zero
  // txHash (the synthetic hash depends on the block hash, which commits to the receipts root), and
  // decode() marks a receipt with a zero txHash as one.
  bool blockEvents = false;

  // RLP, everything above (the receipts root commits to it); a zero txHash when blockEvents.
  Bytes encode() const;
  static Receipt decode(BytesView rlp);
};

// The transaction hash under which a block's hook events are served (receipt, logs), as Polygon
// Bor's state-sync receipts: keccak256("treasurenet-block-events" ‖ be64(number) ‖ blockHash).
// No transaction has it: eth_getTransactionByHash stays null.
Hash32 blockEventsTxHash(uint64_t number, const Hash32& blockHash);

// The block-events receipt of hook logs: status 1, type 0, gas used 0, effective gas price 0,
// from the zero address, no `to`, cumulativeGasUsed = the block's gas used, the bloom of its logs.
// Its txHash stays zero until the block hash is known (blockEventsTxHash).
Receipt makeBlockEventsReceipt(std::vector<Log> logs, uint64_t blockGasUsed);

// What BFT consensus puts in a block besides transactions (empty on the dev chain): the parent's
// commit certificate and double-sign evidence, as proofs, and the facts that execution reads from
// them (BlockContext::parentSigners, doubleSigns). The chain layer stores and hashes these bytes;
// consensus checks that the facts follow from the proofs (consensus/bft_engine.cpp). When not
// empty, the header's extraData is hash(), so the block hash commits to all of it.
struct ConsensusData {
  Bytes lastCommit;              // the parent's commit (consensus/vote.hpp Commit::encode)
  std::vector<Bytes> evidence;   // DuplicateVoteEvidence::encode, each proven double sign
  std::optional<std::vector<Address>> parentSigners;  // the validators signing lastCommit, sorted
  std::vector<DoubleSign> doubleSigns;                 // one per evidence, in evidence order

  bool empty() const { return lastCommit.empty() && evidence.empty() && !parentSigners && doubleSigns.empty(); }
  // RLP([lastCommit, [evidence...], [hasSigners, [signer...]], [[validator, height]...]]).
  Bytes encode() const;
  static ConsensusData decode(BytesView rlp);
  Hash32 hash() const { return keccak256(encode()); }
  bool operator==(const ConsensusData&) const = default;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> transactions;  // with senders recovered
  Bytes commit;  // consensus commit certificate of this block (empty on the dev chain)
  ConsensusData consensus;

  // RLP [header, [raw tx...], commit, consensus, [sender...]]. The sender list is for the node's
  // own storage (recovered once, at admission); blocks from peers are encoded without it.
  Bytes encode(bool withSenders = true) const;
  // Re-derives tx hashes; takes senders from the list when present, else leaves them for
  // recoverSenders() (chain/recover.hpp).
  static Block decode(BytesView rlp);
};

// Binary Merkle root over a list of leaves (keccak256(0x00 ++ leaf), nodes keccak256(0x01 ++ l ++ r),
// an odd node is promoted). Empty list: keccak256 of the empty string.
Hash32 orderedRoot(const std::vector<Hash32>& leaves);

}  // namespace tn
