// The web3_, net_ and eth_ methods, answered from a Backend and formatted as geth does.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "rpc/backend.hpp"
#include "rpc/dispatcher.hpp"

namespace tn::rpc {

struct EthApiOptions {
  uint64_t maxLogBlockRange = 10'000;  // eth_getLogs: wider ranges → -32005
  std::size_t maxLogResults = 10'000;  // eth_getLogs: more matches → -32005
  uint64_t maxFeeHistoryBlocks = 1024;  // eth_feeHistory: larger counts are capped, as geth
  std::size_t maxFeeHistoryPercentiles = 100;
  // Polling filters (rpc/filters.hpp): installed at most, and dropped when unpolled this long.
  std::size_t maxFilters = 1000;
  std::chrono::seconds filterTimeout{300};
  // txpool_content / txpool_contentFrom: encoded bytes of the transactions one answer may show
  // (the answer is about twice that); a larger pool → -32005. A full pool (mempoolMaxBytes,
  // 64 MiB) would otherwise make each call build a JSON answer of hundreds of megabytes.
  std::size_t maxPoolAnswerBytes = 8u << 20;
};

// Declares the methods on `dispatcher`; `backend` must outlive it.
void addEthApi(Dispatcher& dispatcher, Backend& backend, const EthApiOptions& options = {});

}  // namespace tn::rpc
