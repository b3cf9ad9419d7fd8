// The Beast server on a loopback ephemeral port: HTTP POST, limits, CORS, health, and WebSocket
// requests and subscriptions. The only test translation unit that instantiates Beast and Asio.
#include "rpc/server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "rpc/eth_api.hpp"
#include "tests/unit/rpc/exposition.hpp"
#include "tests/unit/rpc/fake_backend.hpp"

namespace tn::rpc {

namespace json = boost::json;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast::error_code;
using namespace std::chrono_literals;
using test::addr;
using test::FakeBackend;
using test::filled;

namespace {

constexpr const char* kAllowed = "http://allowed.example";
constexpr const char* kEvil = "http://evil.example";

ServerOptions testOptions() {
  ServerOptions o;
  o.port = 0;
  o.ioThreads = 2;
  o.maxBodyBytes = 4096;
  o.maxBatch = 3;
  o.corsOrigins = {kAllowed};
  o.stopGrace = 500ms;
  return o;
}

// A node's RPC side over the fake backend, listening on an ephemeral loopback port.
struct Running {
  FakeBackend be;
  Dispatcher d;
  std::unique_ptr<Server> server;

  explicit Running(ServerOptions o = testOptions(), bool withHealth = true) {
    addEthApi(d, be);
    if (!o.pendingTransactions)
      o.pendingTransactions = [this](uint64_t cursor) { return be.admittedSince(cursor); };
    if (withHealth) {
      o.health = [this] {
        return json::value(json::object{{"status", "ok"}, {"height", be.latestBlockNumber()}});
      };
    }
    server = std::make_unique<Server>(std::move(o), d);
    server->start();
    REQUIRE(server->port() != 0);
  }
  uint16_t port() const { return server->port(); }
  void publish(uint64_t n) { server->publishBlock(be.chain().blocks[n].block, be.chain().receipts[n]); }
};

// Runs an asynchronous operation to completion; a stuck one fails after `limit` instead of
// hanging the test run.
template <class Start>
error_code await(net::io_context& ioc, Start&& start, std::chrono::milliseconds limit = 5000ms) {
  std::optional<error_code> result;
  start([&](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!result && std::chrono::steady_clock::now() < deadline)
    ioc.run_one_until(deadline);
  return result.value_or(net::error::timed_out);
}

// For the tests that watch the server's bytes on the wire during WebSocket handshakes.
const std::string kUpgradeRequest =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// `n` raw connections, each sending its upgrade request as soon as it is connected.
std::vector<tcp::socket> sendUpgrades(net::io_context& ioc, uint16_t port, int n) {
  std::vector<tcp::socket> clients;
  for (int i = 0; i < n; ++i) {
    clients.emplace_back(ioc);
    clients.back().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    net::write(clients.back(), net::buffer(kUpgradeRequest));
  }
  return clients;
}

// Appends what one read from `c` brings to `got`; the read's error.
error_code readSome(net::io_context& ioc, tcp::socket& c, std::string& got) {
  char chunk[512];
  std::size_t n = 0;
  error_code ec = await(ioc, [&](auto h) {
    c.async_read_some(net::buffer(chunk), [&n, h](error_code e, std::size_t k) mutable {
      n = k;
      h(e);
    });
  });
  got.append(chunk, n);
  return ec;
}

using Response = http::response<http::string_body>;

// One keep-alive HTTP/1.1 connection.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port) {
    error_code ec = await(ioc_, [&](auto h) {
      stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), h);
    });
    REQUIRE_MESSAGE(!ec, ec.message());
  }

  Response send(http::verb verb, std::string target, std::string body,
                std::vector<std::pair<http::field, std::string>> headers) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    error_code ec = await(ioc_, [&](auto h) { http::async_write(stream_, req, h); });
    REQUIRE_MESSAGE(!ec, ec.message());
    Response res;
    ec = await(ioc_, [&](auto h) { http::async_read(stream_, buffer_, res, h); });
    REQUIRE_MESSAGE(!ec, ec.message());
    return res;
  }
  Response post(std::string body, std::vector<std::pair<http::field, std::string>> headers = {}) {
    headers.emplace_back(http::field::content_type, "application/json");
    return send(http::verb::post, "/", std::move(body), std::move(headers));
  }
  // True when the server has closed its side: the next read ends without data. Waits at most
  // `limit`, then cancels the read, so that the connection stays usable when it is open.
  bool closedByServer(std::chrono::milliseconds limit = 5000ms) {
    char byte;
    std::optional<error_code> result;
    stream_.async_read_some(net::buffer(&byte, 1),
                            [&](error_code ec, std::size_t) { result = ec; });
    ioc_.restart();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!result && std::chrono::steady_clock::now() < deadline) ioc_.run_one_until(deadline);
    if (!result) {
      stream_.socket().cancel();
      while (!result) ioc_.run_one();
    }
    return *result == net::error::eof || *result == net::error::connection_reset;
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

