// The real JSON-RPC server on a loopback port, fed over raw TCP what a hostile or broken client can
// send: byte mutations (tests/unit/mutate.hpp, fixed seeds) of valid HTTP requests, WebSocket
// upgrades and masked WebSocket frames, and hand-made abuse: headers over the limit, bodies over
// the limit, lying, duplicated and conflicting lengths, bad chunk sizes, foreign request lines,
// WebSocket protocol violations, and idle, trickling and half-open connection floods. One bad
// client must not take RPC down for everyone, so whatever arrives the server must close every
// connection the client has finished with, send only well-formed HTTP/1.x responses and WebSocket
// frames with the answers docs/RPC.md documents (413 with the JSON-RPC error, 1009, malformed HTTP
// closed without an answer), let no exception escape to an io thread (they are caught and printed
// to stderr there, so stderr is watched), and keep serving HTTP and WebSocket clients afterwards.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rpc/eth_api.hpp"
#include "rpc/server.hpp"
#include "tests/unit/descriptor_exhaustion.hpp"
#include "tests/unit/mutate.hpp"
#include "tests/unit/rpc/fake_backend.hpp"
#include "tests/unit/stderr_capture.hpp"

namespace tn::rpc {

namespace json = boost::json;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast::error_code;
using namespace std::chrono_literals;
using tn::test::Mutator;
using tn::test::StderrCapture;

namespace {

constexpr const char* kAllowedOrigin = "http://allowed.example";
constexpr std::size_t kMaxBody = 4096;
constexpr std::size_t kDocumentedMaxHeader = 16 * 1024;  // docs/RPC.md, fixed limits
// How long a connection may stay open after the client has sent everything and half-closed. The
// server closes at once; the bound only turns a hang into a failure instead of a stuck run.
constexpr auto kCloseLimit = 3000ms;
// Mutated inputs a test case reports before it stops (a hang costs kCloseLimit each).
constexpr int kMaxMishandled = 5;

const std::string kChainIdRequest =
    R"({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]})";
const std::string kChainIdAnswer = R"({"jsonrpc":"2.0","id":1,"result":"0x1b58"})";
const std::string kTooLargeAnswer =
    R"j({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"request body too large (max 4096 bytes)"}})j";

ServerOptions hostileOptions() {
  ServerOptions o;  // the documented defaults, except:
  o.port = 0;
  o.maxBodyBytes = kMaxBody;  // small, so that bodies over it are cheap to send
  o.corsOrigins = {kAllowedOrigin};
  o.stopGrace = 500ms;
  return o;
}

tcp::endpoint loopback(uint16_t port) {
  return {net::ip::make_address("127.0.0.1"), port};
}

// A node's RPC side over the fake backend (chain id 7000 = 0x1b58, head block 9) on an ephemeral
// loopback port.
struct Node {
  StderrCapture stderrCapture;  // declared first: outlives the io threads
  test::FakeBackend backend;
  Dispatcher dispatcher;
  std::unique_ptr<Server> server;

  explicit Node(ServerOptions o = hostileOptions()) {
    addEthApi(dispatcher, backend);
    server = std::make_unique<Server>(std::move(o), dispatcher);
    server->start();
    REQUIRE(server->port() != 0);
  }
  uint16_t port() const { return server->port(); }
};

// Runs one asynchronous operation on `ioc` for at most `limit`. On timeout, `cancel` aborts it and
// its handler runs before this returns (nothing is left pointing at this frame); the result is
// then timed_out.
template <class Start, class Cancel>
error_code bounded(net::io_context& ioc, std::chrono::milliseconds limit, Start&& start,
                   Cancel&& cancel) {
  std::optional<error_code> result;
  start([&](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run_for(limit);
  if (result) return *result;
  cancel();
  ioc.restart();
  ioc.run();
  return net::error::timed_out;
}

using Response = http::response<http::string_body>;

// One raw TCP connection, driven as a hostile client would drive it. Every step is bounded.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    connectError = run(5000ms, [&](auto done) { socket_.async_connect(loopback(port), done); });
  }

  // Writes all of `bytes`. The server may close in the middle (it stops at the first malformed
  // byte), so the outcome is the caller's to judge.
  error_code write(std::string_view bytes) {
    return run(kCloseLimit,
               [&](auto done) { net::async_write(socket_, net::buffer(bytes), done); });
  }
  // Reads until `delimiter` has arrived; `received` keeps every byte read.
  bool readUntil(std::string_view delimiter) {
    return !run(kCloseLimit, [&](auto done) {
      net::async_read_until(socket_, net::dynamic_buffer(received), delimiter, done);
    });
  }
  void noDelay() { socket_.set_option(tcp::no_delay(true)); }
  void halfClose() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }
  // Reads until the server closes (a reset counts: it may close with input unread) or `limit`
  // passes; true when it closed.
  bool readToEnd(std::chrono::milliseconds limit = kCloseLimit) {
    error_code ec = run(
        limit, [&](auto done) { net::async_read(socket_, net::dynamic_buffer(received), done); });
    return ec == net::error::eof || ec == net::error::connection_reset;
  }
  // The client has said everything: half-close, then read until the server closes.
  bool finish() {
    halfClose();
    return readToEnd();
  }
  // One request and its response on a keep-alive connection.
  std::optional<Response> roundTrip(std::string_view request) {
    if (write(request)) return std::nullopt;
    Response res;
    if (run(kCloseLimit, [&](auto done) { http::async_read(socket_, buffer_, res, done); }))
      return std::nullopt;
    return res;
  }

  error_code connectError;
  std::string received;

 private:
  template <class Start>
  error_code run(std::chrono::milliseconds limit, Start&& start) {
    return bounded(ioc_, limit, std::forward<Start>(start), [this] {
      error_code ignored;
      socket_.cancel(ignored);
    });
  }

  net::io_context ioc_;
  tcp::socket socket_{ioc_};
  beast::flat_buffer buffer_;
};

// A well-behaved WebSocket client (Beast's), to see that the server still serves them.
class WsClient {
 public:
  explicit WsClient(uint16_t port) {
    error_code ec =
        run([&](auto done) { beast::get_lowest_layer(ws_).async_connect(loopback(port), done); });
    REQUIRE_MESSAGE(!ec, "connect: ", ec.message());
    ec = run([&](auto done) { ws_.async_handshake("127.0.0.1", "/", done); });
    REQUIRE_MESSAGE(!ec, "WebSocket handshake: ", ec.message());
  }
  json::value call(const std::string& request) {
    ws_.text(true);
    error_code ec = run([&](auto done) { ws_.async_write(net::buffer(request), done); });
    REQUIRE_MESSAGE(!ec, "WebSocket write: ", ec.message());
    return read();
  }
  // Part of a text message; the message ends with the part sent with `fin`.
  void writePart(std::string_view part, bool fin) {
    ws_.text(true);
    error_code ec = run(
        [&](auto done) { ws_.async_write_some(fin, net::buffer(part.data(), part.size()), done); });
    REQUIRE_MESSAGE(!ec, "WebSocket write: ", ec.message());
  }
  json::value read() {
    beast::flat_buffer buffer;
    error_code ec = run([&](auto done) { ws_.async_read(buffer, done); });
    REQUIRE_MESSAGE(!ec, "WebSocket read: ", ec.message());
    return json::parse(beast::buffers_to_string(buffer.data()));
  }

