// Feeder data (RULES.md §5): daily prices, monthly trusted volumes (frozen once the month is
// cleared), write-once mined-block records, and the deterministic request ids.
#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

TEST_CASE("feeder: receiveAssetValue by FEEDER, with the request id, real past day, price > 0") {
  ProdChain c;
  c.setTime(at(24, 1, 10, 3600));
  const Hash32 req = oracle::assetValueRequestId(oilKind().data);
  CHECK(c.call(oilKind().data, "getAssetValueRequestID()")[0].asBytes32() == req);
  checkRevert(c.send(1, oilKind().data, kPriceSig, {req, 240105, 800000}), "caller is not FEEDER");
  checkRevert(c.send(0, oilKind().data, kPriceSig, {Hash32{}, 240105, 800000}),
              "invalid oracle request id");
  // The GAS data module's id is not OIL's.
  checkRevert(c.send(0, oilKind().data, kPriceSig,
                     {oracle::assetValueRequestId(gasKind().data), 240105, 1}),
              "invalid oracle request id");
  checkRevert(c.feedPrice(oilKind(), 240230, 800000), "date 240230 is not a real day");
  checkRevert(c.feedPrice(oilKind(), 241301, 800000), "date 241301 is not a real day");
  checkRevert(c.feedPrice(oilKind(), 240111, 800000), "date 240111 is after today 240110");
  checkRevert(c.feedPrice(oilKind(), 240105, 0), "price must be positive");

  requireOk(c.feedPrice(oilKind(), 240110, 790000));  // today itself is fine
  auto r = c.feedPrice(oilKind(), 240105, 800000);
  requireOk(r);
  auto ev = c.events(r.logs, oilKind().data, "ReceiveAssetValue(string,uint256,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][0].asString() == "OIL");
  CHECK(ev[0][1].asUint() == 240105);
  CHECK(ev[0][2].asUint() == 800000);
  // A later push for the same date overwrites.
  requireOk(c.feedPrice(oilKind(), 240105, 810000));
  CHECK(production::loadPrice(c.state(), oilKind().data, 20240105) == U256(810000));
  // Prices are per kind.
  CHECK_FALSE(production::loadPrice(c.state(), gasKind().data, 20240105).has_value());
  auto range = production::loadPrices(c.state(), oilKind().data, 20240101, 20240131);
  REQUIRE(range.size() == 2);
  CHECK(range[0].day == 20240105u);
  CHECK(range[1].day == 20240110u);
}

TEST_CASE("feeder: getAssetValue gives a day's own price, else the fallback floor-mean, else 0") {
  ProdChain c;
  c.setTime(at(24, 1, 31));
  // Days 1..12 at 10000 + day: the 10 latest before day 13 are days 3..12, mean 10007.5.
  for (uint64_t d = 1; d <= 12; ++d) requireOk(c.feedPrice(gasKind(), 240100 + d, 10000 + d));
  auto value = [&](uint64_t yymmdd) {
    return c.send(0, gasKind().data, "getAssetValue(uint256)", {yymmdd});
  };
  CHECK(c.call(gasKind().data, "getAssetValue(uint256)", {240105})[0].asUint() == 10005);
  CHECK(c.call(gasKind().data, "getAssetValue(uint256)", {240113})[0].asUint() == 10007);
  CHECK(c.call(gasKind().data, "getAssetValue(uint256)", {231231})[0].asUint() == 0);
  CHECK(production::effectivePrice(c.state(), gasKind().data, 20240113) == U256(10007));
  // Nonpayable in the public ABI: a transaction works too.
  requireOk(value(240113));
  checkRevert(value(240230), "date 240230 is not a real day");
}

TEST_CASE("feeder: trusted monthly data by FEEDER for an existing well, month over, reqId") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, oilKind(), "W1");
  c.setTime(at(24, 2, 1));
  CHECK(c.call(oilKind().data, "getTDRequestID(bytes32)", {id})[0].asBytes32() ==
        oracle::trustedDataRequestId(oilKind().data, id));
  checkRevert(c.trusted(oilKind(), id, 2401, 100, 1), "caller is not FEEDER");
  abi::ValueList d{id, 0, Address(), U256(100), 0, 0, 2401, "", 0, 0, 0};
  checkRevert(
      c.send(0, oilKind().data, kTrustedSig, {oracle::assetValueRequestId(oilKind().data), id, d}),
      "invalid oracle request id");
  checkRevert(c.trusted(oilKind(), wellId("nope"), 2401, 100), "well not found");
  checkRevert(c.trusted(gasKind(), id, 2401, 100), "well not found");  // an OIL well at GAS
  checkRevert(c.trusted(oilKind(), id, 2402, 100), "month 2402 is not over");
  checkRevert(c.trusted(oilKind(), id, 2413, 100), "month 2413 is not a real month");

  auto r = c.trusted(oilKind(), id, 2401, 100);
  requireOk(r);
  auto ev =
      c.events(r.logs, oilKind().data, "TrustedProductionData(string,bytes32,uint256,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][2].asUint() == 2401);
  CHECK(ev[0][3].asUint() == 100);
  requireOk(c.trusted(oilKind(), id, 2401, 250));  // overwritable until cleared
  CHECK(production::loadTrusted(c.state(), id, 202401) == U256(250));
  requireOk(c.trusted(oilKind(), id, 2312, 0));  // a zero figure is a figure (T = 0)
  CHECK(production::loadTrusted(c.state(), id, 202312) == U256(0));
}

