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
  uint64_t peerCount() const override { return 0; }
  bool listening() const override { return true; }
  std::optional<rpc::SyncStatus> syncing() const override { return std::nullopt; }

  uint64_t latestBlockNumber() const override { return chain_.height(); }
  std::optional<rpc::BlockView> blockByNumber(const rpc::BlockTag& tag) const override;
  std::optional<rpc::BlockView> blockByHash(const Hash32& hash) const override;
  std::optional<rpc::TxView> transaction(const Hash32& hash) const override;
  std::optional<rpc::ReceiptView> receipt(const Hash32& hash) const override;

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

  rpc::HeadState headState() const override;
  const ModuleRegistry* modules() const override { return &executor_.modules(); }

 private:
  // Throws "historical state not available" unless `tag` names the head (or pending).
  void requireHeadState(const rpc::BlockTag& tag) const;
  std::optional<rpc::BlockView> view(uint64_t number) const;
  BlockContext nextBlockContext() const;

  const ChainStore& chain_;
  const Executor& executor_;
  Mempool& mempool_;
};

}  // namespace tn
