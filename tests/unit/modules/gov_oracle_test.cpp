// Oracle (0x…1004): the FEEDER's UNIT price used by clearing (default 1 USD), FM-managed symbol
// prices, deterministic request ids, disabled TCash entries.
#include "modules/oracle/oracle.hpp"
#include "tests/unit/modules/gov_fixture.hpp"

using namespace tn;

namespace {

Hash32 kindOf(std::string_view currency) { return *oracle::currencyKind(currency); }

}  // namespace

TEST_CASE("Oracle UNIT price defaults to 1 USD until a FEEDER sets it") {
  test::ModuleChain chain;
  CHECK(oracle::unitPrice(chain.state()) == 10'000);
  CHECK_FALSE(oracle::currencyValue(chain.state(), "UNIT").has_value());
  CHECK(test::viewUint(chain, kOracleAddress, "getCurrencyValue(bytes32)", {kindOf("UNIT")}) == 10'000);
  CHECK(test::viewUint(chain, kOracleAddress, "getCurrencyValue(bytes32)", {kindOf("BTC")}) == 0);

  // "UNIT" as bytes32 is the text right-padded with zeros (ethers encodeBytes32String).
  Hash32 unit = kindOf("UNIT");
  CHECK(unit.hex() == "0x554e495400000000000000000000000000000000000000000000000000000000");

  auto fed = chain.send(0, kOracleAddress, "setCurrencyValue(bytes32,uint256)", {unit, 25'000});
  REQUIRE_MESSAGE(fed.success, fed.reason);
  CHECK(oracle::unitPrice(chain.state()) == 25'000);
  CHECK(oracle::currencyValue(chain.state(), "UNIT") == U256(25'000));
  CHECK(test::viewUint(chain, kOracleAddress, "getCurrencyValue(bytes32)", {unit}) == 25'000);
  auto ev = chain.events(fed.logs, kOracleAddress, "CurrencyValueSet(bytes32,uint256,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][0].asBytes32() == unit);
  CHECK(ev[0][1].asUint() == 25'000);
  CHECK(ev[0][2].asUint() == chain.now());

  auto zero = chain.send(0, kOracleAddress, "setCurrencyValue(bytes32,uint256)", {unit, 0});
  CHECK(zero.reason.find("currency value must be positive") == 0);
  CHECK(chain.send(0, kOracleAddress, "setCurrencyValue(bytes32,uint256)", {Hash32{}, 5}).reason ==
        "empty currency kind");
  CHECK(oracle::unitPrice(chain.state()) == 25'000);
}

TEST_CASE("Oracle setCurrencyValue is FEEDER-only; a FEEDER added by MulSig may feed") {
  test::ModuleChain chain;
  Hash32 unit = kindOf("UNIT");
  auto denied = chain.send(1, kOracleAddress, "setCurrencyValue(bytes32,uint256)", {unit, 20'000});
  CHECK_FALSE(denied.success);
  CHECK(denied.reason == "caller is not FEEDER");
  CHECK(oracle::unitPrice(chain.state()) == 10'000);

  test::passProposal(chain, {0}, "proposeToManagePermission(string,address)", {"FEEDERA", chain.addr(1)});
  CHECK(chain.send(1, kOracleAddress, "setCurrencyValue(bytes32,uint256)", {unit, 20'000}).success);
  CHECK(oracle::unitPrice(chain.state()) == 20'000);

  test::passProposal(chain, {0}, "proposeToManagePermission(string,address)", {"FEEDERD", chain.addr(1)});
  CHECK(chain.send(1, kOracleAddress, "setCurrencyValue(bytes32,uint256)", {unit, 30'000}).reason ==
        "caller is not FEEDER");
  CHECK(oracle::unitPrice(chain.state()) == 20'000);
}

TEST_CASE("Oracle symbols and prices are FOUNDATION_MANAGER-only; PriceUpdated indexes the symbol") {
  test::ModuleChain chain;
  CHECK(chain.send(1, kOracleAddress, "addSupportedSymbol(string)", {"UNIT"}).reason ==
        "caller is not FOUNDATION_MANAGER");
  CHECK(chain.send(0, kOracleAddress, "updatePrice(string,uint256)", {"UNIT", 5}).reason ==
        "Unsupported symbol: UNIT");
  REQUIRE(chain.send(0, kOracleAddress, "addSupportedSymbol(string)", {"UNIT"}).success);
  CHECK(chain.send(0, kOracleAddress, "addSupportedSymbol(string)", {"UNIT"}).reason ==
        "Symbol already supported: UNIT");
  CHECK(chain.call(kOracleAddress, "isSupportedSymbol(string)", {"UNIT"})[0].asBool());

  CHECK(chain.send(1, kOracleAddress, "updatePrice(string,uint256)", {"UNIT", 12'345}).reason ==
        "caller is not FOUNDATION_MANAGER");
  CHECK(chain.send(0, kOracleAddress, "updatePrice(string,uint256)", {"UNIT", 0}).reason.find(
            "Invalid price") == 0);
  auto updated = chain.send(0, kOracleAddress, "updatePrice(string,uint256)", {"UNIT", 12'345});
  REQUIRE(updated.success);
  REQUIRE(updated.logs.size() == 1);
  CHECK(updated.logs[0].topics.at(1) == keccak256(std::string_view("UNIT")));
  auto data = chain.call(kOracleAddress, "getPriceData(string)", {"UNIT"});
  CHECK(data[0].asUint() == 12'345);
  CHECK(data[1].asUint() == chain.now());
  CHECK(test::viewUint(chain, kOracleAddress, "getPrice(string)", {"UNIT"}) == 12'345);
  // The symbol price is not the clearing price of UNIT (that one is setCurrencyValue's).
  CHECK(oracle::unitPrice(chain.state()) == 10'000);

  CHECK(chain.send(1, kOracleAddress, "removeSupportedSymbol(string)", {"UNIT"}).reason ==
        "caller is not FOUNDATION_MANAGER");
  REQUIRE(chain.send(0, kOracleAddress, "removeSupportedSymbol(string)", {"UNIT"}).success);
  CHECK_THROWS_AS(chain.call(kOracleAddress, "getPrice(string)", {"UNIT"}), Revert);
  CHECK(chain.call(kOracleAddress, "prices(string)", {"UNIT"})[0].asUint() == 12'345);
}

TEST_CASE("Oracle request ids are deterministic: keccak256(requester ++ nonce)") {
  test::ModuleChain chain;
  const Address requester = chain.addr(2), callback = Address::fromU64(0x1011);
  Bytes fn{0xac, 0x39, 0x8a, 0x74};
  auto created = chain.send(2, kOracleAddress, "createOracleRequest(address,bytes4,uint256)",
                            {callback, fn, 7});
  REQUIRE(created.success);
  Hash32 expected = keccak256(concat({requester.view(), u256ToBE32(7).view()}));
  CHECK(oracle::requestId(requester, 7) == expected);
  auto ev = chain.events(created.logs, kOracleAddress, "OracleRequest(address,bytes32,address,bytes4)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][0].asAddress() == requester);
  CHECK(ev[0][1].asBytes32() == expected);
  CHECK(ev[0][2].asAddress() == callback);
  CHECK(ev[0][3].asBytes() == fn);

  CHECK(chain.send(2, kOracleAddress, "createOracleRequest(address,bytes4,uint256)", {callback, fn, 7})
            .reason.find("must be a unique request id") == 0);
  // Another requester with the same nonce gets another id.
  CHECK(chain.send(3, kOracleAddress, "createOracleRequest(address,bytes4,uint256)", {callback, fn, 7})
            .success);

  CHECK(chain.send(3, kOracleAddress, "cancelOracleRequest(bytes32,address,bytes4)", {expected, callback, fn})
            .reason.find("Params do not match request ID") == 0);
  CHECK(chain.send(2, kOracleAddress, "cancelOracleRequest(bytes32,address,bytes4)",
                   {expected, callback, Bytes{0, 0, 0, 0}})
            .reason.find("Params do not match request ID") == 0);
  auto cancelled = chain.send(2, kOracleAddress, "cancelOracleRequest(bytes32,address,bytes4)",
                              {expected, callback, fn});
  REQUIRE(cancelled.success);
  CHECK(chain.events(cancelled.logs, kOracleAddress, "CancelOracleRequest(address,bytes32)").size() == 1);
  // Cancelled: the nonce may be used again.
  CHECK(chain.send(2, kOracleAddress, "createOracleRequest(address,bytes4,uint256)", {callback, fn, 7})
            .success);

  // The ids data modules report (spec/ABI.md).
  CHECK(oracle::assetValueRequestId(test::kOilData) == keccak256(test::kOilData.view()));
  Hash32 well = keccak256(std::string_view("w"));
  CHECK(oracle::trustedDataRequestId(test::kOilData, well) ==
        keccak256(concat({test::kOilData.view(), well.view()})));
  CHECK(oracle::trustedDataRequestId(test::kOilData, well) !=
        oracle::trustedDataRequestId(Address::fromU64(0x1021), well));
}

TEST_CASE("Oracle TCash entries are disabled; genesis may preset currencies and symbols") {
  test::ModuleChain chain;
  CHECK(chain.send(0, kOracleAddress, "setTCashMintStatus(bool)", {true}).reason.find("disabled") == 0);
  CHECK(chain.send(0, kOracleAddress, "setTCashMintLockPrice(uint256)", {1}).reason.find("disabled") == 0);
  CHECK_THROWS_AS(chain.call(kOracleAddress, "getTCashMintStatus()"), Revert);

  boost::json::object config;
  config["oracle"] = boost::json::object{{"currencies", boost::json::object{{"UNIT", 15'000}}},
                                         {"symbols", boost::json::array{"TCASH"}}};
  test::ModuleChain configured(test::kJan2024, 10, config);
  CHECK(oracle::unitPrice(configured.state()) == 15'000);
  CHECK(configured.call(kOracleAddress, "isSupportedSymbol(string)", {"TCASH"})[0].asBool());

  config["oracle"] = boost::json::object{{"currencies", boost::json::object{{"UNIT", 0}}}};
  CHECK_THROWS_AS(test::ModuleChain(test::kJan2024, 10, config), std::invalid_argument);
}
