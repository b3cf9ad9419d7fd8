// Staking (0x…100B): validators, share-based delegation, unbonding, the active set, downtime and
// double-sign slashing, the block reward split, super validators, emission and conservation of
// the UNIT supply (RULES.md §10).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <boost/json.hpp>

#include "chain/rlp.hpp"
#include "modules/bank/bank.hpp"
#include "modules/staking/staking.hpp"
#include "modules/tat/tat.hpp"
#include "tests/unit/modules/gov_fixture.hpp"

using namespace tn;
using test::units;

namespace {

namespace json = boost::json;

const U256 kMin = units("158");
constexpr uint64_t kDays21 = 21 * 86'400;

struct GenesisValidator {
  std::size_t account;
  std::string selfStake;  // whole UNIT
  uint64_t commissionBps = 0;
};

json::object stakingGenesis(const std::vector<GenesisValidator>& vs, json::object params = {}) {
  auto accounts = devAccounts(10);
  json::array list;
  for (const auto& v : vs)
    list.push_back(json::object{{"address", accounts.at(v.account).address.checksumHex()},
                                {"selfStake", u256ToDecimal(units(v.selfStake))},
                                {"moniker", "node" + std::to_string(v.account)},
                                {"commissionBps", v.commissionBps}});
  json::object staking{{"validators", std::move(list)}};
  if (!params.empty()) staking["params"] = std::move(params);
  return json::object{{"staking", std::move(staking)}};
}

abi::ValueList validatorView(const test::ModuleChain& c, const Address& v) {
  return c.call(kStakingAddress, "getValidator(address)", {v});
}
U256 tokensOf(const test::ModuleChain& c, const Address& v) { return validatorView(c, v).at(2).asUint(); }
std::string statusOf(const test::ModuleChain& c, const Address& v) {
  return validatorView(c, v).at(5).asString();
}
U256 pending(const test::ModuleChain& c, const Address& d, const Address& v) {
  return test::viewUint(c, kStakingAddress, "pendingRewards(address,address)", {d, v});
}
std::vector<std::pair<Address, uint64_t>> members(test::ModuleChain& c) {
  return staking::activeSet(c.state()).members;
}

// Every UNIT balance (the bank's "acct/" records).
U256 totalSupply(test::ModuleChain& c) {
  U256 sum = 0;
  c.state().scan(asBytes("acct/"), [&](BytesView k, BytesView) {
    sum += Bank::load(c.state(), Address::fromView(k.subspan(5))).balance;
    return true;
  }
  );
  return sum;
}

// What the staking account must hold: bonded tokens, reward pools, commissions, settled rewards
// and unbonding entries.
U256 stakingLiabilities(test::ModuleChain& c) {
  U256 sum = 0;
  for (const staking::Validator& v : staking::validators(c.state()))
    sum += v.tokens + v.rewardPool + v.commissionOwed;
  c.state().scan(asBytes("staking/d/"), [&](BytesView, BytesView raw) {
    sum += rlp::decode(raw).items().at(3).toU256();
    return true;
  });
  c.state().scan(asBytes("staking/u/"), [&](BytesView, BytesView raw) {
    sum += rlp::decode(raw).items().at(1).toU256();
    return true;
  });
  return sum;
}

}  // namespace

