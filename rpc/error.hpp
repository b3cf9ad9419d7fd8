// JSON-RPC error codes and the exception that handlers and the Backend throw to answer with one.
#pragma once

#include <stdexcept>
#include <string>

#include <boost/json/value.hpp>

namespace tn::rpc {

namespace code {
// JSON-RPC 2.0 (https://www.jsonrpc.org/specification#error_object).
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternal = -32603;
// Ethereum conventions (geth, EIP-1474).
inline constexpr int kServer = -32000;         // tx admission, unknown block, missing state
inline constexpr int kResponseTooLarge = -32003;  // a batch's answers past its size cap (geth)
inline constexpr int kLimitExceeded = -32005;  // log query too large
inline constexpr int kExecutionReverted = 3;   // eth_call / eth_estimateGas revert, data = payload
}  // namespace code

// Thrown by handlers and by the Backend; the dispatcher turns it into the response's error object.
// `data` stays null unless there is something to attach (the revert payload as 0x-hex, say).
struct RpcError : std::runtime_error {
  int code;
  boost::json::value data;

  RpcError(int c, const std::string& message, boost::json::value d = nullptr)
      : std::runtime_error(message), code(c), data(std::move(d)) {}
};

inline RpcError invalidParams(const std::string& message) {
  return RpcError(code::kInvalidParams, message);
}

}  // namespace tn::rpc
