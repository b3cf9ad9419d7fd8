// Emitting an event under another module's address, as a Solidity call into that contract would
// (e.g. TAT's Transfer during a clearing, Roles' RoleGranted when MulSig executes a proposal).
#pragma once

#include <string_view>

#include "chain/module.hpp"

namespace tn {

// True once chain/module.hpp offers CallContext::emitAt(emitter, event, args). Until then the
// log is emitted with the caller's address (topics and data are still right).
template <class Ctx>
concept HasEmitAt =
    requires(Ctx& c, const Address& a, const EventDecl& e, const abi::ValueList& v) {
      c.emitAt(a, e, v);
    };
inline constexpr bool kCanEmitAt = HasEmitAt<CallContext>;

namespace detail {
template <class Ctx>
void emitAtImpl(Ctx& ctx, const Address& emitter, const EventDecl& event,
                const abi::ValueList& args) {
  if constexpr (HasEmitAt<Ctx>)
    ctx.emitAt(emitter, event, args);
  else
    ctx.emit(event, args);
}
}  // namespace detail

// Emits the event `signature` declared by the module at `emitter`.
inline void emitAt(CallContext& ctx, const Address& emitter, std::string_view signature,
                   const abi::ValueList& args) {
  detail::emitAtImpl(ctx, emitter, ctx.modules.event(emitter, signature), args);
}

}  // namespace tn
