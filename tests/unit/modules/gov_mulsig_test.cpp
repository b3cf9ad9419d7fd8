// MulSig (0x…1002) and Roles (0x…1000): a proposal executes only with threshold distinct FM
// signatures after confirmDelay, once; roles change only that way; the penalty pool is spent
// only that way, through the ledger (RULES.md §2).
#include "modules/governance/governance.hpp"
#include "modules/roles/roles.hpp"
#include "tests/unit/modules/gov_fixture.hpp"

using namespace tn;
using test::units;

namespace {

// Three FOUNDATION_MANAGERs (accounts 0, 1, 2): threshold 2. Account 3 is FEEDER only.
test::ModuleChain threeManagers() {
  return test::ModuleChain(test::kJan2024, 10, test::rolesGenesis({0, 1, 2}, {3}));
}

uint64_t proposeFeeder(test::ModuleChain& chain, std::size_t from, const Address& who) {
  auto r = chain.send(from, kMulSigAddress, "proposeToManagePermission(string,address)", {"FEEDERA", who});
  REQUIRE_MESSAGE(r.success, r.reason);
  return test::proposalIdOf(r);
}

test::TxResult execute(test::ModuleChain& chain, std::size_t from, uint64_t id) {
  return chain.send(from, kMulSigAddress, "executeProposal(uint256)", {id});
}
test::TxResult sign(test::ModuleChain& chain, std::size_t from, uint64_t id) {
  return chain.send(from, kMulSigAddress, "signTransaction(uint256)", {id});
}

bool isFeeder(test::ModuleChain& chain, const Address& a) {
  return roles::has(chain.state(), roles::Role::Feeder, a);
}

}  // namespace

TEST_CASE("dev genesis: the standard set answers at its addresses, account 0 is FM and FEEDER") {
  test::ModuleChain chain;
  auto dir = moduleDirectory(chain.modules());
  const std::vector<std::pair<std::string, Address>> expected = {
      {"roles", kRolesAddress},       {"governance", kGovernanceAddress},
      {"mulsig", kMulSigAddress},     {"parameterinfo", kParameterInfoAddress},
      {"oracle", kOracleAddress},     {"tat", kTatAddress},
      {"bid", kBidAddress},           {"registry", kProducerRegistryAddress}};
  for (const auto& e : expected) CHECK(std::find(dir.begin(), dir.end(), e) != dir.end());
  CHECK(roles::has(chain.state(), roles::Role::FoundationManager, chain.addr(0)));
  CHECK(roles::has(chain.state(), roles::Role::Feeder, chain.addr(0)));
  CHECK_FALSE(roles::has(chain.state(), roles::Role::FoundationManager, chain.addr(1)));
  CHECK(chain.call(kRolesAddress, "hasRole(bytes32,address)",
                   {roles::id(roles::Role::Feeder), chain.addr(0)})[0].asBool());
  CHECK(test::viewUint(chain, kGovernanceAddress, "fmThreshold()") == 1);
  auto oil = chain.call(kGovernanceAddress, "getTreasureByKind(string)", {"OIL"});
  CHECK(oil[0].asAddress() == Address::fromU64(0x1010));
  CHECK(oil[1].asAddress() == test::kOilData);
}

TEST_CASE("Roles cannot be changed directly, only through MulSig") {
  test::ModuleChain chain;
  Hash32 feeder = roles::id(roles::Role::Feeder);
  for (const char* sig : {"grantRole(bytes32,address)", "revokeRole(bytes32,address)"}) {
    auto r = chain.send(0, kRolesAddress, sig, {feeder, chain.addr(1)});
    CHECK_FALSE(r.success);
    CHECK(r.reason.find("AccessControl: account") == 0);
  }
  CHECK(chain.send(0, kRolesAddress, "renounceRole(bytes32,address)", {feeder, chain.addr(0)})
            .reason.find("disabled") == 0);
  CHECK(chain.send(0, kRolesAddress, "renounceRole(bytes32,address)", {feeder, chain.addr(1)})
            .reason == "AccessControl: can only renounce roles for self");
  // Enumeration: account 0 is the dev genesis' one FEEDER; index 1 is past the end (Solidity's
  // out-of-bounds panic: a revert with no reason data).
  CHECK(chain.call(kRolesAddress, "getRoleMember(bytes32,uint256)", {feeder, 0})[0].asAddress() ==
        chain.addr(0));
  CHECK_THROWS_WITH_AS(chain.call(kRolesAddress, "getRoleMember(bytes32,uint256)", {feeder, 1}),
                       "getRoleMember: index out of bounds", Revert);
  CHECK_FALSE(isFeeder(chain, chain.addr(1)));
  CHECK(isFeeder(chain, chain.addr(0)));
}

