// Small helpers shared by the governance-side modules: fixed-width state encodings, call-table
// builders and the OpenZeppelin Ownable/Initializable entries every public contract exposes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "chain/module.hpp"

namespace tn::modutil {

// 32-byte big-endian word, the fixed encoding of U256 state values.
inline Bytes word(const U256& v) {
  auto w = u256ToBE32(v);
  return Bytes(w.bytes.begin(), w.bytes.end());
}
inline U256 readWord(const StateReader& s, BytesView key) {
  auto v = s.get(key);
  return v ? u256FromBE(*v) : U256(0);
}
// Writes `v`, or erases the key when it is zero (absent means zero).
inline void writeWord(CallContext& ctx, BytesView key, const U256& v) {
  if (v == 0)
    ctx.erase(key);
  else
    ctx.put(key, word(v));
}
// 8-byte big-endian, so that numeric keys scan in numeric order.
inline Bytes be64(uint64_t v) {
  Bytes out(8);
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(v >> (56 - 8 * i));
  return out;
}
inline uint64_t readBe64(BytesView b) {
  if (b.size() != 8) throw std::runtime_error("corrupt 8-byte state value");
  uint64_t v = 0;
  for (uint8_t c : b) v = v << 8 | c;
  return v;
}
inline Bytes key(std::string_view prefix, std::initializer_list<BytesView> parts) {
  Bytes out(prefix.begin(), prefix.end());
  for (auto p : parts) append(out, p);
  return out;
}

// A read-only StateReader over a call context (for APIs that take a StateReader).
class ContextReader final : public StateReader {
 public:
  explicit ContextReader(const CallContext& ctx) : ctx_(ctx) {}
  std::optional<Bytes> get(BytesView key) const override { return ctx_.get(key); }
  void scan(BytesView prefix, const ScanFn& fn) const override { ctx_.scan(prefix, fn); }

 private:
  const CallContext& ctx_;
};

inline EventDecl event(std::string sig, std::vector<bool> indexed) {
  EventDecl e;
  e.signature = std::move(sig);
  e.indexed = std::move(indexed);
  return e;
}

inline CallDecl view(std::string sig, std::string returns, CallHandler h) {
  CallDecl d;
  d.signature = std::move(sig);
  d.returns = std::move(returns);
  d.mutability = Mutability::View;
  d.handler = std::move(h);
  return d;
}
inline CallDecl nonpayable(std::string sig, std::string returns, CallHandler h) {
  CallDecl d = view(std::move(sig), std::move(returns), std::move(h));
  d.mutability = Mutability::NonPayable;
  return d;
}
// An entry kept for ABI compatibility that always reverts with `reason`.
inline CallDecl disabled(std::string sig, std::string returns, std::string reason,
                         Mutability m = Mutability::NonPayable) {
  CallDecl d = view(std::move(sig), std::move(returns),
                    [reason](CallContext&, const abi::ValueList&) -> abi::ValueList {
                      throw Revert(reason);
                    });
  d.mutability = m;
  return d;
}
// A pure/view getter of a constant.
inline CallDecl constant(std::string sig, std::string returns, abi::Value v) {
  return view(std::move(sig), std::move(returns),
              [v](CallContext&, const abi::ValueList&) -> abi::ValueList { return {v}; });
}

// owner() (= the MulSig address: governance owns every module), transferOwnership and
// renounceOwnership (nobody can pass onlyOwner: MulSig has no key), and the proxy's initialize
// overload `initializeSig` (already initialized at genesis).
std::vector<CallDecl> ownableCalls(const std::string& initializeSig);
// Initialized(uint8) and OwnershipTransferred(address,address): declared for ABI parity, never
// emitted (genesis replaces initialize()).
std::vector<EventDecl> ownableEvents();

inline void appendCalls(std::vector<CallDecl>& to, std::vector<CallDecl> more) {
  for (auto& c : more) to.push_back(std::move(c));
}

// A genesis number: a non-negative JSON integer or a decimal string. Throws std::invalid_argument
// naming `what` (e.g. "genesis oracle: currencies.UNIT") otherwise.
U256 jsonU256(const boost::json::value& v, std::string_view what);

}  // namespace tn::modutil