 private:
  template <class Start>
  error_code run(Start&& start) {
    return bounded(ioc_, kCloseLimit, std::forward<Start>(start), [this] {
      error_code ignored;
      beast::get_lowest_layer(ws_).cancel(ignored);
    });
  }

  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_{ioc_};
};

// ------------------------------------------------------------------ requests and frames to send

std::string postRequest(std::string_view body, std::string_view headers = "") {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         std::string(headers) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

std::string chunkedPost(const std::vector<std::string>& chunks, std::string_view headers = "") {
  std::string out = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                    std::string(headers) + "Transfer-Encoding: chunked\r\n\r\n";
  char size[32];
  for (const auto& c : chunks) {
    std::snprintf(size, sizeof size, "%zx\r\n", c.size());
    out += size + c + "\r\n";
  }
  return out + "0\r\n\r\n";
}

const std::string kUpgradeRequest =
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const std::string kUpgradeAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // RFC 6455's example

enum Opcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10
};

// The header of a client frame; `length` is encoded in the shortest form unless `forceLength64`.
std::string clientFrameHeader(uint8_t opcode, uint64_t length, bool fin = true,
                              bool forceLength64 = false) {
  std::string f(1, static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (length < 126 && !forceLength64) {
    f += static_cast<char>(0x80 | length);
  } else if (length < 65536 && !forceLength64) {
    f += static_cast<char>(0x80 | 126);
    for (int i = 1; i >= 0; --i) f += static_cast<char>(length >> (8 * i));
  } else {
    f += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>(length >> (8 * i));
  }
  return f;
}

constexpr std::array<uint8_t, 4> kMaskKey = {0x37, 0xfa, 0x21, 0x3d};

std::string masked(std::string_view payload) {
  std::string out(kMaskKey.begin(), kMaskKey.end());
  for (std::size_t i = 0; i < payload.size(); ++i)
    out += static_cast<char>(payload[i] ^ kMaskKey[i % 4]);
  return out;
}

// A client frame, masked as RFC 6455 requires of clients.
std::string clientFrame(uint8_t opcode, std::string_view payload, bool fin = true) {
  return clientFrameHeader(opcode, payload.size(), fin) + masked(payload);
}

std::string closePayload(uint16_t code, std::string_view reason = "") {
  std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  return p + std::string(reason);
}

// ------------------------------------------------------------ judging what the server sends

std::string printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes.substr(0, 600)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (bytes.size() > 600) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// A JSON-RPC 2.0 answer, or a batch of them. An input error is never an internal error.
bool isJsonRpcAnswer(const json::value& v) {
  auto one = [](const json::value& a) {
    const json::object* o = a.if_object();
    if (!o || o->size() != 3 || !o->contains("id") || o->at("id").is_array() ||
        o->at("id").is_object() || !o->contains("jsonrpc") || o->at("jsonrpc") != "2.0")
      return false;
    if (o->contains("result")) return true;
    if (!o->contains("error")) return false;
    const json::object* e = o->at("error").if_object();
    return e && e->contains("code") && e->at("code").is_int64() &&
           e->at("code").as_int64() != -32603 && e->contains("message") &&
           e->at("message").is_string();
  };
  if (const json::array* batch = v.if_array())
    return !batch->empty() && std::all_of(batch->begin(), batch->end(), one);
  return one(v);
}

std::optional<json::value> parseJson(std::string_view text) {
  error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

// Empty when `res` is an answer docs/RPC.md describes (or Beast's refusal of a bad WebSocket
// handshake: 400, 426); else what is wrong with it.
std::string judgeResponse(const Response& res) {
  const std::string status = std::to_string(res.result_int());
  switch (res.result_int()) {
    case 101:
    case 400:
    case 403:
    case 404:
    case 415:
    case 426:
    case 503:
      return "";
    case 200: {
      if (res[http::field::content_type] != "application/json") return "200 without JSON";
      auto body = parseJson(res.body());
      if (!body) return "200 whose body is not JSON: " + res.body();
      if (*body == json::parse(R"({"status":"ok"})")) return "";  // GET / health
      return isJsonRpcAnswer(*body) ? "" : "200 that is not a JSON-RPC answer: " + res.body();
    }
    case 204:
      return res.body().empty() ? "" : "204 with a body";
    case 405:
      return res[http::field::allow] == "POST, GET, HEAD, OPTIONS" ? "" : "405 without Allow";
    case 413:
      if (res.keep_alive()) return "413 that keeps the connection alive";
      return parseJson(res.body()) == json::parse(kTooLargeAnswer) ? "" : "413 body " + res.body();
    default:
      return "undocumented status " + status;
  }
}

// Everything the server sent on one connection, in order, judged.
struct Exchange {
  bool closed = false;  // the server closed after the client had finished
  std::string received;
  std::vector<Response> responses;    // HTTP, up to a 101
  std::vector<std::string> messages;  // WebSocket text or binary messages after a 101
  std::vector<std::string> pongs;
  std::optional<uint16_t> closeCode;  // of the server's close frame; 0 when it carried none
  std::string problem;                // what no client should ever receive; empty if all is well

  // "200 204": the status of each response, in order.
  std::string statuses() const {
    std::string s;
    for (const auto& r : responses) s += (s.empty() ? "" : " ") + std::to_string(r.result_int());
    return s;
  }
  void fail(const std::string& why) { problem += why + "; "; }
};

// Splits `bytes` into HTTP responses; returns where WebSocket frames start after a 101.
std::size_t parseResponses(std::string_view bytes, Exchange& x) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    http::response_parser<http::string_body> p;
    p.eager(true);
    p.header_limit(64 * 1024);
    error_code ec;
    while (!p.is_done() && pos < bytes.size()) {
      const std::size_t n = p.put(net::buffer(bytes.data() + pos, bytes.size() - pos), ec);
      pos += n;
      if (ec == http::error::need_more && n > 0) {
        ec = {};
        continue;
      }
      if (ec) break;
    }
    if (!p.is_done() && (!ec || ec == http::error::need_more) && p.got_some()) p.put_eof(ec);
    if (!p.is_done()) {
      x.fail("not a complete HTTP/1.x response (" + ec.message() + ") at byte " +
             std::to_string(pos) + ": " + printable(bytes.substr(pos)));
      return bytes.size();
    }
    x.responses.push_back(p.release());
    if (std::string why = judgeResponse(x.responses.back()); !why.empty()) x.fail(why);
    if (x.responses.back().result() == http::status::switching_protocols) return pos;
  }
  return pos;
}

// RFC 6455 7.4: the defined codes an endpoint may send, and from 3000 up the codes left to
// applications (above 4999 RFC 6455 defines nothing; Beast echoes such a code from the client).
bool validCloseCodeToSend(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) || code >= 3000;
}

