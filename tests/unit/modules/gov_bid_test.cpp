// Bid (0x…1006): bidTAT burns only the sender's TAT, irreversibly, into the round
// floor(height / bidRoundBlocks) (RULES.md §10 first bullet).
#include "modules/bid/bid.hpp"
#include "tests/unit/modules/gov_fixture.hpp"

using namespace tn;
using test::units;

TEST_CASE("bidTAT burns only the sender's TAT and records the bid in its round") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  test::clearingMint(chain, a1, units("5"));
  test::clearingMint(chain, a2, units("5"));
  chain.setHeight(125);  // round 2 of 60 blocks: blocks 120..179

  auto r = chain.send(1, kBidAddress, "bidTAT(uint256)", {units("2")});
  REQUIRE_MESSAGE(r.success, r.reason);
  CHECK(test::tatBalance(chain, a1) == units("3"));
  CHECK(test::tatBalance(chain, a2) == units("5"));
  CHECK(tat::totalSupply(chain.state()) == units("8"));

  auto burned = chain.events(r.logs, kTatAddress, "Transfer(address,address,uint256)");
  REQUIRE(burned.size() == 1);
  CHECK(burned[0][0].asAddress() == a1);
  CHECK(burned[0][1].asAddress() == Address());
  auto record = chain.events(r.logs, kBidAddress, "BidRecord(address,uint256)");
  REQUIRE(record.size() == 1);
  CHECK(record[0][0].asAddress() == a1);
  CHECK(record[0][1].asUint() == units("2"));
  auto start = chain.events(r.logs, kBidAddress, "BidStart(uint256)");
  REQUIRE(start.size() == 1);
  CHECK(start[0][0].asUint() == 120);

  // Views at the current height (the next block, 126, is still round 2).
  CHECK(test::viewUint(chain, kBidAddress, "roundStartBlock()") == 120);
  CHECK(chain.call(kBidAddress, "isTATBider(address)", {a1})[0].asBool());
  CHECK_FALSE(chain.call(kBidAddress, "isTATBider(address)", {a2})[0].asBool());
  CHECK(test::viewUint(chain, kBidAddress, "mybidAmount()", {}, a1) == units("2"));
  CHECK(test::viewUint(chain, kBidAddress, "mybidAmount()", {}, a2) == 0);

  // A second bid in the round adds up and emits no second BidStart.
  auto again = chain.send(1, kBidAddress, "bidTAT(uint256)", {units("1")});
  REQUIRE(again.success);
  CHECK(chain.events(again.logs, kBidAddress, "BidStart(uint256)").empty());
  CHECK(bid::bidOf(chain.state(), 2, a1) == units("3"));

  auto list = chain.call(kBidAddress, "bidderList()");
  REQUIRE(list[0].asList().size() == 1);
  const auto& entry = list[0].asList()[0].asList();
  CHECK(entry[0].asAddress() == a1);
  CHECK(entry[1].asUint() == units("3"));
  CHECK(entry[2].asUint() == 126);  // block of the last bid
  CHECK(list[1].asUint() == units("3"));
  CHECK(list[2].asUint() == 120);
  CHECK(chain.call(kBidAddress, "TATBiders(uint256)", {0})[0].asAddress() == a1);
  CHECK_THROWS_AS(chain.call(kBidAddress, "TATBiders(uint256)", {1}), Revert);

  auto round = bid::bidders(chain.state(), bid::roundOf(chain.state(), 125));
  REQUIRE(round.size() == 1);
  CHECK(round[0].bidder == a1);
  CHECK(round[0].amount == units("3"));
  CHECK(bid::roundTotal(chain.state(), 2) == units("3"));
}

