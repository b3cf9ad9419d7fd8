#include "rpc/backend.hpp"

#include <algorithm>

namespace tn::rpc {

std::string BlockTag::str() const {
  switch (kind) {
    case Kind::Latest: return "latest";
    case Kind::Pending: return "pending";
    case Kind::Earliest: return "earliest";
    case Kind::Safe: return "safe";
    case Kind::Finalized: return "finalized";
    case Kind::Number: return toQuantity(number);
    case Kind::Hash: return hash.hex();
  }
  return "?";
}

bool LogCriteria::matches(const Log& log) const {
  if (!addresses.empty() &&
      std::find(addresses.begin(), addresses.end(), log.address) == addresses.end())
    return false;
  if (topics.size() > log.topics.size()) return false;
  for (std::size_t i = 0; i < topics.size(); ++i) {
    const auto& set = topics[i];
    if (!set.empty() && std::find(set.begin(), set.end(), log.topics[i]) == set.end())
      return false;
  }
  return true;
}

void appendBlockLogs(const Block& block, const Hash32& blockHash,
                     const std::vector<Receipt>& receipts, const LogCriteria& criteria,
                     std::vector<LogView>& out, std::size_t maxOut) {
  uint64_t logIndex = 0;
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    const Receipt& r = receipts[i];
    for (const Log& log : r.logs) {
      if (out.size() >= maxOut) return;
      if (criteria.matches(log))
        out.push_back(LogView{log, blockHash, block.header.number, r.txHash, i, logIndex});
      ++logIndex;
    }
  }
}

}  // namespace tn::rpc
