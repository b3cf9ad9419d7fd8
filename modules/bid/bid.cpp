#include "modules/bid/bid.hpp"

#include <fmt/format.h>

#include "chain/rlp.hpp"
#include "modules/catalog/catalog.hpp"
#include "modules/catalog/util.hpp"
#include "modules/governance/params.hpp"
#include "modules/tat/tat.hpp"

namespace tn::bid {

namespace {

using modutil::be64;

// One bidder's record in a round.
struct Record {
  U256 amount = 0;
  uint64_t lastBlock = 0;
};

Bytes entryPrefix(uint64_t round) { return modutil::key("bid/e/", {be64(round)}); }
Bytes entryKey(uint64_t round, const Address& bidder) {
  return modutil::key("bid/e/", {be64(round), bidder.view()});
}
Bytes totalKey(uint64_t round) { return modutil::key("bid/t/", {be64(round)}); }

Bytes encode(const Record& r) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(r.amount).uint(r.lastBlock);
  e.endList(m);
  return e.take();
}

Record decode(BytesView raw) {
  auto items = rlp::decode(raw).items();
  if (items.size() != 2) throw std::runtime_error("corrupt bid record");
  return Record{items[0].toU256(), items[1].toU64()};
}

std::optional<Record> load(const StateReader& state, uint64_t round, const Address& bidder) {
  auto raw = state.get(entryKey(round, bidder));
  if (!raw) return std::nullopt;
  return decode(*raw);
}

// Every record of `round`, ascending bidder address.
std::vector<std::pair<Address, Record>> records(const StateReader& state, uint64_t round) {
  std::vector<std::pair<Address, Record>> out;
  Bytes prefix = entryPrefix(round);
  state.scan(prefix, [&](BytesView k, BytesView v) {
    out.emplace_back(Address::fromView(k.subspan(prefix.size())), decode(v));
    return true;
  });
  return out;
}

uint64_t roundBlocks(const StateReader& state) { return toU64(params::get(state, "bidRoundBlocks")); }

}  // namespace

uint64_t roundOf(const StateReader& state, uint64_t height) { return height / roundBlocks(state); }

std::vector<BidEntry> bidders(const StateReader& state, uint64_t round) {
  std::vector<BidEntry> out;
  for (auto& [bidder, r] : records(state, round)) out.push_back({bidder, r.amount});
  return out;
}

U256 roundTotal(const StateReader& state, uint64_t round) {
  return modutil::readWord(state, totalKey(round));
}

U256 bidOf(const StateReader& state, uint64_t round, const Address& bidder) {
  auto r = load(state, round, bidder);
  return r ? r->amount : U256(0);
}

}  // namespace tn::bid

namespace tn {

using modutil::view;

Address BidModule::address() const { return kBidAddress; }

namespace {

uint64_t currentRound(CallContext& ctx) { return bid::roundOf(ctx.state(), ctx.block.number); }
uint64_t roundStart(CallContext& ctx) {
  return currentRound(ctx) * bid::roundBlocks(ctx.state());
}

abi::ValueList bidTat(CallContext& ctx, const U256& amount) {
  U256 minBid = params::get(ctx.state(), "minBid");
  if (amount < minBid)
    throw Revert(fmt::format("TAT not enough to bid: minimum is {} TAT wei, got {}",
                             u256ToDecimal(minBid), u256ToDecimal(amount)));
  // Burns first: a sender short of TAT fails here with nothing recorded.
  tat::burnFrom(ctx, ctx.sender, amount);
  uint64_t round = currentRound(ctx);
  U256 total = bid::roundTotal(ctx.state(), round);
  if (total == 0)
    ctx.emit(ctx.modules.event(kBidAddress, "BidStart(uint256)"), {roundStart(ctx)});
  bid::Record r = bid::load(ctx.state(), round, ctx.sender).value_or(bid::Record{});
  r.amount += amount;
  r.lastBlock = ctx.block.number;
  ctx.put(bid::entryKey(round, ctx.sender), bid::encode(r));
  modutil::writeWord(ctx, bid::totalKey(round), total + amount);
  ctx.emit(ctx.modules.event(kBidAddress, "BidRecord(address,uint256)"), {ctx.sender, amount});
  return {true};
}

}  // namespace

std::vector<CallDecl> BidModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(modutil::nonpayable("bidTAT(uint256)", "bool",
                                  [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                                    return bidTat(ctx, a[0].asUint());
                                  }));
  // (bidders of the current round as (bider, amount, block of the last bid), the round's total,
  // the round's start block), as the public contract.
  c.push_back(view("bidderList()", "(address,uint256,uint256)[],uint256,uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     uint64_t round = currentRound(ctx);
                     abi::ValueList list;
                     for (auto& [bidder, r] : bid::records(ctx.state(), round))
                       list.emplace_back(abi::ValueList{bidder, r.amount, r.lastBlock});
                     return {abi::Value(std::move(list)), bid::roundTotal(ctx.state(), round),
                             roundStart(ctx)};
                   }));
  c.push_back(view("roundStartBlock()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {roundStart(ctx)};
                   }));
  c.push_back(view("isTATBider(address)", "bool",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return {bid::load(ctx.state(), currentRound(ctx), a[0].asAddress()).has_value()};
                   }));
  c.push_back(view("mybidAmount()", "uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {bid::bidOf(ctx.state(), currentRound(ctx), ctx.sender)};
                   }));
  // The i-th bidder of the current round, in ascending address order.
  c.push_back(view("TATBiders(uint256)", "address",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     auto list = bid::records(ctx.state(), currentRound(ctx));
                     // Solidity's out-of-bounds array access: Panic(0x32), no reason string.
                     if (a[0].asUint() >= list.size())
                       throw Revert::empty("TATBiders: index out of bounds");
                     return {list[toU64(a[0].asUint())].first};
                   }));
  modutil::appendCalls(c, modutil::ownableCalls("initialize(address)"));
  return c;
}

std::vector<EventDecl> BidModule::events() {
  auto e = modutil::ownableEvents();
  e.push_back(modutil::event("BidRecord(address,uint256)", {false, false}));
  e.push_back(modutil::event("BidStart(uint256)", {false}));
  return e;
}

}  // namespace tn