TEST_CASE("feeder: mined-block records are write-once, miner-checked, status never from payload") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, ethKind(), "E1", 0, 0, "0xabcMiner");
  const Hash32 req = oracle::trustedDataRequestId(ethKind().data, id);
  auto push = [&](uint64_t number, const U256& reward, std::string miner, uint64_t status = 0) {
    return c.send(
        0, ethKind().data, kTrustedSig,
        {req, id, minedBlock(id, number, reward, 2000, whole(5), std::move(miner), status)});
  };
  checkRevert(push(0, whole(2), "0xabcMiner"), "block number cant be zero");
  checkRevert(push(100, 0, "0xabcMiner"), "block reward cant be zero");
  checkRevert(push(100, whole(2), "0xABCminer"), "miner is not the well's mining account");
  auto r = push(100, whole(2), "0xabcMiner", kFinished);  // the payload claims FINISHED
  requireOk(r);
  auto ev = c.events(
      r.logs, ethKind().data,
      "TrustedDigitalProductionData(string,bytes32,uint256,uint256,uint256,uint256,string)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][2].asUint() == 100);
  CHECK(ev[0][5].asUint() == whole(5));
  CHECK(ev[0][6].asString() == "0xabcMiner");
  auto b = production::loadBlock(c.state(), id, 100);
  REQUIRE(b.has_value());
  CHECK(b->status == production::AuditStatus::Unaudited);
  checkRevert(push(100, whole(3), "0xabcMiner"), "block 100 already recorded");
  CHECK(production::loadBlock(c.state(), id, 100)->blockReward == whole(2));
  // getProductionData (nonpayable on EthData) reports the block.
  auto got = c.send(1, ethKind().data, kGetDataSig, {id, 100});
  requireOk(got);
  auto view = c.call(ethKind().data, kGetDataSig, {id, 100})[0].asList();
  CHECK(view[8].asUint() == 100);
  CHECK(view[3].asUint() == whole(5));
  CHECK(view[10].asUint() == kUnaudited);
  CHECK(production::listBlocks(c.state(), id, 10).size() == 1);
}

TEST_CASE("feeder: request bookkeeping entries of the public ABI are closed") {
  ProdChain c;
  checkRevert(c.send(0, oilKind().data, "registerTrustedDataRequest(bytes32)", {wellId("W")}),
              "only producer contract allowed");
  checkRevert(c.send(0, oilKind().data, "cancelTrustedDataRequest(bytes32)", {wellId("W")}),
              "only producer contract allowed");
  checkRevert(c.send(0, oilKind().data, "reward(bytes32,address[],uint256[])",
                     {wellId("W"), abi::ValueList{}, abi::ValueList{}}),
              "disabled: TAT is minted only by clearing");
  CHECK_FALSE(c.send(0, oilKind().data, "registerAssetValueRequest()").success);
}
