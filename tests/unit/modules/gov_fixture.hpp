// Shared steps of the governance-side module tests (gov_*_test.cpp): TAT minted the way a clearing
// mints it, multisig proposals carried through, genesis role sets.
#pragma once

#include <boost/json.hpp>

#include "modules/catalog/catalog.hpp"
#include "modules/governance/params.hpp"
#include "modules/tat/tat.hpp"
#include "tests/unit/modules/harness.hpp"

namespace tn::test {

inline const Address kOilData = Address::fromU64(0x1011);

// Whole TAT (or UNIT) in wei.
inline U256 units(std::string_view whole) { return parseUnits(whole); }

// Mints TAT as a clearing does: tat::mintFromClearing in a CallContext whose self is `self` (a
// kind's data module), over the chain's state. Returns the logs; throws Revert when refused.
inline std::vector<Log> clearingMint(ModuleChain& chain, const Address& to, const U256& amount,
                                     uint32_t month = 202401, const Address& self = kOilData) {
  GasMeter gas(10'000'000);
  std::vector<Log> logs;
  CallContext ctx(chain.block(), chain.modules(), chain.state(), gas, logs, Address(), self, 0,
                  false);
  tat::mintFromClearing(ctx, to, amount, month);
  return logs;
}

inline U256 tatBalance(ModuleChain& chain, const Address& a) {
  return tat::balanceOf(chain.state(), a);
}

// The first return value of a view, as an integer.
inline U256 viewUint(const ModuleChain& chain, const Address& to, std::string_view sig,
                     const abi::ValueList& args = {}, std::optional<Address> from = std::nullopt) {
  return chain.call(to, sig, args, from).at(0).asUint();
}

// The proposal id of a successful propose transaction (every MulSig propose event starts with it).
inline uint64_t proposalIdOf(const TxResult& r) {
  for (const Log& l : r.logs)
    if (l.address == kMulSigAddress && l.data.size() >= 32)
      return toU64(u256FromBE(BytesView(l.data).subspan(0, 32)));
  FAIL("no MulSig event in the propose transaction");
  return 0;
}

// Proposes `sig(args)` as account fms[0], signs it with every account of `fms`, waits the
// confirm delay and executes it (as fms[0]). Every step must succeed. Returns the proposal id.
inline uint64_t passProposal(ModuleChain& chain, const std::vector<std::size_t>& fms,
                             std::string_view sig, const abi::ValueList& args) {
  TxResult proposed = chain.send(fms.at(0), kMulSigAddress, sig, args);
  REQUIRE_MESSAGE(proposed.success, proposed.reason);
  uint64_t id = proposalIdOf(proposed);
  for (std::size_t fm : fms) {
    TxResult signed_ = chain.send(fm, kMulSigAddress, "signTransaction(uint256)", {id});
    REQUIRE_MESSAGE(signed_.success, signed_.reason);
  }
  chain.advance(params::defaults().confirmDelaySeconds);
  TxResult executed = chain.send(fms.at(0), kMulSigAddress, "executeProposal(uint256)", {id});
  REQUIRE_MESSAGE(executed.success, executed.reason);
  return id;
}

// A platform parameter changed through a proposal signed by account 0 (the dev genesis FM).
inline void setParam(ModuleChain& chain, std::string_view name, const U256& value) {
  passProposal(chain, {0}, "proposeToSetPlatformConfig(string,uint256)", {std::string(name), value});
}

// A genesis "roles" section naming these dev accounts as FOUNDATION_MANAGER and FEEDER.
inline boost::json::object rolesGenesis(const std::vector<std::size_t>& fms,
                                        const std::vector<std::size_t>& feeders) {
  auto accounts = devAccounts(10);
  auto list = [&](const std::vector<std::size_t>& idx) {
    boost::json::array a;
    for (std::size_t i : idx) a.push_back(boost::json::string(accounts.at(i).address.checksumHex()));
    return a;
  };
  boost::json::object roles;
  roles["FOUNDATION_MANAGER"] = list(fms);
  roles["FEEDER"] = list(feeders);
  boost::json::object config;
  config["roles"] = std::move(roles);
  return config;
}

}  // namespace tn::test
