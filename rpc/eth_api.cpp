#include "rpc/eth_api.hpp"

#include <boost/json/object.hpp>
#include <functional>

#include "rpc/filters.hpp"
#include "rpc/format.hpp"
#include "rpc/params.hpp"
#include "rpc/subscriptions.hpp"

namespace tn::rpc {

namespace json = boost::json;

namespace {

// Parameter types as rpc_methods shows them.
constexpr const char* kAddress = "Address (20-byte hex)";
constexpr const char* kHash = "Hash (32-byte hex)";
constexpr const char* kBlockTag =
    "Quantity|Tag (latest, pending, earliest, safe, finalized)|{blockNumber}|{blockHash}";
constexpr const char* kBlockNumber = "Quantity|Tag (latest, pending, earliest, safe, finalized)";
constexpr const char* kCallObject =
    "CallObject {from, to, gas, gasPrice | maxFeePerGas + maxPriorityFeePerGas, value, "
    "data|input, nonce, accessList}";

// A tag as a block number, "latest"-like tags as the head (this chain has instant finality).
uint64_t resolveNumber(const BlockTag& tag, uint64_t latest) {
  switch (tag.kind) {
    case BlockTag::Kind::Number: return tag.number;
    case BlockTag::Kind::Earliest: return 0;
    default: return latest;
  }
}

json::value optionalBlock(const std::optional<BlockView>& b, bool full) {
  if (!b) return nullptr;
  return formatBlock(*b, full);
}

json::value txCount(const std::optional<BlockView>& b) {
  if (!b) return nullptr;
  return json::string(toQuantity(uint64_t{b->block.transactions.size()}));
}

SubscriptionSet& subscriptionsOf(CallContext& ctx) {
  // geth's answer over a transport without notifications.
  if (!ctx.subscriptions) throw RpcError(code::kMethodNotFound, "notifications not supported");
  return *ctx.subscriptions;
}

std::vector<double> percentiles(const json::value& v, std::size_t max) {
  if (!v.is_array()) throw std::invalid_argument("must be an array of numbers");
  const auto& a = v.get_array();
  if (a.size() > max)
    throw std::invalid_argument("at most " + std::to_string(max) + " percentiles");
  std::vector<double> out;
  for (const auto& x : a) {
    if (!x.is_number()) throw std::invalid_argument("must be an array of numbers");
    double p = x.to_number<double>();
    if (!(p >= 0 && p <= 100)) throw std::invalid_argument("percentile out of range [0, 100]");
    if (!out.empty() && p < out.back())
      throw std::invalid_argument("percentiles must be in ascending order");
    out.push_back(p);
  }
  return out;
}

// txpool_ entries: a pooled transaction as eth_getTransactionByHash shows a pending one, or geth's
// one-line summary.
json::value formatPooled(const Transaction& tx) {
  return formatTransaction(tx, std::nullopt);
}
json::value inspectPooled(const Transaction& tx) {
  const U256& feeCap = tx.type == Transaction::Type::DynamicFee ? tx.maxFeePerGas : tx.gasPrice;
  return json::string((tx.to ? tx.to->hex() : std::string("contract creation")) + ": " +
                      tx.value.str() + " wei + " + std::to_string(tx.gasLimit) + " gas × " +
                      feeCap.str() + " wei");
}
// Refuses a txpool_content answer that would show more than `max` encoded bytes.
void checkPoolAnswer(const PoolContent& c, std::size_t max, const char* hint) {
  std::size_t bytes = 0;
  for (const auto* list : {&c.pending, &c.queued})
    for (const auto& tx : *list) bytes += tx->raw.size();
  if (bytes > max) {
    throw RpcError(code::kLimitExceeded,
                   "the pool's " + std::to_string(c.pending.size() + c.queued.size()) +
                       " transactions (" + std::to_string(bytes) + " bytes) exceed one answer's " +
                       std::to_string(max) + " bytes; " + hint);
  }
}
// {nonce: entry} of one sender's transactions (in nonce order).
template <class Format>
json::object poolByNonce(const std::vector<std::shared_ptr<const Transaction>>& txs,
                         Format format) {
  json::object out;
  for (const auto& tx : txs) out[std::to_string(tx->nonce)] = format(*tx);
  return out;
}
// {sender: {nonce: entry}} of transactions ordered by sender then nonce.
template <class Format>
json::object poolBySender(const std::vector<std::shared_ptr<const Transaction>>& txs,
                          Format format) {
  json::object out;
  for (const auto& tx : txs) {
    json::value& sender = out[tx->sender->hex()];
    if (!sender.is_object()) sender = json::object{};
    sender.as_object()[std::to_string(tx->nonce)] = format(*tx);
  }
  return out;
}

// eth_getLogs and eth_getFilterLogs: tags resolved against the head, the range and result caps
// applied. `badFilter` makes the -32602 error for an inverted range.
json::array findLogs(const Backend& be, const EthApiOptions& opt, parse::LogFilter f,
                     const std::function<RpcError(const std::string&)>& badFilter) {
  LogQuery q;
  q.criteria = std::move(f.criteria);
  q.limit = opt.maxLogResults;
  if (f.blockHash) {
    q.blockHash = f.blockHash;
  } else {
    uint64_t latest = be.latestBlockNumber();
    q.fromBlock = resolveNumber(f.fromBlock, latest);
    q.toBlock = std::min(resolveNumber(f.toBlock, latest), latest);
    if (q.fromBlock > latest) return json::array{};  // nothing committed there yet
    if (q.fromBlock > q.toBlock) throw badFilter("fromBlock is after toBlock");
    if (q.toBlock - q.fromBlock >= opt.maxLogBlockRange) {
      throw RpcError(code::kLimitExceeded,
                     "block range too large: " + std::to_string(q.toBlock - q.fromBlock + 1) +
                         " blocks, max " + std::to_string(opt.maxLogBlockRange));
    }
  }
  auto logs = be.logs(q);
  if (logs.size() > opt.maxLogResults) {
    throw RpcError(code::kLimitExceeded,
                   "query returned more than " + std::to_string(opt.maxLogResults) + " results");
  }
  json::array out;
  out.reserve(logs.size());
  for (const auto& l : logs) out.emplace_back(formatLog(l));
  return out;
}

}  // namespace

void addEthApi(Dispatcher& d, Backend& backend, const EthApiOptions& opt) {
  Backend* be = &backend;

  // Identity and network.
  d.add({"web3_clientVersion", "The node's name and version.", {}, "String",
         [be](const Params&, CallContext&) -> json::value { return json::string(be->clientVersion()); }});
  d.add({"web3_sha3", "Keccak-256 of the given data.", {{"data", "Data", true}}, "Hash",
         [](const Params& p, CallContext&) -> json::value {
           return json::string(keccak256(p.get(0, parse::data)).hex());
         }});
  d.add({"net_version", "The chain id in decimal.", {}, "String (decimal)",
         [be](const Params&, CallContext&) -> json::value {
           return json::string(std::to_string(be->chainId()));
         }});
  d.add({"net_listening", "Whether the node accepts peer connections.", {}, "Boolean",
         [be](const Params&, CallContext&) -> json::value { return be->listening(); }});
  d.add({"net_peerCount", "Number of connected peers.", {}, "Quantity",
         [be](const Params&, CallContext&) -> json::value {
           return json::string(toQuantity(be->peerCount()));
         }});
  d.add({"eth_chainId", "The EIP-155 chain id.", {}, "Quantity",
         [be](const Params&, CallContext&) -> json::value {
           return json::string(toQuantity(be->chainId()));
         }});
  d.add({"eth_syncing", "Sync progress, or false when in sync.", {},
         "false | {startingBlock, currentBlock, highestBlock}",
         [be](const Params&, CallContext&) { return formatSyncing(be->syncing()); }});
  d.add({"eth_accounts", "Accounts the node signs for: always empty (keys stay in wallets).", {},
         "Array (empty)", [](const Params&, CallContext&) -> json::value { return json::array{}; }});

  // Blocks and transactions.
  d.add({"eth_blockNumber", "Number of the latest committed block.", {}, "Quantity",
         [be](const Params&, CallContext&) -> json::value {
           return json::string(toQuantity(be->latestBlockNumber()));
         }});
  d.add({"eth_getBlockByNumber",
         "A block by number or tag.",
         {{"block", kBlockNumber, true},
          {"fullTransactions", "Boolean (default false: hashes only)", false}},
         "Block object | null",
         [be](const Params& p, CallContext&) {
           auto tag = p.get(0, parse::blockNumber);
           return optionalBlock(be->blockByNumber(tag), p.getOr(1, parse::boolean, false));
         }});
  d.add({"eth_getBlockByHash",
         "A block by hash.",
         {{"blockHash", kHash, true},
          {"fullTransactions", "Boolean (default false: hashes only)", false}},
         "Block object | null",
         [be](const Params& p, CallContext&) {
           auto hash = p.get(0, parse::hash);
           return optionalBlock(be->blockByHash(hash), p.getOr(1, parse::boolean, false));
         }});
  d.add({"eth_getBlockTransactionCountByNumber", "Number of transactions in a block.",
         {{"block", kBlockNumber, true}}, "Quantity | null",
         [be](const Params& p, CallContext&) {
           return txCount(be->blockByNumber(p.get(0, parse::blockNumber)));
         }});
  d.add({"eth_getBlockTransactionCountByHash", "Number of transactions in a block.",
         {{"blockHash", kHash, true}}, "Quantity | null",
         [be](const Params& p, CallContext&) { return txCount(be->blockByHash(p.get(0, parse::hash))); }});
  d.add({"eth_getTransactionByHash",
         "A committed or pending transaction.",
         {{"transactionHash", kHash, true}},
         "Transaction object | null (block fields null while pending)",
         [be](const Params& p, CallContext&) -> json::value {
           auto tx = be->transaction(p.get(0, parse::hash));
           if (!tx) return nullptr;
           return formatTransaction(tx->tx, tx->location);
         }});
  d.add({"eth_getTransactionReceipt",
         "The receipt of a committed transaction; a failed one carries revertReason.",
         {{"transactionHash", kHash, true}},
         "Receipt object | null",
         [be](const Params& p, CallContext&) -> json::value {
           auto r = be->receipt(p.get(0, parse::hash));
           if (!r) return nullptr;
           return formatReceipt(*r);
         }});

  auto txAt = [](const std::optional<BlockView>& b, uint64_t index) -> json::value {
    if (!b || index >= b->block.transactions.size()) return nullptr;
    const BlockHeader& h = b->block.header;
    return formatTransaction(b->block.transactions[index],
                             TxLocation{b->hash, h.number, index, h.baseFeePerGas});
  };
  d.add({"eth_getTransactionByBlockNumberAndIndex",
         "A committed transaction by its block and position.",
         {{"block", kBlockNumber, true}, {"index", "Quantity", true}},
         "Transaction object | null",
         [be, txAt](const Params& p, CallContext&) {
           auto tag = p.get(0, parse::blockNumber);
           return txAt(be->blockByNumber(tag), p.get(1, parse::u64));
         }});
  d.add({"eth_getTransactionByBlockHashAndIndex",
         "A committed transaction by its block and position.",
         {{"blockHash", kHash, true}, {"index", "Quantity", true}},
         "Transaction object | null",
         [be, txAt](const Params& p, CallContext&) {
           auto hash = p.get(0, parse::hash);
           return txAt(be->blockByHash(hash), p.get(1, parse::u64));
         }});
  // Blocks here never have uncles (one proposer per height, instant finality): known blocks
  // count 0 and have none at any index; unknown blocks are null, as for the other block methods.
  d.add({"eth_getUncleCountByBlockNumber",
         "Number of uncles of a block: 0 on this chain.",
         {{"block", kBlockNumber, true}},
         "Quantity (0x0) | null",
         [be](const Params& p, CallContext&) -> json::value {
           if (!be->blockByNumber(p.get(0, parse::blockNumber))) return nullptr;
           return "0x0";
         }});
  d.add({"eth_getUncleCountByBlockHash",
         "Number of uncles of a block: 0 on this chain.",
         {{"blockHash", kHash, true}},
         "Quantity (0x0) | null",
         [be](const Params& p, CallContext&) -> json::value {
           if (!be->blockByHash(p.get(0, parse::hash))) return nullptr;
           return "0x0";
         }});
  d.add({"eth_getUncleByBlockNumberAndIndex",
         "An uncle of a block: always null on this chain.",
         {{"block", kBlockNumber, true}, {"index", "Quantity", true}},
         "null",
         [](const Params& p, CallContext&) -> json::value {
           p.get(0, parse::blockNumber);
           p.get(1, parse::u64);
           return nullptr;
         }});
  d.add({"eth_getUncleByBlockHashAndIndex",
         "An uncle of a block: always null on this chain.",
         {{"blockHash", kHash, true}, {"index", "Quantity", true}},
         "null",
         [](const Params& p, CallContext&) -> json::value {
           p.get(0, parse::hash);
           p.get(1, parse::u64);
           return nullptr;
         }});

  d.add({"eth_getBlockReceipts",
         "Every receipt of a block in transaction order (its block-events receipt last): one call "
         "instead of one per transaction.",
         {{"block", kBlockTag, true}},
         "[Receipt object] | null",
         [be](const Params& p, CallContext&) -> json::value {
           auto rs = be->blockReceipts(p.get(0, parse::blockTag));
           if (!rs) return nullptr;
           json::array out;
           out.reserve(rs->size());
           for (const ReceiptView& r : *rs) out.push_back(formatReceipt(r));
           return out;
         }});

  // Account state (only the latest state is kept).
  d.add({"eth_getBalance", "Balance in wei (10^-18 UNIT).",
         {{"address", kAddress, true}, {"block", kBlockTag + std::string(" (default latest)"), false}},
         "Quantity",
         [be](const Params& p, CallContext&) -> json::value {
           auto a = p.get(0, parse::address);
           auto tag = p.getOr(1, parse::blockTag, BlockTag::latest());
           return json::string(toQuantity(be->balance(a, tag)));
         }});
  d.add({"eth_getTransactionCount", "The account nonce; \"pending\" counts the mempool.",
         {{"address", kAddress, true}, {"block", kBlockTag + std::string(" (default latest)"), false}},
         "Quantity",
         [be](const Params& p, CallContext&) -> json::value {
           auto a = p.get(0, parse::address);
           auto tag = p.getOr(1, parse::blockTag, BlockTag::latest());
           return json::string(toQuantity(be->nonce(a, tag)));
         }});
  d.add({"eth_getCode", "Code at an address (a marker for native modules, else empty).",
         {{"address", kAddress, true}, {"block", kBlockTag + std::string(" (default latest)"), false}},
         "Data",
         [be](const Params& p, CallContext&) -> json::value {
           auto a = p.get(0, parse::address);
           auto tag = p.getOr(1, parse::blockTag, BlockTag::latest());
           return json::string(toHex(be->code(a, tag)));
         }});

  // Fees.
  d.add({"eth_gasPrice", "Suggested legacy gas price: base fee plus tip.", {}, "Quantity",
         [be](const Params&, CallContext&) -> json::value {
           return json::string(toQuantity(be->gasPrice()));
         }});
  d.add({"eth_maxPriorityFeePerGas", "Suggested EIP-1559 tip.", {}, "Quantity",
         [be](const Params&, CallContext&) -> json::value {
           return json::string(toQuantity(be->maxPriorityFeePerGas()));
         }});
  d.add({"eth_feeHistory",
         "Base fees, gas-used ratios and tip percentiles of recent blocks.",
         {{"blockCount", "Quantity|Integer (capped at " + std::to_string(opt.maxFeeHistoryBlocks) + ")",
           true},
          {"newestBlock", kBlockNumber, true},
          {"rewardPercentiles", "Array of numbers in [0, 100], ascending", false}},
         "{oldestBlock, baseFeePerGas[], gasUsedRatio[], reward[][] (with percentiles)}",
         [be, opt](const Params& p, CallContext&) -> json::value {
           uint64_t count = std::min(p.get(0, parse::u64OrInteger), opt.maxFeeHistoryBlocks);
           BlockTag tag = p.get(1, parse::blockNumber);
           auto pct = p.getOr(
               2, [&](const json::value& v) { return percentiles(v, opt.maxFeeHistoryPercentiles); },
               std::vector<double>{});
           uint64_t latest = be->latestBlockNumber();
           uint64_t newest = resolveNumber(tag, latest);
           if (newest > latest) {
             throw RpcError(code::kServer, "request beyond head block: requested " +
                                               std::to_string(newest) + ", head " +
                                               std::to_string(latest));
           }
           if (count == 0) return formatFeeHistory({});
           return formatFeeHistory(be->feeHistory(count, newest, pct));
         }});

  // Execution.
  d.add({"eth_sendRawTransaction",
         "Submits a signed transaction (EIP-155 legacy, EIP-2930 or EIP-1559) to the mempool.",
         {{"transaction", "Data (signed RLP envelope)", true}},
         "Hash (the transaction hash)",
         [be](const Params& p, CallContext&) -> json::value {
           return json::string(be->sendRawTransaction(p.get(0, parse::data)).hex());
         }});
  d.add({"eth_call",
         "Executes a call on the latest state without a transaction; a revert is error 3.",
         {{"transaction", kCallObject, true}, {"block", kBlockTag + std::string(" (default latest)"), false}},
         "Data (return data)",
         [be](const Params& p, CallContext&) -> json::value {
           auto req = p.get(0, parse::callRequest);
           auto tag = p.getOr(1, parse::blockTag, BlockTag::latest());
           CallResult r = be->call(req, tag);
           if (r.reverted) throw revertError(r.output, r.revertReason);
           return json::string(toHex(r.output));
         }});
  d.add({"eth_estimateGas",
         "Gas a transaction needs; a revert is error 3.",
         {{"transaction", kCallObject, true}, {"block", kBlockTag + std::string(" (default latest)"), false}},
         "Quantity",
         [be](const Params& p, CallContext&) -> json::value {
           auto req = p.get(0, parse::callRequest);
           auto tag = p.getOr(1, parse::blockTag, BlockTag::latest());
           CallResult r = be->estimateGas(req, tag);
           if (r.reverted) throw revertError(r.output, r.revertReason);
           return json::string(toQuantity(r.gas));
         }});

  // Logs.
  const std::string kFilterObject =
      "Filter {fromBlock, toBlock (default latest) | blockHash, address: Address|[Address], "
      "topics: [null|Hash|[Hash]] (at most 4)}";
  d.add({"eth_getLogs",
         "Logs matching a filter, over at most " + std::to_string(opt.maxLogBlockRange) +
             " blocks and " + std::to_string(opt.maxLogResults) + " results (else -32005).",
         {{"filter", kFilterObject, true}},
         "Array of log objects",
         [be, opt](const Params& p, CallContext&) -> json::value {
           auto f = p.get(0, parse::logFilter);
           return findLogs(*be, opt, std::move(f),
                           [&](const std::string& what) { return p.error(0, what); });
         }});

  // Polling filters (HTTP clients' alternative to eth_subscribe).
  FilterOptions fo;
  fo.maxFilters = opt.maxFilters;
  fo.timeout = opt.filterTimeout;
  fo.maxBlockRange = opt.maxLogBlockRange;
  fo.maxResults = opt.maxLogResults;
  auto filters = std::make_shared<FilterRegistry>(backend, fo);
  const std::string expiry =
      "; dropped when not polled for " + std::to_string(opt.filterTimeout.count()) + " s";
  d.add({"eth_newFilter",
         "Installs a log filter; eth_getFilterChanges then returns the matching logs of the blocks "
         "committed since its previous call" +
             expiry + ".",
         {{"filter", "Filter {fromBlock, toBlock (default latest: no bound), address, topics}",
           true}},
         "String (filter id)",
         [filters](const Params& p, CallContext&) -> json::value {
           auto f = p.get(0, parse::logFilter);
           if (f.blockHash)
             throw p.error(0, "blockHash is not allowed in a filter (use eth_getLogs)");
           return json::string(
               filters->newLogFilter({std::move(f.criteria), f.fromBlock, f.toBlock}));
         }});
  d.add({"eth_newBlockFilter",
         "Installs a block filter; eth_getFilterChanges then returns the hashes of the blocks "
         "committed since its previous call" +
             expiry + ".",
         {},
         "String (filter id)",
         [filters](const Params&, CallContext&) -> json::value {
           return json::string(filters->newBlockFilter());
         }});
  d.add({"eth_newPendingTransactionFilter",
         "Installs a pending-transaction filter; eth_getFilterChanges then returns the hashes of "
         "the transactions admitted to this node's pool since its previous call (the last 16384 "
         "at most)" +
             expiry + ".",
         {},
         "String (filter id)",
         [filters](const Params&, CallContext&) -> json::value {
           return json::string(filters->newPendingTransactionFilter());
         }});
  d.add({"eth_getFilterChanges",
         "What a filter has seen since its previous poll (or its installation): log objects for a "
         "log filter, hashes for the others.",
         {{"filterId", "String", true}},
         "Array of log objects | Array of hashes",
         [filters](const Params& p, CallContext&) -> json::value {
           FilterChanges c = filters->changes(p.get(0, parse::string));
           json::array out;
           if (c.logs) {
             out.reserve(c.logViews.size());
             for (const auto& l : c.logViews) out.emplace_back(formatLog(l));
           } else {
             out.reserve(c.hashes.size());
             for (const auto& h : c.hashes) out.emplace_back(h.hex());
           }
           return out;
         }});
  d.add({"eth_getFilterLogs",
         "Every log matching a log filter over its fromBlock..toBlock now, as eth_getLogs.",
         {{"filterId", "String", true}},
         "Array of log objects",
         [be, opt, filters](const Params& p, CallContext&) -> json::value {
           LogFilterSpec spec = filters->logFilter(p.get(0, parse::string));
           parse::LogFilter f{std::move(spec.criteria), std::nullopt, spec.fromBlock, spec.toBlock};
           return findLogs(*be, opt, std::move(f), [](const std::string& what) {
             return invalidParams("the filter's " + what);
           });
         }});
  d.add({"eth_uninstallFilter",
         "Removes a filter.",
         {{"filterId", "String", true}},
         "Boolean (false if unknown or expired)",
         [filters](const Params& p, CallContext&) -> json::value {
           return filters->uninstall(p.get(0, parse::string));
         }});

  // The transaction pool (geth's txpool_ namespace).
  d.add({"txpool_status",
         "How many transactions the pool holds: pending (executable in nonce order) and queued "
         "(after a nonce gap).",
         {},
         "{pending: Quantity, queued: Quantity}",
         [be](const Params&, CallContext&) -> json::value {
           PoolContent c = be->poolContent(std::nullopt);
           return json::object{{"pending", toQuantity(uint64_t{c.pending.size()})},
                               {"queued", toQuantity(uint64_t{c.queued.size()})}};
         }});
  d.add({"txpool_content",
         "The pool's transactions: {pending, queued}, each by sender then nonce (decimal).",
         {},
         "{pending: {Address: {nonce: Transaction object}}, queued: {...}}",
         [be, opt](const Params&, CallContext&) -> json::value {
           PoolContent c = be->poolContent(std::nullopt);
           checkPoolAnswer(c, opt.maxPoolAnswerBytes,
                           "use txpool_status, txpool_inspect or txpool_contentFrom");
           return json::object{{"pending", poolBySender(c.pending, formatPooled)},
                               {"queued", poolBySender(c.queued, formatPooled)}};
         }});
  d.add({"txpool_contentFrom",
         "One sender's pooled transactions: {pending, queued}, each by nonce (decimal).",
         {{"address", kAddress, true}},
         "{pending: {nonce: Transaction object}, queued: {...}}",
         [be, opt](const Params& p, CallContext&) -> json::value {
           PoolContent c = be->poolContent(p.get(0, parse::address));
           checkPoolAnswer(c, opt.maxPoolAnswerBytes, "use txpool_inspect");
           return json::object{{"pending", poolByNonce(c.pending, formatPooled)},
                               {"queued", poolByNonce(c.queued, formatPooled)}};
         }});
  d.add({"txpool_inspect",
         "The pool as text, by sender then nonce: \"to: value wei + gas gas × fee cap wei\".",
         {},
         "{pending: {Address: {nonce: String}}, queued: {...}}",
         [be](const Params&, CallContext&) -> json::value {
           PoolContent c = be->poolContent(std::nullopt);
           return json::object{{"pending", poolBySender(c.pending, inspectPooled)},
                               {"queued", poolBySender(c.queued, inspectPooled)}};
         }});

  // Subscriptions (WebSocket only).
  d.add({"eth_subscribe",
         "WebSocket only: notifications of new heads, matching logs or the hashes of transactions "
         "admitted to the pool, as eth_subscription.",
         {{"kind", "\"newHeads\" | \"logs\" | \"newPendingTransactions\"", true},
          {"filter", "logs: {address: Address|[Address], topics: [...]}", false}},
         "String (subscription id)",
         [](const Params& p, CallContext& ctx) -> json::value {
           SubscriptionSet& subs = subscriptionsOf(ctx);
           auto kind = p.get(0, parse::string);
           Subscription s;
           if (kind == "newHeads") {
             s.kind = Subscription::Kind::NewHeads;
           } else if (kind == "logs") {
             s.kind = Subscription::Kind::Logs;
             s.criteria = p.getOr(1, parse::logCriteria, LogCriteria{});
           } else if (kind == "newPendingTransactions") {
             s.kind = Subscription::Kind::NewPendingTransactions;
             if (p.has(1) && !(p[1].is_bool() && !p[1].as_bool()))
               throw p.error(
                   1,
                   "newPendingTransactions sends hashes only; full transactions are not supported");
           } else {
             throw p.error(0, "unsupported subscription '" + kind +
                                  "' (newHeads, logs, newPendingTransactions)");
           }
           return json::string(subs.add(std::move(s)));
         }});
  d.add({"eth_unsubscribe", "WebSocket only: cancels a subscription of this connection.",
         {{"subscriptionId", "String", true}}, "Boolean (false if unknown)",
         [](const Params& p, CallContext& ctx) -> json::value {
           SubscriptionSet& subs = subscriptionsOf(ctx);
           return subs.remove(p.get(0, parse::string));
         }});
}

}  // namespace tn::rpc
