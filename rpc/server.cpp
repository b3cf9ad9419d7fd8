// The only translation unit of tn_rpc that instantiates Beast and Asio templates.
#include "rpc/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "rpc/metrics.hpp"
#include "rpc/subscriptions.hpp"

namespace tn::rpc {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast::error_code;

using detail::ServerImpl;

namespace {

constexpr std::string_view kServerName = "treasurenetd";
constexpr std::string_view kAllowedMethods = "POST, GET, HEAD, OPTIONS";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// geth's accepted media types; a browser cannot send these cross-origin without a preflight, so
// CORS really guards the POST endpoint.
bool isJsonContentType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  while (!ct.empty() && ct.front() == ' ') ct.remove_prefix(1);
  return iequals(ct, "application/json") || iequals(ct, "application/json-rpc") ||
         iequals(ct, "application/jsonrequest");
}

}  // namespace

class Session;

struct detail::ServerImpl {
  ServerImpl(ServerOptions o, const Dispatcher& d) : opt(std::move(o)), dispatcher(d) {}

  // "*" in the list allows any origin; the header then says "*" too.
  std::optional<std::string> allowOrigin(std::string_view origin) const {
    if (origin.empty()) return std::nullopt;
    for (const auto& o : opt.corsOrigins) {
      if (o == "*") return std::string("*");
      if (iequals(o, origin)) return std::string(origin);
    }
    return std::nullopt;
  }

  // Takes n bytes of the in-flight budget; false, taking nothing, when they do not fit.
  bool take(std::size_t n);
  // The JSON-RPC error message for a request refused because the budget is full.
  std::string busyMessage() const {
    return "server busy: the requests and answers in flight would exceed " +
           std::to_string(opt.maxInFlightBytes) + " bytes; retry later";
  }
  // Drops the WebSocket connection that holds the most unsent bytes.
  void shedWebSocket();
  void track(const std::shared_ptr<Session>& s, uint64_t& id, bool ws);
  void untrack(uint64_t id, bool ws);
  void accept();
  void runThread();
  // Reads the pool's new admissions and hands them to the WebSocket sessions, then re-arms.
  void pollPending();
  std::vector<std::shared_ptr<Session>> webSockets();

  const ServerOptions opt;
  const Dispatcher& dispatcher;

  std::mutex mu;  // guards the session maps
  std::unordered_map<uint64_t, std::weak_ptr<Session>> httpSessions;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> wsSessions;
  uint64_t nextId = 0;
  // Open connections, held against maxConnections: one per socket, whichever session has it.
  std::atomic<std::size_t> liveConnections{0};
  // Held by HTTP sessions and WebSocket messages being read (maxInFlightBytes), and by
  // WebSocket send queues (maxWsQueueBytesTotal).
  std::atomic<std::size_t> inFlightBytes{0};
  std::atomic<std::size_t> wsUnsentBytes{0};
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<uint16_t> boundPort{0};
  // Figures for GET /metrics (relaxed: counts, not synchronisation).
  std::atomic<uint64_t> httpRequests{0};
  std::atomic<uint64_t> wsMessages{0};
  std::atomic<uint64_t> refusedConnections{0};   // accepted and closed at maxConnections
  std::atomic<uint64_t> refusedWebSockets{0};    // upgrades refused at maxWsConnections
  std::atomic<uint64_t> refusedBusy{0};          // 503 / -32005: the in-flight budget was full
  std::atomic<uint64_t> refusedBodyTooLarge{0};  // 413
  // The server's families, after the node's (ServerOptions::metrics).
  void writeMetrics(MetricsText& out);

  std::vector<std::thread> threads;
  // Declared after the maps so it is destroyed before them: its destructor frees the sessions
  // that pending handlers still hold, and those untrack themselves from the maps.
  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer acceptRetry{acceptor.get_executor()};
  net::steady_timer pendingTimer{net::make_strand(ioc)};
  uint64_t pendingCursor = 0;  // on pendingTimer's strand
};

