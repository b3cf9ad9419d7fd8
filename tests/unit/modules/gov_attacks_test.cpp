// Attacks on the role, ownership and governance checks (RULES.md §2–§10): with the FOUNDATION_
// MANAGER and the FEEDER on different accounts, each gated entry is tried by an account holding
// the *other* power and must fail with its reason and change nothing; the same entries pass for
// the right account. Then a proposal whose threshold rises after it was reached, and a bid paid
// with someone else's TAT through an allowance.
#include "modules/bid/bid.hpp"
#include "modules/roles/roles.hpp"
#include "tests/unit/modules/gov_fixture.hpp"
#include "tests/unit/modules/prod_fixture.hpp"

using namespace tn;
using namespace tn::test;

namespace {

// Account 1 is the only FOUNDATION_MANAGER, account 2 the only FEEDER, account 3 a producer
// with an Active OIL well (holder: account 4 at 10 %) and an Active ETH mining well, account 5 a
// pending applicant.
constexpr std::size_t kFm = 1, kFeeder = 2, kOwner = 3, kHolder = 4, kApplicant = 5;

struct SplitRoles : ProdChain {
  Hash32 oilWell = wellId("OIL-W"), ethWell = wellId("ETH-W");
  uint64_t proposal = 0;

  SplitRoles() : ProdChain(kJan2024, 10, rolesGenesis({kFm}, {kFeeder})) {
    for (const kinds::Kind* k : {&oilKind(), &ethKind()}) {
      requireOk(send(kOwner, kRegistryAddr, "registerProducer(string,string,bytes32)",
                     {k->name, "owner", keccak256(std::string_view("docs"))}));
      requireOk(send(kFm, kRegistryAddr, "approveProducer(address,string)", {addr(kOwner), k->name}));
    }
    requireOk(send(kApplicant, kRegistryAddr, "registerProducer(string,string,bytes32)",
                   {"OIL", "applicant", keccak256(std::string_view("docs"))}));
    requireOk(addWell(kOwner, oilKind(), oilWell));
    requireOk(addWell(kOwner, ethKind(), ethWell, 0, 0, "0xminer"));
    requireOk(setStatus(oilKind(), oilWell, kActive, kFm));
    requireOk(setStatus(ethKind(), ethWell, kActive, kFm));
    requireOk(send(kOwner, oilKind().producer, "setHolders(bytes32,address[],uint256[])",
                   {oilWell, abi::ValueList{addr(kHolder)}, abi::ValueList{U256(10)}}));
    setTime(at(24, 1, 2, 43'200));
    requireOk(send(kFeeder, oilKind().data, kPriceSig,
                   {oracle::assetValueRequestId(oilKind().data), 240102, 800'000}));
    requireOk(put(kOwner, oilKind(), oilWell, 10'000, 240102));
    setTime(at(24, 2, 2));
    requireOk(trusted(oilKind(), oilWell, 2401, 10'000, kFeeder));
    requireOk(send(kFeeder, ethKind().data, kTrustedSig, {ethRequest(), ethWell, block(9)}));
    requireOk(prepay(kOwner, oilKind(), whole(10)));
    auto proposed = send(kFm, kMulSigAddress, "proposeToManagePermission(string,address)",
                         {"FEEDERA", addr(6)});
    requireOk(proposed);
    proposal = proposalIdOf(proposed);
  }

  Hash32 oilRequest() const { return oracle::trustedDataRequestId(oilKind().data, oilWell); }
  Hash32 ethRequest() const { return oracle::trustedDataRequestId(ethKind().data, ethWell); }
  abi::Value block(uint64_t number) const {
    return minedBlock(ethWell, number, whole(2), 3000, whole(7), "0xminer");
  }
};

struct Attempt {
  const char* what;
  std::size_t from;
  Address to;
  std::string signature;
  abi::ValueList args;
  std::string reason;
};

}  // namespace

TEST_CASE("roles: each gated entry refuses the account holding only the other power") {
  SplitRoles c;
  Hash32 unit{};
  std::copy_n("UNIT", 4, unit.bytes.begin());
  const std::string notFeeder = "caller is not FEEDER";
  const std::string notFm = "caller is not FOUNDATION_MANAGER";
  const std::string mulsigFm = "only foundation manager";
  const std::string notOwner = "caller must be the well owner";
  const abi::Value january = abi::ValueList{c.oilWell, 0, Address(), U256(1), 0, 0, 2401, "",
                                            0, 0, 0};
  // One attempt per line group, as a table (clang-format would put each field on its own line).
  // clang-format off
  const std::vector<Attempt> attempts = {
      // FEEDER powers, tried by the FOUNDATION_MANAGER.
      {"price", kFm, oilKind().data, kPriceSig,
       {oracle::assetValueRequestId(oilKind().data), 240103, 1}, notFeeder},
      {"trusted month", kFm, oilKind().data, kTrustedSig, {c.oilRequest(), c.oilWell, january},
       notFeeder},
      {"mined block", kFm, ethKind().data, kTrustedSig, {c.ethRequest(), c.ethWell, c.block(10)},
       notFeeder},
      {"UNIT price", kFm, kOracleAddr, "setCurrencyValue(bytes32,uint256)", {unit, 1}, notFeeder},
      // FOUNDATION_MANAGER powers, tried by the FEEDER.
      {"well review", kFeeder, oilKind().producer, kStatusSig, {c.oilWell, kDeactive}, notFm},
      {"approve", kFeeder, kRegistryAddr, "approveProducer(address,string)",
       {c.addr(kApplicant), "OIL"}, notFm},
      {"reject", kFeeder, kRegistryAddr, "rejectProducer(address,string,string)",
       {c.addr(kApplicant), "OIL", "no"}, notFm},
      {"symbol", kFeeder, kOracleAddr, "addSupportedSymbol(string)", {"UNIT"}, notFm},
      {"propose role", kFeeder, kMulSigAddress, "proposeToManagePermission(string,address)",
       {"FEEDERA", c.addr(7)}, mulsigFm},
      {"propose parameter", kFeeder, kMulSigAddress, "proposeToSetPlatformConfig(string,uint256)",
       {"marginRatio", 0}, mulsigFm},
      {"propose discount", kFeeder, kMulSigAddress,
       "proposeToSetDiscountConfig(uint256,uint256,uint256,uint256,uint256,uint256)",
       {1, 1, 10'000, 10'000, 10'000, 10'000}, mulsigFm},
      {"propose kind", kFeeder, kMulSigAddress, "proposeToAddKind(string,bool,string)",
       {"COAL", false, "t"}, mulsigFm},
      {"propose spend", kFeeder, kMulSigAddress, "proposeToSpendPenaltyPool(address,uint256)",
       {c.addr(kFeeder), 1}, mulsigFm},
      {"sign", kFeeder, kMulSigAddress, "signTransaction(uint256)", {c.proposal}, mulsigFm},
      {"execute", kFeeder, kMulSigAddress, "executeProposal(uint256)", {c.proposal}, mulsigFm},
      {"delete", kFeeder, kMulSigAddress, "deleteProposals(uint256)", {c.proposal}, mulsigFm},
      // Governance cannot be bypassed by calling the governed module directly, even by the FM.
      {"direct role", kFm, kRolesAddress, "grantRole(bytes32,address)",
       {roles::id(roles::Role::Feeder), c.addr(kFm)},
       "AccessControl: account " + c.addr(kFm).hex() + " is missing role " +
           roles::id(roles::Role::Admin).hex()},
      {"direct parameter", kFm, kParameterInfoAddress, "setPlatformConfig(string,uint256)",
       {"marginRatio", 0}, "disabled: parameters change only through MulSig proposals"},
      {"direct kind", kFm, kGovernanceAddress, "addTreasure(string,address,address)",
       {"COAL", kinds::addedProducerAddress(0), kinds::addedDataAddress(0)},
       "disabled: asset kinds are added by MulSig proposals (proposeToAddResource)"},
      // Owner powers: neither administrative role makes an account the owner of a well.
      {"upload", kFm, oilKind().data, kUploadSig,
       {c.oilWell, upload(c.oilWell, 1, 240103, 2401)}, notOwner},
      {"clear month", kFm, oilKind().data, kClearingSig, {c.oilWell, 2401}, notOwner},
      {"clear block", kFeeder, ethKind().data, kClearingSig, {c.ethWell, 9}, notOwner},
      {"update well", kFm, oilKind().producer, kUpdateSig,
       {c.oilWell, core("x", c.addr(kOwner), 3000, 300)}, notOwner},
      {"set holders", kFm, oilKind().producer, "setHolders(bytes32,address[],uint256[])",
       {c.oilWell, abi::ValueList{c.addr(kFm)}, abi::ValueList{U256(50)}}, notOwner},
      {"delete holder", kFeeder, oilKind().producer, "deleteHolder(bytes32,address)",
       {c.oilWell, c.addr(kHolder)}, notOwner},
      // A holder's power: not even the owner moves a holder's share.
      {"split by owner", kOwner, oilKind().producer, "splitHolder(bytes32,address,uint256)",
       {c.oilWell, c.addr(kFm), 1}, "not a share holder"},
      {"split by FM", kFm, oilKind().producer, "splitHolder(bytes32,address,uint256)",
       {c.oilWell, c.addr(kFm), 1}, "not a share holder"},
      // Admission: the FM is not an approved producer.
      {"add well", kFm, oilKind().producer, kAddProducerSig,
       {wellId("FM-W"), core("fm", c.addr(kFm), 3000, 300)}, "producer not approved for OIL"},
      // The module account holds the owner's margin; nobody else can draw on it.
      {"withdraw", kFm, oilKind().data, "withdraw(uint256)", {1},
       "margin is not enough: balance 0 aunit"},
      // Calls of the public contracts that this node's rules leave without effect.
      {"reinitialize", kFm, oilKind().producer,
       "initialize(address,address,string,address,string[],address[])",
       {c.addr(kFm), c.addr(kFm), "OIL", c.addr(kFm), abi::ValueList{}, abi::ValueList{}},
       "Initializable: contract is already initialized"},
      {"link no ids", kOwner, oilKind().producer, "link(bytes32[],bytes32,bytes32)",
       {abi::ValueList{}, c.oilWell, c.oilWell}, "at least 1 uniqueId is required"},
      {"link", kOwner, oilKind().producer, "link(bytes32[],bytes32,bytes32)",
       {abi::ValueList{c.oilWell}, c.oilWell, c.oilWell}, "dapp with this id not found"},
      {"MulSig pointer by FEEDER", kFeeder, oilKind().producer, "setMulSigContract(address)",
       {c.addr(kFeeder)}, notFm},
      {"MulSig pointer by FM", kFm, oilKind().producer, "setMulSigContract(address)",
       {c.addr(kFm)}, "disabled: the MulSig address is fixed"},
  };
  // clang-format on
  const U256 held = c.balance(oilKind().data);
  for (const Attempt& a : attempts) {
    CAPTURE(a.what);
    checkRevert(c.send(a.from, a.to, a.signature, a.args), a.reason);
  }
  CHECK_THROWS_WITH_AS(c.call(oilKind().producer, "getDAppPayee(bytes32)", {c.oilWell}),
                       "dapp with this dappId not registered yet", Revert);
  CHECK_THROWS_WITH_AS(
      c.call(kParameterInfoAddress, "getPriceDiscountConfig(uint256,uint256)", {0, 1}),
      "this mine data is error or not exist this mine.", Revert);
  // Nothing moved.
  CHECK_FALSE(production::loadPrice(c.state(), oilKind().data, 20240103).has_value());
  CHECK(production::loadTrusted(c.state(), c.oilWell, 202401) == U256(10'000));
  CHECK_FALSE(production::loadBlock(c.state(), c.ethWell, 10).has_value());
  CHECK(oracle::unitPrice(c.state()) == oracle::kDefaultUnitPrice);
  CHECK(c.well(c.oilWell).status == production::WellStatus::Active);
  CHECK(registry::load(c.state(), c.addr(kApplicant), "OIL")->status == registry::Status::Pending);
  CHECK(roles::members(c.state(), roles::Role::Feeder) == std::vector<Address>{c.addr(kFeeder)});
  CHECK(production::listWells(c.state(), {c.addr(kFm), {}, {}}, 10, {}).empty());
  CHECK(c.month(c.oilWell, 202401).status == production::AuditStatus::Unaudited);
  CHECK(c.call(oilKind().producer, "holder(bytes32,address)", {c.oilWell, c.addr(kHolder)})[0]
            .asList()[1]
            .asUint() == 10);
  CHECK(c.balance(oilKind().data) == held);
  CHECK(tat::totalSupply(c.state()) == 0);

  // The same powers work for the accounts that hold them, so the refusals above were the checks.
  requireOk(c.send(kFeeder, oilKind().data, kPriceSig,
                   {oracle::assetValueRequestId(oilKind().data), 240103, 1}));
  requireOk(c.send(kFeeder, kOracleAddr, "setCurrencyValue(bytes32,uint256)", {unit, 10'000}));
  requireOk(c.send(kFm, kRegistryAddr, "approveProducer(address,string)",
                   {c.addr(kApplicant), "OIL"}));
  requireOk(c.send(kFm, kMulSigAddress, "signTransaction(uint256)", {c.proposal}));
  requireOk(c.send(kHolder, oilKind().producer, "splitHolder(bytes32,address,uint256)",
                   {c.oilWell, c.addr(kFm), 1}));
  requireOk(c.clear(kOwner, oilKind(), c.oilWell, 2401));
  requireOk(c.clear(kOwner, ethKind(), c.ethWell, 9));
  CHECK(c.tatOf(kOwner) > 0);
}

TEST_CASE("MulSig: when the FM set grows, the delay runs from the new threshold's signature") {
  ModuleChain chain(kJan2024, 10, rolesGenesis({0, 1, 2}, {3}));
  auto r = chain.send(0, kMulSigAddress, "proposeToManagePermission(string,address)",
                      {"FEEDERA", chain.addr(7)});
  REQUIRE(r.success);
  const uint64_t id = proposalIdOf(r);
  for (std::size_t fm : {0u, 1u})
    REQUIRE(chain.send(fm, kMulSigAddress, "signTransaction(uint256)", {id}).success);
  // Threshold 2 reached; before the delay ends, two more FMs are added (threshold 3 of 4, then
  // 3 of 5).
  passProposal(chain, {0, 1}, "proposeToManagePermission(string,address)", {"FMA", chain.addr(4)});
  passProposal(chain, {0, 1, 4}, "proposeToManagePermission(string,address)",
               {"FMA", chain.addr(5)});
  CHECK(viewUint(chain, kGovernanceAddress, "fmThreshold()") == 3);
  chain.advance(60);
  auto early = chain.send(0, kMulSigAddress, "executeProposal(uint256)", {id});
  CHECK(early.reason == "not enough signatures: have 2, need 3");
  REQUIRE(chain.send(5, kMulSigAddress, "signTransaction(uint256)", {id}).success);
  const uint64_t reached = chain.now();
  CHECK(chain.send(0, kMulSigAddress, "executeProposal(uint256)", {id}).reason ==
        "executeTime not meet: executable at " + std::to_string(reached + 5));
  chain.advance(4);
  CHECK_FALSE(chain.send(0, kMulSigAddress, "executeProposal(uint256)", {id}).success);
  CHECK_FALSE(roles::has(chain.state(), roles::Role::Feeder, chain.addr(7)));
  chain.advance(1);
  REQUIRE(chain.send(5, kMulSigAddress, "executeProposal(uint256)", {id}).success);
  CHECK(roles::has(chain.state(), roles::Role::Feeder, chain.addr(7)));
}

TEST_CASE("bid: an allowance does not let the spender bid with the owner's TAT") {
  ModuleChain chain;
  const Address owner = chain.addr(2), spender = chain.addr(1);
  clearingMint(chain, owner, units("5"));
  REQUIRE(chain.send(2, kTatAddress, "approve(address,uint256)", {spender, units("5")}).success);
  auto bid = chain.send(1, kBidAddress, "bidTAT(uint256)", {units("1")});
  CHECK_FALSE(bid.success);
  CHECK(bid.reason == "insufficient TAT balance");
  CHECK(tatBalance(chain, owner) == units("5"));
  CHECK(tat::allowance(chain.state(), owner, spender) == units("5"));
  CHECK(tat::totalSupply(chain.state()) == units("5"));
  CHECK(bid::bidders(chain.state(), bid::roundOf(chain.state(), chain.block().number)).empty());
  // The allowance itself is live: the spender may move the TAT to itself and only then bid, which
  // burns its own balance and leaves the owner's remainder alone.
  REQUIRE(chain.send(1, kTatAddress, "transferFrom(address,address,uint256)",
                     {owner, spender, units("2")})
              .success);
  REQUIRE(chain.send(1, kBidAddress, "bidTAT(uint256)", {units("2")}).success);
  CHECK(tatBalance(chain, spender) == 0);
  CHECK(tatBalance(chain, owner) == units("3"));
  CHECK(tat::totalSupply(chain.state()) == units("3"));
}