json::value jsonBody(const Response& res) {
  CHECK(res[http::field::content_type] == "application/json");
  return json::parse(res.body());
}

// A WebSocket client; a read may be left pending across calls so that "nothing arrives within
// t" can be checked without losing what arrives later.
class WsClient {
 public:
  WsClient(uint16_t port, std::string origin = {}) {
    error_code ec = await(ioc_, [&](auto h) {
      beast::get_lowest_layer(ws_).async_connect(
          tcp::endpoint(net::ip::make_address("127.0.0.1"), port), h);
    });
    REQUIRE_MESSAGE(!ec, ec.message());
    ws_.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
      if (!origin.empty()) req.set(http::field::origin, origin);
    }));
    handshake = await(ioc_, [&](auto h) { ws_.async_handshake(response, "127.0.0.1", "/", h); });
  }

  void send(const std::string& text) {
    ws_.text(true);
    error_code ec = await(ioc_, [&](auto h) { ws_.async_write(net::buffer(text), h); });
    REQUIRE_MESSAGE(!ec, ec.message());
  }
  // The next message, or nullopt when none arrives within `limit` or the connection ended
  // (then `error` says why).
  std::optional<std::string> read(std::chrono::milliseconds limit = 5000ms) {
    if (!reading_) {
      reading_ = true;
      done_.reset();
      ws_.async_read(buffer_, [this](error_code ec, std::size_t) { done_ = ec; });
    }
    ioc_.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done_ && std::chrono::steady_clock::now() < deadline) ioc_.run_one_until(deadline);
    if (!done_) return std::nullopt;
    reading_ = false;
    error = *done_;
    if (error) return std::nullopt;
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return text;
  }
  json::value readJson() {
    auto m = read();
    REQUIRE_MESSAGE(m.has_value(), error.message());
    return json::parse(*m);
  }
  json::value call(const std::string& request) {
    send(request);
    return readJson();
  }
  websocket::close_reason closeReason() const { return ws_.reason(); }

  error_code handshake;
  websocket::response_type response;
  error_code error;

 private:
  net::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  beast::flat_buffer buffer_;
  bool reading_ = false;
  std::optional<error_code> done_;
};

std::string request(int id, std::string_view method, std::string_view params = "[]") {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + std::string(method) +
         R"(","params":)" + std::string(params) + "}";
}

}  // namespace

TEST_SUITE("rpc server") {

TEST_CASE("HTTP POST: requests on a keep-alive connection, batches and notifications") {
  Running node;
  HttpClient c(node.port());
  Response res = c.post(request(1, "eth_blockNumber"));
  CHECK(res.result() == http::status::ok);
  CHECK(res[http::field::server] == "treasurenetd");
  CHECK(jsonBody(res) == json::parse(R"({"jsonrpc":"2.0","id":1,"result":"0x9"})"));
  CHECK(res.keep_alive());

  res = c.post("[" + request(1, "eth_chainId") + "," + request(2, "net_version") + "]",
               {{http::field::content_type, "application/json; charset=utf-8"}});
  CHECK(jsonBody(res) == json::parse(R"([{"jsonrpc":"2.0","id":1,"result":"0x1b58"},
                                         {"jsonrpc":"2.0","id":2,"result":"7000"}])"));

  // maxBatch is 3.
  res = c.post("[" + request(1, "eth_chainId") + "," + request(2, "eth_chainId") + "," +
               request(3, "eth_chainId") + "," + request(4, "eth_chainId") + "]");
  json::value tooMany = jsonBody(res);
  CHECK(tooMany.at("error").at("code") == -32600);
  CHECK(tooMany.at("error").at("message") == "batch too large: 4 requests, max 3");

  // Notifications only: 204 without a body.
  res = c.post(R"({"jsonrpc":"2.0","method":"eth_chainId"})");
  CHECK(res.result() == http::status::no_content);
  CHECK(res.body().empty());

  res = c.post("{oops");
  CHECK(res.result() == http::status::ok);
  CHECK(jsonBody(res).at("error").at("code") == -32700);

  // No notifications over HTTP.
  CHECK(jsonBody(c.post(request(5, "eth_subscribe", R"(["newHeads"])"))).at("error").at("code") ==
        -32601);

  // Only JSON content types.
  res = c.send(http::verb::post, "/", request(6, "eth_chainId"),
               {{http::field::content_type, "text/plain"}});
  CHECK(res.result() == http::status::unsupported_media_type);
  res = c.send(http::verb::post, "/", request(6, "eth_chainId"), {});
  CHECK(res.result() == http::status::unsupported_media_type);
}

TEST_CASE("HTTP body-size limit: 413 with a JSON-RPC error, then the connection closes") {
  Running node;  // maxBodyBytes 4096
  auto sha3 = [](std::size_t bodySize) {
    const std::string head = R"({"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x)";
    std::size_t digits = bodySize - head.size() - 3;  // 3: "]}
    const std::string pad = digits % 2 ? " " : "";     // hex data has an even number of digits
    digits -= pad.size();
    return head + std::string(digits, 'a') + "\"" + pad + "]}";
  };
  HttpClient ok(node.port());
  const std::string atLimit = sha3(4096);
  REQUIRE(atLimit.size() == 4096);
  Response res = ok.post(atLimit);
  CHECK(res.result() == http::status::ok);
  CHECK(jsonBody(res).at("result").is_string());

  HttpClient c(node.port());
  res = c.post(sha3(5000));
  CHECK(res.result() == http::status::payload_too_large);
  const json::value tooLarge = json::parse(
      R"j({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"request body too large (max 4096 bytes)"}})j");
  CHECK(jsonBody(res) == tooLarge);
  CHECK_FALSE(res.keep_alive());
  CHECK(c.closedByServer());
}