// A connection. Registered with the server so that stop() and publishBlock() can reach it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // A WebSocket session adopts the connection of the HTTP session it was upgraded from, and with
  // it that connection's place in maxConnections: one connection never counts twice, even while
  // the HTTP session's last handler is still finishing.
  enum class Connection { New, Adopted };
  explicit Session(ServerImpl& server, Connection connection = Connection::New)
      : server_(server), ownsConnection_(connection == Connection::New) {
    if (ownsConnection_) ++server_.liveConnections;
  }
  virtual ~Session() {
    release();
    if (id_) server_.untrack(*id_, ws_);
    if (ownsConnection_) --server_.liveConnections;
  }
  void track(bool ws) {
    uint64_t id = 0;
    ws_ = ws;
    server_.track(shared_from_this(), id, ws);
    id_ = id;
    // stop() sets `stopping`, then closes the sessions it finds registered; one registered
    // after it looked (accepted or upgraded meanwhile) closes itself instead of lingering until
    // stopGrace runs out.
    if (server_.stopping) close();
  }
  // Closes politely, from any thread.
  virtual void close() = 0;
  // A committed block, from any thread (WebSocket sessions only).
  virtual void deliver(std::shared_ptr<const PublishedBlock>) {}
  // Hashes (as JSON strings) of transactions just admitted to the pool; likewise.
  virtual void deliverPending(std::shared_ptr<const std::vector<std::string>>) {}
  // Queued answers and notifications not yet written (WebSocket sessions only); any thread.
  virtual std::size_t unsentBytes() const { return 0; }
  // Closes abruptly, dropping what is queued (WebSocket sessions only); any thread.
  virtual void shed() {}

 protected:
  // This connection's share of the in-flight budget (an HTTP body or answer, or a WebSocket
  // message being read), given back at the latest when the session ends.
  bool hold(std::size_t n) {
    if (!server_.take(n)) return false;
    held_ += n;
    return true;
  }
  void release() {
    server_.inFlightBytes -= held_;
    held_ = 0;
  }
  std::size_t held() const { return held_; }
  // Once the adopting session exists (its construction may throw, and then this one still owns
  // the connection): the count moves with the connection, never doubled nor lost, and this
  // session leaves the server's map, so stop() and the figures see the connection only once.
  void handOverConnection(Session& to) {
    to.ownsConnection_ = std::exchange(ownsConnection_, false);
    if (id_) server_.untrack(*std::exchange(id_, std::nullopt), ws_);
  }

  ServerImpl& server_;

 private:
  bool ownsConnection_;
  std::size_t held_ = 0;
  std::optional<uint64_t> id_;
  bool ws_ = false;
};

bool ServerImpl::take(std::size_t n) {
  std::size_t used = inFlightBytes.load();
  do {
    if (n > opt.maxInFlightBytes - used) return false;
  } while (!inFlightBytes.compare_exchange_weak(used, used + n));
  return true;
}

void ServerImpl::shedWebSocket() {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(mu);
    for (auto& [id, weak] : wsSessions)
      if (auto p = weak.lock()) open.push_back(std::move(p));
  }  // a session may end with its last pointer below: its destructor takes mu
  auto most = std::max_element(open.begin(), open.end(), [](const auto& a, const auto& b) {
    return a->unsentBytes() < b->unsentBytes();
  });
  if (most != open.end()) (*most)->shed();
}

void ServerImpl::track(const std::shared_ptr<Session>& s, uint64_t& id, bool ws) {
  std::lock_guard lock(mu);
  id = ++nextId;
  (ws ? wsSessions : httpSessions).emplace(id, s);
}

void ServerImpl::untrack(uint64_t id, bool ws) {
  std::lock_guard lock(mu);
  (ws ? wsSessions : httpSessions).erase(id);
}

namespace {

class WsSession : public Session {
 public:
  WsSession(ServerImpl& server, beast::tcp_stream&& stream)
      : Session(server, Connection::Adopted),
        ws_(std::move(stream)),
        subs_(server.opt.maxSubscriptionsPerConnection) {}
  ~WsSession() override { server_.wsUnsentBytes -= unsent_; }  // handlers dropped at stop()

