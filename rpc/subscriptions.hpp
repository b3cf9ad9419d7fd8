// eth_subscribe over WebSocket: the subscriptions of one connection and the rendering of a
// committed block into eth_subscription notifications. Transport-free, so it is tested without
// sockets; the server owns one SubscriptionSet per WebSocket session and uses it on its strand.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpc/backend.hpp"

namespace tn::rpc {

// "0x" + 32 random hex digits: the ids of subscriptions and filters.
std::string newRandomId();

struct Subscription {
  enum class Kind { NewHeads, Logs, NewPendingTransactions };
  Kind kind = Kind::NewHeads;
  LogCriteria criteria;  // Logs only
};

// A committed block rendered once and shared by every connection.
struct PublishedBlock {
  std::string head;                   // the newHeads result, serialized
  std::vector<LogView> logs;          // every log of the block, in order
  std::vector<std::string> logsJson;  // logs[i] serialized

  static std::shared_ptr<const PublishedBlock> make(const Block& block, const Hash32& hash,
                                                    const std::vector<Receipt>& receipts);
};

class SubscriptionSet {
 public:
  explicit SubscriptionSet(std::size_t max) : max_(max) {}

  // Returns the new id ("0x" + 32 hex digits); throws RpcError -32000 past the cap.
  std::string add(Subscription s);
  bool remove(std::string_view id);
  std::size_t size() const { return subs_.size(); }
  bool empty() const { return subs_.empty(); }

  // Appends the serialized eth_subscription messages that `block` produces, subscriptions in the
  // order they were made, a logs subscription's logs in block order.
  void render(const PublishedBlock& block, std::vector<std::string>& out) const;
  // The same for transactions just admitted to the pool, each hash already a JSON string: one
  // notification per hash and newPendingTransactions subscription.
  void renderPending(const std::vector<std::string>& hashesJson,
                     std::vector<std::string>& out) const;

 private:
  std::size_t max_;
  std::vector<std::pair<std::string, Subscription>> subs_;  // few per connection: a vector is enough
};

}  // namespace tn::rpc
