// TAT (0x…1005): ERC-20 behaviour, the governed lock and pause, self-stake, and the rule that
// supply comes only from clearing (RULES.md §9).
#include "tests/unit/modules/gov_fixture.hpp"

using namespace tn;
using test::units;

namespace {

const Address kZero;

// One decoded Transfer(from, to, value) at the TAT address.
struct TransferEvent {
  Address from, to;
  U256 value;
};
std::vector<TransferEvent> transfers(const test::ModuleChain& chain, const std::vector<Log>& logs) {
  std::vector<TransferEvent> out;
  for (const auto& e : chain.events(logs, kTatAddress, "Transfer(address,address,uint256)"))
    out.push_back({e[0].asAddress(), e[1].asAddress(), e[2].asUint()});
  return out;
}

}  // namespace

TEST_CASE("TAT metadata and an empty genesis supply") {
  test::ModuleChain chain;
  CHECK(chain.call(kTatAddress, "name()")[0].asString() == "TAT Token");
  CHECK(chain.call(kTatAddress, "symbol()")[0].asString() == "TAT");
  CHECK(test::viewUint(chain, kTatAddress, "decimals()") == 18);
  CHECK(test::viewUint(chain, kTatAddress, "totalSupply()") == 0);
  CHECK(chain.call(kTatAddress, "owner()")[0].asAddress() == kMulSigAddress);
  CHECK_FALSE(chain.call(kTatAddress, "paused()")[0].asBool());
  // No receive(): plain UNIT transfers to TAT revert.
  CHECK_FALSE(chain.send(0, kTatAddress, "", {}, units("1")).success);
}

TEST_CASE("TAT supply grows only through clearing: every public mint path reverts") {
  test::ModuleChain chain;
  test::clearingMint(chain, chain.addr(1), units("5"));
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  struct Attempt {
    std::size_t from;
    Address to;
    const char* sig;
    abi::ValueList args;
  };
  const abi::Value rewardees = abi::ValueList{a2}, amounts = abi::ValueList{units("100")};
  const std::vector<Attempt> attempts = {
      {0, kTatAddress, "faucet(address,uint256)", {a2, units("100")}},
      {2, kTatAddress, "faucet(address,uint256)", {a2, units("100")}},
      {0, kTatAddress, "mint(string,bytes32,address,uint256)", {"OIL", Hash32{}, a2, units("100")}},
      {2, kTatAddress, "mint(string,bytes32,address,uint256)", {"GAS", Hash32{}, a2, units("100")}},
      {0, kTatAddress, "setTATRecord(address,uint256)", {a2, units("100")}},
      {1, kTatAddress, "burn(string,uint256)", {"OIL", units("1")}},
      {2, kTatAddress, "stake(address,uint256)", {a1, units("1")}},
      {2, kTatAddress, "withdraw(address,uint256)", {a1, units("1")}},
      // ProductionData.reward at the data modules (the production side keeps it disabled).
      {0, test::kOilData, "reward(bytes32,address[],uint256[])", {Hash32{}, rewardees, amounts}},
      {2, Address::fromU64(0x1031), "reward(bytes32,address[],uint256[])", {Hash32{}, rewardees, amounts}},
  };
  for (const Attempt& at : attempts) {
    CAPTURE(at.sig);
    auto r = chain.send(at.from, at.to, at.sig, at.args);
    CHECK_FALSE(r.success);
    CHECK(r.reason.find("disabled") != std::string::npos);
  }
  // withdraw for oneself: nothing was staked, so nothing can come back.
  auto w = chain.send(2, kTatAddress, "withdraw(address,uint256)", {a2, units("1")});
  CHECK(w.reason == "Withdrawal amount exceeds staked amount");
  CHECK(test::viewUint(chain, kTatAddress, "totalSupply()") == units("5"));
  CHECK(test::tatBalance(chain, a2) == 0);
  CHECK(test::tatBalance(chain, a1) == units("5"));
}

