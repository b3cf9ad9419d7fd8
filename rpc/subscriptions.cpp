#include "rpc/subscriptions.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "chain/random.hpp"
#include "rpc/format.hpp"

namespace tn::rpc {

// Filters are the node's, not a connection's (any connection may poll or uninstall one), so
// their ids must not be predictable from other ids: 128 bits from the kernel's generator, not a
// seeded PRNG whose state its outputs reveal.
std::string newRandomId() {
  Bytes b(16);
  secureRandom(std::span<uint8_t>(b.data(), b.size()));
  return toHex(b);
}

namespace {

// Splices an already serialized result into the notification envelope; ids are plain hex, so
// nothing needs escaping.
std::string notification(const std::string& id, const std::string& result) {
  std::string out;
  out.reserve(result.size() + id.size() + 96);
  out += R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":")";
  out += id;
  out += R"(","result":)";
  out += result;
  out += "}}";
  return out;
}

}  // namespace

std::shared_ptr<const PublishedBlock> PublishedBlock::make(const Block& block, const Hash32& hash,
                                                           const std::vector<Receipt>& receipts) {
  auto out = std::make_shared<PublishedBlock>();
  out->head = boost::json::serialize(formatHeader(block.header, hash));
  appendBlockLogs(block, hash, receipts, LogCriteria{}, out->logs);
  out->logsJson.reserve(out->logs.size());
  for (const auto& l : out->logs) out->logsJson.push_back(boost::json::serialize(formatLog(l)));
  return out;
}

std::string SubscriptionSet::add(Subscription s) {
  if (subs_.size() >= max_) {
    throw RpcError(code::kServer,
                   "too many subscriptions on this connection (max " + std::to_string(max_) + ")");
  }
  std::string id = newRandomId();
  subs_.emplace_back(id, std::move(s));
  return id;
}

bool SubscriptionSet::remove(std::string_view id) {
  auto it = std::find_if(subs_.begin(), subs_.end(), [&](const auto& e) { return e.first == id; });
  if (it == subs_.end()) return false;
  subs_.erase(it);
  return true;
}

void SubscriptionSet::render(const PublishedBlock& block, std::vector<std::string>& out) const {
  for (const auto& [id, sub] : subs_) {
    if (sub.kind == Subscription::Kind::NewPendingTransactions) continue;
    if (sub.kind == Subscription::Kind::NewHeads) {
      out.push_back(notification(id, block.head));
      continue;
    }
    for (std::size_t i = 0; i < block.logs.size(); ++i) {
      if (sub.criteria.matches(block.logs[i].log)) out.push_back(notification(id, block.logsJson[i]));
    }
  }
}

void SubscriptionSet::renderPending(const std::vector<std::string>& hashesJson,
                                    std::vector<std::string>& out) const {
  for (const auto& [id, sub] : subs_) {
    if (sub.kind != Subscription::Kind::NewPendingTransactions) continue;
    for (const std::string& h : hashesJson) out.push_back(notification(id, h));
  }
}

}  // namespace tn::rpc
