#include "modules/production/common.hpp"

namespace tn::production {

kinds::Kind kindAt(CallContext& ctx) {
  auto k = kinds::byAddress(ctx.state(), ctx.self);
  if (!k || (k->producer != ctx.self && k->data != ctx.self))
    throw Revert("no asset kind at this address");
  return *k;
}

void emitEvent(CallContext& ctx, std::string_view signature, const abi::ValueList& args) {
  ctx.emit(ctx.modules.event(ctx.self, signature), args);
}

uint8_t enumArg(const abi::Value& v, uint8_t max) {
  if (v.asUint() > max) throw Revert::empty("enum value out of range");
  return uint8_t(v.asU64());
}

void disabled(std::string_view why) {
  throw Revert("disabled: " + std::string(why));
}

CallHandler disabledHandler(std::string why) {
  return [why = std::move(why)](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
    kindAt(ctx);  // an inert address says so first
    disabled(why);
  };
}

CallDecl callDecl(std::string signature, std::string returns, Mutability mutability,
                  CallHandler handler, uint64_t gas) {
  CallDecl d;
  d.signature = std::move(signature);
  d.returns = std::move(returns);
  d.mutability = mutability;
  d.handler = std::move(handler);
  d.gas = gas;
  return d;
}

EventDecl eventDecl(std::string signature, std::vector<bool> indexed) {
  EventDecl e;
  e.signature = std::move(signature);
  e.indexed = std::move(indexed);
  return e;
}

Hash32 roleId(std::string_view name) {
  return keccak256(name);
}

}  // namespace tn::production
