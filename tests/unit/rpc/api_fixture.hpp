// A dispatcher with the eth_ methods over a FakeBackend, and helpers to read its answers.
#pragma once

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <string_view>

#include "rpc/eth_api.hpp"
#include "tests/unit/rpc/fake_backend.hpp"

namespace tn::rpc::test {

struct Api {
  FakeBackend be;
  Dispatcher d;
  explicit Api(const EthApiOptions& options = {}) { addEthApi(d, be, options); }

  // The whole response to one request.
  boost::json::value request(std::string_view method, std::string_view params,
                             CallContext* ctx = nullptr) {
    CallContext http;
    std::string body = R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(method) +
                       R"(","params":)" + std::string(params) + "}";
    auto out = d.handle(body, ctx ? *ctx : http);
    REQUIRE(out.has_value());
    return boost::json::parse(*out);
  }
  boost::json::value result(std::string_view method, std::string_view params = "[]",
                            CallContext* ctx = nullptr) {
    boost::json::value r = request(method, params, ctx);
    INFO(boost::json::serialize(r));
    REQUIRE(r.as_object().contains("result"));
    return r.at("result");
  }
  boost::json::object error(std::string_view method, std::string_view params,
                            CallContext* ctx = nullptr) {
    boost::json::value r = request(method, params, ctx);
    INFO(boost::json::serialize(r));
    REQUIRE(r.as_object().contains("error"));
    CHECK_FALSE(r.as_object().contains("result"));
    return r.at("error").as_object();
  }
};

inline int64_t codeOf(const boost::json::object& e) {
  return e.at("code").to_number<int64_t>();
}
inline std::string messageOf(const boost::json::object& e) {
  return std::string(e.at("message").as_string());
}

inline std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace tn::rpc::test
