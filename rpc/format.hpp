// Chain types → Ethereum JSON-RPC objects, in the shapes geth returns (ethers.js v6 checks them
// strictly): quantities are 0x-hex without leading zeros, data is 0x-hex, addresses lower case.
#pragma once

#include <optional>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "rpc/backend.hpp"

namespace tn::rpc {

// keccak256(rlp([])): the "sha3Uncles" of a block without uncles.
inline constexpr std::string_view kEmptyUnclesHash =
    "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";

// The header fields shared by block objects and newHeads notifications.
boost::json::object formatHeader(const BlockHeader& header, const Hash32& hash);
// A block object; transactions as hashes or, with `fullTransactions`, as transaction objects.
boost::json::object formatBlock(const BlockView& block, bool fullTransactions);
// A transaction object; `location` nullopt for a pending one (block fields null).
boost::json::object formatTransaction(const Transaction& tx,
                                      const std::optional<TxLocation>& location);
boost::json::object formatReceipt(const ReceiptView& receipt);
boost::json::object formatLog(const LogView& log);
boost::json::object formatFeeHistory(const FeeHistory& history);
boost::json::value formatSyncing(const std::optional<SyncStatus>& status);

// The error of a reverted eth_call / eth_estimateGas, as geth: code 3, "execution reverted[: reason]",
// data = the revert payload as 0x-hex.
RpcError revertError(BytesView payload, const std::string& reason);

}  // namespace tn::rpc
