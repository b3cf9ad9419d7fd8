#include "modules/production/common.hpp"

#include <fmt/format.h>

#include "modules/production/dates.hpp"
#include "modules/production/uploads.hpp"

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

CallDecl viewCall(std::string signature, std::string returns, CallHandler handler) {
  return callDecl(std::move(signature), std::move(returns), Mutability::View, std::move(handler));
}

CallDecl txCall(std::string signature, std::string returns, CallHandler handler) {
  return callDecl(std::move(signature), std::move(returns), Mutability::NonPayable,
                  std::move(handler));
}

EventDecl plainEvent(std::string_view signature) {
  const std::size_t open = signature.find('(');
  const std::string_view params = signature.substr(open + 1, signature.size() - open - 2);
  const std::size_t count = abi::Type::parseList(params).size();
  return eventDecl(std::string(signature), std::vector<bool>(count, false));
}

CallHandler constantHandler(abi::Value value) {
  return [value = std::move(value)](CallContext&, const abi::ValueList&) -> abi::ValueList {
    return {value};
  };
}

CallHandler alreadyInitializedHandler() {
  return [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
    kindAt(ctx);
    throw Revert("Initializable: contract is already initialized");
  };
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

std::optional<Well> wellOfKind(const StateReader& state, const Hash32& id,
                               const kinds::Kind& kind) {
  std::optional<Well> w = loadWell(state, id);
  if (w && w->kind != kind.name) return std::nullopt;
  return w;
}

Well requireWell(CallContext& ctx, const Hash32& id, const kinds::Kind& kind) {
  std::optional<Well> w = wellOfKind(ctx.state(), id, kind);
  if (!w) throw Revert("well not found");
  return std::move(*w);
}

void requireOwner(const CallContext& ctx, const Well& well) {
  if (ctx.sender != well.owner) throw Revert("caller must be the well owner");
}

Well requireOwnedWell(CallContext& ctx, const Hash32& id, const kinds::Kind& kind) {
  Well w = requireWell(ctx, id, kind);
  requireOwner(ctx, w);
  return w;
}

uint32_t requirePastDay(const CallContext& ctx, const U256& yymmdd) {
  const std::optional<uint32_t> day = parseDay(yymmdd);
  if (!day) throw Revert(fmt::format("date {} is not a real day", dayText(yymmdd)));
  const uint32_t today = todayOf(ctx.block.timestamp);
  if (*day > today)
    throw Revert(
        fmt::format("date {} is after today {}", dayText(yymmdd), dayText(edgeDay(today))));
  return *day;
}

uint32_t requireMonth(const U256& yymm) {
  const std::optional<uint32_t> month = parseMonth(yymm);
  if (!month) throw Revert(fmt::format("month {} is not a real month", monthText(yymm)));
  return *month;
}

void requireMonthOpen(const StateReader& state, const Hash32& id, uint32_t yyyymm) {
  std::optional<MonthRecord> m = loadMonth(state, id, yyyymm);
  if (m && m->status != AuditStatus::Unaudited)
    throw Revert(fmt::format("month {} already cleared", monthText(edgeMonth(yyyymm))));
}

}  // namespace tn::production
