#include "rpc/subscriptions.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <random>

#include "chain/random.hpp"
#include "rpc/format.hpp"

namespace tn::rpc {

namespace {

// Ids only need to be unguessable enough not to collide; one generator per thread avoids a lock.
std::string newSubscriptionId() {
  thread_local std::mt19937_64 gen{[] {
    uint64_t seed = 0;
    secureRandom(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&seed), sizeof seed));
    return seed;
  }()};
  Bytes b(16);
  for (std::size_t i = 0; i < b.size(); i += 8) {
    uint64_t r = gen();
    for (std::size_t k = 0; k < 8; ++k) b[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  return toHex(b);
}

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
  std::string id = newSubscriptionId();
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
    if (sub.kind == Subscription::Kind::NewHeads) {
      out.push_back(notification(id, block.head));
      continue;
    }
    for (std::size_t i = 0; i < block.logs.size(); ++i) {
      if (sub.criteria.matches(block.logs[i].log)) out.push_back(notification(id, block.logsJson[i]));
    }
  }
}

}  // namespace tn::rpc