  void start(http::request<http::string_body> req) {
    track(true);
    req_ = std::move(req);
    // The WebSocket's own timeouts replace the HTTP ones from here on.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = server_.opt.wsIdleTimeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, kServerName);
    }));
    ws_.read_message_max(server_.opt.maxBodyBytes);
    ws_.async_accept(req_, beast::bind_front_handler(&WsSession::onAccept, self()));
  }

  void close() override {
    net::post(ws_.get_executor(), [self = self()] {
      if (self->closing_) return;
      self->closing_ = true;
      // During the handshake the upgrade response may still be in flight, and a close frame
      // written beside it would be a second write on the socket: onAccept closes instead.
      if (self->accepted_) self->closeGoingAway();
    });
  }

  void deliver(std::shared_ptr<const PublishedBlock> block) override {
    net::post(ws_.get_executor(), [self = self(), block = std::move(block)] {
      if (self->subs_.empty() || self->closing_) return;
      std::vector<std::string> messages;
      self->subs_.render(*block, messages);
      for (auto& m : messages) self->send(std::move(m));
    });
  }

  void deliverPending(std::shared_ptr<const std::vector<std::string>> hashes) override {
    net::post(ws_.get_executor(), [self = self(), hashes = std::move(hashes)] {
      if (self->subs_.empty() || self->closing_) return;
      std::vector<std::string> messages;
      self->subs_.renderPending(*hashes, messages);
      for (auto& m : messages) self->send(std::move(m));
    });
  }

  std::size_t unsentBytes() const override { return unsent_.load(std::memory_order_relaxed); }
  void shed() override {
    net::post(ws_.get_executor(), [self = self()] { self->drop(); });
  }

 private:
  std::shared_ptr<WsSession> self() {
    return std::static_pointer_cast<WsSession>(shared_from_this());
  }

  void onAccept(error_code ec) {
    req_ = {};
    accepted_ = true;
    if (ec) return;
    if (closing_) {
      closeGoingAway();  // stop() came during the handshake
      return;
    }
    read();
  }

  void closeGoingAway() {
    ws_.async_close(websocket::close_code::going_away, [self = self()](error_code) {});
  }

  // A message is read a chunk at a time so that what it occupies can be held from the in-flight
  // budget as it grows (its first chunk is free, so small messages never touch the budget). When
  // the budget cannot cover the next chunk, the message is read to its end and thrown away, and
  // the client gets the busy error; the connection stays open.
  void read() {
    if (!discarding_ && !reserveChunk()) {
      discarding_ = true;
      releaseMessage();
    }
    ws_.async_read_some(buffer_, kReadChunk, beast::bind_front_handler(&WsSession::onRead, self()));
  }

  // Room for one more chunk after what the buffer holds; its growth beyond the first chunk is
  // taken from the budget before it is allocated. False, changing nothing, when it does not fit.
  bool reserveChunk() {
    const std::size_t size = buffer_.size();
    if (buffer_.capacity() - size >= kReadChunk) return true;
    // Doubling, up to the largest message (Beast ends a longer one with 1009 before reading it).
    const std::size_t capacity = std::min(server_.opt.maxBodyBytes + kReadChunk,
                                          std::max(size + kReadChunk, 2 * buffer_.capacity()));
    const std::size_t needed = capacity - kReadChunk;
    if (needed > held() && !hold(needed - held())) return false;
    buffer_.reserve(capacity);
    return true;
  }

  // Frees the message's buffer and gives back what it held.
  void releaseMessage() {
    buffer_.clear();
    if (buffer_.capacity() > kReadChunk) buffer_.shrink_to_fit();
    release();
  }

  void onRead(error_code ec, std::size_t) {
    if (ec) return;  // closed, timed out, or a message over the limit (Beast closes with 1009)
    if (discarding_) buffer_.clear();
    if (!ws_.is_message_done()) {
      read();
      return;
    }
    server_.wsMessages.fetch_add(1, std::memory_order_relaxed);
    if (discarding_) {
      discarding_ = false;
      server_.refusedBusy.fetch_add(1, std::memory_order_relaxed);
      send(boost::json::serialize(Dispatcher::errorResponse(
          nullptr, RpcError(code::kLimitExceeded, server_.busyMessage()))));
    } else {
      const auto data = buffer_.data();
      const std::string_view text(static_cast<const char*>(data.data()), data.size());
      // A batch's answers stop at half the send queue, so that asking for a large batch gets
      // -32003 for its tail instead of a dropped connection (the last answer may overshoot).
      CallContext ctx{&subs_, server_.opt.maxBatch,
                      std::min(server_.opt.maxBatchResponseBytes, server_.opt.maxWsQueueBytes / 2)};
      if (auto response = server_.dispatcher.handle(text, ctx)) send(std::move(*response));
    }
    releaseMessage();
    if (!closing_) read();
  }

  static constexpr std::size_t kReadChunk = 64 * 1024;

  // On the strand. Bounded: a client that does not read its messages loses the connection, and
  // when all connections together hold too much, the one that holds the most loses its own.
  void send(std::string message) {
    if (closing_) return;
    if (unsent_ + message.size() > server_.opt.maxWsQueueBytes) {
      drop();
      return;
    }
    count(message.size());
    queue_.push_back(std::move(message));
    if (!writing_) write();
    if (server_.wsUnsentBytes.load() > server_.opt.maxWsQueueBytesTotal) server_.shedWebSocket();
  }

  void count(std::size_t n) {
    unsent_ += n;
    server_.wsUnsentBytes += n;
  }
  void uncount(std::size_t n) {
    unsent_ -= n;
    server_.wsUnsentBytes -= n;
  }

  void write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()),
                    beast::bind_front_handler(&WsSession::onWrite, self()));
  }

  void onWrite(error_code ec, std::size_t) {
    writing_ = false;
    uncount(queue_.front().size());
    queue_.pop_front();
    if (ec) {
      drop();
      return;
    }
    if (!queue_.empty() && !closing_) write();
  }

  // Abrupt: a closing handshake would queue behind the backlog that made us drop the client.
  void drop() {
    closing_ = true;
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
    // Free the backlog now; the message being written stays until its handler runs.
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      uncount(queue_.back().size());
      queue_.pop_back();
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;  // the upgrade request, alive until accepted
  SubscriptionSet subs_;
  std::deque<std::string> queue_;
  std::atomic<std::size_t> unsent_{0};  // bytes in queue_; written on the strand
  bool discarding_ = false;             // the message being read did not fit the budget
  bool accepted_ = false;               // the handshake's response was written (or failed)
  bool writing_ = false;
  bool closing_ = false;
};

