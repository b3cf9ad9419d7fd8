// The JSON-RPC server: HTTP/1.1 POST and WebSocket on one port (Boost.Beast). Beast and Asio stay
// inside server.cpp; this header is cheap to include.
//
// HTTP: POST with a JSON content type → the dispatcher's answer (200, or 204 when the request held
// only notifications); GET / → a small health JSON; OPTIONS → CORS preflight. A body over the
// limit is answered 413 with a JSON-RPC error, a body or answer over the in-flight budget 503;
// malformed requests or oversized headers close the connection. WebSocket (upgrade on the same
// port): requests and eth_subscribe notifications.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chain/block.hpp"
#include "rpc/backend.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/metrics.hpp"

namespace tn::rpc {

namespace detail {
struct ServerImpl;  // server.cpp
}

struct ServerOptions {
  std::string bindAddress = "127.0.0.1";
  uint16_t port = 8545;  // 0: any free port, see Server::port()
  unsigned ioThreads = 2;
  std::size_t maxBodyBytes = 5 * 1024 * 1024;  // HTTP body and WebSocket message
  std::size_t maxHeaderBytes = 16 * 1024;
  std::size_t maxBatch = 1000;  // requests per batch; more → one -32600 error for the batch
  std::size_t maxBatchResponseBytes = 25'000'000;  // see CallContext
  // Browser origins allowed to call (CORS) and to open WebSockets. Empty: none, "*": any.
  std::vector<std::string> corsOrigins;
  // Open connections, HTTP and WebSocket together; one more is closed as soon as it is accepted.
  // Each costs a file descriptor, and the store and the p2p host need theirs: a client must not
  // be able to take them all (docs/OPERATOR.md, "File descriptors").
  std::size_t maxConnections = 1000;
  std::size_t maxWsConnections = 100;
  std::size_t maxSubscriptionsPerConnection = 100;
  // Unsent bytes a WebSocket connection may hold; a client that reads too slowly is dropped
  // instead of growing the node's memory.
  std::size_t maxWsQueueBytes = 16 * 1024 * 1024;
  // Unsent bytes of all WebSocket connections together: past it, the connection that holds the
  // most is dropped (a reading client holds little, so it is not the one).
  std::size_t maxWsQueueBytesTotal = 256 * 1024 * 1024;
  // Bytes that all connections together may hold: the declared bodies of the HTTP requests being
  // read or run, the HTTP answers being written, and the WebSocket messages being read beyond
  // their first 64 KiB. Without it, rpcMaxConnections clients could each hold a body of
  // maxBodyBytes (5 GB) or a slowly read 25 MB batch answer. A request whose body does not fit
  // is answered 503 (JSON-RPC -32005) without being read, and the connection closes; an answer
  // that does not fit is replaced by that error; a WebSocket message that cannot grow is read to
  // its end and dropped, and gets that error as its answer. A server refuses to start with less
  // than maxBodyBytes; below maxBodyBytes + maxBatchResponseBytes the largest batch answers would
  // always be refused.
  std::size_t maxInFlightBytes = 256 * 1024 * 1024;
  std::chrono::seconds httpIdleTimeout{30};  // per request: reading it and writing the answer
  std::chrono::seconds wsIdleTimeout{120};   // pinged at half; closed without an answer
  std::chrono::milliseconds stopGrace{2000};  // stop() waits this long for connections to close
  // Body of GET /; null → {"status":"ok"}. Called on an io thread.
  std::function<boost::json::value()> health;
  // GET /metrics (Prometheus text, docs/RPC.md "Metrics"): the node writes its families, then the
  // server adds its own (connections, requests, refusals). Null: /metrics is 404. Called on an
  // io thread; an exception answers 503.
  std::function<void(MetricsText&)> metrics;
  // The pool's admissions after a cursor (Backend::admittedSince), for the newPendingTransactions
  // subscriptions: read every pendingPollInterval while WebSocket connections are open, and the
  // new hashes delivered to each of them, so admission itself pays nothing. Null: none.
  std::function<PoolAdmissions(uint64_t)> pendingTransactions;
  std::chrono::milliseconds pendingPollInterval{100};
};

class Server {
 public:
  // `dispatcher` must outlive the server and must not change while it runs.
  Server(ServerOptions options, const Dispatcher& dispatcher);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the io threads. Throws boost::system::system_error when the address
  // cannot be bound. A server starts once.
  void start();
  // Stops accepting, closes every connection (WebSockets with "going away"), waits up to
  // stopGrace for them, then stops the io threads. Idempotent.
  void stop();
  // The bound port (the chosen one when options.port was 0); 0 before start().
  uint16_t port() const;

  // Called by the node after each commit, from any thread: notifies the newHeads and logs
  // subscribers. Renders the block once; each connection gets it on its own strand.
  void publishBlock(const Block& block, const std::vector<Receipt>& receipts);

  std::size_t webSocketConnections() const;
  // Of ServerOptions::maxInFlightBytes, what the connections hold now.
  std::size_t inFlightBytes() const;
  // Of ServerOptions::maxWsQueueBytesTotal, what the WebSocket connections hold now.
  std::size_t webSocketUnsentBytes() const;

 private:
  std::unique_ptr<detail::ServerImpl> impl_;
};

}  // namespace tn::rpc