TEST_CASE("TAT mint history is written only by clearing") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1);
  test::clearingMint(chain, a1, units("3"), 202312);
  test::clearingMint(chain, a1, units("2"), 202401);
  test::clearingMint(chain, a1, units("1"), 202401);
  auto record = chain.call(kTatAddress, "getTATRecord(address)", {a1});
  REQUIRE(record[0].asList().size() == 2);
  CHECK(record[0].asList()[0].asUint() == 2312);  // YYMM at the ABI edge
  CHECK(record[0].asList()[1].asUint() == 2401);
  CHECK(record[1].asList()[0].asUint() == units("3"));
  CHECK(record[1].asList()[1].asUint() == units("3"));
  CHECK(tat::mintedTo(chain.state(), a1, 202401) == units("3"));

  auto r = chain.send(1, kTatAddress, "setTATRecord(address,uint256)", {a1, units("1000")});
  CHECK_FALSE(r.success);
  CHECK(r.reason == "disabled: the TAT mint history is written only by clearing");
  auto after = chain.call(kTatAddress, "getTATRecord(address)", {a1});
  CHECK(after[1].asList()[1].asUint() == units("3"));
  CHECK(tat::mintedTo(chain.state(), a1, 202401) == units("3"));

  tat::Stats s = tat::stats(chain.state());
  CHECK(s.supply == units("6"));
  REQUIRE(s.perMonth.size() == 2);
  CHECK(s.perMonth[0].month == 202312);
  CHECK(s.perMonth[1].amount == units("3"));
  REQUIRE(s.perPeriod.size() == 1);
  CHECK(s.perPeriod[0].period == 0);
  CHECK(tat::mintedInPeriod(chain.state(), 0) == units("6"));
  CHECK(test::viewUint(chain, kTatAddress, "mintedInPeriod(uint256)", {uint64_t(0)}) == units("6"));
}

TEST_CASE("TAT mintFromClearing: only from a kind's data module, with Transfer(0, to) at TAT") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1);
  for (uint64_t self : {0x1005ull, 0x1006ull, 0x1010ull, 0x1002ull, 0x1051ull, 0x9999ull}) {
    CAPTURE(self);
    try {
      test::clearingMint(chain, a1, units("1"), 202401, Address::fromU64(self));
      FAIL("minted outside a data module");
    } catch (const Revert& r) {
      CHECK(std::string(r.what()) == "disabled: TAT is minted only by clearing");
    }
  }
  CHECK(tat::totalSupply(chain.state()) == 0);

  for (uint64_t data : {0x1011ull, 0x1021ull, 0x1031ull, 0x1041ull}) {
    auto logs = test::clearingMint(chain, a1, units("1"), 202401, Address::fromU64(data));
    auto t = transfers(chain, logs);
    REQUIRE(t.size() == 1);
    CHECK(t[0].from == kZero);
    CHECK(t[0].to == a1);
    CHECK(t[0].value == units("1"));
    CHECK(logs[0].address == kTatAddress);
  }
  CHECK(tat::totalSupply(chain.state()) == units("4"));

  // A governance-added kind's data module may mint once the kind exists, not before.
  test::passProposal(chain, {0}, "proposeToAddKind(string,bool,string)", {"LNG", false, "t"});
  test::clearingMint(chain, a1, units("1"), 202401, Address::fromU64(0x1051));
  CHECK(tat::balanceOf(chain.state(), a1) == units("5"));

  // The uniqueId overload also reports TATHistory(kind, uniqueId, data module, to, amount).
  GasMeter gas(1'000'000);
  std::vector<Log> logs;
  CallContext ctx(chain.block(), chain.modules(), chain.state(), gas, logs, Address(), test::kOilData,
                  0, false);
  Hash32 well = keccak256(std::string_view("well-1"));
  tat::mintFromClearing(ctx, a1, units("2"), 202402, well);
  auto history = chain.events(logs, kTatAddress, "TATHistory(string,bytes32,address,address,uint256)");
  REQUIRE(history.size() == 1);
  CHECK(history[0][0].asString() == "OIL");
  CHECK(history[0][1].asBytes32() == well);
  CHECK(history[0][2].asAddress() == test::kOilData);
  CHECK(history[0][3].asAddress() == a1);
  CHECK(history[0][4].asUint() == units("2"));
  // Zero mints nothing and to the zero address is refused.
  CHECK(test::clearingMint(chain, a1, 0).empty());
  CHECK_THROWS_AS(test::clearingMint(chain, kZero, units("1")), Revert);
}