TEST_CASE("CORS: preflight and response headers for the configured origins") {
  Running node;  // corsOrigins: http://allowed.example
  HttpClient c(node.port());
  Response res = c.send(http::verb::options, "/", "",
                        {{http::field::origin, kAllowed},
                         {http::field::access_control_request_method, "POST"},
                         {http::field::access_control_request_headers, "content-type"}});
  CHECK(res.result() == http::status::no_content);
  CHECK(res[http::field::access_control_allow_origin] == kAllowed);
  CHECK(res[http::field::access_control_allow_methods].find("POST") != std::string_view::npos);
  CHECK(res[http::field::access_control_allow_headers] == "content-type");
  CHECK(res[http::field::access_control_max_age] == "600");
  CHECK(res[http::field::vary] == "Origin");

  res = c.send(http::verb::options, "/", "",
               {{http::field::origin, kEvil}, {http::field::access_control_request_method, "POST"}});
  CHECK(res.result() == http::status::forbidden);
  CHECK(res.count(http::field::access_control_allow_origin) == 0);

  res = c.post(request(1, "eth_chainId"), {{http::field::origin, kAllowed}});
  CHECK(res[http::field::access_control_allow_origin] == kAllowed);
  res = c.post(request(1, "eth_chainId"), {{http::field::origin, kEvil}});
  CHECK(res.result() == http::status::ok);  // answered, but a browser will not show it
  CHECK(res.count(http::field::access_control_allow_origin) == 0);
  res = c.post(request(1, "eth_chainId"));
  CHECK(res.count(http::field::access_control_allow_origin) == 0);

  ServerOptions any = testOptions();
  any.corsOrigins = {"*"};
  Running anyNode(any);
  HttpClient o(anyNode.port());
  res = o.send(http::verb::options, "/", "", {{http::field::origin, kEvil}});
  CHECK(res.result() == http::status::no_content);
  CHECK(res[http::field::access_control_allow_origin] == "*");

  ServerOptions none = testOptions();
  none.corsOrigins = {};
  Running noneNode(none);
  HttpClient n(noneNode.port());
  res = n.send(http::verb::options, "/", "", {{http::field::origin, kAllowed}});
  CHECK(res.result() == http::status::forbidden);
}

TEST_CASE("GET / is the health check; other targets and methods are refused") {
  Running node;
  HttpClient c(node.port());
  Response res = c.send(http::verb::get, "/", "", {});
  CHECK(res.result() == http::status::ok);
  CHECK(jsonBody(res) == json::parse(R"({"status":"ok","height":9})"));
  res = c.send(http::verb::get, "/metrics", "", {});
  CHECK(res.result() == http::status::not_found);
  res = c.send(http::verb::put, "/", "", {});
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::allow] == "POST, GET, HEAD, OPTIONS");

  Running plain(testOptions(), false);
  HttpClient p(plain.port());
  CHECK(jsonBody(p.send(http::verb::get, "/", "", {})) == json::parse(R"({"status":"ok"})"));

  ServerOptions failing = testOptions();
  failing.health = []() -> json::value { throw std::runtime_error("database closed"); };
  Running sick(failing, false);
  HttpClient s(sick.port());
  res = s.send(http::verb::get, "/", "", {});
  CHECK(res.result() == http::status::service_unavailable);
  CHECK(jsonBody(res) == json::parse(R"({"status":"error","error":"database closed"})"));
}