// Splits `bytes` into server WebSocket frames (RFC 6455: unmasked, known opcodes, control frames
// whole and short, nothing after a close) and collects messages, pongs and the close code.
void parseServerFrames(std::string_view bytes, Exchange& x) {
  std::size_t pos = 0;
  std::optional<std::string> message;  // a fragmented message in progress
  while (pos < bytes.size()) {
    if (x.closeCode) return x.fail("a frame after the close frame");
    if (bytes.size() - pos < 2) return x.fail("truncated frame header");
    const auto b0 = static_cast<uint8_t>(bytes[pos]), b1 = static_cast<uint8_t>(bytes[pos + 1]);
    pos += 2;
    const bool fin = b0 & 0x80;
    const uint8_t opcode = b0 & 0x0f;
    if (b0 & 0x70) return x.fail("reserved bits set in a server frame");
    if (b1 & 0x80) return x.fail("a masked server frame");
    uint64_t length = b1 & 0x7f;
    const std::size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
    if (extra) {
      if (bytes.size() - pos < extra) return x.fail("truncated frame length");
      length = 0;
      for (std::size_t i = 0; i < extra; ++i)
        length = (length << 8) | static_cast<uint8_t>(bytes[pos + i]);
      pos += extra;
    }
    if (bytes.size() - pos < length) return x.fail("truncated frame payload");
    const std::string payload(bytes.substr(pos, length));
    pos += length;
    if (opcode >= kClose) {
      if (!fin || length > 125) return x.fail("fragmented or long control frame");
      if (opcode == kPong) {
        x.pongs.push_back(payload);
      } else if (opcode == kClose) {
        if (payload.size() == 1) return x.fail("close frame with a 1-byte payload");
        x.closeCode =
            payload.empty() ? 0 : uint16_t(uint8_t(payload[0]) << 8 | uint8_t(payload[1]));
        if (*x.closeCode != 0 && !validCloseCodeToSend(*x.closeCode))
          x.fail("close code " + std::to_string(*x.closeCode) + " is not one to send");
      } else if (opcode != kPing) {
        return x.fail("unknown control opcode " + std::to_string(opcode));
      }
      continue;
    }
    if (opcode != kContinuation && opcode != kText && opcode != kBinary)
      return x.fail("unknown data opcode " + std::to_string(opcode));
    if ((opcode == kContinuation) != message.has_value())
      return x.fail("continuation frame out of place");
    message = message.value_or("") + payload;
    if (!fin) continue;
    auto answer = parseJson(*message);
    if (!answer || !isJsonRpcAnswer(*answer)) x.fail("a message that is no JSON-RPC answer");
    x.messages.push_back(std::move(*message));
    message.reset();
  }
  if (message) x.fail("the server's last message is unfinished");
}

// Sends `bytes` in two writes (split at `split`), half-closes and collects everything the server
// sends until it closes; a connection the server leaves open is a failure.
Exchange sendAndFinish(RawConnection& c, std::string_view bytes, std::size_t split) {
  split = std::min(split, bytes.size());
  if (!c.write(bytes.substr(0, split))) c.write(bytes.substr(split));
  Exchange x;
  x.closed = c.finish();
  x.received = std::move(c.received);
  if (!x.closed) x.fail("the connection stayed open after the client had finished");
  return x;
}

// Sends `bytes` on a fresh connection (in two writes, split at `split`), half-closes, and collects
// and judges what the server sends until it closes.
Exchange exchange(uint16_t port, std::string_view bytes, std::size_t split = 0) {
  RawConnection c(port);
  REQUIRE_MESSAGE(!c.connectError, "connect: ", c.connectError.message());
  Exchange x = sendAndFinish(c, bytes, split);
  const std::size_t frames = parseResponses(x.received, x);
  if (frames < x.received.size()) parseServerFrames(std::string_view(x.received).substr(frames), x);
  return x;
}

// Upgrades a fresh connection, then sends `frames` (in two writes, split at `split`), half-closes,
// and collects and judges what comes back until the server closes.
Exchange webSocketExchange(uint16_t port, std::string_view frames, std::size_t split = 0) {
  RawConnection c(port);
  REQUIRE_MESSAGE(!c.connectError, "connect: ", c.connectError.message());
  REQUIRE_FALSE(c.write(kUpgradeRequest));
  REQUIRE(c.readUntil("\r\n\r\n"));
  REQUIRE_MESSAGE(c.received.starts_with("HTTP/1.1 101 "), printable(c.received));
  REQUIRE(c.received.find(kUpgradeAccept) != std::string::npos);
  const std::size_t handshakeEnd = c.received.find("\r\n\r\n") + 4;
  Exchange x = sendAndFinish(c, frames, split);
  parseServerFrames(std::string_view(x.received).substr(handshakeEnd), x);
  return x;
}

std::string mutated(Mutator& m, const std::string& seed) {
  std::vector<uint8_t> out = m.mutate(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(seed.data()), seed.size()));
  return std::string(out.begin(), out.end());
}

json::value chainIdOver(RawConnection& c) {
  std::optional<Response> res = c.roundTrip(postRequest(kChainIdRequest));
  REQUIRE_MESSAGE(res.has_value(), "no answer to eth_chainId");
  REQUIRE(res->result() == http::status::ok);
  return json::parse(res->body());
}

// The server is alive after the abuse: a fresh HTTP connection gets eth_chainId right, and a fresh
// WebSocket can call, subscribe to newHeads and receive the next published head; and nothing
// escaped to an io thread.
void checkStillServing(Node& node) {
  RawConnection http(node.port());
  REQUIRE_MESSAGE(!http.connectError, http.connectError.message());
  CHECK(chainIdOver(http) == json::parse(kChainIdAnswer));

  WsClient ws(node.port());
  CHECK(ws.call(kChainIdRequest) == json::parse(kChainIdAnswer));
  json::value sub =
      ws.call(R"({"jsonrpc":"2.0","id":2,"method":"eth_subscribe","params":["newHeads"]})");
  REQUIRE(sub.at("result").is_string());
  node.server->publishBlock(node.backend.chain().blocks[5].block, node.backend.chain().receipts[5]);
  json::value head = ws.read();
  CHECK(head.at("method") == "eth_subscription");
  CHECK(head.at("params").at("subscription") == sub.at("result"));
  CHECK(head.at("params").at("result").at("number") == "0x5");

  const std::string err = node.stderrCapture.captured();
  CHECK_MESSAGE(err.find("unexpected exception") == std::string::npos, err);
}

