// Helpers shared by the producer and data modules' call handlers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chain/module.hpp"
#include "modules/governance/kinds.hpp"
#include "modules/production/wells.hpp"

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
CallDecl viewCall(std::string signature, std::string returns, CallHandler handler);
CallDecl txCall(std::string signature, std::string returns, CallHandler handler);
EventDecl eventDecl(std::string signature, std::vector<bool> indexed);
// An event without indexed parameters (every production event of the public ABIs).
EventDecl plainEvent(std::string_view signature);

// A getter of a constant (the module's kind is not consulted).
CallHandler constantHandler(abi::Value value);
// The proxies' initialize(): done at genesis, so it reverts as an initialized proxy does.
CallHandler alreadyInitializedHandler();

// keccak256 of a role name, as the public contracts' role constants.
Hash32 roleId(std::string_view name);

// The well `id` if it exists and belongs to `kind` (a module answers only for its own kind).
std::optional<Well> wellOfKind(const StateReader& state, const Hash32& id, const kinds::Kind& kind);
// The same, reverting "well not found".
Well requireWell(CallContext& ctx, const Hash32& id, const kinds::Kind& kind);
// Reverts "caller must be the well owner" unless ctx.sender owns `well`.
void requireOwner(const CallContext& ctx, const Well& well);
// requireWell, then requireOwner.
Well requireOwnedWell(CallContext& ctx, const Hash32& id, const kinds::Kind& kind);

// ABI-edge dates checked against the block's "today": a real day not after today (YYYYMMDD),
// a real month (YYYYMM). Revert reasons name the offending input, e.g. "date 240230 is not a
// real day", "date 240105 is after today 240104".
uint32_t requirePastDay(const CallContext& ctx, const U256& yymmdd);
uint32_t requireMonth(const U256& yymm);
// Reverts "month 2401 already cleared" once the month's audit is done.
void requireMonthOpen(const StateReader& state, const Hash32& id, uint32_t yyyymm);

}  // namespace tn::production