TEST_CASE("GET /metrics: the node's families, then the server's, as Prometheus text") {
  ServerOptions o = testOptions();
  o.metrics = [](MetricsText& m) {
    m.gauge("treasurenet_chain_height", "Number of the committed head block.", 9);
  };
  Running node(o);
  HttpClient c(node.port());
  c.post(request(1, "eth_blockNumber"));
  Response res = c.send(http::verb::get, "/metrics", "", {});
  CHECK(res.result() == http::status::ok);
  CHECK(res[http::field::content_type] == MetricsText::kContentType);
  test::Exposition e = test::parseExposition(res.body());
  CHECK(res.body().starts_with("# HELP treasurenet_chain_height "));
  CHECK(e.at("treasurenet_chain_height") == 9);
  // This connection is the one open; the POST and this GET were its requests.
  CHECK(e.at("treasurenet_rpc_connections{kind=\"http\"}") == 1);
  CHECK(e.at("treasurenet_rpc_connections{kind=\"websocket\"}") == 0);
  CHECK(e.at("treasurenet_rpc_http_requests_total") == 2);
  CHECK(e.at("treasurenet_rpc_refusals_total{reason=\"body_too_large\"}") == 0);
  CHECK(e.types.at("treasurenet_rpc_in_flight_bytes") == "gauge");

  // Refusals are counted by reason: a body over the limit, and a WebSocket message.
  {
    HttpClient big(node.port());
    CHECK(big.post(std::string(5000, ' ')).result() == http::status::payload_too_large);
  }
  WsClient ws(node.port());
  REQUIRE_MESSAGE(!ws.handshake, ws.handshake.message());
  ws.call(request(2, "eth_chainId"));
  e = test::parseExposition(c.send(http::verb::get, "/metrics", "", {}).body());
  CHECK(e.at("treasurenet_rpc_refusals_total{reason=\"body_too_large\"}") == 1);
  CHECK(e.at("treasurenet_rpc_refusals_total{reason=\"busy\"}") == 0);
  CHECK(e.at("treasurenet_rpc_connections{kind=\"websocket\"}") == 1);
  CHECK(e.at("treasurenet_rpc_websocket_messages_total") == 1);

  // A WebSocket beyond maxWsConnections, and a connection beyond maxConnections, are counted.
  ServerOptions small = testOptions();
  small.maxWsConnections = 1;
  small.maxConnections = 3;
  small.metrics = [](MetricsText&) {};
  Running full(small);
  HttpClient scraper(full.port());
  WsClient first(full.port());
  REQUIRE_MESSAGE(!first.handshake, first.handshake.message());
  WsClient second(full.port());
  CHECK(second.handshake);  // 503 "too many WebSocket connections"
  auto scrape = [&] {
    return test::parseExposition(scraper.send(http::verb::get, "/metrics", "", {}).body());
  };
  CHECK(scrape().at("treasurenet_rpc_refusals_total{reason=\"websockets\"}") == 1);
  {
    // The scraper and the WebSocket hold two of three; the refused upgrade's connection closes
    // after its answer. Wait for it, then take the third place and try a fourth.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (scrape().at("treasurenet_rpc_connections{kind=\"http\"}") > 1 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    HttpClient third(full.port());
    HttpClient fourth(full.port());  // accepted by the kernel, closed by the server at once
    CHECK(fourth.closedByServer());
    CHECK(scrape().at("treasurenet_rpc_refusals_total{reason=\"connections\"}") == 1);
  }

  // A node whose figures cannot be read answers 503 with the reason, and keeps serving.
  ServerOptions failing = testOptions();
  failing.metrics = [](MetricsText&) { throw std::runtime_error("store closed"); };
  Running sick(failing);
  HttpClient s(sick.port());
  res = s.send(http::verb::get, "/metrics", "", {});
  CHECK(res.result() == http::status::service_unavailable);
  CHECK(res.body() == "metrics unavailable: store closed\n");
  CHECK(jsonBody(s.post(request(3, "eth_blockNumber"))).at("result") == "0x9");
}

