#include "rpc/dispatcher.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

#include "chain/module.hpp"       // Revert
#include "chain/transaction.hpp"  // TxError
#include "rpc/format.hpp"

namespace tn::rpc {

namespace json = boost::json;

RpcError Params::error(std::size_t i, const std::string& what) const {
  std::string name = i < method_->params.size() ? method_->params[i].name : "?";
  return invalidParams("invalid argument " + std::to_string(i) + " (" + name + "): " + what);
}

Dispatcher::Dispatcher() {
  add({"rpc_methods",
       "Lists every method with its parameters and result.",
       {},
       "array of {name, summary, params: [{name, type, required}], result}",
       [this](const Params&, CallContext&) -> json::value { return describe(); }});
}

void Dispatcher::add(MethodDecl m) {
  if (!m.handler) throw std::logic_error("rpc method " + m.name + " has no handler");
  bool optionalSeen = false;
  for (const auto& p : m.params) {
    if (p.required && optionalSeen)
      throw std::logic_error("rpc method " + m.name + ": required parameter after an optional one");
    optionalSeen |= !p.required;
  }
  const std::string name = m.name;
  if (!methods_.try_emplace(name, std::move(m)).second)
    throw std::logic_error("rpc method declared twice: " + name);
}

const MethodDecl* Dispatcher::find(std::string_view name) const {
  auto it = methods_.find(name);
  return it == methods_.end() ? nullptr : &it->second;
}

json::array Dispatcher::describe() const {
  json::array out;
  out.reserve(methods_.size());
  for (const auto& [name, m] : methods_) {
    json::array params;
    for (const auto& p : m.params)
      params.emplace_back(json::object{{"name", p.name}, {"type", p.type}, {"required", p.required}});
    out.emplace_back(json::object{{"name", name},
                                  {"summary", m.summary},
                                  {"params", std::move(params)},
                                  {"result", m.result}});
  }
  return out;
}

json::value Dispatcher::errorResponse(const json::value& id, const RpcError& e) {
  json::object err{{"code", e.code}, {"message", e.what()}};
  if (!e.data.is_null()) err["data"] = e.data;
  return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}};
}

std::optional<std::string> Dispatcher::handle(std::string_view body, CallContext& ctx) const {
  json::error_code ec;
  json::value request = json::parse(body, ec);
  if (ec) {
    return json::serialize(
        errorResponse(nullptr, RpcError(code::kParseError, "parse error: " + ec.message())));
  }
  if (!request.is_array()) {
    auto response = handleOne(request, ctx);
    if (!response) return std::nullopt;
    return json::serialize(*response);
  }
  const auto& batch = request.get_array();
  if (batch.empty())
    return json::serialize(errorResponse(nullptr, RpcError(code::kInvalidRequest, "empty batch")));
  if (batch.size() > ctx.maxBatch) {
    return json::serialize(errorResponse(
        nullptr, RpcError(code::kInvalidRequest,
                          "batch too large: " + std::to_string(batch.size()) + " requests, max " +
                              std::to_string(ctx.maxBatch))));
  }
  // Answers are serialized one by one into the output, so the batch's size is known as it grows
  // and no second copy of the whole answer is built.
  std::string out = "[";
  bool any = false;
  for (const auto& item : batch) {
    std::optional<json::value> response;
    if (out.size() < ctx.maxBatchResponseBytes) {
      response = handleOne(item, ctx);
    } else if (const json::value* id = requestId(item)) {  // notifications get nothing
      response = errorResponse(*id, RpcError(code::kResponseTooLarge, "response too large"));
    }
    if (!response) continue;
    if (any) out += ',';
    out += json::serialize(*response);
    any = true;
  }
  if (!any) return std::nullopt;
  out += ']';
  return out;
}