// Polls (bounded) until the server holds no WebSocket session: every one ended with its client.
bool webSocketSessionsGone(Node& node) {
  for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(10ms))
    if (node.server->webSocketConnections() == 0) return true;
  return false;
}

// Polls (bounded) until the HTTP connections hold `bytes` of the in-flight budget.
bool inFlightReaches(Node& node, std::size_t bytes) {
  for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(5ms))
    if (node.server->inFlightBytes() == bytes) return true;
  return false;
}

json::value busyAnswer(std::size_t budget) {
  return json::object{
      {"jsonrpc", "2.0"},
      {"id", nullptr},
      {"error", json::object{{"code", -32005},
                             {"message",
                              "server busy: the requests and answers in flight would "
                              "exceed " +
                                  std::to_string(budget) + " bytes; retry later"}}}};
}

}  // namespace

TEST_SUITE_BEGIN("rpc server: hostile clients");

TEST_CASE("mutated HTTP requests and WebSocket upgrades: connections end, answers are documented") {
  Node node;
  struct Seed {
    std::string name, bytes;
    std::string statuses;  // of the unmutated seed
  };
  const std::string batch =
      "[" + kChainIdRequest + R"(,{"jsonrpc":"2.0","id":2,"method":"net_version"}])";
  const std::vector<Seed> seeds = {
      {"keep-alive POST, then a pipelined POST that closes",
       postRequest(kChainIdRequest, "Connection: keep-alive\r\n") +
           postRequest(R"({"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"})",
                       "Connection: close\r\n"),
       "200 200"},
      {"chunked keep-alive POST",
       chunkedPost({kChainIdRequest.substr(0, 7), kChainIdRequest.substr(7, 30),
                    kChainIdRequest.substr(37)},
                   "Connection: keep-alive\r\n"),
       "200"},
      {"HTTP/1.0 keep-alive batch",
       "POST /rpc HTTP/1.0\r\nContent-Type: application/json; charset=utf-8\r\nConnection: "
       "keep-alive\r\nContent-Length: " +
           std::to_string(batch.size()) + "\r\n\r\n" + batch,
       "200"},
      {"GET health and a CORS preflight",
       "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nOPTIONS / HTTP/1.1\r\nHost: "
       "127.0.0.1\r\nOrigin: "
       "http://allowed.example\r\nAccess-Control-Request-Method: POST\r\n\r\n",
       "200 204"},
      {"WebSocket upgrade", kUpgradeRequest, "101"},
      {"WebSocket upgrade from an allowed origin",
       kUpgradeRequest.substr(0, kUpgradeRequest.size() - 2) + "Origin: " + kAllowedOrigin +
           "\r\n\r\n",
       "101"},
  };
  constexpr int kRoundsPerSeed = 60;

  RawConnection probe(node.port());  // a long-lived keep-alive client, asked after every input
  REQUIRE_FALSE(probe.connectError);
  Mutator m(0x5e7e7);
  int inputs = 0, answered = 0, mishandled = 0;
  for (const Seed& seed : seeds) {
    CAPTURE(seed.name);
    Exchange x = exchange(node.port(), seed.bytes);
    REQUIRE_MESSAGE(x.problem.empty(), x.problem);
    REQUIRE(x.statuses() == seed.statuses);
    for (int round = 0; round < kRoundsPerSeed; ++round) {
      const std::string input = mutated(m, seed.bytes);
      if (input == seed.bytes) continue;
      ++inputs;
      x = exchange(node.port(), input, m.below(input.size() + 1));
      answered += !x.responses.empty();
      CHECK_MESSAGE(x.problem.empty(), "input ", inputs, ": ", printable(input), "\n -> ",
                    x.problem, "\n received: ", printable(x.received));
      if (!x.problem.empty() && ++mishandled == kMaxMishandled)
        FAIL("stopped after ", kMaxMishandled, " mishandled inputs");
      REQUIRE_MESSAGE(chainIdOver(probe) == json::parse(kChainIdAnswer),
                      "after input: ", printable(input));
    }
  }
  CHECK(inputs > 300);
  CHECK(answered > inputs / 5);  // the mutations reach the dispatcher, not only the parser
  CHECK(webSocketSessionsGone(node));
  checkStillServing(node);
}

TEST_CASE("mutated WebSocket frames after an upgrade: well-formed frames back, then closed") {
  Node node;
  const std::string request2 = R"({"jsonrpc":"2.0","id":2,"method":"eth_chainId"})";
  const std::string batch =
      "[" + kChainIdRequest + R"(,{"jsonrpc":"2.0","id":2,"method":"net_version"}])";
  struct Seed {
    std::string name, frames;
    std::size_t messages;  // answers to the unmutated seed
    std::size_t pongs;
    uint16_t closeCode;  // of the server's close frame
  };
  const std::vector<Seed> seeds = {
      {"a text request, then close 1000",
       clientFrame(kText, kChainIdRequest) + clientFrame(kClose, closePayload(1000)), 1, 0, 1000},
      {"a request in three fragments with a ping between them, then close 1000 with a reason",
       clientFrame(kText, request2.substr(0, 10), false) + clientFrame(kPing, "keep") +
           clientFrame(kContinuation, request2.substr(10, 20), false) +
           clientFrame(kContinuation, request2.substr(30)) +
           clientFrame(kClose, closePayload(1000, "bye")),
       1, 1, 1000},
      {"an unsolicited pong, a binary batch, then close 1001",
       clientFrame(kPong, "x") + clientFrame(kBinary, batch) +
           clientFrame(kClose, closePayload(1001)),
       1, 0, 1001},
      {"a request, then a frame with a 64-bit length far above the limit",
       clientFrame(kText, kChainIdRequest) + clientFrameHeader(kText, uint64_t(1) << 40) +
           masked("{\"jsonrpc\""),
       1, 0, 1009},
      {"a request, then a close frame with the reserved code 1005",
       clientFrame(kText, kChainIdRequest) + clientFrame(kClose, closePayload(1005)), 1, 0, 1002},
  };
  constexpr int kRoundsPerSeed = 50;

  Mutator m(0xf7a3e5);
  int inputs = 0, mishandled = 0;
  for (const Seed& seed : seeds) {
    CAPTURE(seed.name);
    Exchange x = webSocketExchange(node.port(), seed.frames);
    REQUIRE_MESSAGE(x.problem.empty(), x.problem);
    REQUIRE(x.messages.size() == seed.messages);
    CHECK(x.pongs.size() == seed.pongs);
    CHECK(x.closeCode == seed.closeCode);
    for (int round = 0; round < kRoundsPerSeed; ++round) {
      const std::string input = mutated(m, seed.frames);
      if (input == seed.frames) continue;
      ++inputs;
      x = webSocketExchange(node.port(), input, m.below(input.size() + 1));
      CHECK_MESSAGE(x.problem.empty(), "input ", inputs, ": ", printable(input), "\n -> ",
                    x.problem, "\n received: ", printable(x.received));
      if (!x.problem.empty() && ++mishandled == kMaxMishandled)
        FAIL("stopped after ", kMaxMishandled, " mishandled inputs");
    }
  }
  CHECK(inputs > 200);
  CHECK(webSocketSessionsGone(node));  // no session outlives its client
  checkStillServing(node);
}