TEST_CASE("staking: the dev chain without validators mints nothing and leaves fees alone") {
  test::ModuleChain chain;
  const U256 before = totalSupply(chain);
  auto r = chain.send(1, chain.addr(2), "", {}, units("1"));
  REQUIRE(r.success);
  chain.mine();
  CHECK(chain.balance(kFeeCollector) == U256(r.gasUsed) * 1'000'000'000ull);
  CHECK(totalSupply(chain) == before);
  CHECK(staking::totalEmitted(chain.state()) == 0);
  CHECK(staking::activeSet(chain.state()).members.empty());
  bool any = false;
  chain.state().scan(asBytes("staking/"), [&](BytesView, BytesView) { return !(any = true); });
  CHECK_FALSE(any);
}

TEST_CASE("staking: genesis validators bond from their genesis balance; active set since 1") {
  test::ModuleChain chain(test::kJan2024, 10, stakingGenesis({{1, "200", 1000}, {2, "158"}}));
  CHECK(chain.balance(chain.addr(1)) == units("1000000") - units("200"));
  CHECK(chain.balance(kStakingAddress) == units("358"));
  auto set = staking::activeSet(chain.state());
  CHECK(set.since == 1);
  REQUIRE(set.members.size() == 2);
  CHECK(validatorView(chain, chain.addr(1)).at(0).asString() == "node1");
  CHECK(validatorView(chain, chain.addr(1)).at(1).asUint() == 1000);
  CHECK(validatorView(chain, chain.addr(1)).at(4).asUint() == units("200"));  // selfStake
  CHECK(validatorView(chain, chain.addr(1)).at(10).asUint() == 200);          // power
  CHECK(statusOf(chain, chain.addr(2)) == "active");

  CHECK_THROWS_AS(test::ModuleChain(test::kJan2024, 10, stakingGenesis({{1, "157.999999999999999999"}})),
                  std::invalid_argument);
  // The brief's parameter names map onto the governed ones.
  test::ModuleChain tuned(test::kJan2024, 10,
                          stakingGenesis({{1, "10"}}, {{"minSelfStake", "10000000000000000000"},
                                                       {"signedBlocksWindow", 10},
                                                       {"minSignedPerWindow", 5}}));
  auto p = tuned.call(kStakingAddress, "params()");
  CHECK(p.at(0).asUint() == units("10"));
  CHECK(p.at(3).asUint() == 10);
  CHECK(p.at(4).asUint() == 5);
  CHECK(p.at(1).asUint() == kDays21);
  CHECK(p.at(2).asUint() == 100);
}

TEST_CASE("staking: createValidator at exactly 158 UNIT, not 1 aunit less; one per address") {
  test::ModuleChain chain;
  auto low = chain.send(1, kStakingAddress, "createValidator(string,uint256)", {"v1", 500},
                        kMin - 1);
  CHECK_FALSE(low.success);
  CHECK(low.reason == "self-stake below minimum: need 158000000000000000000 aunit");
  auto badCommission = chain.send(1, kStakingAddress, "createValidator(string,uint256)", {"v1", 10'001}, kMin);
  CHECK_FALSE(badCommission.success);
  CHECK(badCommission.reason.find("commission above 10000 bps") == 0);

  auto ok = chain.send(1, kStakingAddress, "createValidator(string,uint256)", {"v1", 500}, kMin);
  REQUIRE_MESSAGE(ok.success, ok.reason);
  CHECK(chain.events(ok.logs, kStakingAddress, "ValidatorCreated(address,string,uint256,uint256)").size() == 1);
  const uint64_t createdIn = chain.block().number - 1;
  auto set = staking::activeSet(chain.state());
  REQUIRE(set.members.size() == 1);
  CHECK(set.members[0] == std::pair{chain.addr(1), uint64_t(158)});
  CHECK(set.since == createdIn + 1);

  auto again = chain.send(1, kStakingAddress, "createValidator(string,uint256)", {"v1", 500}, kMin);
  CHECK_FALSE(again.success);
  CHECK(again.reason.find("validator already exists") == 0);

  // Only the operator edits (the caller is the validator); anyone else has no validator.
  for (const std::string& bad : {std::string(), std::string(65, 'm')}) {
    auto badName = chain.send(1, kStakingAddress, "editValidator(string,uint256)", {bad, 700});
    CHECK(badName.reason == "moniker must be 1-64 bytes, got " + std::to_string(bad.size()));
  }
  CHECK(chain.send(1, kStakingAddress, "editValidator(string,uint256)", {std::string(64, 'm'), 500})
            .success);
  auto edit = chain.send(1, kStakingAddress, "editValidator(string,uint256)", {"renamed", 700});
  REQUIRE(edit.success);
  CHECK(validatorView(chain, chain.addr(1)).at(0).asString() == "renamed");
  CHECK(validatorView(chain, chain.addr(1)).at(1).asUint() == 700);
  auto stranger = chain.send(2, kStakingAddress, "editValidator(string,uint256)", {"x", 0});
  CHECK_FALSE(stranger.success);
  CHECK(stranger.reason == "no validator " + chain.addr(2).hex());
  auto strangerUnjail = chain.send(2, kStakingAddress, "unjail()");
  CHECK_FALSE(strangerUnjail.success);
  CHECK(strangerUnjail.reason == "no validator " + chain.addr(2).hex());
}

TEST_CASE("staking: delegate, undelegate, unbonding paid at exactly start + period") {
  test::ModuleChain chain(test::kJan2024, 10, stakingGenesis({{1, "200"}}));
  const Address v = chain.addr(1), d = chain.addr(2);
  auto del = chain.send(2, kStakingAddress, "delegate(address)", {v}, units("100"));
  REQUIRE_MESSAGE(del.success, del.reason);
  auto g = chain.call(kStakingAddress, "getDelegation(address,address)", {d, v});
  CHECK(g.at(0).asUint() == units("100"));  // 1 share per aunit while nothing was slashed
  CHECK(g.at(1).asUint() == units("100"));
  CHECK(tokensOf(chain, v) == units("300"));
  CHECK(members(chain).at(0).second == 300);

  auto tooMuch = chain.send(2, kStakingAddress, "undelegate(address,uint256)", {v, units("101")});
  CHECK_FALSE(tooMuch.success);
  CHECK(tooMuch.reason == "undelegate exceeds delegation: have 100000000000000000000 aunit");

  const uint64_t start = chain.now();
  auto und = chain.send(2, kStakingAddress, "undelegate(address,uint256)", {v, units("40")});
  REQUIRE_MESSAGE(und.success, und.reason);
  auto ev = chain.events(und.logs, kStakingAddress, "Undelegated(address,address,uint256,uint256,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][4].asUint() == start + kDays21);
  CHECK(tokensOf(chain, v) == units("260"));
  auto list = chain.call(kStakingAddress, "getUnbondings(address)", {d}).at(0).asList();
  REQUIRE(list.size() == 1);
  CHECK(list[0].asList().at(1).asUint() == units("40"));

  const U256 balance = chain.balance(d);
  chain.setTime(start + kDays21 - 1);
  chain.mine();
  CHECK(chain.balance(d) == balance);  // a second early: nothing paid
  CHECK(staking::unbondings(chain.state(), d).size() == 1);
  chain.setTime(start + kDays21);
  chain.mine();
  CHECK(chain.balance(d) == balance + units("40"));
  CHECK(staking::unbondings(chain.state(), d).empty());
  CHECK(chain.balance(kStakingAddress) == stakingLiabilities(chain));
}

TEST_CASE("staking: operator below minimum self-stake leaves the active set until it tops up") {
  test::ModuleChain chain(test::kJan2024, 10, stakingGenesis({{1, "160"}, {2, "300"}}));
  const Address v = chain.addr(1);
  // A big delegation keeps the power high, but the operator's own stake is what counts.
  REQUIRE(chain.send(3, kStakingAddress, "delegate(address)", {v}, units("1000")).success);
  auto und = chain.send(1, kStakingAddress, "undelegate(address,uint256)", {v, units("3")});
  REQUIRE_MESSAGE(und.success, und.reason);
  CHECK(statusOf(chain, v) == "below minimum");
  CHECK(members(chain).size() == 1);
  REQUIRE(chain.send(1, kStakingAddress, "delegate(address)", {v}, units("1")).success);
  CHECK(statusOf(chain, v) == "active");
  CHECK(members(chain).size() == 2);
}

TEST_CASE("staking: active set order, cut at maxValidators, ties by address, since on change only") {
  // Four validators, three seats: the 300 one and the two lowest addresses among the 200s.
  test::ModuleChain chain(test::kJan2024, 10,
                          stakingGenesis({{1, "200"}, {2, "300"}, {3, "200"}, {4, "200"}},
                                         {{"maxValidators", 3}}));
  std::vector<Address> twoHundreds = {chain.addr(1), chain.addr(3), chain.addr(4)};
  std::sort(twoHundreds.begin(), twoHundreds.end());
  std::vector<std::pair<Address, uint64_t>> expected = {{chain.addr(2), 300},
                                                        {twoHundreds[0], 200},
                                                        {twoHundreds[1], 200}};
  std::sort(expected.begin(), expected.end());
  auto set = staking::activeSet(chain.state());
  CHECK(set.since == 1);
  CHECK(set.members == expected);
  auto view = chain.call(kStakingAddress, "activeValidators()");
  REQUIRE(view.at(0).asList().size() == 3);
  CHECK(view.at(0).asList()[0].asAddress() == expected[0].first);

  // Blocks that change nothing leave `since` alone (rewards do not change tokens).
  chain.mine();
  chain.mine();
  CHECK(staking::activeSet(chain.state()).since == 1);

  // The excluded one gets 1 UNIT more: it enters, the highest-address 200 leaves.
  const Address out = twoHundreds[2];
  REQUIRE(chain.send(5, kStakingAddress, "delegate(address)", {out}, units("1")).success);
  const uint64_t changedIn = chain.block().number - 1;
  set = staking::activeSet(chain.state());
  CHECK(set.since == changedIn + 1);
  expected = {{chain.addr(2), 300}, {out, 201}, {twoHundreds[0], 200}};
  std::sort(expected.begin(), expected.end());
  CHECK(set.members == expected);
  CHECK(statusOf(chain, twoHundreds[1]) == "inactive");

  // A power change alone (same members) also moves `since`.
  REQUIRE(chain.send(5, kStakingAddress, "delegate(address)", {chain.addr(2)}, units("1")).success);
  CHECK(staking::activeSet(chain.state()).since == chain.block().number);
  // Less than a whole UNIT changes no power: no change.
  const uint64_t since = staking::activeSet(chain.state()).since;
  REQUIRE(chain.send(5, kStakingAddress, "delegate(address)", {chain.addr(2)}, units("0.5")).success);
  CHECK(staking::activeSet(chain.state()).since == since);
}

TEST_CASE("staking: downtime slash and jail at 49 of 100 signed, not at 50; unjail after 600 s") {
  test::ModuleChain chain(test::kJan2024, 10,
                          stakingGenesis({{1, "1000"}, {2, "200"}, {3, "200"}}));
  const Address a = chain.addr(1), b = chain.addr(2), c = chain.addr(3);
  chain.mine();  // block 1: no commit to count
  // Blocks 2..101 judge the signers of blocks 1..100: b signs the last 49, c the last 50.
  for (int i = 0; i < 100; ++i) {
    std::vector<Address> signers = {a};
    if (i >= 51) signers.push_back(b);
    if (i >= 50) signers.push_back(c);
    std::sort(signers.begin(), signers.end());
    chain.context().parentSigners = signers;
    chain.advance(5);
    if (i == 99) {
      CHECK(statusOf(chain, b) == "active");
      CHECK(validatorView(chain, b).at(9).asUint() == 51);  // missed so far
    }
    chain.mine();
  }
  CHECK(tokensOf(chain, b) == units("198"));  // 1 % of 200 slashed
  CHECK(validatorView(chain, b).at(6).asBool());
  CHECK(validatorView(chain, b).at(7).asUint() == chain.now() + 600);
  CHECK(statusOf(chain, b) == "jailed");
  CHECK(tokensOf(chain, c) == units("200"));
  CHECK(statusOf(chain, c) == "active");
  CHECK(validatorView(chain, c).at(9).asUint() == 50);
  CHECK(members(chain).size() == 2);
  CHECK(chain.balance(kCommunityPool) >= units("2"));

  const uint64_t until = validatorView(chain, b).at(7).asU64();
  chain.context().parentSigners = std::nullopt;
  chain.setTime(until - 1);
  auto early = chain.send(2, kStakingAddress, "unjail()");
  CHECK_FALSE(early.success);
  CHECK(early.reason == "still jailed until " + std::to_string(until));
  chain.setTime(until);
  auto late = chain.send(2, kStakingAddress, "unjail()");
  REQUIRE_MESSAGE(late.success, late.reason);
  CHECK(statusOf(chain, b) == "active");
  CHECK(members(chain).size() == 3);
  auto notJailed = chain.send(2, kStakingAddress, "unjail()");
  CHECK(notJailed.reason == "validator not jailed");
}

TEST_CASE("staking: double sign slashes 5 % once, tombstones, unjail refused, unknown ignored") {
  test::ModuleChain chain(test::kJan2024, 10, stakingGenesis({{1, "1000"}, {2, "200"}}));
  const Address b = chain.addr(2);
  const U256 pool = chain.balance(kCommunityPool);
  chain.context().doubleSigns = {{b, 7}, {chain.addr(5), 7}};  // addr(5) is no validator
  chain.mine();
  CHECK(tokensOf(chain, b) == units("190"));
  CHECK(validatorView(chain, b).at(8).asBool());
  CHECK(statusOf(chain, b) == "tombstoned");
  CHECK(members(chain).size() == 1);
  const U256 afterFirst = chain.balance(kCommunityPool);
  CHECK(afterFirst - pool >= units("10"));

  chain.mine();  // the same evidence again, and evidence at another height: no second slash
  chain.context().doubleSigns = {{b, 8}};
  chain.mine();
  CHECK(tokensOf(chain, b) == units("190"));
  chain.context().doubleSigns.clear();

  chain.advance(365 * 86'400);
  auto r = chain.send(2, kStakingAddress, "unjail()");
  CHECK_FALSE(r.success);
  CHECK(r.reason == "tombstoned");
  auto d = chain.send(3, kStakingAddress, "delegate(address)", {b}, units("1"));
  CHECK_FALSE(d.success);
  CHECK(chain.balance(kStakingAddress) == stakingLiabilities(chain));
}

// The staking endBlock of the next block run on a scratch overlay (nothing kept): the harness
// keeps no events of hooks, so this is how a test sees them.
std::vector<Log> endBlockLogs(test::ModuleChain& c) {
  Overlay scratch(c.state());
  std::vector<Log> logs;
  HookContext h{c.block(), c.modules(), scratch, logs};
  StakingModule().endBlock(h);
  return logs;
}

U256 unbondingAmount(test::ModuleChain& c, const Address& d) {
  auto list = staking::unbondings(c.state(), d);
  REQUIRE(list.size() == 1);
  return list[0].amount;
}

TEST_CASE("staking: double sign at H cuts unbonding entries started at H or later, not matured") {
  test::ModuleChain chain(test::kJan2024, 10,
                          stakingGenesis({{1, "1000"}, {2, "1000"}, {9, "1000"}}));
  const Address a = chain.addr(1), b = chain.addr(2), c = chain.addr(9);
  const U256 genesisSupply = totalSupply(chain);
  auto conserved = [&] {
    CHECK(totalSupply(chain) == genesisSupply + staking::totalEmitted(chain.state()));
    CHECK(chain.balance(kStakingAddress) == stakingLiabilities(chain));
  };
  for (std::size_t d : {3, 4, 5})
    REQUIRE(chain.send(d, kStakingAddress, "delegate(address)", {b}, units("100")).success);
  for (std::size_t d : {7, 8})
    REQUIRE(chain.send(d, kStakingAddress, "delegate(address)", {c}, units("100")).success);
  REQUIRE(chain.send(6, kStakingAddress, "delegate(address)", {a}, units("100")).success);
  auto undelegate = [&](std::size_t d, const Address& v, const U256& amount) {
    auto r = chain.send(d, kStakingAddress, "undelegate(address,uint256)", {v, amount});
    REQUIRE_MESSAGE(r.success, r.reason);
  };

  // Validator b double-signs at H. An entry started before H is not cut; entries started at H
  // and after are cut by 5 %, each rounded down; another validator's entry is not touched.
  undelegate(3, b, units("40"));
  chain.advance(5);
  const uint64_t H = chain.block().number;
  undelegate(4, b, units("30"));                     // at H
  undelegate(5, b, units("50.000000000000000001"));  // after H
  undelegate(6, a, units("25"));                     // after H, validator a
  chain.advance(5);
  chain.context().doubleSigns = {{b, H}};
  const U256 bonded = tokensOf(chain, b);
  const U256 cut4 = units("1.5");  // 5 % of 30
  // 5 % of 50.000000000000000001 = 2.50000000000000000005, rounded down.
  const U256 cut5 = units("2.5");
  const U256 cutBonded = bonded * 500 / 10'000;
  auto logs = endBlockLogs(chain);
  auto slashed = chain.events(logs, kStakingAddress, "Slashed(address,uint256,string)");
  REQUIRE(slashed.size() == 1);
  CHECK(slashed[0][1].asUint() == cutBonded);
  auto cuts = chain.events(logs, kStakingAddress,
                           "UnbondingSlashed(address,address,uint256,uint256,string)");
  REQUIRE(cuts.size() == 2);
  std::map<Address, U256> byDelegator;
  for (const auto& e : cuts) {
    CHECK(e[1].asAddress() == b);
    CHECK(e[3].asU64() ==
          staking::unbondings(chain.state(), e[0].asAddress()).at(0).completionTime);
    CHECK(e[4].asString() == "double sign");
    byDelegator[e[0].asAddress()] = e[2].asUint();
  }
  CHECK(byDelegator == std::map<Address, U256>{{chain.addr(4), cut4}, {chain.addr(5), cut5}});
  const U256 pool = chain.balance(kCommunityPool);
  chain.mine();
  chain.context().doubleSigns.clear();
  CHECK(tokensOf(chain, b) == bonded - cutBonded);
  CHECK(statusOf(chain, b) == "tombstoned");
  CHECK(unbondingAmount(chain, chain.addr(3)) == units("40"));
  CHECK(unbondingAmount(chain, chain.addr(4)) == units("30") - cut4);
  CHECK(unbondingAmount(chain, chain.addr(5)) == units("50.000000000000000001") - cut5);
  CHECK(unbondingAmount(chain, chain.addr(6)) == units("25"));
  CHECK(chain.balance(kCommunityPool) - pool >= cutBonded + cut4 + cut5);  // plus its reward share
  conserved();

  // Validator c double-signs at H2. Its entry started at H2 and paid out before the evidence lands
  // is not clawed back; one maturing in the very block that handles the evidence is paid in full.
  const uint64_t H2 = chain.block().number;
  const uint64_t t2 = chain.now();
  undelegate(7, c, units("20"));  // at H2, matures at t2 + 21 d
  chain.advance(86'400);
  undelegate(8, c, units("10"));  // matures at t2 + 22 d
  chain.setTime(t2 + kDays21);
  const U256 before3 = chain.balance(chain.addr(3)), before4 = chain.balance(chain.addr(4)),
             before5 = chain.balance(chain.addr(5)), before7 = chain.balance(chain.addr(7));
  chain.mine();  // pays 7 (and 3, 4, 5, 6, started earlier)
  CHECK(chain.balance(chain.addr(7)) == before7 + units("20"));
  CHECK(staking::unbondings(chain.state(), chain.addr(7)).empty());
  CHECK(chain.balance(chain.addr(3)) == before3 + units("40"));
  CHECK(chain.balance(chain.addr(4)) == before4 + units("30") - cut4);
  CHECK(chain.balance(chain.addr(5)) == before5 + units("50.000000000000000001") - cut5);
  conserved();

  chain.setTime(t2 + kDays21 + 86'400);
  chain.context().doubleSigns = {{c, H2}};
  logs = endBlockLogs(chain);
  CHECK(chain.events(logs, kStakingAddress, "Slashed(address,uint256,string)").size() == 1);
  CHECK(
      chain
          .events(logs, kStakingAddress, "UnbondingSlashed(address,address,uint256,uint256,string)")
          .empty());
  const U256 after7 = chain.balance(chain.addr(7)), before8 = chain.balance(chain.addr(8));
  chain.mine();
  chain.context().doubleSigns.clear();
  CHECK(statusOf(chain, c) == "tombstoned");
  CHECK(chain.balance(chain.addr(7)) == after7);
  CHECK(chain.balance(chain.addr(8)) == before8 + units("10"));
  // Every entry is paid: the per-validator index is empty too.
  bool indexLeft = false;
  chain.state().scan(asBytes("staking/uv/"),
                     [&](BytesView, BytesView) { return !(indexLeft = true); });
  CHECK_FALSE(indexLeft);
  conserved();
}

TEST_CASE("staking: downtime cuts the entries started in the slashing block, not earlier ones") {
  test::ModuleChain chain(test::kJan2024, 10,
                          stakingGenesis({{1, "1000"}, {2, "200"}},
                                         {{"signedBlocksWindow", 10}, {"minSignedPerWindow", 5}}));
  const Address a = chain.addr(1), b = chain.addr(2);
  REQUIRE(chain.send(3, kStakingAddress, "delegate(address)", {b}, units("100")).success);
  REQUIRE(chain.send(4, kStakingAddress, "delegate(address)", {b}, units("100")).success);
  chain.mine();
  // b signs nothing; it is judged once 10 blocks are tracked (signed 0 < 5): at the 10th.
  chain.context().parentSigners = std::vector<Address>{a};
  for (int i = 0; i < 9; ++i) {
    if (i == 3)
      REQUIRE(
          chain.send(3, kStakingAddress, "undelegate(address,uint256)", {b, units("40")}).success);
    else
      chain.mine();
  }
  CHECK_FALSE(validatorView(chain, b).at(6).asBool());
  const U256 bonded = tokensOf(chain, b);
  // The 10th tracked block slashes; an undelegation in that same block is cut (infraction height =
  // the current height), the earlier one is not.
  auto r = chain.send(4, kStakingAddress, "undelegate(address,uint256)", {b, units("33.33")});
  REQUIRE_MESSAGE(r.success, r.reason);
  CHECK(validatorView(chain, b).at(6).asBool());
  CHECK(unbondingAmount(chain, chain.addr(3)) == units("40"));
  CHECK(unbondingAmount(chain, chain.addr(4)) == units("33.33") - units("0.3333"));
  CHECK(tokensOf(chain, b) == (bonded - units("33.33")) * 9'900 / 10'000);
  CHECK(chain.balance(kStakingAddress) == stakingLiabilities(chain));
}

TEST_CASE("staking: reward split of a block computed by hand") {
  // A: 200 UNIT, 10 % commission; B: 800 UNIT, no commission. Total power 1000. The amounts
  // divide the shares exactly, so the accumulator leaves no rounding remainder.
  test::ModuleChain chain(test::kJan2024, 10, stakingGenesis({{1, "200", 1000}, {2, "800"}}));
  const Address a = chain.addr(1), b = chain.addr(2);
  chain.mine();  // block 1: no proposer bonus; rest 9.9: A 1.98, B 7.92
  CHECK(pending(chain, a, a) == units("1.98"));
  CHECK(staking::validator(chain.state(), a)->commissionOwed == units("0.198"));
  CHECK(staking::pendingRewards(chain.state(), a, a) == units("1.782"));
  CHECK(pending(chain, b, b) == units("7.92"));
  CHECK(chain.balance(kCommunityPool) == units("0.1"));
  auto snapshot = [&] {
    return std::tuple{pending(chain, a, a), pending(chain, b, b), chain.balance(kCommunityPool),
                      staking::validator(chain.state(), a)->commissionOwed};
  };

  // Block 2: proposer B, both signed block 1. pot = 10 UNIT.
  //   community 1 % = 0.1; proposer 1 % + 4 % × 1000/1000 = 0.5; rest 9.4 by power:
  //   A 9.4 × 200/1000 = 1.88 (commission 0.188, delegators 1.692); B 7.52 + 0.5 = 8.02.
  auto [pa, pb, pool, ca] = snapshot();
  chain.context().proposer = b;
  chain.context().parentSigners = std::vector<Address>{std::min(a, b), std::max(a, b)};
  chain.mine();
  auto [pa2, pb2, pool2, ca2] = snapshot();
  CHECK(pa2 - pa == units("1.88"));  // A's view includes its commission
  CHECK(ca2 - ca == units("0.188"));
  CHECK(staking::pendingRewards(chain.state(), a, a) == units("1.782") + units("1.692"));
  CHECK(pb2 - pb == units("8.02"));
  CHECK(pool2 - pool == units("0.1"));

  // Block 3: only A signed block 2 (200 of 1000): proposer 1 % + 4 % × 1/5 = 0.18; rest 9.72:
  //   A 1.944 (commission 0.1944), B 7.776 + 0.18 = 7.956.
  chain.context().parentSigners = std::vector<Address>{a};
  chain.mine();
  auto [pa3, pb3, pool3, ca3] = snapshot();
  CHECK(pa3 - pa2 == units("1.944"));
  CHECK(ca3 - ca2 == units("0.1944"));
  CHECK(pb3 - pb2 == units("7.956"));
  CHECK(pool3 - pool2 == units("0.1"));

  // Withdraw pays exactly the pending amount (B's own delegation, no commission).
  const U256 before = chain.balance(b);
  auto w = chain.send(2, kStakingAddress, "withdrawRewards(address)", {b});
  REQUIRE_MESSAGE(w.success, w.reason);
  auto paid = chain.events(w.logs, kStakingAddress, "RewardsWithdrawn(address,address,uint256)");
  REQUIRE(paid.size() == 1);
  CHECK(paid[0][2].asUint() == pb3);
  CHECK(chain.balance(b) == before + pb3 - U256(w.gasUsed) * 1'000'000'000ull);
  CHECK(staking::totalEmitted(chain.state()) == units("10") * 4);
}

TEST_CASE("staking: super validators share 60 % × #super/#active by their bid amounts") {
  test::ModuleChain chain(test::kJan2024, 10, stakingGenesis({{1, "200"}, {2, "600"}, {3, "200"}}));
  const Address a = chain.addr(1), b = chain.addr(2), c = chain.addr(3);
  for (std::size_t i : {1, 2, 4}) test::clearingMint(chain, chain.addr(i), units("10"));
  REQUIRE(chain.send(1, kBidAddress, "bidTAT(uint256)", {units("1")}).success);
  REQUIRE(chain.send(2, kBidAddress, "bidTAT(uint256)", {units("3")}).success);
  REQUIRE(chain.send(4, kBidAddress, "bidTAT(uint256)", {units("5")}).success);  // no validator
  chain.setHeight(60);  // round 1: super validators are round 0's validator bidders
  const U256 pa = pending(chain, a, a), pb = pending(chain, b, b), pc = pending(chain, c, c);
  const U256 pool = chain.balance(kCommunityPool);
  chain.mine();
  // pot 10: community 0.1; super 10 × 60 % × 2/3 = 4 → A 1, B 3 (bids 1:3); rest 5.9 by power
  // (1000): A 1.18, B 3.54, C 1.18.
  CHECK(pending(chain, a, a) - pa == units("2.18"));
  CHECK(pending(chain, b, b) - pb == units("6.54"));
  CHECK(pending(chain, c, c) - pc == units("1.18"));
  CHECK(chain.balance(kCommunityPool) - pool == units("0.1"));
  // Round 2 looks at round 1, where nobody bid: no super share.
  chain.setHeight(120);
  const U256 pa2 = pending(chain, a, a);
  chain.mine();
  CHECK(pending(chain, a, a) - pa2 == units("1.98"));  // 9.9 × 200/1000
}

TEST_CASE("staking: emission factor table (RULES.md §10)") {
  using staking::emissionFactor;
  const U256 e16 = U256(10'000'000'000'000'000ull);
  CHECK(emissionFactor(0, 0) == 50 * e16);            // both 0: d = 0
  CHECK(emissionFactor(0, 100) == 50 * e16);          // d = 0
  CHECK(emissionFactor(55, 100) == 825 * e16 / 10);   // d = 0.5: 0.75 + 0.075
  CHECK(*staking::emissionRatio(55, 100) == U256(500'000'000'000'000'000ull));
  CHECK(emissionFactor(110, 100) == 90 * e16);        // d exactly 1
  CHECK(emissionFactor(109, 100) < 90 * e16);         // just below 1: 0.75 + 0.15 d
  CHECK(emissionFactor(109, 100) == 75 * e16 + *staking::emissionRatio(109, 100) * 15 / 100);
  CHECK(emissionFactor(275, 100) == 91 * e16);        // d = 2.5: floor(1.5) = 1
  CHECK(emissionFactor(1100, 100) == 99 * e16);       // d = 10
  CHECK(emissionFactor(2000, 100) == 99 * e16);       // d > 10: capped
  CHECK(emissionFactor(1099, 100) == 98 * e16);       // d just below 10
  CHECK(emissionFactor(1, 0) == 99 * e16);            // TAT_{n-2} = 0 < TAT_{n-1}
  CHECK(staking::nextReward(units("10"), 825 * e16 / 10) == units("8.25"));
  CHECK(staking::nextReward(3, 50 * e16) == 1);       // rounded down
}

TEST_CASE("staking: emission of period 2 follows the TAT minted in periods 0 and 1") {
  test::ModuleChain chain(test::kJan2024, 10, stakingGenesis({{1, "200"}}));
  test::clearingMint(chain, chain.addr(3), units("100"));  // period 0
  chain.setHeight(tat::kEmissionPeriodBlocks + 5);
  test::clearingMint(chain, chain.addr(3), units("55"));  // period 1: d = 0.5, f = 0.825
  CHECK(staking::rewardOfPeriod(chain.state(), 1) == units("10"));
  CHECK(staking::rewardOfPeriod(chain.state(), 2) == units("8.25"));
  chain.setHeight(2 * tat::kEmissionPeriodBlocks);
  const U256 emitted = staking::totalEmitted(chain.state());
  chain.mine();
  CHECK(staking::totalEmitted(chain.state()) - emitted == units("8.25"));
  // Stored: TAT minted later (in period 2) does not change period 2's reward.
  test::clearingMint(chain, chain.addr(3), units("1000"));
  CHECK(staking::rewardOfPeriod(chain.state(), 2) == units("8.25"));
  // Period 3: d = (1000 / 55) / 1.1 ≥ 10 → f = 0.99.
  CHECK(staking::rewardOfPeriod(chain.state(), 3) == units("8.1675"));
}

TEST_CASE("staking: the UNIT supply changes only by the emission; no dust is lost") {
  test::ModuleChain chain(test::kJan2024, 10,
                          stakingGenesis({{1, "201.123456789012345678", 333}, {2, "777.7", 1234},
                                          {3, "158"}}));
  const U256 genesisSupply = totalSupply(chain);
  const Address a = chain.addr(1), b = chain.addr(2), c = chain.addr(3);
  auto check = [&] {
    CHECK(totalSupply(chain) == genesisSupply + staking::totalEmitted(chain.state()));
    CHECK(chain.balance(kStakingAddress) == stakingLiabilities(chain));
  };
  REQUIRE(chain.send(4, kStakingAddress, "delegate(address)", {a}, units("123.456789")).success);
  REQUIRE(chain.send(5, kStakingAddress, "delegate(address)", {a}, U256(7)).success);
  REQUIRE(chain.send(6, kStakingAddress, "delegate(address)", {b}, units("3.333333333333333333")).success);
  check();
  chain.context().proposer = b;
  for (int i = 0; i < 7; ++i) {
    chain.context().parentSigners = std::vector<Address>{std::min(a, c), std::max(a, c)};
    chain.advance(5);
    chain.mine();
  }
  check();
  chain.context().doubleSigns = {{a, 3}};
  chain.mine();
  chain.context().doubleSigns.clear();
  check();
  REQUIRE(chain.send(4, kStakingAddress, "undelegate(address,uint256)", {a, units("50.000000000000000001")}).success);
  REQUIRE(chain.send(4, kStakingAddress, "withdrawRewards(address)", {a}).success);
  REQUIRE(chain.send(1, kStakingAddress, "withdrawRewards(address)", {a}).success);
  REQUIRE(chain.send(6, kStakingAddress, "withdrawRewards(address)", {b}).success);
  auto nothing = chain.send(7, kStakingAddress, "withdrawRewards(address)", {b});
  CHECK(nothing.reason == "no rewards to withdraw");
  check();
  // Everyone leaves validator C: its leftover goes to the community pool.
  const U256 cValue = chain.call(kStakingAddress, "getDelegation(address,address)", {c, c}).at(1).asUint();
  REQUIRE(chain.send(3, kStakingAddress, "undelegate(address,uint256)", {c, cValue}).success);
  CHECK(staking::validator(chain.state(), c)->shares == 0);
  chain.advance(kDays21);
  chain.mine();
  check();
  CHECK(staking::unbondings(chain.state(), chain.addr(4)).empty());
  CHECK(staking::totalEmitted(chain.state()) > 0);
}

TEST_CASE("staking: tests/e2e/abi/Staking.abi.json matches the declared calls and events") {
  const auto file = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                    "e2e" / "abi" / "Staking.abi.json";
  std::ifstream in(file);
  REQUIRE_MESSAGE(in.good(), "cannot read ", file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  const json::value abiJson = json::parse(ss.str());
  // Canonical type of an ABI JSON parameter (tuples expanded).
  std::function<std::string(const json::object&)> typeOf = [&](const json::object& p) {
    std::string t(p.at("type").as_string());
    if (t.rfind("tuple", 0) != 0) return t;
    std::string inner;
    for (const auto& c : p.at("components").as_array())
      inner += (inner.empty() ? "" : ",") + typeOf(c.as_object());
    return "(" + inner + ")" + t.substr(5);
  };
  auto list = [&](const json::array& ps) {
    std::string s;
    for (const auto& p : ps) s += (s.empty() ? "" : ",") + typeOf(p.as_object());
    return s;
  };
  test::ModuleChain chain;
  const ModuleRegistry::Entry* entry = chain.modules().find(kStakingAddress);
  REQUIRE(entry != nullptr);
  std::size_t functions = 0, events = 0;
  for (const auto& item : abiJson.as_array()) {
    const json::object& o = item.as_object();
    const std::string name(o.at("name").as_string());
    const std::string sig = name + "(" + list(o.at("inputs").as_array()) + ")";
    if (o.at("type").as_string() == "event") {
      ++events;
      const EventDecl& e = chain.modules().event(kStakingAddress, sig);
      std::vector<bool> indexed;
      for (const auto& p : o.at("inputs").as_array()) indexed.push_back(p.at("indexed").as_bool());
      CHECK_MESSAGE(e.indexed == indexed, sig);
      continue;
    }
    ++functions;
    auto sel = abi::selector(sig);
    const CallDecl* d = chain.modules().findCall(kStakingAddress, BytesView(sel.data(), sel.size()));
    REQUIRE_MESSAGE(d != nullptr, sig);
    CHECK_MESSAGE(d->returns == list(o.at("outputs").as_array()), sig);
    const std::string mut(o.at("stateMutability").as_string());
    const Mutability want = mut == "view" ? Mutability::View
                            : mut == "payable" ? Mutability::Payable
                                               : Mutability::NonPayable;
    CHECK_MESSAGE(d->mutability == want, sig);
  }
  CHECK(functions == entry->calls.size());
  CHECK(events == entry->events.size());
}
