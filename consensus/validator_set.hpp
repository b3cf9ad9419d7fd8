// The validator set of one height: addresses, voting power and the CometBFT proposer-priority
// rotation that picks the proposer of each round, weighted by power and identical on every node.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "chain/address.hpp"

namespace tn::bft {

struct Validator {
  Address address;
  uint64_t power = 0;    // > 0
  int64_t priority = 0;  // proposer priority (CometBFT's ProposerPriority)
  bool operator==(const Validator&) const = default;
};

// As CometBFT's MaxTotalVotingPower: leaves room for priorities of ±2 × total without overflow,
// and makes 3 × power (the quorum arithmetic) fit in 64 bits.
inline constexpr uint64_t kMaxTotalPower = uint64_t(std::numeric_limits<int64_t>::max()) / 8;

class ValidatorSet {
 public:
  ValidatorSet() = default;
  // Sorts the members by address, keeps their priorities (0 for a new chain) and runs one
  // priority increment, as CometBFT's NewValidatorSet does: proposer() is then the proposer of
  // round 0 of the set's first height. Throws std::invalid_argument on an empty set, a zero power,
  // a duplicate address or a total above kMaxTotalPower.
  explicit ValidatorSet(std::vector<Validator> members);

  const std::vector<Validator>& members() const { return members_; }
  std::size_t size() const { return members_.size(); }
  const Validator* find(const Address& a) const;  // null if not a member
  uint64_t totalPower() const { return total_; }

  // The proposer at the current priorities (round 0 of this set's height).
  const Validator& proposer() const { return members_.at(proposer_); }
  // CometBFT IncrementProposerPriority(times), times >= 1: rescale priorities into a window of
  // 2 × total power, centre them on their average, then `times` times add each validator's power
  // to its priority, pick the highest priority (ties: lowest address) and subtract the total from
  // it.
  void incrementProposerPriority(uint32_t times);
  ValidatorSet incremented(uint32_t times) const;
  // The proposers of incremented(0), incremented(1), ..., incremented(rounds - 1) in one pass:
  // the proposer of each round of this set's height.
  std::vector<Address> roundProposers(uint32_t rounds) const;

  // Power thresholds: a quorum is more than 2/3 of the total, "f + 1" is more than 1/3.
  bool isQuorum(uint64_t power) const { return 3 * power > 2 * total_; }
  bool isOneThird(uint64_t power) const { return 3 * power > total_; }

  // keccak256(RLP([[address, power], ...])) in address order: the membership, not the priorities.
  Hash32 hash() const;

  bool operator==(const ValidatorSet&) const = default;

 private:
  void rescaleAndCenter();
  std::size_t stepPriorities();  // one increment; returns the new proposer's index

  std::vector<Validator> members_;
  uint64_t total_ = 0;
  std::size_t proposer_ = 0;
};

}  // namespace tn::bft
