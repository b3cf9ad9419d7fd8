// An in-memory Backend for the RPC tests: a short chain of hand-made blocks, fixed fees, a
// reverting call target, and real transaction admission (decode, sender recovery and the
// mempool's checks against an in-memory state, as the node does), so the tests see the node's
// rejection errors.
#pragma once

#include <map>

#include "chain/mempool.hpp"
#include "rpc/backend.hpp"
#include "tests/unit/chain/test_ledger.hpp"

namespace tn::rpc::test {

using tn::test::secretKey;
using tn::test::TestLedger;

inline Hash32 filled(uint8_t b) {
  Hash32 h;
  h.bytes.fill(b);
  return h;
}
inline Address addr(uint8_t b) {
  Address a;
  a.bytes.fill(b);
  return a;
}

// Error(string) payload for "no" (selector 08c379a0, offset 0x20, length 2, "no").
inline Bytes revertNo() {
  Bytes b = fromHex("0x08c379a0");
  Bytes word(32, 0);
  word[31] = 0x20;
  append(b, word);
  word[31] = 2;
  append(b, word);
  Bytes text(32, 0);
  text[0] = 'n';
  text[1] = 'o';
  append(b, text);
  return b;
}

inline const Address kRevertTarget = addr(0xee);
inline const Address kEmitter = addr(0xaa);
inline const Hash32 kTopic = filled(0x77);

inline constexpr uint64_t kChainId = 7000;
inline const U256 kBaseFee = U256(1'000'000'000);  // every block's, and the admission base fee
// The account of secretKey(kFundedKey): 10 UNIT, committed nonce kFundedNonce.
inline constexpr uint32_t kFundedKey = 1;
inline constexpr uint64_t kFundedNonce = 5;
inline const U256 kFundedBalance = U256(10'000'000'000'000'000'000ull);

// A 1559 transaction (chain id 7000) with hand-picked fields.
inline Transaction makeTx(uint64_t nonce, uint8_t fill) {
  Transaction tx;
  tx.type = Transaction::Type::DynamicFee;
  tx.chainId = kChainId;
  tx.nonce = nonce;
  tx.maxPriorityFeePerGas = U256(2'000'000'000);
  tx.maxFeePerGas = U256(30'000'000'000ull);
  tx.gasLimit = 21000;
  tx.to = addr(0x11);
  tx.value = U256(1'000'000'000'000'000'000ull);
  tx.data = fromHex("0xa9059cbb");
  tx.yParity = 1;
  tx.r = U256(0x1234);
  tx.s = U256(0x5678);
  tx.hash = filled(fill);
  tx.sender = addr(0x22);
  return tx;
}

// A signed EIP-1559 transfer of `value` wei to 0x11…11 from the funded account (fee cap 2 gwei,
// tip 1 gwei, 21000 gas): what a wallet would submit.
inline Transaction fundedTransfer(uint64_t nonce, uint64_t value = 1) {
  Transaction t;
  t.type = Transaction::Type::DynamicFee;
  t.chainId = kChainId;
  t.nonce = nonce;
  t.maxFeePerGas = 2'000'000'000;
  t.maxPriorityFeePerGas = 1'000'000'000;
  t.gasLimit = 21000;
  t.to = addr(0x11);
  t.value = value;
  t.sign(secretKey(kFundedKey));
  return t;
}

// Block n has n % 3 transactions, each with one log from kEmitter (topic kTopic).
struct FakeChain {
  std::vector<BlockView> blocks;
  std::vector<std::vector<Receipt>> receipts;

  explicit FakeChain(uint64_t count) {
    for (uint64_t n = 0; n < count; ++n) {
      BlockView b;
      b.block.header.number = n;
      b.block.header.timestamp = 1'700'000'000 + n;
      b.block.header.gasLimit = 30'000'000;
      b.block.header.baseFeePerGas = kBaseFee;
      b.block.header.proposer = addr(0x33);
      b.hash = filled(static_cast<uint8_t>(0x80 + n));
      if (n > 0) b.block.header.parentHash = blocks.back().hash;
      b.size = 600;
      std::vector<Receipt> rs;
      for (uint64_t i = 0; i < n % 3; ++i) {
        Transaction tx = makeTx(i, static_cast<uint8_t>(n * 3 + i + 1));
        Receipt r;
        r.txHash = tx.hash;
        r.type = 2;
        r.success = true;
        r.gasUsed = 21000;
        r.cumulativeGasUsed = 21000 * (i + 1);
        r.effectiveGasPrice = U256(3'000'000'000ull);
        r.from = *tx.sender;
        r.to = tx.to;
        r.logs.push_back(Log{kEmitter, {kTopic, filled(static_cast<uint8_t>(i))}, Bytes{1, 2}});
        b.block.transactions.push_back(std::move(tx));
        rs.push_back(std::move(r));
      }
      blocks.push_back(std::move(b));
      receipts.push_back(std::move(rs));
    }
  }
};

class FakeBackend : public Backend {
 public:
  explicit FakeBackend(uint64_t blocks = 10)
      : chain_(blocks), mempool_(MempoolConfig{kChainId, 1000, 64, 30'000'000}) {
    TestLedger::write(state_, addressOfSecret(secretKey(kFundedKey)),
                      {kFundedNonce, kFundedBalance});
  }

  FakeChain& chain() { return chain_; }
  // Commits `count` more blocks (the same blocks a longer FakeChain has).
  void grow(uint64_t count) { chain_ = FakeChain(chain_.blocks.size() + count); }
  const Mempool& mempool() const { return mempool_; }

  uint64_t chainId() const override { return kChainId; }
  std::string clientVersion() const override { return "treasurenetd/v0.1.0-test"; }
  uint64_t peerCount() const override { return 3; }
  bool listening() const override { return true; }
  std::optional<SyncStatus> syncing() const override { return syncStatus; }

  uint64_t latestBlockNumber() const override { return chain_.blocks.size() - 1; }
  std::optional<BlockView> blockByNumber(const BlockTag& tag) const override {
    uint64_t n = latestBlockNumber();
    if (tag.kind == BlockTag::Kind::Number) n = tag.number;
    if (tag.kind == BlockTag::Kind::Earliest) n = 0;
    if (n >= chain_.blocks.size()) return std::nullopt;
    return chain_.blocks[n];
  }
  std::optional<BlockView> blockByHash(const Hash32& hash) const override {
    for (const auto& b : chain_.blocks)
      if (b.hash == hash) return b;
    return std::nullopt;
  }
  std::optional<TxView> transaction(const Hash32& hash) const override {
    for (const auto& b : chain_.blocks) {
      for (std::size_t i = 0; i < b.block.transactions.size(); ++i) {
        if (b.block.transactions[i].hash == hash) {
          return TxView{b.block.transactions[i],
                        TxLocation{b.hash, b.block.header.number, i, b.block.header.baseFeePerGas}};
        }
      }
    }
    if (auto pending = mempool_.get(hash)) return TxView{*pending, std::nullopt};
    return std::nullopt;
  }
  std::optional<ReceiptView> receipt(const Hash32& hash) const override {
    for (std::size_t n = 0; n < chain_.blocks.size(); ++n) {
      const auto& b = chain_.blocks[n];
      uint64_t logIndex = 0;
      for (std::size_t i = 0; i < chain_.receipts[n].size(); ++i) {
        const Receipt& r = chain_.receipts[n][i];
        if (r.txHash == hash) {
          return ReceiptView{
              r, TxLocation{b.hash, b.block.header.number, i, b.block.header.baseFeePerGas},
              logIndex};
        }
        logIndex += r.logs.size();
      }
    }
    return std::nullopt;
  }

  U256 balance(const Address& a, const BlockTag& tag) const override {
    checkLatest(tag);
    return a == addr(0x22) ? U256(5'000'000'000'000'000'000ull) : U256(0);
  }
  uint64_t nonce(const Address&, const BlockTag& tag) const override {
    return tag.kind == BlockTag::Kind::Pending ? 8 : 7;
  }
  Bytes code(const Address& a, const BlockTag& tag) const override {
    checkLatest(tag);
    return a == kEmitter ? Bytes{0xfe} : Bytes{};
  }

  U256 gasPrice() const override { return U256(3'000'000'000ull); }
  U256 maxPriorityFeePerGas() const override { return U256(2'000'000'000); }
  FeeHistory feeHistory(uint64_t count, uint64_t newest,
                        const std::vector<double>& pct) const override {
    FeeHistory h;
    count = std::min(count, newest + 1);
    h.oldestBlock = newest + 1 - count;
    for (uint64_t i = 0; i <= count; ++i) h.baseFeePerGas.push_back(U256(1'000'000'000));
    for (uint64_t i = 0; i < count; ++i) {
      h.gasUsedRatio.push_back(0.5);
      if (!pct.empty()) h.reward.push_back(std::vector<U256>(pct.size(), U256(2'000'000'000)));
    }
    return h;
  }

  // As NodeBackend: decode (size, RLP, EIP-155), recover the sender (signature, high S), then the
  // mempool's checks (chain id, gas, fees, nonce, funds); each throws TxError.
  Hash32 sendRawTransaction(const Bytes& raw) override {
    auto tx = std::make_shared<Transaction>(Transaction::decode(raw));
    tx->recoverSender();
    return mempool_.add(tx, state_, ledger_, kBaseFee).hash;
  }
  CallResult call(const CallRequest& req, const BlockTag& tag) const override {
    checkLatest(tag);
    if (req.to == kRevertTarget) return CallResult{revertNo(), true, "no", 21000};
    return CallResult{req.data, false, "", 21000};  // echoes the calldata
  }
  CallResult estimateGas(const CallRequest& req, const BlockTag& tag) const override {
    CallResult r = call(req, tag);
    r.gas = 21000 + 16 * req.data.size();
    return r;
  }

  rpc::PoolAdmissions admittedSince(uint64_t cursor) const override {
    Mempool::Admissions a = mempool_.admittedSince(cursor);
    return {std::move(a.hashes), a.cursor};
  }

  rpc::PoolContent poolContent(const std::optional<Address>& sender) const override {
    Mempool::Content c = mempool_.content(state_, ledger_, sender);
    return {std::move(c.pending), std::move(c.queued)};
  }

  std::vector<LogView> logs(const LogQuery& q) const override {
    std::vector<LogView> out;
    lastQuery = q;
    for (std::size_t n = 0; n < chain_.blocks.size(); ++n) {
      const auto& b = chain_.blocks[n];
      if (q.blockHash ? b.hash != *q.blockHash : (n < q.fromBlock || n > q.toBlock)) continue;
      appendBlockLogs(b.block, b.hash, chain_.receipts[n], q.criteria, out, q.limit + 1);
    }
    if (q.blockHash && out.empty() && !blockByHash(*q.blockHash))
      throw RpcError(code::kServer, "unknown block");
    return out;
  }

  mutable std::optional<LogQuery> lastQuery;
  std::optional<SyncStatus> syncStatus;  // eth_syncing's answer

 private:
  void checkLatest(const BlockTag& tag) const {
    if (tag.kind == BlockTag::Kind::Number && tag.number != latestBlockNumber())
      throw RpcError(code::kServer, "historical state not available");
  }

  FakeChain chain_;
  EmptyState empty_;
  Overlay state_{empty_};
  TestLedger ledger_;
  Mempool mempool_;
};

}  // namespace tn::rpc::test
