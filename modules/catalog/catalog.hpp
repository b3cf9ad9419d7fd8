// The standard module set of a Treasurenet node, in one place: the node (apps/) asks for it and
// hands it to the executor. Adding a module means adding it here, never touching the executor.
#pragma once

#include <memory>

#include "chain/module.hpp"
#include "modules/bank/bank.hpp"

namespace tn {

// The fee collector and the penalty pool are plain accounts at fixed addresses (spec/ABI.md).
inline const Address kFeeCollector = Address::fromU64(0x1009);

// A registry with the bank as ledger and every standard module added.
std::unique_ptr<ModuleRegistry> makeStandardModules();

// Names and addresses of the registered modules (tn_getModules), in address order.
std::vector<std::pair<std::string, Address>> moduleDirectory(const ModuleRegistry& registry);

}  // namespace tn
