// The only TU that includes Beast: it is slow to compile, so keep it out of headers.
#include "apps/tncli/rpc_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "chain/abi.hpp"
#include "chain/u256.hpp"

namespace tn::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxResponse = 64 * 1024 * 1024;

std::string lowerFirst(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string seconds(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
  return std::to_string(ms.count()) + " ms";
}

// Runs the io_context until the pending operation completes or `left` elapses; on expiry calls
// `cancel` and drains, so the handler has run before we return either way.
template <class Cancel>
bool runFor(asio::io_context& ioc, std::chrono::milliseconds left, Cancel cancel) {
  ioc.restart();
  ioc.run_for(left);
  if (ioc.stopped()) return true;
  cancel();
  ioc.restart();
  ioc.run();
  return false;
}

std::string panicName(uint64_t code) {
  switch (code) {
    case 0x01: return "assertion failed";
    case 0x11: return "arithmetic overflow or underflow";
    case 0x12: return "division or modulo by zero";
    case 0x21: return "invalid enum value";
    case 0x22: return "invalid storage byte array";
    case 0x31: return "pop on an empty array";
    case 0x32: return "array index out of bounds";
    case 0x41: return "out of memory";
    case 0x51: return "call to an invalid internal function";
    default: return "unknown panic code";
  }
}

std::optional<Bytes> hexData(const json::value* v) {
  if (!v || !v->is_string()) return std::nullopt;
  std::string_view s = v->as_string();
  if (s.substr(0, 2) != "0x") return std::nullopt;
  try {
    return fromHex(s);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

}  // namespace

std::string revertMessage(BytesView data) {
  if (data.empty()) return "reverted (no reason given)";
  if (auto reason = abi::decodeError(data)) return "reverted: " + *reason;
  static constexpr uint8_t kPanic[4] = {0x4e, 0x48, 0x7b, 0x71};  // Panic(uint256)
  if (data.size() == 36 && std::equal(kPanic, kPanic + 4, data.begin())) {
    U256 code = u256FromBE(data.subspan(4));
    uint64_t small = code > U256(0xffff) ? 0xffff : toU64(code);
    return "reverted: panic " + toQuantity(code) + " (" + panicName(small) + ")";
  }
  return "reverted with data " + toHex(data);
}

RpcClient::RpcClient(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  // "127.0.0.1:8545" is what people type: default the scheme before taking views into url_.
  if (url_.find("://") == std::string::npos) url_ = "http://" + url_;
  std::string_view rest = url_;
  std::size_t scheme = rest.find("://");
  std::string_view s = rest.substr(0, scheme);
  if (s == "https") throw std::invalid_argument("https is not supported (" + url_ + "); use http://");
  if (s != "http") throw std::invalid_argument("unsupported URL scheme in " + url_);
  rest.remove_prefix(scheme + 3);
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  target_ = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) throw std::invalid_argument("no host in URL " + url_);
  if (authority.front() == '[') {  // [::1]:8545
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("malformed URL " + url_);
    host_ = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') throw std::invalid_argument("malformed URL " + url_);
    port_ = authority.empty() ? "80" : std::string(authority.substr(1));
  } else {
    std::size_t colon = authority.rfind(':');
    host_ = std::string(authority.substr(0, colon));
    port_ = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  }
  if (host_.empty() || port_.empty() ||
      port_.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("malformed URL " + url_);
}

std::string RpcClient::post(const std::string& body) {
  const auto deadline = Clock::now() + timeout_;
  auto left = [&] {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(ms, std::chrono::milliseconds(1));
  };
  const std::string unreachable = "cannot reach node at " + url_ + ": ";

  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(host_, port_, [&](beast::error_code e, tcp::resolver::results_type r) {
    ec = e;
    endpoints = std::move(r);
  });
  if (!runFor(ioc, left(), [&] { resolver.cancel(); }))
    throw NodeError(unreachable + "name lookup timed out");
  if (ec) throw NodeError(unreachable + lowerFirst(ec.message()));

  // tcp_stream's expiry turns a stalled connect/write/read into beast::error::timeout.
  beast::tcp_stream stream(ioc);
  auto timedOut = [&] { return ec == beast::error::timeout; };
  stream.expires_after(left());
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc.restart();
  ioc.run();
  if (timedOut()) throw NodeError(unreachable + "timed out after " + seconds(timeout_));
  if (ec) throw NodeError(unreachable + lowerFirst(ec.message()));

  http::request<http::string_body> req{http::verb::post, target_, 11};
  req.set(http::field::host, host_.find(':') != std::string::npos ? "[" + host_ + "]:" + port_
                                                                  : host_ + ":" + port_);
  req.set(http::field::user_agent, "tncli");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json");
  req.body() = body;
  req.prepare_payload();
  stream.expires_after(left());
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.restart();
  ioc.run();
  if (timedOut()) throw NodeError("node at " + url_ + " did not accept the request within " +
                                  seconds(timeout_));
  if (ec) throw NodeError("sending to node at " + url_ + " failed: " + lowerFirst(ec.message()));

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponse);
  stream.expires_after(left());
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.restart();
  ioc.run();
  if (timedOut())
    throw NodeError("node at " + url_ + " did not answer within " + seconds(timeout_));
  if (ec) throw NodeError("reading from node at " + url_ + " failed: " + lowerFirst(ec.message()));
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  auto& res = parser.get();
  // Some servers put a JSON-RPC error in a 4xx/5xx body; let the caller read it when it parses.
  if (res.result_int() != 200) {
    json::value v = json::parse(res.body(), ignored);
    if (ignored || !v.is_object() || !v.as_object().contains("error"))
      throw NodeError("node at " + url_ + " answered HTTP " + std::to_string(res.result_int()) +
                      " " + std::string(res.reason()));
  }
  return std::move(res.body());
}

json::value RpcClient::call(std::string_view method, json::array params) {
  uint64_t id = nextId_++;
  json::object req{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  std::string text = post(json::serialize(req));

  beast::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object())
    throw NodeError("node at " + url_ + " sent an invalid JSON-RPC response to " +
                    std::string(method));
  json::object& res = v.as_object();
  if (const json::value* err = res.if_contains("error"); err && !err->is_null()) {
    int code = 0;
    std::string message = "unknown error";
    std::optional<Bytes> data;
    if (err->is_object()) {
      const json::object& e = err->as_object();
      if (const json::value* c = e.if_contains("code"); c && c->is_int64())
        code = static_cast<int>(c->as_int64());
      if (const json::value* m = e.if_contains("message"); m && m->is_string())
        message = std::string(m->as_string());
      data = hexData(e.if_contains("data"));
    }
    std::string what;
    if (code == kRpcExecutionReverted)
      what = revertMessage(data.value_or(Bytes{}));
    else if (data && message.find("revert") != std::string::npos)
      what = revertMessage(*data);
    else if (code == kRpcMethodNotFound)
      what = "node at " + url_ + " does not support " + std::string(method);
    else
      what = message + " (" + std::string(method) + ", JSON-RPC error " + std::to_string(code) + ")";
    throw RpcError(code, std::move(message), std::move(data), what);
  }
  if (!res.contains("result"))
    throw NodeError("node at " + url_ + " sent a response to " + std::string(method) +
                    " without a result");
  return std::move(res["result"]);
}

}  // namespace tn::cli
