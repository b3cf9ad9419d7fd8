// Building a block on top of the head (a proposer) and re-applying a given block (a validator
// checking a proposal, block sync, replay) share this code, so both derive roots the same way.
#pragma once

#include "chain/chainstore.hpp"
#include "chain/executor.hpp"

namespace tn {

struct SealedBlock {
  Block block;
  // One per included transaction, then the block-events receipt when the hooks emitted events
  // (Receipt::blockEvents, its txHash already the synthetic blockEventsTxHash).
  std::vector<Receipt> receipts;
  std::vector<Bytes> receiptsRlp;  // receipts[i].encode(), made once for the root and the store
  WriteSet changes;
  StateTree::Update update;
  std::vector<std::pair<std::shared_ptr<const Transaction>, std::string>> dropped;
};

// Executes `candidates` (senders recovered) on the head of `chain`, dropping those invalid at
// their turn, and assembles the header. Nothing is committed.
// `consensus` (BFT only) goes into the block and its facts into the block context.
SealedBlock buildBlock(const ChainStore& chain, const Executor& executor,
                       const std::vector<std::shared_ptr<const Transaction>>& candidates,
                       uint64_t timestamp, const Address& proposer, const ConsensusData& consensus = {});

// Re-executes a received block on the head and checks every header field derived from execution
// (state, transactions and receipts roots, gas used, bloom, and extraData as the consensus data's
// hash). Throws std::runtime_error with the first mismatch. Senders must be recovered. Whether
// the consensus data's facts follow from its proofs is for consensus to check. Takes the block by
// value: a caller done with it moves it in and its transactions are not copied.
SealedBlock applyBlock(const ChainStore& chain, const Executor& executor, Block block);

// Commits a sealed block.
inline void commitSealed(ChainStore& chain, SealedBlock& sealed) {
  chain.commitBlock(sealed.block, sealed.receipts, sealed.changes, std::move(sealed.update),
                    &sealed.receiptsRlp);
}

Hash32 transactionsRoot(const std::vector<Transaction>& txs);
Hash32 receiptsRoot(const std::vector<Receipt>& receipts);
Hash32 receiptsRootOfEncoded(const std::vector<Bytes>& encodedReceipts);

}  // namespace tn
