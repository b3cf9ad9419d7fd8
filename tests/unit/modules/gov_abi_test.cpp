// Every governance-side module answers with the public contracts' ABI: each function of the
// compiled ABI files (spec/abi/*.abi.json, transcribed below) exists with the same canonical
// signature, mutability and return types, each event with the same indexed flags; plus the
// ProducerRegistry ABI of spec/ABI.md.
#include <string>
#include <vector>

#include "modules/catalog/catalog.hpp"
#include "tests/unit/modules/harness.hpp"

using namespace tn;

namespace {

struct ContractAbi {
  std::string contract;
  Address address;
  bool receive;
  // "<v|n|p> name(types)->returns": view/pure, nonpayable, payable.
  std::vector<std::string> functions;
  // "Name(types)|<one 0/1 indexed flag per parameter>".
  std::vector<std::string> events;
};

const std::vector<ContractAbi>& publicAbis() {
  static const std::vector<ContractAbi> abis = {
    {"Roles", kRolesAddress, false,
     {"v ADMIN()->bytes32",
      "v AUCTION_MANAGER()->bytes32",
      "v CROSSCHAIN_SENDER()->bytes32",
      "v DEFAULT_ADMIN_ROLE()->bytes32",
      "v FEEDER()->bytes32",
      "v FOUNDATION_MANAGER()->bytes32",
      "v TCASH_BURNER()->bytes32",
      "v TCASH_MINTER()->bytes32",
      "v getRoleAdmin(bytes32)->bytes32",
      "v getRoleMember(bytes32,uint256)->address",
      "v getRoleMemberArray(bytes32)->address[]",
      "v getRoleMemberCount(bytes32)->uint256",
      "v get_ADMIN()->bytes32",
      "v get_AUCTION_MANAGER()->bytes32",
      "n grantRole(bytes32,address)->",
      "v hasRole(bytes32,address)->bool",
      "n initialize(address,address[],address[],address[],address[],address[])->",
      "v owner()->address",
      "n renounceOwnership()->",
      "n renounceRole(bytes32,address)->",
      "n revokeRole(bytes32,address)->",
      "v supportsInterface(bytes4)->bool",
      "n transferOwnership(address)->"},
     {"Initialized(uint8)|0",
      "OwnershipTransferred(address,address)|11",
      "RoleAdminChanged(bytes32,bytes32,bytes32)|111",
      "RoleGranted(bytes32,address,address)|111",
      "RoleRevoked(bytes32,address,address)|111"}},
    {"Governance", kGovernanceAddress, false,
     {"v FOUNDATION_MANAGER()->bytes32",
      "n addTreasure(string,address,address)->",
      "v fmThreshold()->uint256",
      "v getTreasureByKind(string)->address,address",
      "n initialize(address,address,address,address,string[],address[],address[])->",
      "v owner()->address",
      "n renounceOwnership()->",
      "n transferOwnership(address)->"},
     {"AddTreasure(string,address,address)|000",
      "Initialized(uint8)|0",
      "OwnershipTransferred(address,address)|11"}},
    {"MulSig", kMulSigAddress, false,
     {"v FEEDER()->bytes32",
      "v FOUNDATION_MANAGER()->bytes32",
      "n deleteProposals(uint256)->",
      "n executeProposal(uint256)->bool",
      "v getCurrentValues()->address,address,address,address,address,uint256",
      "v getPendingProposals()->uint256[]",
      "v getSignatureCount(uint256)->uint8",
      "v hasAlreadySigned(uint256,address)->bool",
      "n initialize(address,address,address,address,address,uint256)->",
      "v owner()->address",
      "n proposeToAddResource(string,address,address)->bool",
      "n proposeToManagePermission(string,address)->bool",
      "n proposeToRegisterDApp(string,string,address)->bool",
      "n proposeToSetCrosschainToken(string,address,address,uint256,address,address,uint256,uint256,uint256)->bool",
      "n proposeToSetDiscountConfig(uint256,uint256,uint256,uint256,uint256,uint256)->bool",
      "n proposeToSetPlatformConfig(string,uint256)->bool",
      "n renounceOwnership()->",
      "n signTransaction(uint256)->bool",
      "v transactionDetails(uint256)->(string,address,uint256,uint256,uint256,uint256,uint256,uint256,uint256)",
      "n transferOwnership(address)->"},
     {"AddResource(uint256,address,string,address,address)|00000",
      "Initialized(uint8)|0",
      "ManagePermission(uint256,address,string,address)|0000",
      "OwnershipTransferred(address,address)|11",
      "ProposalExecuted(uint256)|0",
      "ProposalSigned(uint256,address)|00",
      "RegisterDApp(uint256,address,string,string,address)|00000",
      "SetCrosschainTokenProposed(uint256,address,string)|000",
      "SetDiscountConfig(uint256,address,(uint256,uint256,uint256[4]))|000",
      "SetPlatformConfig(uint256,address,string,uint256)|0000"}},
    {"ParameterInfo", kParameterInfoAddress, false,
     {"v getPlatformConfig(string)->uint256",
      "v getPriceDiscountConfig(uint256,uint256)->uint256",
      "v getTCashDailyInterestRate()->uint256",
      "v getTCashLiquidationThreshold()->uint256",
      "v getTCashMarginCallThreshold()->uint256",
      "v getTCashMintLockThreshold()->uint256",
      "v getTCashMintResetThreshold()->uint256",
      "v getTCashRepaymentCycle()->uint256",
      "v getUSTNLoanInterestRate()->uint256",
      "v getUSTNLoanLiquidationRate()->uint256",
      "v getUSTNLoanPledgeRate()->uint256",
      "v getUSTNLoanPledgeRateWarningValue()->uint256",
      "n initialize(address)->",
      "v owner()->address",
      "n renounceOwnership()->",
      "n setPlatformConfig(string,uint256)->bool",
      "n setPriceDiscountConfig(uint256,uint256,uint256,uint256,uint256,uint256)->bool",
      "n transferOwnership(address)->"},
     {"Initialized(uint8)|0",
      "OwnershipTransferred(address,address)|11"}},
    {"Oracle", kOracleAddress, false,
     {"v FEEDER()->bytes32",
      "v FOUNDATION_MANAGER()->bytes32",
      "n addSupportedSymbol(string)->bool",
      "n cancelOracleRequest(bytes32,address,bytes4)->bytes32",
      "n checkAndUpdateTCashMintStatus(uint256,uint256,uint256,uint256)->",
      "n createOracleRequest(address,bytes4,uint256)->bytes32",
      "v getCurrencyValue(bytes32)->uint256",
      "v getPrice(string)->uint256",
      "v getPriceData(string)->uint256,uint256",
      "v getTCashMintLockPrice()->uint256",
      "v getTCashMintStatus()->bool",
      "n initialize(address)->",
      "v isSupportedSymbol(string)->bool",
      "v owner()->address",
      "v prices(string)->uint256,uint256",
      "n removeSupportedSymbol(string)->bool",
      "n renounceOwnership()->",
      "n setCurrencyValue(bytes32,uint256)->",
      "n setTCashMintLockPrice(uint256)->",
      "n setTCashMintStatus(bool)->",
      "v supportedSymbols(string)->bool",
      "n transferOwnership(address)->",
      "n updatePrice(string,uint256)->bool"},
     {"CancelOracleRequest(address,bytes32)|00",
      "Initialized(uint8)|0",
      "OracleRequest(address,bytes32,address,bytes4)|0000",
      "OwnershipTransferred(address,address)|11",
      "PriceUpdated(string,uint256,uint256)|100",
      "TCashMintLockPriceChanged(uint256,uint256)|00",
      "TCashMintStatusChanged(bool,uint256)|00"}},
    {"TAT", kTatAddress, false,
     {"v allowance(address,address)->uint256",
      "n approve(address,uint256)->bool",
      "v balanceOf(address)->uint256",
      "n burn(uint256)->",
      "n burn(string,uint256)->",
      "n burnFrom(address,uint256)->",
      "v decimals()->uint8",
      "n decreaseAllowance(address,uint256)->bool",
      "n faucet(address,uint256)->",
      "v getTATRecord(address)->uint256[],uint256[]",
      "n increaseAllowance(address,uint256)->bool",
      "n initialize(string,string,address)->",
      "n mint(string,bytes32,address,uint256)->",
      "v name()->string",
      "v owner()->address",
      "n pause()->",
      "v paused()->bool",
      "n renounceOwnership()->",
      "n setTATRecord(address,uint256)->",
      "n stake(address,uint256)->",
      "v stakeOf(address)->uint256",
      "v symbol()->string",
      "v totalStakers()->uint256",
      "v totalStakes()->uint256",
      "v totalSupply()->uint256",
      "n transfer(address,uint256)->bool",
      "n transferFrom(address,address,uint256)->bool",
      "n transferOwnership(address)->",
      "n unpause()->",
      "n withdraw(address,uint256)->"},
     {"Approval(address,address,uint256)|110",
      "Initialized(uint8)|0",
      "OwnershipTransferred(address,address)|11",
      "Paused(address)|0",
      "Stake(address,uint256)|00",
      "TATHistory(string,bytes32,address,address,uint256)|00000",
      "Transfer(address,address,uint256)|110",
      "Unpaused(address)|0",
      "Withdraw(address,uint256)|00"}},
    {"Bid", kBidAddress, true,
     {"v TATBiders(uint256)->address",
      "n bidTAT(uint256)->bool",
      "v bidderList()->(address,uint256,uint256)[],uint256,uint256",
      "n initialize(address)->",
      "v isTATBider(address)->bool",
      "v mybidAmount()->uint256",
      "v owner()->address",
      "n renounceOwnership()->",
      "v roundStartBlock()->uint256",
      "n transferOwnership(address)->"},
     {"BidRecord(address,uint256)|00",
      "BidStart(uint256)|0",
      "Initialized(uint8)|0",
      "OwnershipTransferred(address,address)|11"}},
    {"ProducerRegistry", kProducerRegistryAddress, false,
     {"n registerProducer(string,string,bytes32)->",
      "n approveProducer(address,string)->",
      "n rejectProducer(address,string,string)->",
      "v getProducerApplication(address,string)->uint8,string,bytes32,string,uint256"},
     {"ProducerRegistered(address,string,string,bytes32)|1000",
      "ProducerApproved(address,string)|10",
      "ProducerRejected(address,string,string)|100"}},
  };
  return abis;
}

std::string canonicalList(const std::vector<abi::Type>& types) {
  std::string out;
  for (const abi::Type& t : types) out += (out.empty() ? "" : ",") + t.canonical();
  return out;
}

char mutabilityCode(Mutability m) {
  switch (m) {
    case Mutability::View: return 'v';
    case Mutability::NonPayable: return 'n';
    case Mutability::Payable: return 'p';
  }
  return '?';
}

}  // namespace

