// Parallel sender recovery: ECDSA public-key recovery dominates the cost of admitting and
// executing a transaction, so batches are spread over a small persistent worker pool.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chain/transaction.hpp"

namespace tn {

// Recovers the sender of every transaction in `txs` (null entries and those whose sender is
// already set are skipped), using up to `threads` threads including the caller (0: one per
// hardware thread). Returns one entry per input: nullopt on success, else the error message
// (a failed transaction keeps sender == nullopt). Never throws for a bad signature.
// Safe to call from several threads; concurrent batches take turns on the pool.
std::vector<std::optional<std::string>> recoverSenders(std::span<Transaction*> txs,
                                                       unsigned threads = 0);

}  // namespace tn