TEST_CASE("bidTAT refuses bids below minBid and bids without enough TAT, changing nothing") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1);
  test::clearingMint(chain, a1, units("1.5"));

  auto small = chain.send(1, kBidAddress, "bidTAT(uint256)", {units("0.5")});
  CHECK_FALSE(small.success);
  CHECK(small.reason.find("TAT not enough to bid: minimum is 1000000000000000000") == 0);
  auto poor = chain.send(1, kBidAddress, "bidTAT(uint256)", {units("2")});
  CHECK_FALSE(poor.success);
  CHECK(poor.reason == "insufficient TAT balance");
  auto nothing = chain.send(3, kBidAddress, "bidTAT(uint256)", {units("1")});
  CHECK(nothing.reason == "insufficient TAT balance");
  CHECK(test::tatBalance(chain, a1) == units("1.5"));
  CHECK(tat::totalSupply(chain.state()) == units("1.5"));
  CHECK(bid::bidders(chain.state(), 0).empty());
  CHECK_FALSE(chain.call(kBidAddress, "isTATBider(address)", {a1})[0].asBool());

  // Governance can lower the minimum.
  test::setParam(chain, "minBid", units("0.5"));
  CHECK(chain.send(1, kBidAddress, "bidTAT(uint256)", {units("0.5")}).success);
  CHECK(test::tatBalance(chain, a1) == units("1"));
}

TEST_CASE("a bid cannot be withdrawn: no Bid withdraw, no TAT stake to take back") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1);
  test::clearingMint(chain, a1, units("3"));
  REQUIRE(chain.send(1, kBidAddress, "bidTAT(uint256)", {units("3")}).success);
  CHECK(test::tatBalance(chain, a1) == 0);

  // The Bid module has no withdraw entry of any shape.
  for (const char* sig : {"withdraw(uint256)", "withdraw()", "withdraw(address,uint256)", "unbid(uint256)"}) {
    auto sel = abi::selector(sig);
    CHECK(chain.modules().findCall(kBidAddress, BytesView(sel.data(), sel.size())) == nullptr);
  }
  // The burn left no stake behind in TAT.
  CHECK(tat::stakeOf(chain.state(), a1) == 0);
  auto w = chain.send(1, kTatAddress, "withdraw(address,uint256)", {a1, units("3")});
  CHECK_FALSE(w.success);
  CHECK(w.reason == "Withdrawal amount exceeds staked amount");
  CHECK(test::tatBalance(chain, a1) == 0);
  CHECK(tat::totalSupply(chain.state()) == 0);
  CHECK(tat::stats(chain.state()).burned == units("3"));
}

TEST_CASE("bid rounds follow floor(height / bidRoundBlocks); a new round starts empty") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  test::clearingMint(chain, a1, units("5"));
  test::clearingMint(chain, a2, units("5"));
  chain.setHeight(59);
  REQUIRE(chain.send(2, kBidAddress, "bidTAT(uint256)", {units("1")}).success);  // block 59: round 0
  REQUIRE(chain.send(1, kBidAddress, "bidTAT(uint256)", {units("2")}).success);  // block 60: round 1
  CHECK(bid::bidOf(chain.state(), 0, a2) == units("1"));
  CHECK(bid::bidOf(chain.state(), 1, a1) == units("2"));
  CHECK(bid::bidOf(chain.state(), 1, a2) == 0);
  CHECK(test::viewUint(chain, kBidAddress, "roundStartBlock()") == 60);
  CHECK_FALSE(chain.call(kBidAddress, "isTATBider(address)", {a2})[0].asBool());

  chain.setHeight(120);
  CHECK(chain.call(kBidAddress, "bidderList()")[0].asList().empty());
  CHECK_FALSE(chain.call(kBidAddress, "isTATBider(address)", {a1})[0].asBool());
  CHECK(bid::bidders(chain.state(), 1).size() == 1);  // history of earlier rounds stays readable

  test::setParam(chain, "bidRoundBlocks", 100);  // executes at block 122 and later
  CHECK(bid::roundOf(chain.state(), 250) == 2);
  CHECK(test::viewUint(chain, kBidAddress, "roundStartBlock()") == 100);
}

TEST_CASE("Bid accepts plain UNIT transfers (receive), as the public contract") {
  test::ModuleChain chain;
  U256 before = chain.balance(kBidAddress);
  CHECK(chain.send(1, kBidAddress, "", {}, units("1")).success);
  CHECK(chain.balance(kBidAddress) == before + units("1"));
}
