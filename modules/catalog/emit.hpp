// Emitting an event under another module's address, as a Solidity call into that contract would
// (e.g. TAT's Transfer during a clearing, Roles' RoleGranted when MulSig executes a proposal).
#pragma once

#include <string_view>

#include "chain/module.hpp"

namespace tn {

// Emits the event `signature` declared by the module at `emitter` (std::logic_error when that
// module does not declare it).
inline void emitAt(CallContext& ctx, const Address& emitter, std::string_view signature,
                   const abi::ValueList& args) {
  ctx.emitAt(emitter, ctx.modules.event(emitter, signature), args);
}

}  // namespace tn