TEST_CASE("headers over 16 KiB close the connection; bodies over the limit get 413 and -32600") {
  REQUIRE(ServerOptions{}.maxHeaderBytes == kDocumentedMaxHeader);
  Node node;  // the documented header limit, a body limit of 4096
  // A request whose header (request line, fields and blank line) is exactly `size` bytes.
  auto withHeader = [](std::size_t size, std::string_view target = "/") {
    const std::string head = "POST " + std::string(target) +
                             " HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(kChainIdRequest.size()) + "\r\nX-Pad: ";
    return head + std::string(size - head.size() - 4, 'p') + "\r\n\r\n" + kChainIdRequest;
  };
  Exchange x = exchange(node.port(), withHeader(kDocumentedMaxHeader));
  CHECK_MESSAGE(x.problem.empty(), x.problem);
  CHECK(x.statuses() == "200");
  for (std::size_t size : {kDocumentedMaxHeader + 1, 4 * kDocumentedMaxHeader}) {
    CAPTURE(size);
    x = exchange(node.port(), withHeader(size));
    CHECK_MESSAGE(x.problem.empty(), x.problem);
    CHECK_MESSAGE(x.responses.empty(), x.statuses());
  }
  // The request line counts: a 12 KiB target and 8 KiB of fields are refused too.
  x = exchange(node.port(), withHeader(20 * 1024, "/" + std::string(12 * 1024, 't')));
  CHECK_MESSAGE(x.problem.empty(), x.problem);
  CHECK_MESSAGE(x.responses.empty(), x.statuses());
  {
    // Fields sent a few hundred bytes at a time, each write ending just past a line break: Boost
    // 1.81's parser consumes every complete field and applies its header_limit only to the rest,
    // so before the server counted the header itself, this one (124 KB) was read and answered.
    RawConnection c(node.port());
    REQUIRE_FALSE(c.connectError);
    c.noDelay();
    bool refused =
        bool(c.write("POST / HTTP/1.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: " +
                     std::to_string(kChainIdRequest.size()) + "\r\nX"));
    for (int i = 0; i < 300 && !refused; ++i) {
      refused =
          bool(c.write("-Field-" + std::to_string(i) + ": " + std::string(400, 'v') + "\r\nX"));
      std::this_thread::sleep_for(1ms);  // so that the writes arrive one by one; not to pass
    }
    if (!refused) c.write("-Last: 1\r\n\r\n" + kChainIdRequest);
    CHECK(c.finish());
    CHECK_MESSAGE(c.received.empty(), printable(c.received));
  }
  // Many small fields add up as well.
  std::string manyFields = "POST / HTTP/1.1\r\n";
  for (int i = 0; i < 2000; ++i) manyFields += "X-F" + std::to_string(i) + ": v\r\n";
  x = exchange(node.port(), manyFields + "\r\n");
  CHECK_MESSAGE(x.problem.empty(), x.problem);
  CHECK(x.responses.empty());
  {
    // A header section that never ends is refused once it passes the limit, without waiting for
    // the client to finish.
    RawConnection c(node.port());
    REQUIRE_FALSE(c.connectError);
    c.write("POST / HTTP/1.1\r\nX-Endless: " + std::string(4 * kDocumentedMaxHeader, 'e'));
    CHECK(c.readToEnd());
    CHECK(c.received.empty());
  }

  const std::string sha3Head = R"({"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x)";
  auto sha3Body = [&](std::size_t size) {
    return sha3Head + std::string(size - sha3Head.size() - 4, 'a') + "\"]} ";
  };
  REQUIRE(sha3Body(kMaxBody).size() == kMaxBody);
  x = exchange(node.port(), postRequest(sha3Body(kMaxBody)));
  CHECK_MESSAGE(x.problem.empty(), x.problem);
  CHECK(x.statuses() == "200");

  const std::vector<std::pair<std::string, std::string>> tooLarge = {
      {"Content-Length one over the limit", postRequest(sha3Body(kMaxBody + 1))},
      {"Content-Length of 10^15 and a short body",
       "POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000000000\r\n"
       "\r\n" +
           kChainIdRequest},
      {"chunks adding up to over the limit",
       chunkedPost({sha3Body(2000), std::string(2000, ' '), std::string(200, ' ')})},
      {"one chunk size over the limit",
       "POST / HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
       "1001\r\n" +
           kChainIdRequest},
      {"a chunk size of 2^63",
       "POST / HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
       "8000000000000000\r\n" +
           kChainIdRequest},
  };
  for (const auto& [name, bytes] : tooLarge) {
    CAPTURE(name);
    x = exchange(node.port(), bytes);
    CHECK_MESSAGE(x.problem.empty(), x.problem);  // judges the 413's body and Connection: close
    CHECK(x.statuses() == "413");
  }
  checkStillServing(node);
}

