// docs/RPC.md documents every method exactly as rpc_methods declares it (with the default
// EthApiOptions and TnApiOptions), and nothing that is not declared.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <boost/json/parse.hpp>

#include "rpc/eth_api.hpp"
#include "rpc/tn_api.hpp"
#include "tests/unit/rpc/fake_backend.hpp"

namespace tn::rpc {

namespace json = boost::json;

namespace {

// The Markdown of one rpc_methods entry, as docs/RPC.md shows it before the method's errors.
std::string renderMethod(const json::object& m) {
  auto str = [](const json::value& v) { return std::string(v.as_string()); };
  std::string out = "### " + str(m.at("name")) + "\n\n" + str(m.at("summary")) + "\n\n";
  const auto& params = m.at("params").as_array();
  if (params.empty()) {
    out += "Parameters: none.\n\n";
  } else {
    out += "Parameters:\n\n";
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& p = params[i].as_object();
      out += std::to_string(i + 1) + ". `" + str(p.at("name")) + "`" +
             (p.at("required").as_bool() ? "" : " (optional)") + ": `" + str(p.at("type")) + "`\n";
    }
    out += "\n";
  }
  out += "Result: `" + str(m.at("result")) + "`\n";
  return out;
}

std::filesystem::path docsFile() {
  // tests/unit/rpc/docs_test.cpp → the source tree's root.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
         "docs" / "RPC.md";
}

}  // namespace

TEST_CASE("docs/RPC.md documents every method as rpc_methods declares it") {
  test::FakeBackend be;
  Dispatcher d;
  addEthApi(d, be);
  addTnApi(d, be);
  const json::array methods = d.describe();

  // TN_RPC_DOCS_OUT=FILE writes the generated fragments, to paste into docs/RPC.md.
  if (const char* out = std::getenv("TN_RPC_DOCS_OUT")) {
    std::ofstream f(out);
    for (const auto& m : methods) f << renderMethod(m.as_object()) << "\n";
  }

  std::ifstream in(docsFile());
  REQUIRE_MESSAGE(in.good(), "cannot read " << docsFile());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();

  std::set<std::string> declared;
  for (const auto& m : methods) {
    const std::string fragment = renderMethod(m.as_object());
    declared.insert(std::string(m.at("name").as_string()));
    CHECK_MESSAGE(doc.find(fragment) != std::string::npos,
                  "docs/RPC.md lacks or differs from the declaration; expected:\n" << fragment);
  }
  // Every documented method heading names a declared method.
  const std::regex heading(R"(^### ([a-z0-9]+_[A-Za-z0-9]+)$)");
  std::istringstream lines(doc);
  std::set<std::string> documented;
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, heading)) {
      CHECK_MESSAGE(declared.count(match[1]) == 1, "documented but not declared: " << match[1]);
      CHECK_MESSAGE(documented.insert(match[1]).second, "documented twice: " << match[1]);
    }
  }
  CHECK(documented == declared);
}

}  // namespace tn::rpc
