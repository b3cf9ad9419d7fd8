#include "rpc/format.hpp"

#include <boost/json/array.hpp>

namespace tn::rpc {

namespace json = boost::json;

namespace {

json::value addressOrNull(const std::optional<Address>& a) {
  if (!a) return nullptr;
  return json::string(a->hex());
}

json::array formatAccessList(const std::vector<AccessListEntry>& list) {
  json::array out;
  out.reserve(list.size());
  for (const auto& entry : list) {
    json::array keys;
    keys.reserve(entry.storageKeys.size());
    for (const auto& k : entry.storageKeys) keys.emplace_back(k.hex());
    out.emplace_back(json::object{{"address", entry.address.hex()}, {"storageKeys", std::move(keys)}});
  }
  return out;
}

json::array formatLogs(const std::vector<Log>& logs, const ReceiptView& r) {
  json::array out;
  out.reserve(logs.size());
  uint64_t index = r.firstLogIndex;
  for (const Log& log : logs) {
    out.emplace_back(formatLog(LogView{log, r.location.blockHash, r.location.blockNumber,
                                       r.receipt.txHash, r.location.index, index++}));
  }
  return out;
}

}  // namespace

json::object formatHeader(const BlockHeader& h, const Hash32& hash) {
  return json::object{
      {"baseFeePerGas", toQuantity(h.baseFeePerGas)},
      {"difficulty", "0x0"},
      {"extraData", toHex(h.extraData)},
      {"gasLimit", toQuantity(h.gasLimit)},
      {"gasUsed", toQuantity(h.gasUsed)},
      {"hash", hash.hex()},
      {"logsBloom", h.logsBloom.hex()},
      {"miner", h.proposer.hex()},
      {"mixHash", Hash32{}.hex()},
      {"nonce", "0x0000000000000000"},
      {"number", toQuantity(h.number)},
      {"parentHash", h.parentHash.hex()},
      {"receiptsRoot", h.receiptsRoot.hex()},
      {"sha3Uncles", kEmptyUnclesHash},
      {"stateRoot", h.stateRoot.hex()},
      {"timestamp", toQuantity(h.timestamp)},
      {"transactionsRoot", h.transactionsRoot.hex()},
  };
}

json::object formatBlock(const BlockView& b, bool fullTransactions) {
  json::object out = formatHeader(b.block.header, b.hash);
  out["size"] = toQuantity(b.size);
  json::array txs;
  txs.reserve(b.block.transactions.size());
  for (std::size_t i = 0; i < b.block.transactions.size(); ++i) {
    const Transaction& tx = b.block.transactions[i];
    if (fullTransactions) {
      txs.emplace_back(formatTransaction(
          tx, TxLocation{b.hash, b.block.header.number, i, b.block.header.baseFeePerGas}));
    } else {
      txs.emplace_back(tx.hash.hex());
    }
  }
  out["transactions"] = std::move(txs);
  out["uncles"] = json::array{};
  return out;
}

json::object formatTransaction(const Transaction& tx, const std::optional<TxLocation>& loc) {
  using Type = Transaction::Type;
  json::object out;
  out["blockHash"] = loc ? json::value(loc->blockHash.hex()) : nullptr;
  out["blockNumber"] = loc ? json::value(toQuantity(loc->blockNumber)) : nullptr;
  out["from"] = tx.sender ? tx.sender->hex() : Address{}.hex();
  out["gas"] = toQuantity(tx.gasLimit);
  if (tx.type == Type::DynamicFee) {
    // As geth: a mined tx shows the price it paid, a pending one its fee cap.
    out["gasPrice"] = toQuantity(loc ? tx.effectiveGasPrice(loc->baseFeePerGas) : tx.maxFeePerGas);
    out["maxFeePerGas"] = toQuantity(tx.maxFeePerGas);
    out["maxPriorityFeePerGas"] = toQuantity(tx.maxPriorityFeePerGas);
  } else {
    out["gasPrice"] = toQuantity(tx.gasPrice);
  }
  out["hash"] = tx.hash.hex();
  out["input"] = toHex(tx.data);
  out["nonce"] = toQuantity(tx.nonce);
  out["to"] = addressOrNull(tx.to);
  out["transactionIndex"] = loc ? json::value(toQuantity(loc->index)) : nullptr;
  out["value"] = toQuantity(tx.value);
  out["type"] = toQuantity(static_cast<uint64_t>(tx.type));
  if (tx.type != Type::Legacy) out["accessList"] = formatAccessList(tx.accessList);
  if (tx.type != Type::Legacy || tx.chainId != 0) out["chainId"] = toQuantity(tx.chainId);
  if (tx.type == Type::Legacy) {
    // EIP-155 folds the chain id into v; an unprotected signature keeps 27/28.
    out["v"] = tx.chainId != 0 ? toQuantity(U256(tx.chainId) * 2 + 35 + tx.yParity)
                               : toQuantity(uint64_t{27u + tx.yParity});
  } else {
    out["v"] = toQuantity(uint64_t{tx.yParity});
  }
  out["r"] = toQuantity(tx.r);
  out["s"] = toQuantity(tx.s);
  if (tx.type != Type::Legacy) out["yParity"] = toQuantity(uint64_t{tx.yParity});
  return out;
}

json::object formatReceipt(const ReceiptView& rv) {
  const Receipt& r = rv.receipt;
  json::object out{
      {"blockHash", rv.location.blockHash.hex()},
      {"blockNumber", toQuantity(rv.location.blockNumber)},
      {"contractAddress", nullptr},  // contract creation is not supported by this chain
      {"cumulativeGasUsed", toQuantity(r.cumulativeGasUsed)},
      {"effectiveGasPrice", toQuantity(r.effectiveGasPrice)},
      {"from", r.from.hex()},
      {"gasUsed", toQuantity(r.gasUsed)},
      {"logs", formatLogs(r.logs, rv)},
      {"logsBloom", r.bloom.hex()},
      {"status", r.success ? "0x1" : "0x0"},
      {"to", addressOrNull(r.to)},
      {"transactionHash", r.txHash.hex()},
      {"transactionIndex", toQuantity(rv.location.index)},
      {"type", toQuantity(uint64_t{r.type})},
  };
  // Non-standard, for explorers and tncli: why the transaction failed, in words.
  if (!r.success) out["revertReason"] = r.revertReason;
  return out;
}

json::object formatLog(const LogView& l) {
  json::array topics;
  topics.reserve(l.log.topics.size());
  for (const auto& t : l.log.topics) topics.emplace_back(t.hex());
  return json::object{
      {"address", l.log.address.hex()},
      {"topics", std::move(topics)},
      {"data", toHex(l.log.data)},
      {"blockNumber", toQuantity(l.blockNumber)},
      {"transactionHash", l.txHash.hex()},
      {"transactionIndex", toQuantity(l.txIndex)},
      {"blockHash", l.blockHash.hex()},
      {"logIndex", toQuantity(l.logIndex)},
      {"removed", false},  // committed blocks are final: nothing is ever reorganised away
  };
}

json::object formatFeeHistory(const FeeHistory& h) {
  json::object out;
  out["oldestBlock"] = toQuantity(h.oldestBlock);
  if (!h.reward.empty()) {
    json::array rows;
    rows.reserve(h.reward.size());
    for (const auto& row : h.reward) {
      json::array r;
      r.reserve(row.size());
      for (const auto& v : row) r.emplace_back(toQuantity(v));
      rows.emplace_back(std::move(r));
    }
    out["reward"] = std::move(rows);
  }
  json::array fees;
  fees.reserve(h.baseFeePerGas.size());
  for (const auto& v : h.baseFeePerGas) fees.emplace_back(toQuantity(v));
  out["baseFeePerGas"] = std::move(fees);
  json::array ratios;
  ratios.reserve(h.gasUsedRatio.size());
  for (double d : h.gasUsedRatio) ratios.emplace_back(d);
  out["gasUsedRatio"] = std::move(ratios);
  return out;
}

json::value formatSyncing(const std::optional<SyncStatus>& s) {
  if (!s) return false;
  return json::object{{"startingBlock", toQuantity(s->startingBlock)},
                      {"currentBlock", toQuantity(s->currentBlock)},
                      {"highestBlock", toQuantity(s->highestBlock)}};
}

RpcError revertError(BytesView payload, const std::string& reason) {
  std::string message = "execution reverted";
  if (!reason.empty()) message += ": " + reason;
  return RpcError(code::kExecutionReverted, message, json::string(toHex(payload)));
}

}  // namespace tn::rpc
