#include "apps/tncli/wallet.hpp"

#include <thread>

#include <boost/json.hpp>

#include "apps/tncli/cli.hpp"

namespace tn::cli {
namespace {

namespace json = boost::json;

constexpr auto kPollInterval = std::chrono::milliseconds(500);

// Quantities from the node, read leniently (leading zeros tolerated) but checked.
U256 quantity(const json::value& v, std::string_view what) {
  if (!v.is_string()) throw NodeError("node sent no " + std::string(what));
  std::string_view s = v.as_string();
  if (s.substr(0, 2) != "0x" || s.size() == 2 || s.size() > 66)
    throw NodeError("node sent a malformed " + std::string(what) + ": " + std::string(s));
  U256 out = 0;
  for (char c : s.substr(2)) {
    int d = (c >= '0' && c <= '9') ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) throw NodeError("node sent a malformed " + std::string(what) + ": " + std::string(s));
    out = (out << 4) | U256(d);
  }
  return out;
}

uint64_t quantity64(const json::value& v, std::string_view what) {
  U256 q = quantity(v, what);
  if (q > U256(UINT64_MAX)) throw NodeError("node sent an out-of-range " + std::string(what));
  return toU64(q);
}

const json::value& member(const json::object& o, std::string_view key) {
  static const json::value kNull;
  const json::value* v = o.if_contains(key);
  return v ? *v : kNull;
}

std::optional<Address> addressMember(const json::object& o, std::string_view key) {
  const json::value& v = member(o, key);
  if (!v.is_string()) return std::nullopt;
  try {
    return Address::parse(v.as_string());
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

json::object callObject(const std::optional<Address>& from, const Address& to, BytesView data,
                        const U256& value) {
  json::object o;
  if (from) o["from"] = from->hex();
  o["to"] = to.hex();
  // Nodes differ on the field name (geth takes both, the spec says "input"): send both.
  o["data"] = toHex(data);
  o["input"] = toHex(data);
  if (value != 0) o["value"] = toQuantity(value);
  return o;
}

bool isRevert(const RpcError& e) { return e.code == kRpcExecutionReverted || e.revertData; }

// Why a mined transaction failed, by replaying it as a call just before its block.
std::string replayRevert(RpcClient& rpc, const Hash32& hash, uint64_t block, uint64_t gasUsed) {
  json::value txv = rpc.call("eth_getTransactionByHash", {hash.hex()});
  if (!txv.is_object()) return "reverted (reason unavailable: transaction not found)";
  const json::object& tx = txv.as_object();
  auto to = addressMember(tx, "to");
  if (!to) return "reverted (reason unavailable)";
  const json::value& input = tx.contains("input") ? member(tx, "input") : member(tx, "data");
  Bytes data = input.is_string() ? fromHex(input.as_string()) : Bytes{};
  json::object call = callObject(addressMember(tx, "from"), *to, data,
                                 tx.contains("value") ? quantity(member(tx, "value"), "value") : 0);
  if (tx.contains("gas")) call["gas"] = member(tx, "gas");
  uint64_t gasLimit = tx.contains("gas") ? quantity64(member(tx, "gas"), "gas") : 0;

  // The parent block's state is the closest to what the transaction saw; a node that keeps only
  // the latest state answers that with an error, so fall back to "latest".
  std::vector<std::string> tags;
  if (block > 0) tags.push_back(toQuantity(block - 1));
  tags.push_back("latest");
  for (const std::string& tag : tags) {
    try {
      rpc.call("eth_call", {call, tag});
      break;  // the replay succeeded: the reason is not a revert we can reproduce
    } catch (const RpcError& e) {
      if (isRevert(e)) return e.what();
    }
  }
  if (gasLimit != 0 && gasUsed >= gasLimit)
    return "out of gas (used all " + std::to_string(gasLimit) + ")";
  return "reverted (reason unavailable: the replay did not revert)";
}

}  // namespace

Bytes encodeCall(const abi::FunctionSig& sig, const std::vector<std::string>& args) {
  try {
    abi::ValueList values = abi::parseTextList(sig.inputs, args);
    abi::Selector sel = sig.selector();
    Bytes out(sel.begin(), sel.end());
    append(out, abi::encode(sig.inputs, values));
    return out;
  } catch (const abi::Error& e) {
    throw UsageError(sig.canonical() + ": " + e.what());
  }
}

U256 parseGwei(std::string_view text) {
  try {
    return parseUnits(text, 9);
  } catch (const std::exception&) {
    throw UsageError("'" + std::string(text) + "' is not an amount in gwei");
  }
}

std::string formatGwei(const U256& aunit) { return formatUnits(aunit, 9) + " gwei"; }

Transaction buildTransaction(RpcClient& rpc, const SendRequest& req) {
  if (req.tip && req.maxFee && *req.tip > *req.maxFee)
    throw UsageError("--tip " + formatGwei(*req.tip) + " is above --max-fee " + formatGwei(*req.maxFee));
  Transaction tx;
  tx.type = Transaction::Type::DynamicFee;
  tx.chainId = quantity64(rpc.call("eth_chainId"), "chain id");
  tx.nonce = req.nonce ? *req.nonce
                       : quantity64(rpc.call("eth_getTransactionCount", {req.from.hex(), "pending"}),
                                    "nonce");
  tx.to = req.to;
  tx.value = req.value;
  tx.data = req.data;

  U256 tip;
  if (req.tip) {
    tip = *req.tip;
  } else {
    try {
      tip = quantity(rpc.call("eth_maxPriorityFeePerGas"), "priority fee");
    } catch (const RpcError& e) {
      if (e.code != kRpcMethodNotFound) throw;
      tip = 0;  // a node without the method has no tip market
    }
  }
  if (req.maxFee) {
    tx.maxFeePerGas = *req.maxFee;
    tip = std::min(tip, *req.maxFee);
  } else {
    json::value block = rpc.call("eth_getBlockByNumber", {"latest", false});
    U256 baseFee = 0;
    if (block.is_object() && block.as_object().contains("baseFeePerGas"))
      baseFee = quantity(block.as_object().at("baseFeePerGas"), "base fee");
    // Twice the base fee rides out several full blocks of base-fee growth, as ethers does.
    tx.maxFeePerGas = baseFee * 2 + tip;
  }
  tx.maxPriorityFeePerGas = tip;

  if (req.gas) {
    tx.gasLimit = *req.gas;
  } else {
    json::object call = callObject(req.from, req.to, req.data, req.value);
    tx.gasLimit = quantity64(rpc.call("eth_estimateGas", {call}), "gas estimate");
  }
  return tx;
}

Transaction signAndSend(RpcClient& rpc, Transaction tx, const Hash32& secret) {
  tx.sign(secret);
  json::value hash = rpc.call("eth_sendRawTransaction", {toHex(tx.raw)});
  if (!hash.is_string() || hash.as_string() != tx.hash.hex())
    throw NodeError("node accepted the transaction under an unexpected hash " +
                    (hash.is_string() ? std::string(hash.as_string()) : json::serialize(hash)) +
                    " (expected " + tx.hash.hex() + ")");
  return tx;
}

std::optional<json::object> fetchReceipt(RpcClient& rpc, const Hash32& hash) {
  json::value r = rpc.call("eth_getTransactionReceipt", {hash.hex()});
  if (r.is_null()) return std::nullopt;
  if (!r.is_object()) throw NodeError("node sent a malformed receipt for " + hash.hex());
  return std::move(r.as_object());
}

json::object waitForReceipt(RpcClient& rpc, const Hash32& hash, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto r = fetchReceipt(rpc, hash)) return std::move(*r);
    if (std::chrono::steady_clock::now() >= deadline)
      throw NodeError("transaction " + hash.hex() + " was not included within " +
                      std::to_string(timeout.count()) + " s (it may still be pending)");
    std::this_thread::sleep_for(kPollInterval);
  }
}