TEST_CASE("WebSocket: newPendingTransactions notifies the hashes the pool admits") {
  ServerOptions o = testOptions();
  o.pendingPollInterval = 20ms;
  Running node(o);
  WsClient ws(node.port());
  REQUIRE_MESSAGE(!ws.handshake, ws.handshake.message());
  json::value heads = ws.call(request(1, "eth_subscribe", R"(["newHeads"])")).at("result");
  json::value pending =
      ws.call(request(2, "eth_subscribe", R"(["newPendingTransactions"])")).at("result");
  REQUIRE(pending.is_string());
  CHECK(ws.call(request(3, "eth_subscribe", R"(["newPendingTransactions", true])"))
            .at("error")
            .at("code") == -32602);
  std::vector<std::string> sent;
  for (uint64_t i = 0; i < 3; ++i) {
    Transaction t = test::fundedTransfer(test::kFundedNonce + i);
    // Over HTTP-like dispatch, as another client would: the pool, not the connection, is the
    // source.
    CallContext http;
    node.d.handle(request(10 + int(i), "eth_sendRawTransaction", "[\"" + toHex(t.raw) + "\"]"),
                  http);
    sent.push_back(t.hash.hex());
  }
  std::vector<std::string> got;
  while (got.size() < sent.size()) {
    json::value note = ws.readJson();
    CHECK(note.at("method") == "eth_subscription");
    CHECK(note.at("params").at("subscription") == pending);  // never the newHeads one
    got.emplace_back(note.at("params").at("result").as_string());
  }
  CHECK(got == sent);
  CHECK_FALSE(ws.read(200ms).has_value());  // each once
  CHECK(ws.call(request(4, "eth_unsubscribe", "[" + json::serialize(heads) + "]")).at("result") ==
        true);
}

TEST_CASE("WebSocket: a failed read of the pool's admissions loses none of them") {
  // The 2nd to 4th reads throw (a pool being torn down, say): the server logs them, keeps its
  // cursor and polling, and delivers the hashes admitted meanwhile on the next good read.
  std::atomic<int> reads{0};
  std::atomic<FakeBackend*> backend{nullptr};  // the running node's, once it is constructed
  ServerOptions o = testOptions();
  o.pendingPollInterval = 20ms;
  o.pendingTransactions = [&](uint64_t cursor) {
    const int n = ++reads;
    if (n >= 2 && n <= 4) throw std::runtime_error("pool unavailable");
    FakeBackend* be = backend.load();
    return be ? be->admittedSince(cursor) : PoolAdmissions{{}, 0};  // read at start: empty pool
  };
  std::optional<Running> node;
  node.emplace(o);
  backend = &node->be;
  WsClient ws(node->port());
  REQUIRE_MESSAGE(!ws.handshake, ws.handshake.message());
  json::value pending =
      ws.call(request(1, "eth_subscribe", R"(["newPendingTransactions"])")).at("result");
  Transaction t = test::fundedTransfer(test::kFundedNonce);
  CallContext http;
  node->d.handle(request(2, "eth_sendRawTransaction", "[\"" + toHex(t.raw) + "\"]"), http);
  json::value note = ws.readJson();
  CHECK(note.at("params").at("subscription") == pending);
  CHECK(note.at("params").at("result").as_string() == t.hash.hex());
  CHECK(reads.load() > 4);
  CHECK(ws.call(request(3, "eth_chainId")).at("result") == "0x1b58");
}

