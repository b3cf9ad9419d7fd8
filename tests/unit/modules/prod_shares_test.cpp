// Shares (RULES.md §4): setHolders / splitHolder / deleteHolder with every limit, the attack
// where deleting a holder shifts someone else's share, and the split of a minted total.
#include <algorithm>

#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

const std::string kSetHolders = "setHolders(bytes32,address[],uint256[])";
const std::string kSplit = "splitHolder(bytes32,address,uint256)";
const std::string kDelete = "deleteHolder(bytes32,address)";

struct SharesChain : ProdChain {
  SharesChain() : ProdChain(kJan2024, 14) {}
  Hash32 id;
  TxResult set(std::size_t from, std::vector<std::size_t> who, std::vector<uint64_t> ratios) {
    abi::ValueList addrs, rs;
    for (std::size_t w : who) addrs.push_back(addr(w));
    for (uint64_t r : ratios) rs.push_back(r);
    return send(from, oilKind().producer, kSetHolders, {id, addrs, rs});
  }
  U256 ratio(std::size_t who) {
    auto h = call(oilKind().producer, "holder(bytes32,address)", {id, addr(who)})[0].asList();
    return h[1].asUint();
  }
  bool isHolder(std::size_t who) {
    return call(oilKind().producer, "isHolder(bytes32,address)", {id, addr(who)})[0].asBool();
  }
};

}  // namespace

TEST_CASE("shares: setHolders by the owner, absolute whole percents, at most 9, total <= 100") {
  SharesChain c;
  c.id = c.activeWell(1, oilKind(), "W1");
  checkRevert(c.set(2, {2}, {10}), "caller must be the well owner");
  checkRevert(c.set(1, {2, 3}, {10}), "holders and ratios must have same length");
  checkRevert(c.set(1, {1}, {10}), "the owner is not a holder");
  checkRevert(c.set(1, {2, 2}, {10, 10}), "duplicate holder " + c.addr(2).checksumHex());
  checkRevert(c.set(1, {2}, {101}), "ratio exceeds 100");
  checkRevert(c.set(1, {2, 3}, {60, 41}), "total ratio exceeds 100");
  checkRevert(c.send(1, oilKind().producer, kSetHolders,
                     {c.id, abi::ValueList{Address()}, abi::ValueList{U256(1)}}),
              "zero holder address");
  checkRevert(c.set(1, {2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}),
              "more than 9 holders");

  auto r = c.set(1, {2, 3, 4, 5, 6, 7, 8, 9, 10}, {10, 10, 10, 10, 10, 10, 10, 10, 20});
  requireOk(r);  // exactly 9 holders and exactly 100 %
  auto ev =
      c.events(r.logs, oilKind().producer, "SetHolder(bytes32,address,uint256,uint256,uint256)");
  REQUIRE(ev.size() == 9);
  CHECK(ev[8][3].asUint() == 9);
  CHECK(ev[8][4].asUint() == 100);
  CHECK(c.call(oilKind().producer, "totalShared(bytes32)", {c.id})[0].asUint() == 100);
  // A tenth holder, even at 0 %, is one too many; lowering an existing one is fine.
  checkRevert(c.set(1, {11}, {0}), "more than 9 holders");
  requireOk(c.set(1, {10}, {5}));
  CHECK(c.ratio(10) == 5);
  CHECK(c.call(oilKind().producer, "totalShared(bytes32)", {c.id})[0].asUint() == 85);
  // Ratios are absolute, so raising one past the free room fails.
  checkRevert(c.set(1, {2}, {26}), "total ratio exceeds 100");
}