TEST_CASE("MulSig: only a FOUNDATION_MANAGER proposes, signs, executes, deletes, lists") {
  auto chain = threeManagers();
  const std::string denied = "only foundation manager";
  CHECK(chain.send(3, kMulSigAddress, "proposeToManagePermission(string,address)", {"FEEDERA", chain.addr(4)})
            .reason == denied);
  CHECK(chain.send(4, kMulSigAddress, "proposeToSetPlatformConfig(string,uint256)", {"marginRatio", 200})
            .reason == denied);
  CHECK(chain.send(4, kMulSigAddress, "proposeToSpendPenaltyPool(address,uint256)", {chain.addr(4), 1})
            .reason == denied);
  uint64_t id = proposeFeeder(chain, 0, chain.addr(4));
  CHECK(sign(chain, 3, id).reason == denied);
  CHECK(execute(chain, 4, id).reason == denied);
  CHECK(chain.send(4, kMulSigAddress, "deleteProposals(uint256)", {id}).reason == denied);
  CHECK_THROWS_AS(chain.call(kMulSigAddress, "getPendingProposals()", {}, chain.addr(4)), Revert);
  auto pending = chain.call(kMulSigAddress, "getPendingProposals()", {}, chain.addr(1))[0].asList();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].asUint() == id);
}

TEST_CASE("MulSig: threshold distinct signatures, then the confirm delay, then one execution") {
  auto chain = threeManagers();
  const Address target = chain.addr(5);
  CHECK(test::viewUint(chain, kGovernanceAddress, "fmThreshold()") == 2);
  uint64_t id = proposeFeeder(chain, 0, target);

  // The proposer alone, unsigned: refused.
  auto unsigned_ = execute(chain, 0, id);
  CHECK_FALSE(unsigned_.success);
  CHECK(unsigned_.reason == "not enough signatures: have 0, need 2");
  // One signature, even the same FM twice, is not two.
  REQUIRE(sign(chain, 0, id).success);
  CHECK(sign(chain, 0, id).reason == "already signed");
  chain.advance(3600);
  CHECK(execute(chain, 0, id).reason == "not enough signatures: have 1, need 2");
  CHECK(test::viewUint(chain, kMulSigAddress, "getSignatureCount(uint256)", {id}) == 1);

  // The second signature starts the delay: executable at that block time + 5 s.
  REQUIRE(sign(chain, 1, id).success);
  uint64_t reached = chain.now();
  auto details = chain.call(kMulSigAddress, "transactionDetails(uint256)", {id})[0].asList();
  CHECK(details[0].asString() == "FEEDERA");
  CHECK(details[1].asAddress() == target);
  CHECK(details[8].asUint() == reached + 5);
  chain.advance(4);
  auto early = execute(chain, 1, id);
  CHECK(early.reason == "executeTime not meet: executable at " + std::to_string(reached + 5));
  CHECK_FALSE(isFeeder(chain, target));

  chain.advance(1);
  auto done = execute(chain, 2, id);  // any FM may execute
  REQUIRE_MESSAGE(done.success, done.reason);
  CHECK(isFeeder(chain, target));
  auto granted = chain.events(done.logs, kRolesAddress, "RoleGranted(bytes32,address,address)");
  REQUIRE(granted.size() == 1);
  CHECK(granted[0][1].asAddress() == target);
  CHECK(granted[0][2].asAddress() == kMulSigAddress);
  CHECK(chain.events(done.logs, kMulSigAddress, "ProposalExecuted(uint256)").size() == 1);

  // Executed twice: refused, and nothing is emitted again.
  auto twice = execute(chain, 0, id);
  CHECK(twice.reason == "proposal already executed");
  CHECK(twice.logs.empty());
  CHECK(sign(chain, 2, id).reason == "proposal already executed");
  CHECK(chain.call(kMulSigAddress, "getPendingProposals()", {}, chain.addr(0))[0].asList().empty());
}

