// A module whose begin- and end-block hooks emit events, for the tests of block events (the
// block-events receipt): Began(uint256 indexed number) in beginBlock and
// Ended(uint256 indexed number, uint256 seq) in endBlock, while `enabled`. It writes no state, so
// turning it off changes only the block's logs.
#pragma once

#include "chain/module.hpp"

namespace tn::test {

inline constexpr std::string_view kBeganEvent = "Began(uint256)";
inline constexpr std::string_view kEndedEvent = "Ended(uint256,uint256)";

class HookEmitter final : public Module {
 public:
  explicit HookEmitter(Address at, std::string name = "hooks") : at_(at), name_(std::move(name)) {}

  bool enabled = true;

  std::string name() const override { return name_; }
  Address address() const override { return at_; }
  std::vector<CallDecl> calls() override { return {}; }
  std::vector<EventDecl> events() override {
    return {{std::string(kBeganEvent), {true}}, {std::string(kEndedEvent), {true, false}}};
  }
  void beginBlock(HookContext& ctx) override {
    if (!enabled) return;
    ctx.logs.push_back(makeLog(at_, ctx.modules.event(at_, kBeganEvent), {U256(ctx.block.number)}));
  }
  void endBlock(HookContext& ctx) override {
    if (!enabled) return;
    ctx.logs.push_back(
        makeLog(at_, ctx.modules.event(at_, kEndedEvent), {U256(ctx.block.number), U256(7)}));
  }

 private:
  Address at_;
  std::string name_;
};

}  // namespace tn::test