TEST_CASE("lying, duplicated or conflicting lengths and bad chunk sizes are not answered") {
  Node node;
  const std::string head =
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  const std::string length = std::to_string(kChainIdRequest.size());
  auto chunked = [&](std::string_view chunks) {
    return head + "Transfer-Encoding: chunked\r\n\r\n" + std::string(chunks);
  };
  {
    // Shorter than the body: the body ends early (a parse error), the rest is not a request.
    Exchange x = exchange(node.port(),
                          head + "Content-Length: " + std::to_string(kChainIdRequest.size() - 12) +
                              "\r\n\r\n" + kChainIdRequest);
    CHECK_MESSAGE(x.problem.empty(), x.problem);
    REQUIRE(x.statuses() == "200");
    CHECK(json::parse(x.responses[0].body()).at("error").at("code") == -32700);
  }
  const std::vector<std::pair<std::string, std::string>> unanswerable = {
      {"Content-Length longer than the body",
       head + "Content-Length: " + std::to_string(kChainIdRequest.size() + 10) + "\r\n\r\n" +
           kChainIdRequest},
      {"two Content-Lengths that differ",
       head + "Content-Length: " + length + "\r\nContent-Length: 5\r\n\r\n" + kChainIdRequest},
      {"a Content-Length list that differs",
       head + "Content-Length: " + length + ", 5\r\n\r\n" + kChainIdRequest},
      {"a negative Content-Length", head + "Content-Length: -1\r\n\r\n" + kChainIdRequest},
      {"a Content-Length in hex", head + "Content-Length: 0x10\r\n\r\n" + kChainIdRequest},
      {"a Content-Length beyond 64 bits",
       head + "Content-Length: 99999999999999999999999\r\n\r\n" + kChainIdRequest},
      {"Content-Length and chunked together",
       head + "Content-Length: " + length + "\r\n" +
           chunkedPost({kChainIdRequest}).substr(head.size())},
      {"chunked twice", head + "Transfer-Encoding: chunked\r\n" +
                            chunkedPost({kChainIdRequest}).substr(head.size())},
      // The body is a whole request of its own; treating it as one would let a client smuggle it
      // past anything in front of the node that reads the framing as RFC 9112 says.
      {"a Transfer-Encoding that does not end in chunked",
       head + "Transfer-Encoding: gzip\r\n\r\n" + postRequest(kChainIdRequest)},
      {"a chunk size that is not hex", chunked("zz\r\n" + kChainIdRequest + "\r\n0\r\n\r\n")},
      {"a negative chunk size", chunked("-1\r\n" + kChainIdRequest + "\r\n0\r\n\r\n")},
      {"a chunk size beyond 64 bits",
       chunked("10000000000000000\r\n" + kChainIdRequest + "\r\n0\r\n\r\n")},
      {"an empty chunk size line", chunked("\r\n" + kChainIdRequest + "\r\n0\r\n\r\n")},
      {"a chunk shorter than its size", chunked("40\r\n" + kChainIdRequest + "\r\n0\r\n\r\n")},
      {"a chunk longer than its size", chunked("10\r\n" + kChainIdRequest + "\r\n0\r\n\r\n")},
      {"chunks without the last chunk", chunked("3b\r\n" + kChainIdRequest + "\r\n")},
  };
  REQUIRE(kChainIdRequest.size() == 0x3b);
  for (const auto& [name, bytes] : unanswerable) {
    CAPTURE(name);
    Exchange x = exchange(node.port(), bytes);
    CHECK_MESSAGE(x.problem.empty(), x.problem);
    CHECK_MESSAGE(x.responses.empty(), printable(x.received));
  }
  checkStillServing(node);
}

TEST_CASE(
    "HEAD gets GET's header without content, so the next answer on the connection is intact") {
  Node node;
  // Raw bytes, since a response parser must be told that an answer belongs to a HEAD request.
  RawConnection c(node.port());
  REQUIRE_MESSAGE(!c.connectError, "connect: ", c.connectError.message());
  const std::string get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  Exchange x = sendAndFinish(c,
                             "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get +
                                 "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get,
                             0);
  CHECK_MESSAGE(x.problem.empty(), x.problem);
  // Four answers: header only, full, header only, full.
  std::string_view rest = x.received;
  auto nextHeader = [&] {
    const std::size_t end = rest.find("\r\n\r\n");
    REQUIRE_MESSAGE(end != std::string_view::npos, printable(std::string(rest)));
    std::string header(rest.substr(0, end + 4));
    rest.remove_prefix(end + 4);
    return header;
  };
  auto contentLength = [](const std::string& header) {
    const std::size_t at = header.find("Content-Length: ");
    REQUIRE(at != std::string::npos);
    return std::stoul(header.substr(at + 16));
  };
  const std::string headOk = nextHeader();
  CHECK(headOk.starts_with("HTTP/1.1 200 "));
  const std::string getOk = nextHeader();
  CHECK(getOk.starts_with("HTTP/1.1 200 "));  // would be the HEAD answer's body if it had one
  CHECK(contentLength(headOk) == contentLength(getOk));
  const std::string body(rest.substr(0, contentLength(getOk)));
  CHECK(json::parse(body).at("status") == "ok");
  rest.remove_prefix(body.size());
  const std::string headMissing = nextHeader();
  CHECK(headMissing.starts_with("HTTP/1.1 404 "));
  CHECK(contentLength(headMissing) > 0);
  CHECK(nextHeader().starts_with("HTTP/1.1 200 "));
  CHECK(rest.size() == contentLength(getOk));
  checkStillServing(node);
}