TEST_CASE("MulSig: deleted and unknown proposals never execute") {
  auto chain = threeManagers();
  const Address target = chain.addr(6);
  uint64_t id = proposeFeeder(chain, 0, target);
  REQUIRE(sign(chain, 0, id).success);
  REQUIRE(sign(chain, 1, id).success);
  auto deleted = chain.send(2, kMulSigAddress, "deleteProposals(uint256)", {id});
  REQUIRE(deleted.success);
  CHECK(chain.events(deleted.logs, kMulSigAddress, "ProposalDeleted(uint256,address)").size() == 1);
  chain.advance(60);
  CHECK(execute(chain, 0, id).reason == "proposal deleted");
  CHECK(sign(chain, 2, id).reason == "proposal deleted");
  CHECK_FALSE(isFeeder(chain, target));

  CHECK(execute(chain, 0, 999).reason == "proposal not found");
  CHECK(execute(chain, 0, 0).reason == "proposal not found");
  CHECK(sign(chain, 0, 999).reason == "proposal not found");
}

TEST_CASE("MulSig: a removed FM's signature stops counting") {
  auto chain = threeManagers();
  uint64_t id = proposeFeeder(chain, 0, chain.addr(7));
  REQUIRE(sign(chain, 2, id).success);
  // Remove FM 2 (signed by 0 and 1), then 0 signs the first proposal: 2's vote no longer counts.
  test::passProposal(chain, {0, 1}, "proposeToManagePermission(string,address)", {"FMD", chain.addr(2)});
  CHECK(test::viewUint(chain, kGovernanceAddress, "fmThreshold()") == 2);
  REQUIRE(sign(chain, 0, id).success);
  chain.advance(10);
  CHECK(execute(chain, 0, id).reason == "not enough signatures: have 1, need 2");
  CHECK(execute(chain, 2, id).reason == "only foundation manager");
  REQUIRE(sign(chain, 1, id).success);
  chain.advance(5);
  CHECK(execute(chain, 1, id).success);
  CHECK(isFeeder(chain, chain.addr(7)));
}

TEST_CASE("MulSig: a single FM still has to sign its own proposal and wait") {
  test::ModuleChain chain;  // dev genesis: one FM, threshold 1
  auto r = chain.send(0, kMulSigAddress, "proposeToSetPlatformConfig(string,uint256)", {"marginRatio", 250});
  REQUIRE(r.success);
  uint64_t id = test::proposalIdOf(r);
  CHECK(execute(chain, 0, id).reason == "not enough signatures: have 0, need 1");
  REQUIRE(sign(chain, 0, id).success);
  CHECK(execute(chain, 0, id).reason.find("executeTime not meet") == 0);
  CHECK(params::load(chain.state()).marginRatio == 100);
  chain.advance(5);
  REQUIRE(execute(chain, 0, id).success);
  CHECK(params::load(chain.state()).marginRatio == 250);
  CHECK(test::viewUint(chain, kParameterInfoAddress, "getPlatformConfig(string)", {"marginRatio"}) == 250);
}