TEST_CASE("WebSocket: requests, subscriptions and notifications after publishBlock") {
  Running node;
  WsClient ws(node.port());
  REQUIRE_MESSAGE(!ws.handshake, ws.handshake.message());
  CHECK(ws.response.result() == http::status::switching_protocols);

  CHECK(ws.call(request(1, "eth_chainId")) == json::parse(R"({"jsonrpc":"2.0","id":1,"result":"0x1b58"})"));
  // A notification gets no answer; the next request's answer comes next.
  ws.send(R"({"jsonrpc":"2.0","method":"eth_chainId"})");
  CHECK_FALSE(ws.read(200ms).has_value());
  ws.send(request(2, "eth_blockNumber"));  // the read left pending above gets this answer
  CHECK(ws.readJson().at("id") == 2);
  CHECK(ws.call("{oops").at("error").at("code") == -32700);

  json::value heads = ws.call(request(3, "eth_subscribe", R"(["newHeads"])")).at("result");
  REQUIRE(heads.is_string());
  json::value logs = ws.call(request(4, "eth_subscribe", R"(["logs",{"address":")" + addr(0xaa).hex() +
                                                             R"(","topics":[null,")" +
                                                             filled(0x01).hex() + R"("]}])"))
                         .at("result");
  REQUIRE(logs.is_string());
  CHECK(node.server->webSocketConnections() == 1);

  // Block 5: a head, and its second log matches the logs subscription.
  node.publish(5);
  const Hash32 hash5 = node.be.chain().blocks[5].block.header.hash();
  json::value head = ws.readJson();
  CHECK(head.at("jsonrpc") == "2.0");
  CHECK(head.at("method") == "eth_subscription");
  CHECK_FALSE(head.as_object().contains("id"));
  CHECK(head.at("params").at("subscription") == heads);
  CHECK(head.at("params").at("result").at("number") == "0x5");
  CHECK(head.at("params").at("result").at("hash") == json::value(hash5.hex()));
  json::value log = ws.readJson();
  CHECK(log.at("params").at("subscription") == logs);
  const json::value expectedLog{{"address", addr(0xaa).hex()},
                                {"topics", json::array{filled(0x77).hex(), filled(0x01).hex()}},
                                {"data", "0x0102"},
                                {"blockNumber", "0x5"},
                                {"transactionHash", filled(0x11).hex()},
                                {"transactionIndex", "0x1"},
                                {"blockHash", hash5.hex()},  // the header's hash, as published
                                {"logIndex", "0x1"},
                                {"removed", false}};
  CHECK(log.at("params").at("result") == expectedLog);

  // Unsubscribe newHeads in a batch; block 3 (no logs) then sends nothing.
  CHECK(ws.call("[" + request(5, "eth_unsubscribe", "[" + json::serialize(heads) + "]") + "]") ==
        json::parse(R"([{"jsonrpc":"2.0","id":5,"result":true}])"));
  node.publish(3);
  CHECK_FALSE(ws.read(300ms).has_value());
  node.publish(8);
  json::value log8 = ws.readJson();
  CHECK(log8.at("params").at("subscription") == logs);
  CHECK(log8.at("params").at("result").at("blockNumber") == "0x8");
  CHECK(log8.at("params").at("result").at("transactionHash") == json::value(filled(26).hex()));
}

TEST_CASE(
    "connection cap: one connection over maxConnections is closed at once; a freed slot serves") {
  ServerOptions o = testOptions();
  o.maxConnections = 3;
  Running node(o);
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<HttpClient>(node.port()));
    CHECK(clients.back()->send(http::verb::get, "/", "", {}).result() == http::status::ok);
  }
  HttpClient extra(node.port());  // the kernel completes the connection; the server closes it
  CHECK(extra.closedByServer());
  for (auto& c : clients)  // the three keep being served
    CHECK(c->send(http::verb::get, "/", "", {}).result() == http::status::ok);

  clients.pop_back();  // a slot frees once the server has seen the close
  std::unique_ptr<HttpClient> next;
  for (int attempt = 0; attempt < 50 && !next; ++attempt) {
    next = std::make_unique<HttpClient>(node.port());
    if (next->closedByServer(200ms)) next.reset();  // refused: the slot was not free yet
  }
  REQUIRE(next);
  CHECK(next->send(http::verb::get, "/", "", {}).result() == http::status::ok);
}

// Two clients subscribe to newHeads; heads are published until the server drops the one that
// never reads (at most 40,000). The reader must lose nothing, and once the slow one is gone the
// unsent bytes counted for all connections must come back to what the reader holds: nothing.
void publishUntilSlowClientDropped(Running & node) {
  WsClient slow(node.port()), reader(node.port());
  REQUIRE_FALSE(slow.handshake);
  REQUIRE_FALSE(reader.handshake);
  for (WsClient* c : {&slow, &reader})
    REQUIRE(c->call(request(1, "eth_subscribe", R"(["newHeads"])")).at("result").is_string());
  REQUIRE(node.server->webSocketConnections() == 2);

  // The kernel's socket buffers take a few MB of the slow client's notifications first; after
  // that they wait in the server's queue.
  std::size_t published = 0, read = 0;
  while (published < 40'000 && node.server->webSocketConnections() == 2) {
    node.publish(5);
    ++published;
    if (published % 32 == 0)
      while (read < published && reader.read(2000ms)) ++read;
  }
  CHECK(node.server->webSocketConnections() == 1);
  while (read < published && reader.read(2000ms)) ++read;
  CHECK(read == published);  // the reading client lost nothing
  std::size_t slowRead = 0;
  while (slow.read(2000ms)) ++slowRead;
  CHECK(slowRead < published);
  CHECK(slow.error);  // its connection ended
  MESSAGE(published, " heads published; the slow client got ", slowRead, " before it was dropped");
  for (int i = 0; i < 200 && node.server->webSocketUnsentBytes() != 0; ++i)
    std::this_thread::sleep_for(10ms);  // the reader's last write completes
  CHECK(node.server->webSocketUnsentBytes() == 0);
}