TEST_CASE("TAT transfer: balances, Transfer event with indexed parties, failures change nothing") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  test::clearingMint(chain, a1, units("10"));

  auto ok = chain.send(1, kTatAddress, "transfer(address,uint256)", {a2, units("4")});
  REQUIRE(ok.success);
  CHECK(test::tatBalance(chain, a1) == units("6"));
  CHECK(test::tatBalance(chain, a2) == units("4"));
  auto t = transfers(chain, ok.logs);
  REQUIRE(t.size() == 1);
  CHECK(t[0].from == a1);
  CHECK(t[0].to == a2);
  CHECK(t[0].value == units("4"));
  // Indexed: topics 1 and 2 carry the parties, the value is the only data word.
  REQUIRE(ok.logs[0].topics.size() == 3);
  CHECK(ok.logs[0].data.size() == 32);
  CHECK(chain.call(kTatAddress, "balanceOf(address)", {a2})[0].asUint() == units("4"));

  auto tooMuch = chain.send(1, kTatAddress, "transfer(address,uint256)", {a2, units("7")});
  CHECK_FALSE(tooMuch.success);
  CHECK(tooMuch.reason == "ERC20: transfer amount exceeds balance");
  auto toZero = chain.send(1, kTatAddress, "transfer(address,uint256)", {kZero, units("1")});
  CHECK(toZero.reason == "ERC20: transfer to the zero address");
  CHECK(test::tatBalance(chain, a1) == units("6"));
  CHECK(test::tatBalance(chain, a2) == units("4"));
  CHECK(tat::totalSupply(chain.state()) == units("10"));
}

