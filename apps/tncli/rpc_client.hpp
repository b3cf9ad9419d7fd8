// A small synchronous JSON-RPC 2.0 client over HTTP/1.1 (Boost.Beast), with a deadline per call
// and errors phrased for a person at a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "state/bytes.hpp"

namespace tn::cli {

// The node could not be reached, answered garbage, or refused the request: exit status 2.
struct NodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A JSON-RPC error object. what() is already readable ("reverted: not owner" for code 3).
struct RpcError : NodeError {
  int code;
  std::string rpcMessage;          // the node's own message
  std::optional<Bytes> revertData;  // `data` when it is hex (revert payload)
  RpcError(int c, std::string message, std::optional<Bytes> data, const std::string& what)
      : NodeError(what), code(c), rpcMessage(std::move(message)), revertData(std::move(data)) {}
};

inline constexpr int kRpcMethodNotFound = -32601;
inline constexpr int kRpcExecutionReverted = 3;

// "reverted: <reason>" for Error(string), a named Panic(uint256), otherwise the raw data.
std::string revertMessage(BytesView data);

class RpcClient {
 public:
  // url: http://host[:port][/path] (scheme optional, default port 80). Throws
  // std::invalid_argument for an unsupported scheme or a malformed URL.
  explicit RpcClient(std::string url, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Calls `method` and returns its `result` (null included). Throws NodeError / RpcError.
  boost::json::value call(std::string_view method, boost::json::array params = {});

  const std::string& url() const { return url_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  std::string post(const std::string& body);

  std::string url_;
  std::string host_;
  std::string port_;
  std::string target_;
  std::chrono::milliseconds timeout_;
  uint64_t nextId_ = 1;
};

}  // namespace tn::cli
