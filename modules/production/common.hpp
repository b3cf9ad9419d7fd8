// Helpers shared by the producer and data modules' call handlers.
#pragma once

#include <string>
#include <string_view>

#include "chain/module.hpp"
#include "modules/governance/kinds.hpp"

namespace tn::production {

// The asset kind served at the module's own address. Modules at reserved addresses stay inert
// until governance adds a kind there.
kinds::Kind kindAt(CallContext& ctx);

// Emits the module's declared event `signature` under its own address.
void emitEvent(CallContext& ctx, std::string_view signature, const abi::ValueList& args);

// An enum argument (ABI uint8): solc rejects values above the enum's maximum with empty revert
// data, and so do we (spec/abi/REFERENCE.md §2.2).
uint8_t enumArg(const abi::Value& v, uint8_t max);

// A public-ABI entry that makes no sense natively.
[[noreturn]] void disabled(std::string_view why);
CallHandler disabledHandler(std::string why);

// Table entries (the derived fields are filled in by ModuleRegistry::add).
CallDecl callDecl(std::string signature, std::string returns, Mutability mutability,
                  CallHandler handler, uint64_t gas = gas::kDefaultCall);
EventDecl eventDecl(std::string signature, std::vector<bool> indexed);

// keccak256 of a role name, as the public contracts' role constants.
Hash32 roleId(std::string_view name);

}  // namespace tn::production