class HttpSession : public Session {
 public:
  HttpSession(ServerImpl& server, tcp::socket&& socket)
      : Session(server), stream_(std::move(socket)) {}

  void start() {
    track(false);
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::read, self()));
  }

  void close() override {
    net::post(stream_.get_executor(), [self = self()] {
      self->closing_ = true;
      if (!self->busy_) self->shutdown();  // else after the answer is written
    });
  }

 private:
  using Response = http::response<http::string_body>;

  std::shared_ptr<HttpSession> self() {
    return std::static_pointer_cast<HttpSession>(shared_from_this());
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(server_.opt.maxBodyBytes);
    parser_->header_limit(static_cast<uint32_t>(server_.opt.maxHeaderBytes));
    headerBytes_ = 0;
    stream_.expires_after(server_.opt.httpIdleTimeout);
    readHeader();
  }

  // The header is fed to the parser here, read by read, so that its total size can be checked:
  // Boost 1.81's parser applies header_limit only to the bytes it has not consumed yet, and header
  // fields sent a few hundred bytes at a time would pile up without bound. Beast reads the body.
  void readHeader() {
    error_code ec = http::error::need_more;
    if (buffer_.size() > 0) {
      const std::size_t used = parser_->put(buffer_.data(), ec);  // stops after the header
      buffer_.consume(used);
      headerBytes_ += used;
    }
    // Until the header is complete, every byte buffered belongs to it.
    const bool incomplete = ec == http::error::need_more;
    if ((!ec || incomplete) &&
        headerBytes_ + (incomplete ? buffer_.size() : 0) > server_.opt.maxHeaderBytes)
      ec = http::error::header_limit;
    // Any Transfer-Encoding but chunked leaves the body's length unknown (RFC 9112 6.3); Beast
    // would read no body, and the body would be taken for the next request.
    if (!ec && parser_->get().count(http::field::transfer_encoding) && !parser_->chunked())
      ec = http::error::bad_transfer_encoding;
    if (ec != http::error::need_more) {
      if (ec) return onRead(ec, 0);
      // Taken before the body is read: Beast reserves a declared length at once, and a chunked
      // body may grow to the limit.
      const std::uint64_t declared =
          parser_->chunked() ? server_.opt.maxBodyBytes : parser_->content_length().value_or(0);
      if (!hold(std::min<std::uint64_t>(declared, server_.opt.maxBodyBytes))) {
        auto res = busyAnswer(parser_->get());
        res->keep_alive(false);  // the body stays unread
        busy_ = true;
        send(std::move(res));
        return;
      }
      http::async_read(stream_, buffer_, *parser_,
                       beast::bind_front_handler(&HttpSession::onRead, self()));
      return;
    }
    stream_.async_read_some(buffer_.prepare(4096), [self = self()](error_code e, std::size_t n) {
      self->buffer_.commit(n);
      if (e) return self->onRead(e, 0);  // end of stream or timeout: closed
      self->readHeader();
    });
  }

  void onRead(error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      // Answer so the client learns why, then close without reading the rest.
      server_.refusedBodyTooLarge.fetch_add(1, std::memory_order_relaxed);
      auto res = errorAnswer(
          http::status::payload_too_large, parser_->get(), code::kInvalidRequest,
          "request body too large (max " + std::to_string(server_.opt.maxBodyBytes) + " bytes)");
      res->keep_alive(false);
      busy_ = true;
      send(std::move(res));
      return;
    }
    if (ec) {
      // end_of_stream, timeouts, malformed requests, oversized headers: just close.
      shutdown();
      return;
    }
    busy_ = true;
    http::request<http::string_body> req = parser_->release();
    if (websocket::is_upgrade(req)) {
      release();
      upgrade(std::move(req));
      return;
    }
    auto res = std::make_unique<Response>(handle(req));
    // From here the answer, not the request, is held until it is written.
    release();
    if (!hold(res->body().size())) {
      res = busyAnswer(req);
      res->keep_alive(req.keep_alive());
    }
    send(std::move(res));
  }

  // A JSON-RPC error as the whole answer, for a request that was not run (so without its id).
  std::unique_ptr<Response> errorAnswer(http::status status, const http::request_header<>& req,
                                        int rpcCode, const std::string& message) {
    auto res = std::make_unique<Response>(status, req.version());
    res->set(http::field::server, kServerName);
    allowOriginOf(*res, req[http::field::origin]);
    jsonBody(*res, boost::json::serialize(
                       Dispatcher::errorResponse(nullptr, RpcError(rpcCode, message))));
    return res;
  }
  std::unique_ptr<Response> busyAnswer(const http::request_header<>& req) {
    server_.refusedBusy.fetch_add(1, std::memory_order_relaxed);
    auto res = errorAnswer(http::status::service_unavailable, req, code::kLimitExceeded,
                           server_.busyMessage());
    res->set(http::field::retry_after, "1");
    return res;
  }

  void upgrade(http::request<http::string_body> req) {
    auto refuse = [&](http::status status, std::string_view why) {
      auto res = std::make_unique<Response>(status, req.version());
      res->set(http::field::content_type, "text/plain");
      res->body() = std::string(why);
      res->keep_alive(false);
      res->prepare_payload();
      send(std::move(res));
    };
    std::string_view origin = req[http::field::origin];
    // Browsers do not apply CORS to WebSockets, so the server checks the origin itself: as for
    // CORS, an empty list allows no browser page. Clients that send no Origin are not browsers.
    if (!origin.empty() && !server_.allowOrigin(origin))
      return refuse(http::status::forbidden, "origin not allowed\n");
    if (server_.stopping) return refuse(http::status::service_unavailable, "shutting down\n");
    std::size_t open;
    {
      std::lock_guard lock(server_.mu);
      open = server_.wsSessions.size();
    }
    if (open >= server_.opt.maxWsConnections) {
      server_.refusedWebSockets.fetch_add(1, std::memory_order_relaxed);
      return refuse(http::status::service_unavailable, "too many WebSocket connections\n");
    }
    auto ws = std::make_shared<WsSession>(server_, std::move(stream_));
    handOverConnection(*ws);
    ws->start(std::move(req));
  }

  // Lets a browser page of an allowed origin read the answer (CORS); false if it is not allowed.
  bool allowOriginOf(Response& res, std::string_view origin) {
    std::optional<std::string> allowed = server_.allowOrigin(origin);
    if (!allowed) return false;
    res.set(http::field::access_control_allow_origin, *allowed);
    res.set(http::field::vary, "Origin");
    return true;
  }

  void jsonBody(Response& res, std::string body) {
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    res.prepare_payload();
  }

  Response handle(const http::request<http::string_body>& req) {
    server_.httpRequests.fetch_add(1, std::memory_order_relaxed);
    Response res{http::status::ok, req.version()};
    res.set(http::field::server, kServerName);
    res.keep_alive(req.keep_alive());
    const bool allowed = allowOriginOf(res, req[http::field::origin]);
    auto text = [&](http::status status, std::string body) {
      res.result(status);
      res.set(http::field::content_type, "text/plain");
      res.body() = std::move(body);
      res.prepare_payload();
    };

    switch (req.method()) {
      case http::verb::options: {
        if (!req[http::field::origin].empty() && !allowed) {
          text(http::status::forbidden, "origin not allowed\n");
          break;
        }
        res.result(http::status::no_content);
        res.set(http::field::access_control_allow_methods, kAllowedMethods);
        std::string_view headers = req[http::field::access_control_request_headers];
        res.set(http::field::access_control_allow_headers,
                headers.empty() ? std::string_view("Content-Type") : headers);
        res.set(http::field::access_control_max_age, "600");
        res.prepare_payload();
        break;
      }
      case http::verb::head:  // GET's answer without its body
      case http::verb::get: {
        if (req.target() == "/metrics" && server_.opt.metrics) {
          try {
            MetricsText metrics;
            server_.opt.metrics(metrics);
            server_.writeMetrics(metrics);
            res.set(http::field::content_type, MetricsText::kContentType);
            res.body() = metrics.take();
            res.prepare_payload();
          } catch (const std::exception& e) {
            text(http::status::service_unavailable,
                 std::string("metrics unavailable: ") + e.what() + "\n");
          }
          break;
        }
        if (req.target() != "/") {
          text(http::status::not_found, "not found\n");
          break;
        }
        boost::json::value health = boost::json::object{{"status", "ok"}};
        if (server_.opt.health) {
          try {
            health = server_.opt.health();
          } catch (const std::exception& e) {
            res.result(http::status::service_unavailable);
            health = boost::json::object{{"status", "error"}, {"error", e.what()}};
          }
        }
        jsonBody(res, boost::json::serialize(health));
        break;
      }
      case http::verb::post: {
        if (!isJsonContentType(req[http::field::content_type])) {
          text(http::status::unsupported_media_type,
               "invalid content type, only application/json is supported\n");
          break;
        }
        CallContext ctx{nullptr, server_.opt.maxBatch, server_.opt.maxBatchResponseBytes};
        if (auto body = server_.dispatcher.handle(req.body(), ctx)) {
          jsonBody(res, std::move(*body));
        } else {
          res.result(http::status::no_content);  // notifications only
          res.prepare_payload();
        }
        break;
      }
      default:
        res.set(http::field::allow, kAllowedMethods);
        text(http::status::method_not_allowed, "method not allowed\n");
    }
    if (req.method() == http::verb::head) {
      // RFC 9110 §9.3.2: the GET answer's fields, Content-Length included, and no content (a
      // body here would be read as the start of the next response).
      const std::size_t length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    return res;
  }

  void send(std::unique_ptr<Response> res) {
    res_ = std::move(res);
    stream_.expires_after(server_.opt.httpIdleTimeout);
    http::async_write(stream_, *res_, beast::bind_front_handler(&HttpSession::onWrite, self()));
  }

  void onWrite(error_code ec, std::size_t) {
    release();
    busy_ = false;
    bool keepAlive = res_->keep_alive();
    res_.reset();
    if (ec || !keepAlive || closing_) {
      lingerClose();
      return;
    }
    read();
  }

  // Half-close, then read and discard until the peer closes (bounded by a short timer): closing
  // with unread input would reset the connection and could destroy the answer in flight.
  void lingerClose() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(drain_), [self = self()](error_code ec, std::size_t) {
      if (ec) {
        self->shutdown();
        return;
      }
      self->drain();
    });
  }

  void shutdown() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<Response> res_;
  std::array<char, 4096> drain_;
  std::size_t headerBytes_ = 0;  // of the request being read, parsed so far
  bool busy_ = false;
  bool closing_ = false;
};

}  // namespace