ReceiptSummary summarizeReceipt(RpcClient& rpc, const json::object& receipt) {
  ReceiptSummary r;
  const json::value& h = member(receipt, "transactionHash");
  try {
    r.hash = Hash32::fromHex(h.is_string() ? std::string_view(h.as_string()) : "");
  } catch (const std::invalid_argument&) {
    throw NodeError("node sent a receipt without a transaction hash");
  }
  r.success = quantity(member(receipt, "status"), "receipt status") == 1;
  r.block = quantity64(member(receipt, "blockNumber"), "block number");
  r.gasUsed = quantity64(member(receipt, "gasUsed"), "gas used");
  if (receipt.contains("effectiveGasPrice"))
    r.effectiveGasPrice = quantity(member(receipt, "effectiveGasPrice"), "effective gas price");
  const json::value& logs = member(receipt, "logs");
  r.logs = logs.is_array() ? logs.as_array().size() : 0;
  r.from = addressMember(receipt, "from");
  r.to = addressMember(receipt, "to");
  if (r.success) return r;

  // Some nodes (Besu, and ours if it chooses) put the revert payload in the receipt.
  const json::value& reason = member(receipt, "revertReason");
  if (reason.is_string() && !reason.as_string().empty()) {
    std::string_view s = reason.as_string();
    try {
      r.revertReason = s.substr(0, 2) == "0x" ? revertMessage(fromHex(s)) : "reverted: " + std::string(s);
    } catch (const std::invalid_argument&) {
      r.revertReason = "reverted: " + std::string(s);
    }
  } else {
    r.revertReason = replayRevert(rpc, r.hash, r.block, r.gasUsed);
  }
  return r;
}

