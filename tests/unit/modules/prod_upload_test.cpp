// Production uploads (RULES.md §6): owner, Active, physical, amount > 0, a real day not after
// today, the month of that day, one upload per (well, day), month not cleared.
#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

TEST_CASE("uploads: every precondition of setProductionData") {
  ProdChain c;
  const Hash32 id = c.reviewWell(1, oilKind(), "W1");
  c.setTime(at(24, 1, 4, 7200));
  checkRevert(c.put(1, oilKind(), id, 1000, 240102), "well not active");  // still in review
  requireOk(c.setStatus(oilKind(), id, kActive));

  checkRevert(c.put(2, oilKind(), id, 1000, 240102), "caller must be the well owner");
  checkRevert(c.put(1, oilKind(), wellId("nope"), 1000, 240102), "well not found");
  checkRevert(c.put(1, oilKind(), id, 0, 240102), "zero production amount");
  checkRevert(c.put(1, oilKind(), id, 1000, 240132, 2401), "date 240132 is not a real day");
  checkRevert(c.put(1, oilKind(), id, 1000, 240105), "date 240105 is after today 240104");
  // A date outside its month.
  checkRevert(c.put(1, oilKind(), id, 1000, 240102, 2402),
              "month 2402 is not the month of date 240102");
  checkRevert(c.put(1, oilKind(), id, 1000, 231231, 2401),
              "month 2401 is not the month of date 231231");
  checkRevert(c.put(1, oilKind(), id, 1000, 240102, 2400), "month 2400 is not a real month");

  auto r = c.put(1, oilKind(), id, 1000, 240104);  // today is fine
  requireOk(r);
  auto ev = c.events(r.logs, oilKind().data,
                     "ProducerProductionData(string,bytes32,uint256,uint256,uint256,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][2].asUint() == 2401);
  CHECK(ev[0][3].asUint() == 240104);
  CHECK(ev[0][4].asUint() == 1000);

  // One upload per day: a second one is rejected, whatever its amount.
  requireOk(c.put(1, oilKind(), id, 2000, 240102));
  checkRevert(c.put(1, oilKind(), id, 2000, 240102), "duplicate upload for 240102");
  checkRevert(c.put(1, oilKind(), id, 5, 240102), "duplicate upload for 240102");
  // A missed day can be added later.
  c.setTime(at(24, 1, 20));
  requireOk(c.put(1, oilKind(), id, 3000, 240103));

  CHECK(c.month(id, 202401).uploaded == 6000);
  auto days = production::loadDays(c.state(), id, 202401);
  REQUIRE(days.size() == 3);
  CHECK(days[0].day == 20240102u);
  CHECK(days[1].amount == 3000);
  auto view = c.call(oilKind().data, kGetDataSig, {id, 2401})[0].asList();
  CHECK(view[3].asUint() == 6000);  // U
  CHECK(view[5].asUint() == 240104);
  CHECK(view[6].asUint() == 2401);
  CHECK(view[10].asUint() == kUnaudited);

  // Deactivated wells take no uploads.
  requireOk(c.setStatus(oilKind(), id, kDeactive));
  checkRevert(c.put(1, oilKind(), id, 1000, 240110), "well not active");
}

TEST_CASE("uploads: digital kinds take none; ProduceData status above FAILED is malformed") {
  ProdChain c;
  const Hash32 eid = c.activeWell(1, ethKind(), "E1", 0, 0, "0xminer");
  c.setTime(at(24, 1, 5));
  checkRevert(c.put(1, ethKind(), eid, 1000, 240102), "digital wells take no production uploads");
  const Hash32 id = c.activeWell(1, oilKind(), "W1");
  abi::ValueList d{id, 0, Address(), U256(1000), 0, 240102, 2401, "", 0, 0, 3};
  auto r = c.send(1, oilKind().data, kUploadSig, {id, d});
  CHECK_FALSE(r.success);
  CHECK(production::loadDay(c.state(), id, 20240102) == std::nullopt);
}

TEST_CASE("uploads: the month total overflows into a revert, never a wrap") {
  ProdChain c;
  const Hash32 id = c.activeWell(1, gasKind(), "G1");
  c.setTime(at(24, 1, 5));
  const U256 half = U256(1) << 255;
  requireOk(c.put(1, gasKind(), id, half, 240102));
  auto r = c.put(1, gasKind(), id, half, 240103);
  CHECK_FALSE(r.success);
  CHECK(r.reason.rfind("arithmetic overflow", 0) == 0);
  CHECK(c.month(id, 202401).uploaded == half);
  CHECK_FALSE(production::loadDay(c.state(), id, 20240103).has_value());
}
