// The node's answer to the RPC layer: chain queries, state at the head, the mempool and calls.
#pragma once

#include "chain/chainstore.hpp"
#include "chain/mempool.hpp"
#include "rpc/backend.hpp"

namespace tn {

class NodeBackend final : public rpc::Backend {
 public:
  NodeBackend(const ChainStore& chain, const Executor& executor, Mempool& mempool)
      : chain_(chain), executor_(executor), mempool_(mempool) {}

  uint64_t chainId() const override { return executor_.params().chainId; }
  std::string clientVersion() const override;
  uint64_t peerCount() const override { return peerCounter_ ? peerCounter_() : 0; }
  // A networked node counts its connected p2p peers (net_peerCount); a dev node has none.
  void setPeerCounter(std::function<uint64_t()> counter) { peerCounter_ = std::move(counter); }
  bool listening() const override { return true; }
  std::optional<rpc::SyncStatus> syncing() const override { return syncing_ ? syncing_() : std::nullopt; }
  boost::json::value consensusState() const override {
    return consensusState_ ? consensusState_() : rpc::Backend::consensusState();
  }
  // A networked node reports block sync (eth_syncing) and its engine (tn_getConsensusState).
  void setSyncReporter(std::function<std::optional<rpc::SyncStatus>()> f) { syncing_ = std::move(f); }
  void setConsensusReporter(std::function<boost::json::value()> f) { consensusState_ = std::move(f); }

  uint64_t latestBlockNumber() const override { return chain_.height(); }
  std::optional<rpc::BlockView> blockByNumber(const rpc::BlockTag& tag) const override;
  std::optional<rpc::BlockView> blockByHash(const Hash32& hash) const override;
  std::optional<rpc::TxView> transaction(const Hash32& hash) const override;
  std::optional<rpc::ReceiptView> receipt(const Hash32& hash) const override;
  std::optional<std::vector<rpc::ReceiptView>> blockReceipts(
      const rpc::BlockTag& tag) const override;

  std::vector<Hash32> blockHashes(uint64_t from, uint64_t to) const override;
  rpc::PoolAdmissions admittedSince(uint64_t cursor) const override;
  rpc::PoolContent poolContent(const std::optional<Address>& sender) const override;

  U256 balance(const Address& account, const rpc::BlockTag& tag) const override;
  uint64_t nonce(const Address& account, const rpc::BlockTag& tag) const override;
  Bytes code(const Address& account, const rpc::BlockTag& tag) const override;

  U256 gasPrice() const override { return executor_.params().baseFee + maxPriorityFeePerGas(); }
  U256 maxPriorityFeePerGas() const override { return 0; }
  rpc::FeeHistory feeHistory(uint64_t blockCount, uint64_t newest,
                             const std::vector<double>& rewardPercentiles) const override;

  Hash32 sendRawTransaction(const Bytes& raw) override;
  rpc::CallResult call(const rpc::CallRequest& request, const rpc::BlockTag& tag) const override;
  rpc::CallResult estimateGas(const rpc::CallRequest& request, const rpc::BlockTag& tag) const override;
  std::vector<rpc::LogView> logs(const rpc::LogQuery& query) const override;

  rpc::StateProofView stateProof(const Address& account, const std::vector<Bytes>& keys,
                                 const rpc::BlockTag& tag) const override;
  std::optional<rpc::CommitView> commit(const rpc::BlockTag& tag) const override;
  rpc::HeadState headState() const override;
  const ModuleRegistry* modules() const override { return &executor_.modules(); }

 private:
  // The head with its state, read together; throws "historical state not available" unless `tag`
  // names that head (or pending).
  ChainStore::HeadView headAt(const rpc::BlockTag& tag) const;
  static void requireHead(const rpc::BlockTag& tag, const ChainStore::HeadView& head);
  std::optional<rpc::BlockView> view(uint64_t number) const;
  std::optional<uint64_t> numberOf(const rpc::BlockTag& tag) const;  // nullopt: unknown hash
  BlockContext nextBlockContext(const ChainStore::HeadView& head) const;

  const ChainStore& chain_;
  const Executor& executor_;
  Mempool& mempool_;
  std::function<uint64_t()> peerCounter_;
  std::function<std::optional<rpc::SyncStatus>()> syncing_;
  std::function<boost::json::value()> consensusState_;
};

}  // namespace tn