// The id a batch item is answered with (null for an item too broken to have one), or nullptr for
// a notification, which gets no answer.
const json::value* Dispatcher::requestId(const json::value& item) {
  static const json::value kNull = nullptr;
  if (!item.is_object()) return &kNull;
  const json::value* id = item.get_object().if_contains("id");
  if (!id) return nullptr;
  return echoableId(*id) ? id : &kNull;
}

// A string, a number or null, and not a number that would be echoed as something other than JSON
// (Boost.JSON reads 1e400 as infinity, which serializes as Infinity).
bool Dispatcher::echoableId(const json::value& id) {
  if (id.is_double()) return std::isfinite(id.get_double());
  return id.is_string() || id.is_number() || id.is_null();
}

std::optional<json::value> Dispatcher::handleOne(const json::value& request,
                                                 CallContext& ctx) const {
  auto invalid = [](const json::value& id, const std::string& why) {
    return errorResponse(id, RpcError(code::kInvalidRequest, "invalid request: " + why));
  };
  if (!request.is_object()) return invalid(nullptr, "not an object");
  const auto& o = request.get_object();

  const json::value* idp = o.if_contains("id");
  const bool notification = idp == nullptr;
  json::value id = nullptr;
  if (idp) {
    if (!idp->is_string() && !idp->is_number() && !idp->is_null())
      return invalid(nullptr, "id must be a string, a number or null");
    if (!echoableId(*idp)) return invalid(nullptr, "id must be a finite number");
    id = *idp;
  }
  // Structurally broken requests are answered even without an id (spec §5: id null).
  const json::value* version = o.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->get_string() != "2.0")
    return invalid(id, "jsonrpc must be \"2.0\"");
  const json::value* method = o.if_contains("method");
  if (!method || !method->is_string()) return invalid(id, "method must be a string");
  const json::value* params = o.if_contains("params");
  if (params && !params->is_array() && !params->is_object() && !params->is_null())
    return invalid(id, "params must be an array or an object");

  json::value result;
  try {
    const MethodDecl* m = find(method->get_string());
    if (!m) {
      throw RpcError(code::kMethodNotFound, "the method " + std::string(method->get_string()) +
                                                " does not exist/is not available");
    }
    result = call(*m, params, ctx);
  } catch (const RpcError& e) {
    if (notification) return std::nullopt;
    return errorResponse(id, e);
  } catch (const TxError& e) {
    if (notification) return std::nullopt;
    return errorResponse(id, RpcError(e.code, e.what()));
  } catch (const Revert& e) {
    if (notification) return std::nullopt;
    return errorResponse(id, revertError(e.data, e.what()));
  } catch (const std::exception& e) {
    if (notification) return std::nullopt;
    return errorResponse(id, RpcError(code::kInternal, std::string("internal error: ") + e.what()));
  }
  if (notification) return std::nullopt;
  return json::object{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"result", std::move(result)}};
}

json::value Dispatcher::call(const MethodDecl& m, const json::value* params,
                             CallContext& ctx) const {
  const std::size_t declared = m.params.size();
  json::array values(declared);  // all null
  if (params && params->is_array()) {
    const auto& given = params->get_array();
    if (given.size() > declared) {
      throw invalidParams("too many arguments, want at most " + std::to_string(declared));
    }
    for (std::size_t i = 0; i < given.size(); ++i) values[i] = given[i];
  } else if (params && params->is_object()) {
    // By-name parameters map onto the declared positions.
    for (const auto& [key, value] : params->get_object()) {
      std::size_t i = 0;
      while (i < declared && m.params[i].name != key) ++i;
      if (i == declared) throw invalidParams("unknown argument '" + std::string(key) + "'");
      values[i] = value;
    }
  }
  for (std::size_t i = 0; i < declared; ++i) {
    if (m.params[i].required && values[i].is_null()) {
      throw invalidParams("missing value for required argument " + std::to_string(i) + " (" +
                          m.params[i].name + ")");
    }
  }
  return m.handler(Params(m, std::move(values)), ctx);
}

}  // namespace tn::rpc