TEST_CASE(
    "WebSocket: a client that does not read is dropped at maxWsQueueBytes; a reading one keeps "
    "up") {
  ServerOptions o = testOptions();
  o.maxWsQueueBytes = 64 * 1024;
  Running node(o);
  publishUntilSlowClientDropped(node);
}

TEST_CASE(
    "WebSocket: past the total of unsent bytes, the connection holding the most is dropped; a "
    "reading one keeps up") {
  ServerOptions o = testOptions();
  o.maxWsQueueBytes = 64 * 1024 * 1024;  // per connection: out of reach here
  o.maxWsQueueBytesTotal = 128 * 1024;
  Running node(o);
  publishUntilSlowClientDropped(node);
}

TEST_CASE("WebSocket: a large batch gets -32003 for its tail instead of overflowing the queue") {
  ServerOptions o = testOptions();
  o.maxBatch = 1000;
  o.maxBodyBytes = 64 * 1024;
  o.maxWsQueueBytes = 64 * 1024;  // a batch's answers stop at half of it
  Running node(o);
  WsClient ws(node.port());
  REQUIRE_FALSE(ws.handshake);
  std::string batch = "[";
  for (int i = 0; i < 200; ++i)
    batch += (i ? "," : "") + request(i, "eth_getBlockByNumber", R"(["0x9",true])");
  ws.send(batch + "]");
  const std::optional<std::string> answer = ws.read();
  REQUIRE_MESSAGE(answer.has_value(), "connection dropped: ", ws.error.message());
  const json::value parsed = json::parse(*answer);
  const json::array& answers = parsed.as_array();
  REQUIRE(answers.size() == 200);
  std::size_t blocks = 0;
  while (blocks < answers.size() && answers[blocks].as_object().contains("result")) ++blocks;
  CHECK(blocks > 1);
  CHECK(blocks < 200);
  for (std::size_t i = blocks; i < answers.size(); ++i)
    CHECK(answers[i].at("error").at("code") == -32003);
  const std::size_t oneBlock = json::serialize(answers[0]).size();
  CHECK(answer->size() <= 32 * 1024 + oneBlock + (200 - blocks) * 80);
  CHECK(ws.call(request(7, "eth_chainId")).at("result") == "0x1b58");
}

TEST_CASE("WebSocket origins, message size limit and connection cap") {
  {
    Running node;  // corsOrigins: http://allowed.example
    WsClient allowed(node.port(), kAllowed);
    CHECK_MESSAGE(!allowed.handshake, allowed.handshake.message());
    WsClient noOrigin(node.port());  // not a browser
    CHECK_MESSAGE(!noOrigin.handshake, noOrigin.handshake.message());
    WsClient evil(node.port(), kEvil);
    CHECK(evil.handshake.failed());
    CHECK(evil.response.result() == http::status::forbidden);
  }
  {
    // No origins configured: no browser page may open a WebSocket (as for CORS).
    ServerOptions none = testOptions();
    none.corsOrigins = {};
    Running node(none);
    WsClient evil(node.port(), kEvil);
    CHECK(evil.handshake.failed());
    CHECK(evil.response.result() == http::status::forbidden);
    WsClient noOrigin(node.port());
    CHECK_MESSAGE(!noOrigin.handshake, noOrigin.handshake.message());
  }
  {
    ServerOptions any = testOptions();
    any.corsOrigins = {"*"};
    Running node(any);
    WsClient evil(node.port(), kEvil);
    CHECK_MESSAGE(!evil.handshake, evil.handshake.message());
  }
  {
    Running node;  // maxBodyBytes 4096 holds for WebSocket messages too
    WsClient ws(node.port());
    REQUIRE_FALSE(ws.handshake.failed());
    ws.send(R"({"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x)" + std::string(5000, 'a') +
            R"("]})");
    CHECK_FALSE(ws.read().has_value());
    CHECK(ws.error == websocket::error::closed);
    CHECK(ws.closeReason().code == websocket::close_code::too_big);
  }
  {
    ServerOptions one = testOptions();
    one.maxWsConnections = 1;
    Running node(one);
    WsClient first(node.port());
    REQUIRE_FALSE(first.handshake.failed());
    CHECK(first.call(request(1, "eth_chainId")).at("result") == "0x1b58");
    WsClient second(node.port());
    CHECK(second.handshake.failed());
    CHECK(second.response.result() == http::status::service_unavailable);
  }
}

