// JSON-RPC 2.0 dispatch over a declared method table. Each method is declared once (name, summary,
// parameters, result, handler); the declaration drives argument checking, by-name parameters and
// the `rpc_methods` listing, so help and behaviour cannot drift apart.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "rpc/error.hpp"

namespace tn::rpc {

class SubscriptionSet;

struct ParamDecl {
  std::string name;
  std::string type;  // for people: "Address", "Quantity|Tag", "CallObject", ...
  bool required = true;
};

// What the transport tells a handler about the request's connection.
struct CallContext {
  // The connection's subscriptions; null over HTTP, where eth_subscribe is refused.
  SubscriptionSet* subscriptions = nullptr;
  // Requests in one batch at most; a larger batch is answered with a single error.
  std::size_t maxBatch = 1000;
  // Serialized answers of one batch at most, like geth's BatchResponseMaxSize: once they reach
  // it, the batch's remaining requests are not run and get -32003 "response too large". Each
  // method caps its own answer; without this, a small batch of large reads could make the node
  // build gigabytes.
  std::size_t maxBatchResponseBytes = 25'000'000;
};

struct MethodDecl;

// A method's arguments, one slot per declared parameter (absent ones are null).
class Params {
 public:
  Params(const MethodDecl& method, boost::json::array values)
      : method_(&method), values_(std::move(values)) {}

  std::size_t size() const { return values_.size(); }
  // Given and not null.
  bool has(std::size_t i) const { return i < values_.size() && !values_[i].is_null(); }
  const boost::json::value& operator[](std::size_t i) const { return values_.at(i); }

  // Parses argument i with `parser` (see params.hpp); a missing argument or a parser failure
  // becomes -32602 naming the argument.
  template <class F>
  auto get(std::size_t i, F&& parser) const {
    if (!has(i)) throw error(i, "missing value");
    try {
      return parser(values_[i]);
    } catch (const std::exception& e) {
      throw error(i, e.what());
    }
  }
  template <class F, class T>
  T getOr(std::size_t i, F&& parser, T fallback) const {
    return has(i) ? T(get(i, std::forward<F>(parser))) : fallback;
  }

  // -32602 "invalid argument i (name): what".
  RpcError error(std::size_t i, const std::string& what) const;

 private:
  const MethodDecl* method_;
  boost::json::array values_;
};

using Handler = std::function<boost::json::value(const Params&, CallContext&)>;

struct MethodDecl {
  std::string name;
  std::string summary;
  std::vector<ParamDecl> params;  // required ones first
  std::string result;             // what the result is, for people
  Handler handler;
};

class Dispatcher {
 public:
  // Declares `rpc_methods`, which lists the table.
  Dispatcher();

  // Throws std::logic_error on a duplicate name, a missing handler or an optional parameter
  // before a required one. Not thread-safe: declare everything before serving.
  void add(MethodDecl method);
  const MethodDecl* find(std::string_view name) const;
  // The table as rpc_methods returns it: [{name, summary, params: [{name, type, required}], result}].
  boost::json::array describe() const;

  // A request body (single or batch) → the response body, or nullopt when nothing is to be sent
  // (notifications only). Never throws for bad input. Thread-safe if the handlers are.
  std::optional<std::string> handle(std::string_view body, CallContext& ctx) const;
  // One request object → its response, or nullopt for a notification.
  std::optional<boost::json::value> handleOne(const boost::json::value& request,
                                              CallContext& ctx) const;

  // {"jsonrpc":"2.0","id":id,"error":{code,message[,data]}}.
  static boost::json::value errorResponse(const boost::json::value& id, const RpcError& e);

 private:
  static const boost::json::value* requestId(const boost::json::value& item);
  static bool echoableId(const boost::json::value& id);
  boost::json::value call(const MethodDecl& m, const boost::json::value* params,
                          CallContext& ctx) const;

  std::map<std::string, MethodDecl, std::less<>> methods_;  // ordered: rpc_methods is stable
};

}  // namespace tn::rpc