TEST_CASE("foreign request lines: unknown methods get 405; HTTP/0.9, HTTP/2 and TLS are closed") {
  Node node;
  Exchange x = exchange(node.port(), "FROBNICATE / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK_MESSAGE(x.problem.empty(), x.problem);
  CHECK(x.statuses() == "405");
  x = exchange(node.port(), std::string(8000, 'M') + " / HTTP/1.1\r\n\r\n");
  CHECK_MESSAGE(x.problem.empty(), x.problem);
  CHECK(x.statuses() == "405");

  const std::string h2Settings("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
  const std::string tlsHello("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11);
  const std::vector<std::pair<std::string, std::string>> foreign = {
      {"a method with a control character", "PO\x01ST / HTTP/1.1\r\n\r\n"},
      {"HTTP/0.9", "GET /\r\n"},
      {"HTTP/1.2", "GET / HTTP/1.2\r\n\r\n"},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2Settings},
      {"a TLS ClientHello", tlsHello + std::string(160, '\x00')},
      {"a request line without a target", "POST HTTP/1.1\r\n\r\n"},
      {"NUL bytes", std::string(64, '\0')},
  };
  for (const auto& [name, bytes] : foreign) {
    CAPTURE(name);
    x = exchange(node.port(), bytes);
    CHECK_MESSAGE(x.problem.empty(), x.problem);
    CHECK_MESSAGE(x.responses.empty(), printable(x.received));
  }
  checkStillServing(node);
}

TEST_CASE("WebSocket violations close with 1002; frames and messages over the limit with 1009") {
  Node node;  // a message limit of 4096
  const std::string request = kChainIdRequest;
  struct Case {
    std::string name, frames;
    uint16_t closeCode;
    std::optional<uint16_t> orCloseCode = {};  // when RFC 6455 allows either
  };
  std::vector<Case> cases;
  for (uint16_t bad : {0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999})
    cases.push_back(
        {"close code " + std::to_string(bad), clientFrame(kClose, closePayload(bad)), 1002});
  // Codes RFC 6455 leaves undefined: refused, or echoed as an application's code (Autobahn 7.13).
  for (uint16_t undefined : {5000, 65535})
    cases.push_back({"close code " + std::to_string(undefined),
                     clientFrame(kClose, closePayload(undefined)), 1002, undefined});
  cases.push_back({"close with a one-byte payload", clientFrame(kClose, "\x03"), 1002});
  cases.push_back({"close with a reason that is not UTF-8",
                   clientFrame(kClose, closePayload(1000, "\xc3\x28")), 1002});
  cases.push_back(
      {"close with an application code", clientFrame(kClose, closePayload(4000)), 4000});
  cases.push_back({"a 64-bit length of 2^40",
                   clientFrameHeader(kText, uint64_t(1) << 40) + masked(request), 1009});
  cases.push_back({"a 64-bit length with the top bit set",
                   clientFrameHeader(kText, ~uint64_t(0)) + masked(request), 1009});
  cases.push_back({"a 16-bit length one over the limit",
                   clientFrameHeader(kText, kMaxBody + 1) + masked(request), 1009});
  cases.push_back({"a message over the limit in fragments",
                   clientFrame(kText, std::string(2000, ' '), false) +
                       clientFrame(kContinuation, std::string(2000, ' '), false) +
                       clientFrame(kContinuation, std::string(200, ' ')),
                   1009});
  cases.push_back({"a 64-bit length below 65536",
                   clientFrameHeader(kText, request.size(), true, true) + masked(request), 1002});
  cases.push_back({"an unmasked frame", std::string{'\x81', char(request.size())} + request, 1002});
  cases.push_back({"reserved bits", '\xf1' + clientFrame(kText, request).substr(1), 1002});
  cases.push_back({"an unknown opcode", clientFrame(3, request), 1002});
  cases.push_back({"a fragmented ping", clientFrame(kPing, "p", false), 1002});
  cases.push_back({"a ping of 126 bytes", clientFrame(kPing, std::string(126, 'p')), 1002});
  cases.push_back({"a continuation without a message", clientFrame(kContinuation, request), 1002});
  cases.push_back({"a new message inside a fragmented one",
                   clientFrame(kText, request.substr(0, 5), false) + clientFrame(kText, request),
                   1002});
  cases.push_back({"text that is not UTF-8", clientFrame(kText, "\"\xff\xfe\""), 1007});
  for (const Case& c : cases) {
    CAPTURE(c.name);
    // A request first, to see that the connection worked up to the violation.
    Exchange x = webSocketExchange(node.port(), clientFrame(kText, request) + c.frames);
    CHECK_MESSAGE(x.problem.empty(), x.problem);
    CHECK(x.messages == std::vector<std::string>{kChainIdAnswer});
    CHECK_MESSAGE((x.closeCode == c.closeCode || (c.orCloseCode && x.closeCode == c.orCloseCode)),
                  "close code: ", x.closeCode ? std::to_string(*x.closeCode) : "none");
  }
  CHECK(webSocketSessionsGone(node));
  checkStillServing(node);
}

TEST_CASE("idle, trickling and 200 half-open connections do not keep other clients waiting") {
  {
    Node node;  // the documented 30 s per request: nothing below is closed for being slow
    enum Kind { kSilent, kHalfRequestLine, kHalfBody, kAnswerNeverRead, kIdleWebSocket, kKinds };
    constexpr int kConnections = 200;
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < kConnections; ++i) {
      auto c = std::make_unique<RawConnection>(node.port());
      REQUIRE_MESSAGE(!c->connectError, "connection ", i, ": ", c->connectError.message());
      switch (i % kKinds) {
        case kSilent:
          break;
        case kHalfRequestLine:
          REQUIRE_FALSE(c->write("POST / HT"));
          break;
        case kHalfBody:
          REQUIRE_FALSE(c->write(postRequest(std::string(4000, ' ')).substr(0, 300)));
          break;
        case kAnswerNeverRead:
          REQUIRE_FALSE(c->write(postRequest(kChainIdRequest)));
          c->halfClose();
          break;
        case kIdleWebSocket:
          REQUIRE_FALSE(c->write(kUpgradeRequest));
          REQUIRE(c->readUntil("\r\n\r\n"));
          REQUIRE(c->received.starts_with("HTTP/1.1 101 "));
          break;
      }
      held.push_back(std::move(c));
    }
    CHECK(node.server->webSocketConnections() == kConnections / kKinds);
    checkStillServing(node);  // bounded: every call fails after 3 s
    held.clear();
    CHECK(webSocketSessionsGone(node));
    checkStillServing(node);
  }
  {
    ServerOptions o = hostileOptions();
    o.httpIdleTimeout = 1s;
    Node node(o);
    RawConnection silent(node.port());
    REQUIRE_FALSE(silent.connectError);
    // A request sent a byte at a time, never finishing within the time allowed per request: the
    // server must cut it off, not extend its deadline with every byte.
    RawConnection trickle(node.port());
    REQUIRE_FALSE(trickle.connectError);
    const std::string request = postRequest(kChainIdRequest);
    bool closed = false;
    for (std::size_t i = 0; i < 40 && !closed; ++i) {
      trickle.write(request.substr(i, 1));
      closed = trickle.readToEnd(125ms);  // 40 * 125 ms bounds the loop
      if (i == 4) {
        RawConnection other(node.port());
        REQUIRE_FALSE(other.connectError);
        CHECK(chainIdOver(other) == json::parse(kChainIdAnswer));
      }
    }
    CHECK(closed);
    CHECK(trickle.received.empty());
    CHECK(silent.readToEnd());
    CHECK(silent.received.empty());
    checkStillServing(node);
  }
}

TEST_CASE("in-flight budget: a body or an answer that does not fit gets 503; freed, it serves") {
  {
    ServerOptions o = hostileOptions();
    o.maxInFlightBytes = 3 * kMaxBody;
    Node node(o);
    // Two clients declare the largest body and send its first 100 bytes, a third sends a first
    // chunk (a chunked body may grow to the limit): the budget is full.
    const std::string padded =
        kChainIdRequest + std::string(kMaxBody - kChainIdRequest.size(), ' ');
    const std::string request = postRequest(padded);
    const std::size_t split = request.size() - kMaxBody + 100;
    const std::string chunked = chunkedPost({std::string(100, ' ')});
    const std::string firstChunk = chunked.substr(0, chunked.size() - 5);  // no last chunk
    std::vector<std::unique_ptr<RawConnection>> holders;
    for (std::size_t i = 0; i < 3; ++i) {
      holders.push_back(std::make_unique<RawConnection>(node.port()));
      REQUIRE_FALSE(holders.back()->write(i < 2 ? request.substr(0, split) : firstChunk));
      REQUIRE(inFlightReaches(node, (i + 1) * kMaxBody));
    }

    RawConnection refused(node.port());
    std::optional<Response> res = refused.roundTrip(postRequest(kChainIdRequest));
    REQUIRE(res);
    CHECK(res->result() == http::status::service_unavailable);
    CHECK((*res)[http::field::retry_after] == "1");
    CHECK(json::parse(res->body()) == busyAnswer(3 * kMaxBody));
    CHECK(judgeResponse(*res).empty());
    CHECK_FALSE(res->keep_alive());
    CHECK(refused.readToEnd());  // its body was never read

    // A holder that finishes is answered; its share comes back once the answer is written.
    res = holders[0]->roundTrip(request.substr(split));
    REQUIRE(res);
    CHECK(json::parse(res->body()) == json::parse(kChainIdAnswer));
    CHECK(inFlightReaches(node, 2 * kMaxBody));
    RawConnection next(node.port());
    CHECK(chainIdOver(next) == json::parse(kChainIdAnswer));
    holders.clear();  // clients that leave give their shares back
    CHECK(inFlightReaches(node, 0));
    checkStillServing(node);
  }
  {
    // An answer larger than the budget: refused, and the connection goes on.
    const std::string blocks =
        R"([{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x9",true]},)"
        R"({"jsonrpc":"2.0","id":2,"method":"eth_getBlockByNumber","params":["0x8",true]},)"
        R"({"jsonrpc":"2.0","id":3,"method":"eth_getBlockByNumber","params":["0x7",true]}])";
    std::size_t answerSize = 0;
    {
      Node roomy;  // the default budget
      RawConnection c(roomy.port());
      std::optional<Response> res = c.roundTrip(postRequest(blocks));
      REQUIRE(res);
      REQUIRE(res->result() == http::status::ok);
      answerSize = res->body().size();
    }
    REQUIRE(answerSize > kMaxBody);
    ServerOptions o = hostileOptions();
    o.maxInFlightBytes = kMaxBody;  // the least a server accepts
    Node node(o);
    RawConnection c(node.port());
    // From a browser page of an allowed origin: it may read the refusal (CORS).
    std::optional<Response> res =
        c.roundTrip(postRequest(blocks, "Origin: " + std::string(kAllowedOrigin) + "\r\n"));
    REQUIRE(res);
    CHECK(res->result() == http::status::service_unavailable);
    CHECK(json::parse(res->body()) == busyAnswer(kMaxBody));
    CHECK((*res)[http::field::access_control_allow_origin] == kAllowedOrigin);
    CHECK(res->keep_alive());  // the request was read whole
    CHECK(chainIdOver(c) == json::parse(kChainIdAnswer));
    CHECK(inFlightReaches(node, 0));
  }
  {
    ServerOptions o = hostileOptions();
    o.maxInFlightBytes = kMaxBody - 1;
    Dispatcher d;
    CHECK_THROWS_AS(Server(o, d), std::invalid_argument);
  }
}

