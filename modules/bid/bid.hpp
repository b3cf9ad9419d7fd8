// Bid (0x…1006, Bid.abi.json): bonus-stake bids (RULES.md §10). bidTAT(amount) burns the
// sender's TAT irreversibly (amount ≥ minBid) and records it in round floor(height / bidRoundBlocks).
// State prefix "bid/". Consensus reads the bidders of a round to pick super validators.
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

}  // namespace tn::bid
