// The reusable steps of every transaction-sending command: encode a call from text, fill fees and
// nonce from the node, sign, send, wait for the receipt and explain it (revert reason included).
// `send`, `tx` and `call` are thin wrappers over these; portal commands build on them too.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "apps/tncli/rpc_client.hpp"
#include "chain/abi_text.hpp"
#include "chain/transaction.hpp"

namespace tn::cli {

// selector(sig) ++ abi.encode(args parsed from text). Throws UsageError on bad arguments.
Bytes encodeCall(const abi::FunctionSig& sig, const std::vector<std::string>& args);

struct SendRequest {
  Address from;
  Address to;
  U256 value = 0;
  Bytes data;
  std::optional<uint64_t> gas;      // default: eth_estimateGas
  std::optional<U256> maxFee;       // per gas, aunit; default 2 * baseFee + tip
  std::optional<U256> tip;          // per gas, aunit; default eth_maxPriorityFeePerGas
  std::optional<uint64_t> nonce;    // default: eth_getTransactionCount(from, "pending")
};

// Builds the EIP-1559 transaction from the request and the node's chain id, nonce and fees.
// Throws NodeError (e.g. "reverted: …" from gas estimation) or UsageError (tip above max fee).
Transaction buildTransaction(RpcClient& rpc, const SendRequest& req);
// Signs with `secret` (its address must be req.from) and sends with eth_sendRawTransaction.
Transaction signAndSend(RpcClient& rpc, Transaction tx, const Hash32& secret);

struct ReceiptSummary {
  Hash32 hash;
  bool success = false;
  uint64_t block = 0;
  uint64_t gasUsed = 0;
  U256 effectiveGasPrice = 0;
  std::size_t logs = 0;
  std::optional<Address> from, to;
  std::optional<std::string> revertReason;  // failures only: "reverted: …"
};

// The receipt, or nullopt while the transaction is unknown or pending.
std::optional<boost::json::object> fetchReceipt(RpcClient& rpc, const Hash32& hash);
// Polls until the receipt appears; throws NodeError after `timeout`.
boost::json::object waitForReceipt(RpcClient& rpc, const Hash32& hash,
                                   std::chrono::seconds timeout);
// Reads the receipt; for a failed transaction finds the revert reason (from the receipt if the
// node includes one, else by replaying the call with eth_call).
ReceiptSummary summarizeReceipt(RpcClient& rpc, const boost::json::object& receipt);

void printReceipt(std::ostream& out, const ReceiptSummary& r);
boost::json::object receiptJson(const ReceiptSummary& r);
boost::json::object sentJson(const Transaction& tx);
void printSent(std::ostream& out, const Transaction& tx);

// eth_call of `data` at `block` ("latest" …); returns the raw result bytes.
Bytes ethCall(RpcClient& rpc, const Address& to, BytesView data,
              const std::optional<Address>& from = std::nullopt, const U256& value = 0,
              const std::string& block = "latest");

// Fee amounts as people type them: "1.5" gwei -> aunit.
U256 parseGwei(std::string_view text);
std::string formatGwei(const U256& aunit);

}  // namespace tn::cli