TEST_CASE("shares: splitHolder moves part of the caller's own ratio") {
  SharesChain c;
  c.id = c.activeWell(1, oilKind(), "W1");
  requireOk(c.set(1, {2}, {30}));
  checkRevert(c.send(3, oilKind().producer, kSplit, {c.id, c.addr(4), 1}), "not a share holder");
  checkRevert(c.send(1, oilKind().producer, kSplit, {c.id, c.addr(4), 1}), "not a share holder");
  checkRevert(c.send(2, oilKind().producer, kSplit, {c.id, Address(), 1}),
              "receiver must not be zero address");
  checkRevert(c.send(2, oilKind().producer, kSplit, {c.id, c.addr(1), 1}),
              "receiver must not be the owner");
  checkRevert(c.send(2, oilKind().producer, kSplit, {c.id, c.addr(2), 1}),
              "cannot split to itself");
  checkRevert(c.send(2, oilKind().producer, kSplit, {c.id, c.addr(3), 0}), "zero ratio");
  checkRevert(c.send(2, oilKind().producer, kSplit, {c.id, c.addr(3), 31}),
              "sender's ratio not enough");

  auto r = c.send(2, oilKind().producer, kSplit, {c.id, c.addr(3), 30});  // all of it
  requireOk(r);
  auto ev = c.events(r.logs, oilKind().producer, "SplitHolder(bytes32,address,address,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][1].asAddress() == c.addr(2));
  CHECK(ev[0][2].asAddress() == c.addr(3));
  CHECK(c.ratio(2) == 0);
  CHECK(c.ratio(3) == 30);
  CHECK(c.isHolder(2));  // stays a 0 % holder until the owner deletes it

  // A split to a new holder respects the holder limit.
  requireOk(c.set(1, {4, 5, 6, 7, 8, 9, 10}, {1, 1, 1, 1, 1, 1, 1}));  // 9 holders now
  checkRevert(c.send(3, oilKind().producer, kSplit, {c.id, c.addr(11), 1}), "more than 9 holders");
  requireOk(c.send(3, oilKind().producer, kSplit, {c.id, c.addr(4), 1}));  // existing holder: fine
  CHECK(c.ratio(4) == 2);
}

TEST_CASE("shares: deleteHolder by the owner, only at 0 %, never moves another holder's share") {
  SharesChain c;
  c.id = c.activeWell(1, oilKind(), "W1");
  requireOk(c.set(1, {2, 3, 4, 5}, {10, 20, 30, 0}));
  checkRevert(c.send(2, oilKind().producer, kDelete, {c.id, c.addr(5)}),
              "caller must be the well owner");
  checkRevert(c.send(1, oilKind().producer, kDelete, {c.id, c.addr(6)}), "not a share holder");
  checkRevert(c.send(1, oilKind().producer, kDelete, {c.id, c.addr(3)}),
              "holder must have zero share");

  // The public Share contract kept holders in an array indexed by position; deleting one shifted
  // another holder into its slot. Here every holder keeps exactly its own ratio, whichever is
  // deleted (first, middle or last in address order).
  requireOk(c.set(1, {2}, {0}));
  auto r = c.send(1, oilKind().producer, kDelete, {c.id, c.addr(2)});
  requireOk(r);
  CHECK(c.events(r.logs, oilKind().producer, "DeleteHolder(bytes32,address)").size() == 1);
  requireOk(c.send(1, oilKind().producer, kDelete, {c.id, c.addr(5)}));
  CHECK_FALSE(c.isHolder(2));
  CHECK_FALSE(c.isHolder(5));
  CHECK(c.ratio(3) == 20);
  CHECK(c.ratio(4) == 30);
  CHECK(c.call(oilKind().producer, "totalHolders(bytes32)", {c.id})[0].asUint() == 2);
  CHECK(c.call(oilKind().producer, "totalShared(bytes32)", {c.id})[0].asUint() == 50);
  // The deleted holder's slot is free again.
  requireOk(c.set(1, {2}, {7}));
  CHECK(c.ratio(2) == 7);
  CHECK(c.ratio(3) == 20);
}

TEST_CASE("shares: a minted total splits by floor(ratio × T / 100) in ascending address order") {
  SharesChain c;
  c.id = c.activeWell(1, oilKind(), "W1");
  // Three holders of 33 % and the owner's implicit 1 %: T = 100 wei + 1 does not divide evenly.
  requireOk(c.set(1, {4, 2, 3}, {33, 33, 33}));
  auto out = c.call(oilKind().producer, "calculateRewards(bytes32,uint256)", {c.id, U256(101)});
  const auto& to = out[0].asList();
  const auto& amounts = out[1].asList();
  REQUIRE(to.size() == 4);
  std::vector<Address> holders{c.addr(2), c.addr(3), c.addr(4)};
  std::sort(holders.begin(), holders.end());
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(to[i].asAddress() == holders[i]);
    CHECK(amounts[i].asUint() == 33);  // floor(33 × 101 / 100)
  }
  CHECK(to[3].asAddress() == c.addr(1));
  CHECK(amounts[3].asUint() == 2);  // the remainder, rounding included
  // Zero payouts are left out: 1 wei gives nothing to any 33 % holder.
  auto tiny = c.call(oilKind().producer, "calculateRewards(bytes32,uint256)", {c.id, U256(1)});
  REQUIRE(tiny[0].asList().size() == 1);
  CHECK(tiny[0].asList()[0].asAddress() == c.addr(1));
}
