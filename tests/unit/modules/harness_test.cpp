// The module test chain itself: genesis roles, a plain transfer, a revert reason.
#include "tests/unit/modules/harness.hpp"

#include <boost/json.hpp>

using namespace tn;

TEST_CASE("module harness: dev genesis, transfers and reverts through the real executor") {
  test::ModuleChain chain;
  U256 before = chain.balance(chain.addr(1));
  auto ok = chain.send(0, chain.addr(1), "", {}, parseUnits("2"));
  CHECK(ok.success);
  CHECK(chain.balance(chain.addr(1)) == before + parseUnits("2"));
  CHECK(chain.block().number == 2);
}

TEST_CASE("genesis: a malformed module section is refused, saying what is wrong") {
  namespace json = boost::json;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"roles": {"WIZARD": []}})", "genesis roles: unknown role WIZARD"},
      {R"({"roles": {"FEEDER": "0x00"}})", "genesis roles: FEEDER must be a list"},
      {R"({"roles": {"FEEDER": [7]}})", "genesis roles: addresses must be strings"},
      {R"({"parameterinfo": 5})", "genesis parameterinfo: expected an object"},
      {R"({"parameterinfo": {"discount": 5}})", "genesis parameterinfo: discount object"},
      {R"({"parameterinfo": {"discount": {"d": [1, 2]}}})",
       "genesis parameterinfo: discount.d needs 4 values"},
      {R"({"parameterinfo": {"marginRatio": -1}})",
       "marginRatio must be a non-negative integer or decimal string"},
      {R"({"parameterinfo": {"noSuchParameter": 1}})",
       "genesis parameterinfo: not support: unknown parameter noSuchParameter"},
      {R"({"parameterinfo": {"discount": {"d": [9000, 9500, 0, 0]}}})",
       "genesis parameterinfo: discount d1 above d0"},
      {R"({"oracle": {"symbols": [""]}})",
       "genesis oracle: symbols must be strings of 1..32 bytes"},
      {R"({"oracle": {"prices": {}}})", "genesis oracle: unknown or malformed section prices"},
  };
  for (const auto& [config, expected] : cases) {
    INFO(std::string(config));
    std::string what;
    try {
      test::ModuleChain chain(test::kJan2024, 10, json::parse(config).as_object());
    } catch (const std::invalid_argument& e) {
      what = e.what();
    }
    CHECK_MESSAGE(what.find(expected) != std::string::npos, "got: ", what);
  }
}
