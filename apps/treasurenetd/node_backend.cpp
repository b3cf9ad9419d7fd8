#include "apps/treasurenetd/node_backend.hpp"

#include <algorithm>
#include <chrono>

#include "consensus/vote.hpp"

namespace tn {

using rpc::BlockTag;
using rpc::RpcError;

std::string NodeBackend::clientVersion() const { return "treasurenetd/v0.1.0/linux-amd64"; }

std::optional<rpc::BlockView> NodeBackend::view(uint64_t number) const {
  auto b = chain_.block(number);
  if (!b) return std::nullopt;
  rpc::BlockView v;
  v.hash = b->header.hash();
  v.size = b->encode(false).size();
  v.block = std::move(*b);
  return v;
}

std::optional<uint64_t> NodeBackend::numberOf(const BlockTag& tag) const {
  switch (tag.kind) {
    case BlockTag::Kind::Earliest:
      return 0;
    case BlockTag::Kind::Number:
      return tag.number;
    case BlockTag::Kind::Hash:
      return chain_.numberOf(tag.hash);
    default:  // latest, pending, safe, finalized: blocks are final once committed
      return chain_.height();
  }
}

std::optional<rpc::BlockView> NodeBackend::blockByNumber(const BlockTag& tag) const {
  auto n = numberOf(tag);
  if (!n) return std::nullopt;
  return view(*n);
}

std::optional<rpc::BlockView> NodeBackend::blockByHash(const Hash32& hash) const {
  return blockByNumber(BlockTag::byHash(hash));
}

// Block n + 1 records the certificate of block n in its consensus data; every node holds the same
// one. The head block has only the one this node collected, which may name another subset of the
// validators. Blocks of the dev engine and the genesis block have neither.
std::optional<rpc::CommitView> NodeBackend::commit(const BlockTag& tag) const {
  auto v = blockByNumber(tag);
  if (!v) return std::nullopt;
  const uint64_t n = v->block.header.number;
  if (n == 0)
    throw RpcError(rpc::code::kServer, "the genesis block is not decided by consensus: no commit");
  rpc::CommitView out;
  if (n < chain_.height())
    if (auto next = chain_.block(n + 1); next && !next->consensus.lastCommit.empty()) {
      out.raw = std::move(next->consensus.lastCommit);
      out.canonical = true;
    }
  if (out.raw.empty()) out.raw = std::move(v->block.commit);
  if (out.raw.empty())
    throw RpcError(rpc::code::kServer,
                   "block " + std::to_string(n) +
                       " has no commit certificate (the dev engine seals blocks "
                       "alone; they are final at once)");
  const bft::Commit c = bft::Commit::decode(out.raw);
  // Both were checked before the blocks were stored; a mismatch is a damaged database.
  if (c.height != n || c.blockHash != v->hash || c.round < 0)
    throw RpcError(rpc::code::kInternal,
                   "stored commit of block " + std::to_string(n) + " does not name it");
  out.number = n;
  out.blockHash = c.blockHash;
  out.round = uint64_t(c.round);
  out.signingHash = bft::signingHash(chainId(), bft::MsgType::Precommit, n, c.round, c.blockHash);
  for (const bft::CommitSig& s : c.sigs) out.precommits.push_back({s.validator, s.sig});
  return out;
}

// The indexes of a block are written with it, a moment before its state is published as the head:
// a location above the head is not reported yet, so a client that sees a receipt can read its
// block's state (eth_call, balances) at once.
std::optional<rpc::TxView> NodeBackend::transaction(const Hash32& hash) const {
  if (auto loc = chain_.txLocation(hash); loc && loc->blockNumber <= chain_.height()) {
    // A block-events hash (index = the transaction count) has a receipt but no transaction.
    auto b = chain_.block(loc->blockNumber);
    if (!b || loc->index >= b->transactions.size()) return std::nullopt;
    rpc::TxView v;
    v.tx = b->transactions[loc->index];
    v.location = rpc::TxLocation{b->header.hash(), loc->blockNumber, loc->index, b->header.baseFeePerGas};
    return v;
  }
  if (auto pending = mempool_.get(hash)) return rpc::TxView{*pending, std::nullopt};
  return std::nullopt;
}

// Also the block-events receipt of a block, by its synthetic hash (chain/block.hpp).
std::optional<rpc::ReceiptView> NodeBackend::receipt(const Hash32& hash) const {
  auto loc = chain_.txLocation(hash);
  if (!loc || loc->blockNumber > chain_.height()) return std::nullopt;  // see transaction()
  auto header = chain_.header(loc->blockNumber);
  auto receipts = chain_.receipts(loc->blockNumber);
  if (!header || loc->index >= receipts.size()) return std::nullopt;
  rpc::ReceiptView v;
  for (uint32_t i = 0; i < loc->index; ++i) v.firstLogIndex += receipts[i].logs.size();
  v.receipt = std::move(receipts[loc->index]);
  v.location = rpc::TxLocation{header->hash(), loc->blockNumber, loc->index, header->baseFeePerGas};
  return v;
}

// One read of the block's receipts row instead of one per transaction.
std::optional<std::vector<rpc::ReceiptView>> NodeBackend::blockReceipts(const BlockTag& tag) const {
  const std::optional<uint64_t> number = numberOf(tag);
  if (!number || *number > chain_.height()) return std::nullopt;  // see transaction()
  auto header = chain_.header(*number);
  if (!header) return std::nullopt;
  const Hash32 hash = header->hash();
  std::vector<Receipt> receipts = chain_.receipts(header->number);
  std::vector<rpc::ReceiptView> out;
  out.reserve(receipts.size());
  uint64_t logIndex = 0;
  for (uint64_t i = 0; i < receipts.size(); ++i) {
    rpc::ReceiptView v;
    v.firstLogIndex = logIndex;
    logIndex += receipts[i].logs.size();
    v.receipt = std::move(receipts[i]);
    v.location = rpc::TxLocation{hash, header->number, i, header->baseFeePerGas};
    out.push_back(std::move(v));
  }
  return out;
}

ChainStore::HeadView NodeBackend::headAt(const BlockTag& tag) const {
  ChainStore::HeadView head = chain_.headView();
  requireHead(tag, head);
  return head;
}

void NodeBackend::requireHead(const BlockTag& tag, const ChainStore::HeadView& head) {
  const uint64_t number = head.header.number;
  bool isHead = true;
  if (tag.kind == BlockTag::Kind::Number) isHead = tag.number == number;
  if (tag.kind == BlockTag::Kind::Earliest) isHead = number == 0;
  if (tag.kind == BlockTag::Kind::Hash) isHead = tag.hash == head.hash;
  if (!isHead)
    throw RpcError(
        rpc::code::kServer,
        "historical state not available: this node keeps the state of the latest block (" +
            std::to_string(number) + ") only, asked for " + tag.str());
}

rpc::StateProofView NodeBackend::stateProof(const Address& account, const std::vector<Bytes>& keys,
                                            const BlockTag& tag) const {
  const Ledger& ledger = executor_.modules().ledger();
  std::vector<Bytes> all;
  all.reserve(keys.size() + 1);
  all.push_back(ledger.accountKey(account));
  all.insert(all.end(), keys.begin(), keys.end());
  ChainStore::HeadProof p = chain_.proveAtHead(all);
  // Checked against the head the proofs were made at, which may be newer than at the call.
  requireHead(tag, p.head);
  rpc::StateProofView out;
  out.blockNumber = p.head.header.number;
  out.blockHash = p.head.hash;
  out.stateRoot = p.head.header.stateRoot;
  const Ledger::AccountState acct = ledger.account(*p.head.state, account);
  out.nonce = acct.nonce;
  out.balance = acct.balance;
  for (std::size_t i = 0; i < all.size(); ++i) {
    rpc::StateProofView::Entry e{std::move(all[i]), std::move(p.values[i]), std::move(p.proofs[i])};
    if (i == 0)
      out.account = std::move(e);
    else
      out.entries.push_back(std::move(e));
  }
  return out;
}

rpc::HeadState NodeBackend::headState() const {
  ChainStore::HeadView head = chain_.headView();
  return {std::move(head.state), head.header.number, head.header.timestamp};
}

U256 NodeBackend::balance(const Address& account, const BlockTag& tag) const {
  const ChainStore::HeadView head = headAt(tag);
  const Ledger& ledger = executor_.modules().ledger();
  if (tag.kind == BlockTag::Kind::Pending)
    return mempool_.pendingBalance(account, *head.state, ledger);
  return ledger.balance(*head.state, account);
}

uint64_t NodeBackend::nonce(const Address& account, const BlockTag& tag) const {
  const ChainStore::HeadView head = headAt(tag);
  const Ledger& ledger = executor_.modules().ledger();
  if (tag.kind == BlockTag::Kind::Pending)
    return mempool_.pendingNonce(account, *head.state, ledger);
  return ledger.nonce(*head.state, account);
}

Bytes NodeBackend::code(const Address& account, const BlockTag& tag) const {
  headAt(tag);
  // Module addresses answer with INVALID (0xfe) so wallets treat them as contracts (spec/ABI.md).
  if (executor_.modules().find(account)) return Bytes{0xfe};
  return {};
}

rpc::FeeHistory NodeBackend::feeHistory(uint64_t blockCount, uint64_t newest,
                                        const std::vector<double>& percentiles) const {
  rpc::FeeHistory h;
  uint64_t count = std::min(blockCount, newest + 1);
  h.oldestBlock = newest + 1 - count;
  for (uint64_t n = h.oldestBlock; n <= newest; ++n) {
    auto header = chain_.header(n);
    if (!header) break;
    h.baseFeePerGas.push_back(header->baseFeePerGas);
    h.gasUsedRatio.push_back(header->gasLimit ? double(header->gasUsed) / double(header->gasLimit) : 0.0);
    if (percentiles.empty()) continue;
    // Tips paid in the block, weighted by gas used, as geth computes its reward percentiles.
    std::vector<std::pair<U256, uint64_t>> tips;
    uint64_t totalGas = 0;
    for (const Receipt& r : chain_.receipts(n)) {
      if (r.blockEvents) continue;  // hook events: no transaction, no tip
      U256 tip = r.effectiveGasPrice > header->baseFeePerGas ? U256(r.effectiveGasPrice - header->baseFeePerGas) : U256(0);
      tips.emplace_back(tip, r.gasUsed);
      totalGas += r.gasUsed;
    }
    std::sort(tips.begin(), tips.end());
    std::vector<U256> row;
    for (double p : percentiles) {
      if (tips.empty()) {
        row.push_back(0);
        continue;
      }
      uint64_t threshold = uint64_t(double(totalGas) * p / 100.0);
      uint64_t acc = 0;
      U256 pick = tips.back().first;
      for (const auto& [tip, gas] : tips) {
        acc += gas;
        if (acc >= threshold) {
          pick = tip;
          break;
        }
      }
      row.push_back(pick);
    }
    h.reward.push_back(std::move(row));
  }
  h.baseFeePerGas.push_back(executor_.params().baseFee);  // the next block's
  return h;
}

Hash32 NodeBackend::sendRawTransaction(const Bytes& raw) {
  auto tx = std::make_shared<Transaction>(Transaction::decode(raw));
  tx->recoverSender();  // once, here, on an RPC thread: execution never recovers again
  auto state = chain_.state();
  AddResult r = mempool_.add(tx, *state, executor_.modules().ledger(), executor_.params().baseFee);
  return r.hash;
}

BlockContext NodeBackend::nextBlockContext(const ChainStore::HeadView& headView) const {
  const BlockHeader& head = headView.header;
  BlockContext ctx;
  ctx.chainId = executor_.params().chainId;
  ctx.number = head.number + 1;
  uint64_t now = uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  ctx.timestamp = std::max(now, head.timestamp);
  ctx.proposer = head.proposer;
  ctx.parentHash = headView.hash;
  ctx.baseFee = executor_.params().baseFee;
  return ctx;
}

static CallRequest toCall(const rpc::CallRequest& r) {
  CallRequest c;
  c.from = r.from;
  c.to = r.to;
  c.value = r.value.value_or(0);
  c.data = r.data;
  c.gas = r.gas;
  return c;
}

rpc::CallResult NodeBackend::call(const rpc::CallRequest& request, const BlockTag& tag) const {
  const ChainStore::HeadView head = headAt(tag);
  CallResult res = executor_.call(*head.state, nextBlockContext(head), toCall(request));
  rpc::CallResult out;
  out.output = std::move(res.output);
  out.reverted = !res.success;
  out.revertReason = std::move(res.revertReason);
  out.gas = res.gasUsed;
  return out;
}

rpc::CallResult NodeBackend::estimateGas(const rpc::CallRequest& request, const BlockTag& tag) const {
  rpc::CallResult out = call(request, tag);
  return out;  // gas use does not depend on the limit, so the used amount is the estimate
}

std::vector<Hash32> NodeBackend::blockHashes(uint64_t from, uint64_t to) const {
  std::vector<Hash32> out;
  for (uint64_t n = from; n <= to; ++n)
    if (auto header = chain_.header(n)) out.push_back(header->hash());
  return out;
}

rpc::PoolAdmissions NodeBackend::admittedSince(uint64_t cursor) const {
  Mempool::Admissions a = mempool_.admittedSince(cursor);
  return {std::move(a.hashes), a.cursor};
}

rpc::PoolContent NodeBackend::poolContent(const std::optional<Address>& sender) const {
  Mempool::Content c = mempool_.content(*chain_.state(), executor_.modules().ledger(), sender);
  return {std::move(c.pending), std::move(c.queued)};
}

std::vector<rpc::LogView> NodeBackend::logs(const rpc::LogQuery& q) const {
  LogFilter f;
  f.addresses = q.criteria.addresses;
  f.topics = q.criteria.topics;
  if (q.blockHash) {
    auto n = chain_.numberOf(*q.blockHash);
    if (!n) throw RpcError(rpc::code::kServer, "unknown block " + q.blockHash->hex());
    f.fromBlock = f.toBlock = *n;
  } else {
    f.fromBlock = q.fromBlock;
    f.toBlock = q.toBlock;
  }
  LogQueryLimits limits;
  limits.maxBlockRange = UINT64_MAX;  // the RPC layer already capped the range
  limits.maxResults = q.limit + 1;
  std::vector<rpc::LogView> out;
  for (LogEntry& e : chain_.logs(f, limits))
    out.push_back({std::move(e.log), e.blockHash, e.blockNumber, e.txHash, e.txIndex, e.logIndex});
  return out;
}

}  // namespace tn
