// The block executor: applies transactions in order through the module registry. For each
// transaction: checks (nonce, fee cap, funds, gas) → buys gas and bumps the nonce → runs the call
// in its own overlay (dropped on revert) → refunds unused gas and pays the fee collector.
#pragma once

#include <memory>
#include <vector>

#include "chain/block.hpp"
#include "chain/module.hpp"

namespace tn {

struct ChainParams {
  uint64_t chainId = 0;
  uint64_t blockGasLimit = 60'000'000;
  U256 baseFee = 1'000'000'000;  // constant base fee (a fee market is not used)
  Address feeCollector = Address::fromU64(0x1009);
};

// The drop reason of a transaction that is valid but did not fit in the block.
inline constexpr std::string_view kBlockFull = "block gas limit reached";

struct BlockExecution {
  WriteSet changes;  // every state write of the block, ordered
  std::vector<Receipt> receipts;
  std::vector<std::shared_ptr<const Transaction>> included;
  // Transactions a proposer dropped as invalid at their turn, with the reason.
  std::vector<std::pair<std::shared_ptr<const Transaction>, std::string>> dropped;
  uint64_t gasUsed = 0;
  Bloom bloom;  // of every transaction log and every hook log
  // The events of the begin-block hooks (module order), then those of the end-block hooks. They
  // are consensus data: in `bloom`, and the block builder commits them in the receipts root as the
  // block-events receipt after the transactions' receipts (chain/blockbuilder.cpp).
  std::vector<Log> blockLogs;
};

struct CallRequest {
  std::optional<Address> from;
  std::optional<Address> to;
  U256 value = 0;
  Bytes data;
  std::optional<uint64_t> gas;
};

struct CallResult {
  bool success = false;
  Bytes output;  // return data, or revert payload
  std::string revertReason;
  uint64_t gasUsed = 0;
  std::vector<Log> logs;
};

class Executor {
 public:
  Executor(const ModuleRegistry& modules, ChainParams params)
      : modules_(modules), params_(std::move(params)) {}

  const ChainParams& params() const { return params_; }
  const ModuleRegistry& modules() const { return modules_; }

  // Runs begin-block hooks, the transactions, then end-block hooks over `base`.
  // With dropInvalid (a proposer building a block) a transaction that cannot be included at its
  // turn is skipped and reported; without it (validating a received block) it throws
  // std::runtime_error, since such a block is invalid.
  BlockExecution executeBlock(const StateReader& base, const BlockContext& block,
                              const std::vector<std::shared_ptr<const Transaction>>& txs,
                              bool dropInvalid) const;

  // eth_call: runs a call on a throwaway overlay; nothing is kept.
  CallResult call(const StateReader& base, const BlockContext& block, const CallRequest& req) const;
  // Gas a transaction with these fields would use; throws Revert when the call reverts.
  uint64_t estimateGas(const StateReader& base, const BlockContext& block,
                       const CallRequest& req) const;

  // Writes the genesis state: every module's initGenesis in address order.
  void initGenesis(Overlay& state, const BlockContext& block, const boost::json::value& modulesConfig) const;

 private:
  struct Outcome {
    bool success;
    Bytes output;
    std::string reason;
    uint64_t gasUsed;
  };
  // Runs the message (value transfer and module call) in `txState`; never throws for call errors.
  Outcome runMessage(Overlay& txState, const BlockContext& block, const Address& from,
                     const std::optional<Address>& to, const U256& value, BytesView data,
                     uint64_t gasAvailable, std::vector<Log>& logs, bool readOnlyViews) const;
  // Runs every module's begin- (or end-) block hook in module order, appending their events.
  void runHooks(Overlay& state, const BlockContext& block, bool begin,
                std::vector<Log>& logs) const;

  const ModuleRegistry& modules_;
  ChainParams params_;
};

}  // namespace tn
