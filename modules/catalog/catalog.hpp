// The standard module set of a Treasurenet node, in one place: the node (apps/) asks for it and
// hands it to the executor. Adding a module means adding it here, never touching the executor.
#pragma once

#include <memory>

#include "chain/module.hpp"
#include "modules/bank/bank.hpp"

namespace tn {

// Fixed module addresses (spec/ABI.md). Modules reach each other's state through the C++ APIs of
// their headers; these constants say where each one answers calls and emits events.
inline const Address kRolesAddress = Address::fromU64(0x1000);
inline const Address kGovernanceAddress = Address::fromU64(0x1001);
inline const Address kMulSigAddress = Address::fromU64(0x1002);
inline const Address kParameterInfoAddress = Address::fromU64(0x1003);
inline const Address kOracleAddress = Address::fromU64(0x1004);
inline const Address kTatAddress = Address::fromU64(0x1005);
inline const Address kBidAddress = Address::fromU64(0x1006);
inline const Address kProducerRegistryAddress = Address::fromU64(0x1007);

// The fee collector and the penalty pool are plain accounts at fixed addresses (spec/ABI.md).
// The penalty pool is spent only by executed MulSig proposals (proposeToSpendPenaltyPool).
inline const Address kPenaltyPool = Address::fromU64(0x1008);
inline const Address kFeeCollector = Address::fromU64(0x1009);
// The community pool (balance only): staking's 1 % of every block reward, slashes, rounding dust.
inline const Address kCommunityPool = Address::fromU64(0x100A);
// Staking (modules/staking): validators, delegation, rewards and emission. It sweeps the fee
// collector into each block's reward once it has an active validator.
inline const Address kStakingAddress = Address::fromU64(0x100B);

// A registry with the bank as ledger and every standard module added.
std::unique_ptr<ModuleRegistry> makeStandardModules();

// Names and addresses of the registered modules (tn_getModules), in address order.
std::vector<std::pair<std::string, Address>> moduleDirectory(const ModuleRegistry& registry);

}  // namespace tn