void ServerImpl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
    if (!acceptor.is_open() || stopping) return;
    if (ec) {
      // Out of descriptors or similar: retry shortly instead of spinning.
      acceptRetry.expires_after(std::chrono::milliseconds(100));
      acceptRetry.async_wait([this](error_code e) {
        if (!e) accept();
      });
      return;
    }
    if (liveConnections.load() >= opt.maxConnections) {
      refusedConnections.fetch_add(1, std::memory_order_relaxed);
      error_code ignored;
      socket.close(ignored);  // full: refused before reading anything
    } else {
      try {
        std::make_shared<HttpSession>(*this, std::move(socket))->start();
      } catch (const std::exception& e) {  // out of memory, say: drop this one, keep accepting
        std::fprintf(stderr, "rpc: connection dropped: %s\n", e.what());
      }
    }
    accept();
  });
}

void ServerImpl::runThread() {
  // A handler that throws must not take the node down: note it and keep serving.
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rpc: unexpected exception in io thread: %s\n", e.what());
    }
  }
}

void ServerImpl::writeMetrics(MetricsText& out) {
  std::size_t http = 0, ws = 0;
  {
    std::lock_guard lock(mu);
    http = httpSessions.size();
    ws = wsSessions.size();
  }
  auto load = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  using Type = MetricsText::Type;
  out.family("treasurenet_rpc_connections", Type::Gauge, "Open JSON-RPC connections.")
      .sample(http, {{"kind", "http"}})
      .sample(ws, {{"kind", "websocket"}});
  out.counter("treasurenet_rpc_http_requests_total",
              "HTTP requests answered (POST, GET, HEAD, OPTIONS and refused methods).",
              load(httpRequests));
  out.counter("treasurenet_rpc_websocket_messages_total", "WebSocket messages received.",
              load(wsMessages));
  out.family("treasurenet_rpc_refusals_total", Type::Counter,
             "Connections and requests refused by the server's limits (docs/RPC.md).")
      .sample(load(refusedConnections), {{"reason", "connections"}})
      .sample(load(refusedWebSockets), {{"reason", "websockets"}})
      .sample(load(refusedBusy), {{"reason", "busy"}})
      .sample(load(refusedBodyTooLarge), {{"reason", "body_too_large"}});
  out.gauge("treasurenet_rpc_in_flight_bytes",
            "Bytes of requests and answers held now (of rpcMaxInFlightBytes).",
            inFlightBytes.load());
  out.gauge("treasurenet_rpc_websocket_unsent_bytes",
            "Bytes queued for WebSocket clients and not yet written.", wsUnsentBytes.load());
}