TEST_CASE("MulSig: spending the penalty pool moves UNIT from 0x…1008 through the ledger") {
  auto chain = threeManagers();
  const Address recipient = chain.addr(8);
  // Penalties arrive as UNIT on the pool account (a plain account: a plain transfer works).
  REQUIRE(chain.send(9, kPenaltyPool, "", {}, units("10")).success);
  REQUIRE(chain.balance(kPenaltyPool) == units("10"));
  U256 before = chain.balance(recipient);

  auto r = chain.send(0, kMulSigAddress, "proposeToSpendPenaltyPool(address,uint256)", {recipient, units("4")});
  REQUIRE(r.success);
  uint64_t id = test::proposalIdOf(r);
  auto ev = chain.events(r.logs, kMulSigAddress, "SpendPenaltyPool(uint256,address,address,uint256)");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0][2].asAddress() == recipient);
  CHECK(ev[0][3].asUint() == units("4"));
  REQUIRE(sign(chain, 0, id).success);
  chain.advance(5);
  // Threshold 2: one signature does not spend.
  CHECK_FALSE(execute(chain, 0, id).success);
  CHECK(chain.balance(kPenaltyPool) == units("10"));
  REQUIRE(sign(chain, 2, id).success);
  chain.advance(5);
  REQUIRE(execute(chain, 0, id).success);
  CHECK(chain.balance(kPenaltyPool) == units("6"));
  CHECK(chain.balance(recipient) == before + units("4"));

  // More than the pool holds: execution fails and nothing moves; the proposal stays pending.
  uint64_t big = test::proposalIdOf(
      chain.send(0, kMulSigAddress, "proposeToSpendPenaltyPool(address,uint256)", {recipient, units("7")}));
  REQUIRE(sign(chain, 0, big).success);
  REQUIRE(sign(chain, 1, big).success);
  chain.advance(5);
  auto over = execute(chain, 0, big);
  CHECK_FALSE(over.success);
  CHECK(over.reason.find("insufficient balance") != std::string::npos);
  CHECK(chain.balance(kPenaltyPool) == units("6"));
  CHECK(chain.balance(recipient) == before + units("4"));
  CHECK(chain.call(kMulSigAddress, "getPendingProposals()", {}, chain.addr(0))[0].asList().size() == 1);

  CHECK(chain.send(0, kMulSigAddress, "proposeToSpendPenaltyPool(address,uint256)", {Address(), units("1")})
            .reason == "MulSig:zero address");
  CHECK(chain.send(0, kMulSigAddress, "proposeToSpendPenaltyPool(address,uint256)", {recipient, 0}).reason ==
        "amount must be positive");
}

TEST_CASE(
    "MulSig: proposals that could not take effect are refused, when proposed and when executed") {
  auto chain = threeManagers();  // FMs 0, 1, 2; account 3 is FEEDER
  auto propose = [&](std::string_view sig, const abi::ValueList& args) {
    return chain.send(0, kMulSigAddress, sig, args);
  };
  const std::string manage = "proposeToManagePermission(string,address)";
  CHECK(propose(manage, {"FEEDERA", chain.addr(3)}).reason == "account already FEEDER");
  CHECK(propose(manage, {"FEEDERD", chain.addr(6)}).reason == "account is not FEEDER");
  CHECK(propose(manage, {"FMA", chain.addr(1)}).reason == "account already FOUNDATION_MANAGER");

  // Valid when proposed, stale when executed: the same role granted twice.
  const uint64_t first = proposeFeeder(chain, 0, chain.addr(6));
  const uint64_t second = proposeFeeder(chain, 1, chain.addr(6));
  for (uint64_t id : {first, second})
    for (std::size_t fm : {0, 1}) REQUIRE(sign(chain, fm, id).success);
  chain.advance(5);
  REQUIRE(execute(chain, 0, first).success);
  CHECK(execute(chain, 0, second).reason == "account already FEEDER");
  CHECK(isFeeder(chain, chain.addr(6)));

  // Asset kinds with explicit contract addresses: both or neither, and the next free pair.
  const std::string addResource = "proposeToAddResource(string,address,address)";
  const Address producer = kinds::addedProducerAddress(0), data = kinds::addedDataAddress(0);
  CHECK(propose(addResource, {"COAL", Address(), data}).reason == "empty producer contract");
  CHECK(propose(addResource, {"COAL", producer, Address()}).reason ==
        "empty production data contract");
  CHECK(propose(addResource, {"COAL", data, producer}).reason ==
        "resource addresses must be the next free pair " + producer.hex() + " / " + data.hex());
  CHECK(propose(addResource, {"COAL", producer, data}).success);
}

TEST_CASE("MulSig: the last FOUNDATION_MANAGER cannot be removed") {
  test::ModuleChain chain;  // dev genesis: account 0 is the only FM
  auto r = chain.send(0, kMulSigAddress, "proposeToManagePermission(string,address)",
                      {"FMD", chain.addr(0)});
  CHECK(r.reason == "cannot remove the last FOUNDATION_MANAGER");
  CHECK(roles::has(chain.state(), roles::Role::FoundationManager, chain.addr(0)));
}