TEST_CASE("TAT allowance: approve, transferFrom, increase/decrease, unlimited, burnFrom") {
  test::ModuleChain chain;
  const Address owner = chain.addr(1), spender = chain.addr(2), to = chain.addr(3);
  test::clearingMint(chain, owner, units("10"));

  auto approved = chain.send(1, kTatAddress, "approve(address,uint256)", {spender, units("3")});
  REQUIRE(approved.success);
  auto ev = chain.events(approved.logs, kTatAddress, "Approval(address,address,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][0].asAddress() == owner);
  CHECK(ev[0][1].asAddress() == spender);
  CHECK(ev[0][2].asUint() == units("3"));
  CHECK(test::viewUint(chain, kTatAddress, "allowance(address,address)", {owner, spender}) == units("3"));

  auto over = chain.send(2, kTatAddress, "transferFrom(address,address,uint256)", {owner, to, units("4")});
  CHECK(over.reason == "ERC20: insufficient allowance");
  auto noApproval = chain.send(3, kTatAddress, "transferFrom(address,address,uint256)", {owner, to, units("1")});
  CHECK(noApproval.reason == "ERC20: insufficient allowance");

  auto spent = chain.send(2, kTatAddress, "transferFrom(address,address,uint256)", {owner, to, units("2")});
  REQUIRE(spent.success);
  CHECK(test::tatBalance(chain, to) == units("2"));
  CHECK(tat::allowance(chain.state(), owner, spender) == units("1"));
  // The spend is reported as a new Approval (OpenZeppelin 4.9), then the Transfer.
  CHECK(chain.events(spent.logs, kTatAddress, "Approval(address,address,uint256)").at(0)[2].asUint() ==
        units("1"));
  CHECK(transfers(chain, spent.logs).at(0).from == owner);

  REQUIRE(chain.send(1, kTatAddress, "increaseAllowance(address,uint256)", {spender, units("4")}).success);
  CHECK(tat::allowance(chain.state(), owner, spender) == units("5"));
  REQUIRE(chain.send(1, kTatAddress, "decreaseAllowance(address,uint256)", {spender, units("2")}).success);
  CHECK(tat::allowance(chain.state(), owner, spender) == units("3"));
  auto below = chain.send(1, kTatAddress, "decreaseAllowance(address,uint256)", {spender, units("4")});
  CHECK(below.reason == "ERC20: decreased allowance below zero");
  CHECK(chain.send(1, kTatAddress, "approve(address,uint256)", {kZero, units("1")}).reason ==
        "ERC20: approve to the zero address");

  // burnFrom spends allowance and burns the owner's TAT.
  REQUIRE(chain.send(2, kTatAddress, "burnFrom(address,uint256)", {owner, units("1")}).success);
  CHECK(tat::allowance(chain.state(), owner, spender) == units("2"));
  CHECK(test::tatBalance(chain, owner) == units("7"));
  CHECK(tat::totalSupply(chain.state()) == units("9"));
  CHECK(chain.send(3, kTatAddress, "burnFrom(address,uint256)", {owner, units("1")}).reason ==
        "ERC20: insufficient allowance");

  // An unlimited allowance is never reduced.
  U256 max = std::numeric_limits<U256>::max();
  REQUIRE(chain.send(1, kTatAddress, "approve(address,uint256)", {spender, max}).success);
  auto unlimited = chain.send(2, kTatAddress, "transferFrom(address,address,uint256)", {owner, to, units("1")});
  REQUIRE(unlimited.success);
  CHECK(tat::allowance(chain.state(), owner, spender) == max);
  CHECK(chain.events(unlimited.logs, kTatAddress, "Approval(address,address,uint256)").empty());
}

TEST_CASE("TAT burn(uint256) burns only the caller's own TAT") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  test::clearingMint(chain, a1, units("5"));
  test::clearingMint(chain, a2, units("5"));
  auto r = chain.send(1, kTatAddress, "burn(uint256)", {units("2")});
  REQUIRE(r.success);
  auto t = transfers(chain, r.logs);
  REQUIRE(t.size() == 1);
  CHECK(t[0].from == a1);
  CHECK(t[0].to == kZero);
  CHECK(test::tatBalance(chain, a1) == units("3"));
  CHECK(test::tatBalance(chain, a2) == units("5"));
  CHECK(tat::totalSupply(chain.state()) == units("8"));
  CHECK(test::viewUint(chain, kTatAddress, "totalBurned()") == units("2"));
  CHECK(chain.send(1, kTatAddress, "burn(uint256)", {units("4")}).reason ==
        "ERC20: burn amount exceeds balance");
  CHECK(test::tatBalance(chain, a1) == units("3"));
}

TEST_CASE("TAT governed lock: tatTransferable = 0 stops transfers, not burns; only MulSig sets it") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  test::clearingMint(chain, a1, units("10"));
  REQUIRE(chain.send(1, kTatAddress, "approve(address,uint256)", {a2, units("5")}).success);

  test::setParam(chain, "tatTransferable", 0);
  auto locked = chain.send(1, kTatAddress, "transfer(address,uint256)", {a2, units("1")});
  CHECK_FALSE(locked.success);
  CHECK(locked.reason == "TAT transfers are locked by governance (tatTransferable = 0)");
  auto lockedFrom = chain.send(2, kTatAddress, "transferFrom(address,address,uint256)", {a1, a2, units("1")});
  CHECK(lockedFrom.reason == locked.reason);
  CHECK(tat::allowance(chain.state(), a1, a2) == units("5"));
  CHECK(chain.send(1, kTatAddress, "burn(uint256)", {units("1")}).success);
  CHECK(test::tatBalance(chain, a2) == 0);

  test::setParam(chain, "tatTransferable", 1);
  CHECK(chain.send(1, kTatAddress, "transfer(address,uint256)", {a2, units("1")}).success);
  CHECK(test::tatBalance(chain, a2) == units("1"));
}