TEST_CASE("governance-side modules expose the public ABI: selectors, mutability, returns, events") {
  auto registry = makeStandardModules();
  for (const ContractAbi& c : publicAbis()) {
    CAPTURE(c.contract);
    const ModuleRegistry::Entry* entry = registry->find(c.address);
    REQUIRE(entry != nullptr);
    CHECK(entry->module->acceptsPlainTransfers() == c.receive);
    for (const std::string& f : c.functions) {
      CAPTURE(f);
      std::string signature = f.substr(2, f.find("->") - 2);
      std::string returns = f.substr(f.find("->") + 2);
      auto sel = abi::selector(signature);
      const CallDecl* call = registry->findCall(c.address, BytesView(sel.data(), sel.size()));
      REQUIRE(call != nullptr);
      CHECK(call->signature == signature);
      CHECK(mutabilityCode(call->mutability) == f[0]);
      CHECK(canonicalList(call->returnTypes) == returns);
    }
    for (const std::string& e : c.events) {
      CAPTURE(e);
      std::string signature = e.substr(0, e.find('|'));
      std::string flags = e.substr(e.find('|') + 1);
      const EventDecl& ev = registry->event(c.address, signature);
      CHECK(ev.topic0 == abi::eventTopic(signature));
      std::string declared;
      for (bool b : ev.indexed) declared += b ? '1' : '0';
      CHECK(declared == flags);
    }
  }
}