TEST_CASE(
    "in-flight budget: a WebSocket message that cannot grow is read to its end, dropped, "
    "and answered -32005; the connection goes on") {
  ServerOptions o = hostileOptions();
  o.maxBodyBytes = 1024 * 1024;         // messages long enough to outgrow the free first 64 KiB
  o.maxInFlightBytes = o.maxBodyBytes;  // the least a server accepts
  Node node(o);
  constexpr std::size_t kKiB = 1024;

  // A web3_sha3 of 150 KiB of data, its first 280 KiB of text sent: the server's buffer has
  // doubled to 512 KiB, of which all but the free first 64 KiB is held.
  const std::string data(150 * kKiB, '\xab');
  const std::string request = R"({"jsonrpc":"2.0","id":7,"method":"web3_sha3","params":["0x)" +
                              toHex(asBytes(data), false) + R"("]})";
  const std::size_t split = 280 * kKiB;
  WsClient holder(node.port());
  holder.writePart(std::string_view(request).substr(0, split), false);
  REQUIRE(inFlightReaches(node, 448 * kKiB));

  // The budget is shared with HTTP: a body declared larger than what is left gets 503 at once.
  RawConnection http(node.port());
  std::optional<Response> res = http.roundTrip(
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(600 * kKiB) + "\r\n\r\n");
  REQUIRE(res);
  CHECK(res->result() == http::status::service_unavailable);
  CHECK(json::parse(res->body()) == busyAnswer(o.maxInFlightBytes));

  // A second message (a valid request after 600 KiB of blanks) needs 960 KiB past 448 KiB of
  // text: it cannot grow, so it is thrown away, however much more arrives, and gets the error.
  WsClient refused(node.port());
  refused.writePart(std::string(600 * kKiB, ' '), false);
  refused.writePart(kChainIdRequest, true);
  CHECK(refused.read() == busyAnswer(o.maxInFlightBytes));
  CHECK(node.server->inFlightBytes() == 448 * kKiB);  // what it had held came back
  CHECK(refused.call(kChainIdRequest) == json::parse(kChainIdAnswer));

  // The holder's message, read in chunks, arrives whole.
  holder.writePart(std::string_view(request).substr(split), true);
  const json::value answer = holder.read();
  CHECK(answer.at("id") == 7);
  CHECK(answer.at("result") == json::value(keccak256(std::string_view(data)).hex()));
  CHECK(inFlightReaches(node, 0));
  const std::string err = node.stderrCapture.captured();
  CHECK_MESSAGE(err.find("unexpected exception") == std::string::npos, err);
}

TEST_CASE(
    "accept: out of file descriptors, the server waits instead of spinning; the clients "
    "left in the listen backlog are served once descriptors are back") {
  Node node;
  net::io_context io;
  tn::test::DescriptorExhaustion out = tn::test::exhaustDescriptors(io, node.port(), 500ms);
  REQUIRE(out.limitsSet);
  REQUIRE(out.ranOut);
  CHECK_MESSAGE(out.cpuMicrosWhileOut < 150'000, "the server used ", out.cpuMicrosWhileOut,
                " µs of CPU in 500 ms while out of fds");

  // Every client that connected, accepted before the limit or waiting in the backlog since, is
  // answered: the server retries accept() and takes them once descriptors are back.
  const std::string request = postRequest(kChainIdRequest);
  std::size_t answered = 0;
  for (auto& c : out.clients) {
    error_code ec;
    net::write(*c, net::buffer(request), ec);
    if (ec) continue;
    c->non_blocking(true);
    std::string got;
    std::array<char, 4096> buffer{};
    for (auto end = std::chrono::steady_clock::now() + 5s;
         got.find(kChainIdAnswer) == std::string::npos && std::chrono::steady_clock::now() < end;) {
      const std::size_t n = c->read_some(net::buffer(buffer), ec);
      if (ec == net::error::would_block)
        std::this_thread::sleep_for(5ms);
      else if (ec)
        break;
      else
        got.append(buffer.data(), n);
    }
    answered += got.find(kChainIdAnswer) != std::string::npos;
  }
  CHECK(answered == out.clients.size());
  out.clients.clear();
  checkStillServing(node);
}

TEST_SUITE_END();

}  // namespace tn::rpc