TEST_CASE("TAT pause: set by a MulSig proposal, stops every movement, pause() itself is owner-only") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  test::clearingMint(chain, a1, units("10"));
  auto direct = chain.send(0, kTatAddress, "pause()");
  CHECK_FALSE(direct.success);
  CHECK(direct.reason.find("Ownable: caller is not the owner") == 0);

  REQUIRE(chain.send(0, kMulSigAddress, "proposeToSetPlatformConfig(string,uint256)", {"tatPaused", 1}).success);
  REQUIRE(chain.send(0, kMulSigAddress, "signTransaction(uint256)", {1}).success);
  chain.advance(5);
  auto exec = chain.send(0, kMulSigAddress, "executeProposal(uint256)", {1});
  REQUIRE(exec.success);
  auto paused = chain.events(exec.logs, kTatAddress, "Paused(address)");
  REQUIRE(paused.size() == 1);
  CHECK(paused[0][0].asAddress() == kMulSigAddress);
  CHECK(chain.call(kTatAddress, "paused()")[0].asBool());

  const std::string reason = "ERC20Pausable: token transfer while paused";
  CHECK(chain.send(1, kTatAddress, "transfer(address,uint256)", {a2, units("1")}).reason == reason);
  CHECK(chain.send(1, kTatAddress, "burn(uint256)", {units("1")}).reason == reason);
  CHECK(chain.send(1, kTatAddress, "stake(address,uint256)", {a1, units("1")}).reason == reason);
  CHECK_THROWS_AS(test::clearingMint(chain, a1, units("1")), Revert);
  CHECK(tat::totalSupply(chain.state()) == units("10"));

  test::setParam(chain, "tatPaused", 0);
  CHECK(chain.send(1, kTatAddress, "transfer(address,uint256)", {a2, units("1")}).success);
}

TEST_CASE("TAT self-stake locks TAT at the TAT address without changing the supply") {
  test::ModuleChain chain;
  const Address a1 = chain.addr(1), a2 = chain.addr(2);
  test::clearingMint(chain, a1, units("10"));

  auto staked = chain.send(1, kTatAddress, "stake(address,uint256)", {a1, units("4")});
  REQUIRE(staked.success);
  CHECK(chain.events(staked.logs, kTatAddress, "Stake(address,uint256)").at(0)[1].asUint() == units("4"));
  CHECK(transfers(chain, staked.logs).at(0).to == kTatAddress);
  CHECK(test::tatBalance(chain, a1) == units("6"));
  CHECK(test::viewUint(chain, kTatAddress, "stakeOf(address)", {a1}) == units("4"));
  CHECK(test::viewUint(chain, kTatAddress, "totalStakes()") == units("4"));
  CHECK(test::viewUint(chain, kTatAddress, "totalStakers()") == 1);
  CHECK(tat::totalSupply(chain.state()) == units("10"));

  CHECK(chain.send(1, kTatAddress, "stake(address,uint256)", {a1, units("7")}).reason ==
        "Stake amount exceeds balance");
  CHECK(chain.send(2, kTatAddress, "withdraw(address,uint256)", {a1, units("1")}).reason.find("disabled") == 0);
  CHECK(chain.send(1, kTatAddress, "withdraw(address,uint256)", {a1, units("5")}).reason ==
        "Withdrawal amount exceeds staked amount");

  auto back = chain.send(1, kTatAddress, "withdraw(address,uint256)", {a1, units("4")});
  REQUIRE(back.success);
  CHECK(chain.events(back.logs, kTatAddress, "Withdraw(address,uint256)").size() == 1);
  CHECK(test::tatBalance(chain, a1) == units("10"));
  CHECK(test::viewUint(chain, kTatAddress, "totalStakers()") == 0);
  CHECK(test::tatBalance(chain, a2) == 0);
  CHECK(tat::totalSupply(chain.state()) == units("10"));
}

TEST_CASE("TAT genesis refuses balances") {
  boost::json::object config;
  config["tat"] = boost::json::object{{"balances", boost::json::object{}}};
  CHECK_THROWS_AS(test::ModuleChain(test::kJan2024, 10, config), std::invalid_argument);
}
