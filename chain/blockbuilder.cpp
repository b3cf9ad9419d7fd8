#include "chain/blockbuilder.hpp"

namespace tn {

Hash32 transactionsRoot(const std::vector<Transaction>& txs) {
  std::vector<Hash32> leaves;
  leaves.reserve(txs.size());
  for (const auto& tx : txs) leaves.push_back(tx.hash);
  return orderedRoot(leaves);
}

Hash32 receiptsRoot(const std::vector<Receipt>& receipts) {
  std::vector<Hash32> leaves;
  leaves.reserve(receipts.size());
  for (const auto& r : receipts) leaves.push_back(keccak256(r.encode()));
  return orderedRoot(leaves);
}

Hash32 receiptsRootOfEncoded(const std::vector<Bytes>& encodedReceipts) {
  std::vector<Hash32> leaves;
  leaves.reserve(encodedReceipts.size());
  for (const Bytes& r : encodedReceipts) leaves.push_back(keccak256(r));
  return orderedRoot(leaves);
}

static BlockContext contextOnHead(const ChainStore& chain, const Executor& executor,
                                  uint64_t timestamp, const Address& proposer,
                                  const ConsensusData& consensus) {
  BlockHeader head = chain.head();
  BlockContext ctx;
  ctx.chainId = executor.params().chainId;
  ctx.number = head.number + 1;
  ctx.timestamp = std::max(timestamp, head.timestamp);  // block time never goes backwards
  ctx.proposer = proposer;
  ctx.parentHash = chain.headHash();
  ctx.baseFee = executor.params().baseFee;
  ctx.parentSigners = consensus.parentSigners;
  ctx.doubleSigns = consensus.doubleSigns;
  return ctx;
}

// Gives the block-events receipt, if any, its synthetic transaction hash: once the header is final.
static void nameBlockEvents(SealedBlock& sealed) {
  if (sealed.receipts.empty() || !sealed.receipts.back().blockEvents) return;
  const BlockHeader& h = sealed.block.header;
  sealed.receipts.back().txHash = blockEventsTxHash(h.number, h.hash());
}

static SealedBlock seal(const ChainStore& chain, const Executor& executor, const BlockContext& ctx,
                        const ConsensusData& consensus, BlockExecution&& exec) {
  SealedBlock out;
  BlockHeader& h = out.block.header;
  out.block.consensus = consensus;
  if (!consensus.empty()) {
    Hash32 c = consensus.hash();
    h.extraData.assign(c.data(), c.data() + c.size());
  }
  h.parentHash = ctx.parentHash;
  h.proposer = ctx.proposer;
  h.number = ctx.number;
  h.timestamp = ctx.timestamp;
  h.gasLimit = executor.params().blockGasLimit;
  h.gasUsed = exec.gasUsed;
  h.baseFeePerGas = ctx.baseFee;
  h.logsBloom = exec.bloom;
  out.block.transactions.reserve(exec.included.size());
  for (const auto& tx : exec.included) out.block.transactions.push_back(*tx);
  h.transactionsRoot = transactionsRoot(out.block.transactions);
  // The hook events, if any, as one more receipt after the transactions' (a block without them
  // has exactly its transactions' receipts, as before hook events were committed).
  if (!exec.blockLogs.empty())
    exec.receipts.push_back(makeBlockEventsReceipt(std::move(exec.blockLogs), exec.gasUsed));
  // Each receipt is encoded once: the same bytes are hashed here and stored at commit.
  out.receiptsRlp.reserve(exec.receipts.size());
  for (const Receipt& r : exec.receipts) out.receiptsRlp.push_back(r.encode());
  h.receiptsRoot = receiptsRootOfEncoded(out.receiptsRlp);
  out.update = chain.prepareState(exec.changes);
  h.stateRoot = out.update.newRoot;
  out.receipts = std::move(exec.receipts);
  out.changes = std::move(exec.changes);
  out.dropped = std::move(exec.dropped);
  nameBlockEvents(out);
  return out;
}

SealedBlock buildBlock(const ChainStore& chain, const Executor& executor,
                       const std::vector<std::shared_ptr<const Transaction>>& candidates,
                       uint64_t timestamp, const Address& proposer, const ConsensusData& consensus) {
  BlockContext ctx = contextOnHead(chain, executor, timestamp, proposer, consensus);
  auto state = chain.state();
  return seal(chain, executor, ctx, consensus, executor.executeBlock(*state, ctx, candidates, true));
}

SealedBlock applyBlock(const ChainStore& chain, const Executor& executor, Block block) {
  const BlockHeader& want = block.header;
  BlockHeader head = chain.head();
  if (want.number != head.number + 1)
    throw std::runtime_error("block " + std::to_string(want.number) + " does not follow head " +
                             std::to_string(head.number));
  if (want.parentHash != chain.headHash()) throw std::runtime_error("block parent hash mismatch");
  if (want.timestamp < head.timestamp) throw std::runtime_error("block timestamp goes backwards");
  if (want.baseFeePerGas != executor.params().baseFee) throw std::runtime_error("base fee mismatch");
  if (want.gasLimit != executor.params().blockGasLimit) throw std::runtime_error("gas limit mismatch");
  BlockContext ctx = contextOnHead(chain, executor, want.timestamp, want.proposer, block.consensus);
  std::vector<std::shared_ptr<const Transaction>> txs;
  txs.reserve(block.transactions.size());
  for (auto& tx : block.transactions)
    txs.push_back(std::make_shared<const Transaction>(std::move(tx)));
  auto state = chain.state();
  SealedBlock got = seal(chain, executor, ctx, block.consensus, executor.executeBlock(*state, ctx, txs, false));
  const BlockHeader& h = got.block.header;
  auto check = [&](bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("block ") + std::to_string(want.number) + ": " + what + " mismatch");
  };
  check(h.stateRoot == want.stateRoot, "state root");
  check(h.transactionsRoot == want.transactionsRoot, "transactions root");
  check(h.receiptsRoot == want.receiptsRoot, "receipts root");
  check(h.gasUsed == want.gasUsed, "gas used");
  check(h.logsBloom == want.logsBloom, "logs bloom");
  check(h.extraData == want.extraData, "extraData (consensus data hash)");
  got.block.header = want;
  got.block.commit = std::move(block.commit);
  nameBlockEvents(got);  // the same header: the same hash, kept in step all the same
  return got;
}

}  // namespace tn
