// Parsers of JSON-RPC argument values into chain types. Each throws std::invalid_argument with a
// message that says what is wrong; Params::get (dispatcher.hpp) adds which argument it was and
// turns it into -32602. Strict like geth: quantities and data are 0x-prefixed strings.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/value.hpp>

#include "rpc/backend.hpp"

namespace tn::rpc::parse {

U256 quantity(const boost::json::value& v);
uint64_t u64(const boost::json::value& v);
// A quantity string or a plain JSON integer (eth_feeHistory's blockCount takes both).
uint64_t u64OrInteger(const boost::json::value& v);
Bytes data(const boost::json::value& v);
Address address(const boost::json::value& v);
Hash32 hash(const boost::json::value& v);
bool boolean(const boost::json::value& v);
std::string string(const boost::json::value& v);
// "latest" | "pending" | "earliest" | "safe" | "finalized" | quantity.
BlockTag blockNumber(const boost::json::value& v);
// blockNumber, or a 32-byte hash |
// {"blockNumber": q} | {"blockHash": h[, "requireCanonical": b]} (EIP-1898).
BlockTag blockTag(const boost::json::value& v);
// The transaction-like object of eth_call / eth_estimateGas.
CallRequest callRequest(const boost::json::value& v);
// {"address": a | [a...], "topics": [null | t | [t | null...]...]} (at most 4 topic positions).
LogCriteria logCriteria(const boost::json::value& v);

// The eth_getLogs filter object before tags are resolved.
struct LogFilter {
  LogCriteria criteria;
  std::optional<Hash32> blockHash;
  BlockTag fromBlock;  // default "latest", as geth
  BlockTag toBlock;
};
LogFilter logFilter(const boost::json::value& v);

}  // namespace tn::rpc::parse