Server::Server(ServerOptions options, const Dispatcher& dispatcher) {
  if (options.maxInFlightBytes < options.maxBodyBytes)
    throw std::invalid_argument("rpc: the in-flight budget (rpcMaxInFlightBytes, " +
                                std::to_string(options.maxInFlightBytes) +
                                " bytes) is smaller than one request body (rpcMaxBodyBytes, " +
                                std::to_string(options.maxBodyBytes) + " bytes)");
  impl_ = std::make_unique<ServerImpl>(std::move(options), dispatcher);
}

Server::~Server() { stop(); }

void Server::start() {
  if (impl_->started.exchange(true)) throw std::logic_error("rpc server already started");
  auto& s = *impl_;
  tcp::endpoint ep{net::ip::make_address(s.opt.bindAddress), s.opt.port};
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(net::socket_base::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen(net::socket_base::max_listen_connections);
  s.boundPort = s.acceptor.local_endpoint().port();
  s.accept();
  if (s.opt.pendingTransactions) {
    // From now on: a cursor past the count reads nothing and returns the count.
    s.pendingCursor = s.opt.pendingTransactions(std::numeric_limits<uint64_t>::max()).cursor;
    net::post(s.pendingTimer.get_executor(), [&s] { s.pollPending(); });
  }
  unsigned n = std::max(1u, s.opt.ioThreads);
  s.threads.reserve(n);
  for (unsigned i = 0; i < n; ++i) s.threads.emplace_back([&s] { s.runThread(); });
}

void Server::stop() {
  auto& s = *impl_;
  if (!s.started || s.stopping.exchange(true)) return;
  net::post(s.acceptor.get_executor(), [&s] {
    error_code ignored;
    s.acceptor.close(ignored);
    s.acceptRetry.cancel();
  });
  net::post(s.pendingTimer.get_executor(), [&s] { s.pendingTimer.cancel(); });
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(s.mu);
    for (auto* map : {&s.httpSessions, &s.wsSessions})
      for (auto& [id, weak] : *map)
        if (auto p = weak.lock()) open.push_back(std::move(p));
  }
  for (auto& session : open) session->close();
  open.clear();
  auto deadline = std::chrono::steady_clock::now() + s.opt.stopGrace;
  while (s.liveConnections > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  s.ioc.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
}

uint16_t Server::port() const { return impl_->boundPort; }

std::vector<std::shared_ptr<Session>> detail::ServerImpl::webSockets() {
  std::vector<std::shared_ptr<Session>> out;
  std::lock_guard lock(mu);
  out.reserve(wsSessions.size());
  for (auto& [id, weak] : wsSessions)
    if (auto p = weak.lock()) out.push_back(std::move(p));
  return out;
}

void detail::ServerImpl::pollPending() {
  if (stopping) return;
  try {
    // Without WebSocket connections only the count is read (a cursor past it copies nothing).
    auto targets = webSockets();
    PoolAdmissions a = opt.pendingTransactions(
        targets.empty() ? std::numeric_limits<uint64_t>::max() : pendingCursor);
    pendingCursor = a.cursor;
    if (!a.hashes.empty()) {
      auto hashes = std::make_shared<std::vector<std::string>>();
      hashes->reserve(a.hashes.size());
      for (const Hash32& h : a.hashes) hashes->push_back("\"" + h.hex() + "\"");
      for (auto& t : targets) t->deliverPending(hashes);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rpc: reading the pool's admissions failed: %s\n", e.what());
  }
  pendingTimer.expires_after(opt.pendingPollInterval);
  pendingTimer.async_wait([this](error_code ec) {
    if (!ec) pollPending();
  });
}

void Server::publishBlock(const Block& block, const std::vector<Receipt>& receipts) {
  auto& s = *impl_;
  std::vector<std::shared_ptr<Session>> targets = s.webSockets();
  if (targets.empty()) return;  // nobody listens: skip rendering
  auto published = PublishedBlock::make(block, block.header.hash(), receipts);
  for (auto& t : targets) t->deliver(published);
}

std::size_t Server::inFlightBytes() const {
  return impl_->inFlightBytes.load();
}

std::size_t Server::webSocketUnsentBytes() const {
  return impl_->wsUnsentBytes.load();
}

std::size_t Server::webSocketConnections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->wsSessions.size();
}

}  // namespace tn::rpc