void printReceipt(std::ostream& out, const ReceiptSummary& r) {
  out << "transaction  " << r.hash.hex() << "\n"
      << "status       " << (r.success ? "success" : "failed") << "\n"
      << "block        " << r.block << "\n"
      << "gas used     " << r.gasUsed << "\n";
  if (r.effectiveGasPrice != 0)
    out << "fee          " << formatUnits(r.effectiveGasPrice * r.gasUsed) << " UNIT ("
        << formatGwei(r.effectiveGasPrice) << " per gas)\n";
  out << "logs         " << r.logs << "\n";
  if (r.revertReason) out << "reason       " << *r.revertReason << "\n";
}

json::object receiptJson(const ReceiptSummary& r) {
  json::object o;
  o["transactionHash"] = r.hash.hex();
  o["status"] = r.success ? "success" : "failed";
  o["blockNumber"] = r.block;
  o["gasUsed"] = r.gasUsed;
  o["effectiveGasPrice"] = u256ToDecimal(r.effectiveGasPrice);
  o["fee"] = u256ToDecimal(r.effectiveGasPrice * r.gasUsed);
  o["logs"] = r.logs;
  if (r.from) o["from"] = r.from->checksumHex();
  if (r.to) o["to"] = r.to->checksumHex();
  if (r.revertReason) o["revertReason"] = *r.revertReason;
  return o;
}

json::object sentJson(const Transaction& tx) {
  json::object o;
  o["hash"] = tx.hash.hex();
  if (tx.sender) o["from"] = tx.sender->checksumHex();
  if (tx.to) o["to"] = tx.to->checksumHex();
  o["value"] = u256ToDecimal(tx.value);
  o["nonce"] = tx.nonce;
  o["gas"] = tx.gasLimit;
  o["maxFeePerGas"] = u256ToDecimal(tx.maxFeePerGas);
  o["maxPriorityFeePerGas"] = u256ToDecimal(tx.maxPriorityFeePerGas);
  o["chainId"] = tx.chainId;
  return o;
}

void printSent(std::ostream& out, const Transaction& tx) {
  out << "sent " << tx.hash.hex() << " (nonce " << tx.nonce << ", gas limit " << tx.gasLimit
      << ", max fee " << formatGwei(tx.maxFeePerGas) << ", tip "
      << formatGwei(tx.maxPriorityFeePerGas) << ")\n";
}

Bytes ethCall(RpcClient& rpc, const Address& to, BytesView data, const std::optional<Address>& from,
              const U256& value, const std::string& block) {
  json::value res = rpc.call("eth_call", {callObject(from, to, data, value), block});
  if (!res.is_string()) throw NodeError("node sent a non-hex eth_call result");
  try {
    return fromHex(res.as_string());
  } catch (const std::invalid_argument&) {
    throw NodeError("node sent a non-hex eth_call result");
  }
}

}  // namespace tn::cli