TEST_CASE("ABI spot checks against published selectors and topics (REFERENCE.md)") {
  auto registry = makeStandardModules();
  auto selectorHex = [](std::string_view sig) {
    auto s = abi::selector(sig);
    return toHex(BytesView(s.data(), s.size()));
  };
  CHECK(selectorHex("burn(uint256)") == "0x42966c68");
  CHECK(selectorHex("burn(string,uint256)") == "0xb48272cc");
  CHECK(selectorHex("setCurrencyValue(bytes32,uint256)") == "0x51f4cc67");
  CHECK(selectorHex("bidTAT(uint256)") == "0x2b231df3");
  CHECK(registry->event(kBidAddress, "BidRecord(address,uint256)").topic0.hex() ==
        "0x76de802f12cc4b4f411dd2288c3a054af917c4c026a01f3130ae5d3c9d0c59ba");
  CHECK(registry->event(kBidAddress, "BidStart(uint256)").topic0.hex() ==
        "0x51fe6b55de8012ece012a5079ce14024411f6fa0692b05a177b94591c6ba3df0");
  CHECK(registry->event(kTatAddress, "Transfer(address,address,uint256)").topic0.hex() ==
        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  CHECK(registry->event(kOracleAddress, "PriceUpdated(string,uint256,uint256)").topic0.hex() ==
        "0x6e838f2a03741f5f2aff5480963b672fb0dd8430a4dc75db9b67ce009733c9fe");
}
