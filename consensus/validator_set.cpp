#include "consensus/validator_set.hpp"

#include <algorithm>
#include <stdexcept>

#include "chain/rlp.hpp"

namespace tn::bft {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

int64_t addClip(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMax : kMin;
  return r;
}

int64_t subClip(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kMax : kMin;
  return r;
}

// floor(sum / n) without overflow: Go's big.Int division, which CometBFT uses for the average.
int64_t averagePriority(const std::vector<Validator>& members) {
  __int128 sum = 0;
  for (const auto& v : members) sum += v.priority;
  __int128 n = static_cast<__int128>(members.size());
  __int128 q = sum / n;
  if (sum % n != 0 && sum < 0) --q;
  return static_cast<int64_t>(q);
}

}  // namespace

ValidatorSet::ValidatorSet(std::vector<Validator> members) : members_(std::move(members)) {
  if (members_.empty()) throw std::invalid_argument("validator set: empty");
  std::sort(members_.begin(), members_.end(),
            [](const Validator& a, const Validator& b) { return a.address < b.address; });
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const Validator& v = members_[i];
    if (v.power == 0)
      throw std::invalid_argument("validator set: zero power for " + v.address.hex());
    if (i > 0 && members_[i - 1].address == v.address)
      throw std::invalid_argument("validator set: duplicate " + v.address.hex());
    if (v.power > kMaxTotalPower - total_)
      throw std::invalid_argument("validator set: total power above the maximum");
    total_ += v.power;
  }
  incrementProposerPriority(1);
}

const Validator* ValidatorSet::find(const Address& a) const {
  auto it = std::lower_bound(members_.begin(), members_.end(), a,
                             [](const Validator& v, const Address& x) { return v.address < x; });
  return it != members_.end() && it->address == a ? &*it : nullptr;
}

void ValidatorSet::rescaleAndCenter() {
  const int64_t total = static_cast<int64_t>(total_);
  // Rescale: keep max - min within 2 × total so that a validator's turn comes back in bounded time.
  const int64_t window = 2 * total;
  auto [lo, hi] = std::minmax_element(
      members_.begin(), members_.end(),
      [](const Validator& a, const Validator& b) { return a.priority < b.priority; });
  const __int128 diff = static_cast<__int128>(hi->priority) - lo->priority;
  if (diff > window) {
    const int64_t ratio = static_cast<int64_t>((diff + window - 1) / window);
    for (auto& v : members_) v.priority /= ratio;  // truncates toward zero, as Go does
  }
  // Centre on the average.
  const int64_t avg = averagePriority(members_);
  for (auto& v : members_) v.priority = subClip(v.priority, avg);
}

std::size_t ValidatorSet::stepPriorities() {
  std::size_t best = 0;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    Validator& v = members_[i];
    v.priority = addClip(v.priority, static_cast<int64_t>(v.power));
    // Members are in address order, so the first of equal priorities has the lowest address.
    if (v.priority > members_[best].priority) best = i;
  }
  members_[best].priority = subClip(members_[best].priority, static_cast<int64_t>(total_));
  return best;
}

void ValidatorSet::incrementProposerPriority(uint32_t times) {
  if (times == 0) throw std::invalid_argument("incrementProposerPriority: times must be >= 1");
  rescaleAndCenter();
  for (uint32_t t = 0; t < times; ++t) proposer_ = stepPriorities();
}

std::vector<Address> ValidatorSet::roundProposers(uint32_t rounds) const {
  std::vector<Address> out;
  if (rounds == 0) return out;
  out.reserve(rounds);
  out.push_back(proposer().address);
  ValidatorSet copy = *this;
  copy.rescaleAndCenter();  // incremented(k) rescales once, then steps k times
  for (uint32_t r = 1; r < rounds; ++r) out.push_back(copy.members_[copy.stepPriorities()].address);
  return out;
}

ValidatorSet ValidatorSet::incremented(uint32_t times) const {
  ValidatorSet copy = *this;
  copy.incrementProposerPriority(times);
  return copy;
}

Hash32 ValidatorSet::hash() const {
  rlp::Encoder e;
  auto m = e.beginList();
  for (const auto& v : members_) {
    auto item = e.beginList();
    e.bytes(v.address.view());
    e.uint(v.power);
    e.endList(item);
  }
  e.endList(m);
  return keccak256(e.out());
}

}  // namespace tn::bft
