// Bid (0x…1006, Bid.abi.json): bonus-stake bids (RULES.md §10). bidTAT(amount) burns the
// sender's TAT irreversibly (amount ≥ minBid) and records it in round floor(height / bidRoundBlocks).
// State prefix "bid/". Consensus reads the bidders of a round to pick super validators.
//   "bid/e/" ++ round(8 BE) ++ bidder(20)  -> RLP [amount burned in the round, block of last bid]
//   "bid/t/" ++ round(8 BE)                -> 32-byte total burned in the round
// Bids are final: the TAT is burned (tat::burnFrom), nothing records it as withdrawable stake.
// The first bid of a round also emits BidStart(roundStartBlock), which the public contract only
// emitted once at initialize (the chain node reads BidStart logs as round starts).
#pragma once

#include <vector>

#include "chain/module.hpp"

namespace tn::bid {

struct BidEntry {
  Address bidder;
  U256 amount;  // TAT wei burned in the round
};
uint64_t roundOf(const StateReader& state, uint64_t height);
// Bidders of `round` in ascending address order with their total burned.
std::vector<BidEntry> bidders(const StateReader& state, uint64_t round);
// Total TAT burned by bids in `round`.
U256 roundTotal(const StateReader& state, uint64_t round);
// The amount `bidder` burned in `round` (0 when it did not bid).
U256 bidOf(const StateReader& state, uint64_t round, const Address& bidder);

}  // namespace tn::bid

namespace tn {

class BidModule final : public Module {
 public:
  std::string name() const override { return "bid"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // receive(): plain UNIT transfers succeed, as the public Bid contract's receive() (they buy nothing).
  bool acceptsPlainTransfers() const override { return true; }
};

}  // namespace tn