TEST_CASE("stop() closes WebSocket connections with going-away and stops listening") {
  Running node;
  WsClient ws(node.port());
  REQUIRE_FALSE(ws.handshake.failed());
  CHECK(ws.call(request(1, "eth_chainId")).at("result") == "0x1b58");
  const uint16_t port = node.port();
  std::thread stopper([&] { node.server->stop(); });
  CHECK_FALSE(ws.read().has_value());
  stopper.join();
  CHECK(ws.error == websocket::error::closed);
  CHECK(ws.closeReason().code == websocket::close_code::going_away);

  net::io_context ioc;
  tcp::socket s(ioc);
  error_code ec;
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  CHECK(ec.failed());
}

// Regression (3b87dd4): stop() used to write its close frame while a handshake's 101 response was
// still being written, a second concurrent write on the socket (Beast's assertion aborts; in a
// build without it the two could interleave on the wire). The window is a few microseconds wide,
// so each round starts the handshakes, waits 0 to 885 µs (each delay twice), and stops the
// server while the connections are somewhere between request and response. What a client
// may see: nothing; the whole "shutting down" 503 (the request came after stop()); or a whole 101
// response followed by exactly one going-away close frame, also when the upgrade was registered
// after stop() had closed the sessions it found (such a session used to stay open, silent, until
// stopGrace ran out and the server was destroyed).
TEST_CASE("stop() while WebSocket handshakes are in flight: one write at a time, nothing torn") {
  const std::string goingAway("\x88\x02\x03\xe9", 4);  // unmasked close frame, code 1001
  std::map<std::string, int> outcomes;
  for (int round = 0; round < 120; ++round) {
    ServerOptions o = testOptions();
    o.stopGrace = 2000ms;
    Running node(o);
    net::io_context ioc;
    std::vector<tcp::socket> clients = sendUpgrades(ioc, node.port(), 6);
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::microseconds(15 * (round % 60));
    while (std::chrono::steady_clock::now() < until) {
    }
    std::jthread stopper([&] {
      node.server->stop();
      // A connection whose accept had not been handled yet is held by the stopped io_context
      // until the server is destroyed, as the node does right after stop().
      node.server.reset();
    });
    for (tcp::socket& c : clients) {
      // Everything the server sends until it closes; closing our side after a 101 and a close
      // frame ends the server's closing handshake without waiting for stopGrace.
      std::string got;
      for (;;) {
        error_code ec = readSome(ioc, c, got);
        const std::size_t head = got.find("\r\n\r\n");
        if (ec || (got.starts_with("HTTP/1.1 101 ") && head != std::string::npos &&
                   got.size() >= head + 4 + goingAway.size())) {
          CHECK_MESSAGE((ec != net::error::timed_out), "round ", round, ": no end after ", got);
          break;
        }
      }
      c.close();
      const std::size_t head = got.find("\r\n\r\n");
      const std::string after = head == std::string::npos ? "" : got.substr(head + 4);
      std::string outcome;
      if (got.empty())
        outcome = "nothing";
      else if (got.starts_with("HTTP/1.1 503 ") && after == "shutting down\n")
        outcome = "503 shutting down";
      else if (got.starts_with("HTTP/1.1 101 ") && after == goingAway)
        outcome = "101, then going-away";
      REQUIRE_MESSAGE(!outcome.empty(), "round ", round, ": torn or unexpected: ", got);
      ++outcomes[outcome];
    }
  }
  for (const auto& [outcome, count] : outcomes) MESSAGE(outcome, ": ", count);
  CHECK(outcomes["101, then going-away"] > 0);  // the rounds did reach the handshake window
}

// An upgrade hands the connection from its HTTP session to a new WebSocket session. Both objects
// exist for a moment, and each used to count as a connection against maxConnections, so a
// connection accepted meanwhile could be refused although the server was not full (seen under
// load in the GET /metrics test). Each round opens exactly maxConnections connections, each
// sending its upgrade request at once, so that accepts and upgrades interleave: every one must
// get its 101.
TEST_CASE("an upgraded connection holds one place in maxConnections, also during the upgrade") {
  constexpr int kConnections = 8;
  int upgraded = 0;
  for (int round = 0; round < 100; ++round) {
    ServerOptions o = testOptions();
    o.maxConnections = kConnections;
    o.maxWsConnections = kConnections;
    Running node(o);
    net::io_context ioc;
    for (tcp::socket& c : sendUpgrades(ioc, node.port(), kConnections)) {
      std::string got;
      while (got.find("\r\n\r\n") == std::string::npos)
        if (readSome(ioc, c, got)) break;
      REQUIRE_MESSAGE(got.starts_with("HTTP/1.1 101 "), "round ", round, ": refused: '", got, "'");
      ++upgraded;
    }
  }
  CHECK(upgraded == 100 * kConnections);
}

}  // TEST_SUITE

}  // namespace tn::rpc
