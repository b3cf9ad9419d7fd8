#include "consensus/tendermint.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace tn::bft {

std::string_view name(Step s) {
  switch (s) {
    case Step::Propose:
      return "propose";
    case Step::Prevote:
      return "prevote";
    case Step::Precommit:
      return "precommit";
  }
  return "unknown";
}

std::string_view name(Accept a) {
  switch (a) {
    case Accept::Added:
      return "added";
    case Accept::Duplicate:
      return "duplicate";
    case Accept::OtherHeight:
      return "other height";
    case Accept::TooFarAhead:
      return "too far ahead";
    case Accept::Malformed:
      return "malformed";
    case Accept::NotValidator:
      return "not a validator";
    case Accept::WrongProposer:
      return "wrong proposer";
    case Accept::BadSignature:
      return "bad signature";
    case Accept::BadValue:
      return "bad value";
    case Accept::Conflict:
      return "conflicting vote";
    case Accept::Ignored:
      return "ignored";
  }
  return "unknown";
}

uint64_t TimeoutSchedule::at(Round round) const {
  uint64_t r = round < 0 ? 0 : uint64_t(round);
  uint64_t extra;
  if (__builtin_mul_overflow(deltaMs, r, &extra) || extra > UINT64_MAX - baseMs) return UINT64_MAX;
  return baseMs + extra;
}

uint64_t Tendermint::Tally::powerFor(const std::optional<Hash32>& h) const {
  auto it = power.find(h);
  return it == power.end() ? 0 : it->second;
}

bool Tendermint::Tally::has(const Address& who, const std::optional<Hash32>& h) const {
  auto it = byValue.find(h);
  return it != byValue.end() && it->second.count(who);
}

const Proposal* Tendermint::RoundState::proposalFor(const Hash32& id) const {
  for (const auto& p : proposals)
    if (p.blockHash == id) return &p;
  return nullptr;
}

Tendermint::Tendermint(TendermintConfig config, uint64_t height, ValidatorSet validators,
                       std::optional<Hash32> secretKey, SignLog& signLog, Application& app,
                       Outbox& out, RecoverCache* cache)
    : config_(config),
      height_(height),
      validators_(std::move(validators)),
      key_(secretKey),
      log_(signLog),
      app_(app),
      out_(out),
      cache_(cache) {
  if (validators_.size() == 0) throw std::invalid_argument("tendermint: empty validator set");
  if (key_) address_ = addressOfSecret(*key_);
}

// --- inputs ---

void Tendermint::start() {
  if (started_) throw std::logic_error("tendermint: started twice");
  started_ = true;
  log_.prune(height_);  // the heights below were decided and committed
  const auto records = log_.recordsAt(height_);
  if (records.empty() || !isValidator()) {
    startRound(0);
    evaluate();
    return;
  }
  // Resume where the signatures stop: the lock is the last non-nil precommit (line 36 is the only
  // place that locks, and it precommits the locked value), the round is the last one signed in,
  // and the step follows from what was signed in it.
  round_ = records.back().round;
  step_ = Step::Propose;
  for (const auto& rec : records) {
    if (rec.type == MsgType::Precommit && rec.blockHash && rec.round > lockedRound_) {
      lockedValue_ = Value{*rec.blockHash, rec.payload};
      lockedRound_ = rec.round;
      validValue_ = lockedValue_;
      validRound_ = lockedRound_;
    }
    if (rec.round == round_ && rec.type == MsgType::Prevote) step_ = std::max(step_, Step::Prevote);
    if (rec.round == round_ && rec.type == MsgType::Precommit) step_ = Step::Precommit;
  }
  if (step_ == Step::Propose) schedule(Step::Propose, round_);
  // Peers may never have received these before the crash; signing again yields the same bytes.
  for (const auto& rec : records) emit(rec);
  evaluate();
}

Accept Tendermint::onProposal(const Proposal& p) {
  if (!started_) throw std::logic_error("tendermint: input before start()");
  if (halted_ || p.height != height_) return Accept::OtherHeight;
  if (p.round < 0 || p.polRound < kNilRound || p.polRound >= p.round) return Accept::Malformed;
  if (p.round - round_ > config_.maxRoundsAhead) return Accept::TooFarAhead;
  if (p.proposer != proposer(p.round)) return Accept::WrongProposer;
  auto rit = rounds_.find(p.round);
  if (rit != rounds_.end() && rit->second.proposalFor(p.blockHash)) return Accept::Duplicate;
  if (!matchesId(p.blockHash, p.payload)) return Accept::BadValue;
  if (!p.verify(config_.chainId, cache_)) return Accept::BadSignature;
  // An equivocating proposer: keep a further value only once votes show that others hold it
  // (lines 36 and 49 need the value that a quorum voted for, whichever proposal came first).
  if (rit != rounds_.end() && !rit->second.proposals.empty() &&
      !rit->second.prevotes.power.count(p.blockHash) &&
      !rit->second.precommits.power.count(p.blockHash))
    return Accept::Ignored;
  RoundState& rs = rounds_[p.round];
  rs.proposals.push_back(p);
  noteSender(rs, p.proposer, validators_.find(p.proposer)->power);
  evaluate();
  return Accept::Added;
}

Accept Tendermint::onVote(const Vote& vote) {
  if (!started_) throw std::logic_error("tendermint: input before start()");
  if (halted_ || vote.height != height_) return Accept::OtherHeight;
  if ((vote.type != MsgType::Prevote && vote.type != MsgType::Precommit) || vote.round < 0)
    return Accept::Malformed;
  if (vote.round - round_ > config_.maxRoundsAhead) return Accept::TooFarAhead;
  const Validator* signer = validators_.find(vote.validator);
  if (!signer) return Accept::NotValidator;
  const Vote* known = nullptr;
  if (auto rit = rounds_.find(vote.round); rit != rounds_.end()) {
    const Tally& t = tallyOf(rit->second, vote.type);
    if (t.has(vote.validator, vote.blockHash)) return Accept::Duplicate;
    if (auto vit = t.first.find(vote.validator); vit != t.first.end()) known = &vit->second;
  }
  if (!vote.verify(config_.chainId, cache_)) return Accept::BadSignature;
  if (!known) {
    addVote(vote, signer->power);
    evaluate();
    return Accept::Added;
  }
  // Equivocation: report it once. The vote still counts for its value (see Tally) if that value
  // can matter: nil or a proposed value. Others are dropped, which bounds what a faulty
  // validator can make us store.
  if (reported_.insert({vote.validator, vote.round, vote.type}).second)
    out_.reportEvidence(DuplicateVoteEvidence::make(*known, vote));
  if (!vote.blockHash || isProposedValue(*vote.blockHash)) {
    addVote(vote, signer->power, false);
    evaluate();
  }
  return Accept::Conflict;
}

void Tendermint::onTimeout(uint64_t height, Round round, Step step) {
  if (!started_ || halted_ || height != height_ || round != round_) return;
  switch (step) {
    case Step::Propose:  // line 57
      if (step_ != Step::Propose) return;
      castVote(MsgType::Prevote, std::nullopt, {});
      step_ = Step::Prevote;
      break;
    case Step::Prevote:  // line 61
      if (step_ != Step::Prevote) return;
      castVote(MsgType::Precommit, std::nullopt, {});
      step_ = Step::Precommit;
      break;
    case Step::Precommit:  // line 65
      startRound(round_ + 1);
      break;
  }
  evaluate();
}

Accept Tendermint::onCommit(const Value& value, const Commit& commit) {
  if (!started_) throw std::logic_error("tendermint: input before start()");
  if (halted_ || commit.height != height_) return Accept::OtherHeight;
  if (commit.blockHash != value.id || !matchesId(value.id, value.payload)) return Accept::BadValue;
  if (checkCommit(config_.chainId, validators_, commit, cache_)) return Accept::BadSignature;
  if (!valid(value.id, value.payload)) return Accept::BadValue;
  decide(commit.round, value, commit);
  evaluate();
  return Accept::Added;
}

// --- observers ---

std::optional<Hash32> Tendermint::lockedValue() const {
  return lockedValue_ ? std::optional<Hash32>(lockedValue_->id) : std::nullopt;
}

std::optional<Hash32> Tendermint::validValue() const {
  return validValue_ ? std::optional<Hash32>(validValue_->id) : std::nullopt;
}

const Address& Tendermint::proposer(Round round) {
  if (round < 0) throw std::invalid_argument("tendermint: negative round");
  if (uint64_t(round) >= proposers_.size()) {
    uint64_t want = std::max<uint64_t>({uint64_t(round) + 1, proposers_.size() * 2, 16});
    want = std::min<uint64_t>(want, std::numeric_limits<uint32_t>::max());
    if (uint64_t(round) >= want) throw std::invalid_argument("tendermint: round too large");
    proposers_ = validators_.roundProposers(static_cast<uint32_t>(want));
  }
  return proposers_[static_cast<std::size_t>(round)];
}

std::vector<Proposal> Tendermint::proposals() const {
  std::vector<Proposal> out;
  for (const auto& [r, rs] : rounds_)
    out.insert(out.end(), rs.proposals.begin(), rs.proposals.end());
  return out;
}

std::vector<Vote> Tendermint::votes() const {
  std::vector<Vote> out;
  for (const auto& [r, rs] : rounds_)
    for (const Tally* t : {&rs.prevotes, &rs.precommits})
      for (const auto& [value, votes] : t->byValue)
        for (const auto& [who, v] : votes) out.push_back(v);
  return out;
}

// --- upon-rules ---

void Tendermint::evaluate() {
  // Fire rules until none applies; each firing changes the state, and the first rule that fires
  // restarts the scan, so the order below only matters for which of several enabled rules runs
  // first (any order is allowed by the algorithm).
  while (!halted_ && (ruleDecide() || ruleRoundSkip() || ruleProposal() || rulePrevoteTimeout() || ruleLock() ||
         rulePrevoteNil() || rulePrecommitTimeout())) {
  }
}

// Line 49: upon ⟨PROPOSAL, h, r, v, ∗⟩ from proposer(h, r) AND 2f+1 ⟨PRECOMMIT, h, r, id(v)⟩
// while decision[h] = nil: if valid(v), decide v and start the next height.
bool Tendermint::ruleDecide() {
  for (const auto& [r, rs] : rounds_) {
    for (const auto& [id, power] : rs.precommits.power) {
      if (!id || !validators_.isQuorum(power)) continue;
      const Proposal* prop = rs.proposalFor(*id);
      if (!prop || !valid(*id, prop->payload)) continue;
      Commit commit{height_, r, *id, {}};
      for (const auto& [who, v] : rs.precommits.byValue.at(id))
        commit.sigs.push_back(CommitSig{who, v.sig});
      decide(r, Value{*id, prop->payload}, std::move(commit));
      return true;  // rounds_ was reset: stop iterating it
    }
  }
  return false;
}

// Line 55: upon f+1 ⟨∗, h, round, ∗, ∗⟩ with round > round_p: StartRound(round).
bool Tendermint::ruleRoundSkip() {
  for (auto it = rounds_.rbegin(); it != rounds_.rend() && it->first > round_; ++it) {
    if (validators_.isOneThird(it->second.senderPower)) {
      startRound(it->first);
      return true;
    }
  }
  return false;
}

// Lines 22 and 28: the round's proposal while step = propose.
bool Tendermint::ruleProposal() {
  if (step_ != Step::Propose) return false;
  RoundState* rs = current();
  if (!rs) return false;
  for (const Proposal& p : rs->proposals) {
    const Hash32 id = p.blockHash;
    bool accept;
    if (p.polRound == kNilRound) {
      // Line 22: ⟨PROPOSAL, h, r, v, −1⟩: prevote v if valid and not locked on something else.
      accept = valid(id, p.payload) && (lockedRound_ == kNilRound || lockedValue_->id == id);
    } else {
      // Line 28: ⟨PROPOSAL, h, r, v, vr⟩ AND 2f+1 ⟨PREVOTE, h, vr, id(v)⟩ with 0 <= vr < r:
      // prevote v if valid and the lock is not newer than vr (or is on v).
      auto pol = rounds_.find(p.polRound);
      if (pol == rounds_.end() || !validators_.isQuorum(pol->second.prevotes.powerFor(id)))
        continue;
      accept = valid(id, p.payload) &&
               (lockedRound_ <= p.polRound || (lockedValue_ && lockedValue_->id == id));
    }
    castVote(MsgType::Prevote, accept ? std::optional<Hash32>(id) : std::nullopt, {});
    step_ = Step::Prevote;
    return true;
  }
  return false;
}

// Line 34: upon 2f+1 ⟨PREVOTE, h, r, ∗⟩ while step = prevote for the first time.
bool Tendermint::rulePrevoteTimeout() {
  RoundState* rs = current();
  if (step_ != Step::Prevote || !rs || rs->prevoteTimeoutScheduled ||
      !validators_.isQuorum(rs->prevotes.total))
    return false;
  rs->prevoteTimeoutScheduled = true;
  schedule(Step::Prevote, round_);
  return true;
}

// Line 36: upon ⟨PROPOSAL, h, r, v, ∗⟩ AND 2f+1 ⟨PREVOTE, h, r, id(v)⟩ while valid(v) and
// step >= prevote for the first time: lock and precommit v if still at prevote; remember v as
// the valid value either way.
bool Tendermint::ruleLock() {
  RoundState* rs = current();
  if (step_ == Step::Propose || !rs || rs->lockRuleFired) return false;
  for (const auto& [id, power] : rs->prevotes.power) {
    if (!id || !validators_.isQuorum(power)) continue;
    const Proposal* prop = rs->proposalFor(*id);
    if (!prop || !valid(*id, prop->payload)) continue;
    rs->lockRuleFired = true;
    Value v{*id, prop->payload};
    if (step_ == Step::Prevote) {
      lockedValue_ = v;
      lockedRound_ = round_;
      castVote(MsgType::Precommit, v.id, v.payload);
      step_ = Step::Precommit;
    }
    validValue_ = std::move(v);
    validRound_ = round_;
    return true;
  }
  return false;
}

// Line 44: upon 2f+1 ⟨PREVOTE, h, r, nil⟩ while step = prevote: precommit nil.
bool Tendermint::rulePrevoteNil() {
  RoundState* rs = current();
  if (step_ != Step::Prevote || !rs || !validators_.isQuorum(rs->prevotes.powerFor(std::nullopt)))
    return false;
  castVote(MsgType::Precommit, std::nullopt, {});
  step_ = Step::Precommit;
  return true;
}

// Line 47: upon 2f+1 ⟨PRECOMMIT, h, r, ∗⟩ for the first time.
bool Tendermint::rulePrecommitTimeout() {
  RoundState* rs = current();
  if (!rs || rs->precommitTimeoutScheduled || !validators_.isQuorum(rs->precommits.total))
    return false;
  rs->precommitTimeoutScheduled = true;
  schedule(Step::Precommit, round_);
  return true;
}

// --- actions ---

// Line 11: StartRound(round).
void Tendermint::startRound(Round round) {
  round_ = round;
  step_ = Step::Propose;
  if (address_ && proposer(round) == *address_) propose();
  // The paper schedules this only on non-proposers; on the proposer it is a no-op, because its
  // own proposal moves it to prevote at once, and it covers a proposer that cannot propose.
  schedule(Step::Propose, round);
}

// Lines 15-19: propose the valid value if there is one, else a new value.
void Tendermint::propose() {
  if (!isValidator()) return;
  SignRecord rec;
  rec.height = height_;
  rec.round = round_;
  rec.type = MsgType::Proposal;
  if (validValue_) {
    rec.blockHash = validValue_->id;
    rec.payload = validValue_->payload;
    rec.polRound = validRound_;
  } else {
    rec.payload = app_.getValue(height_);
    rec.blockHash = app_.valueId(rec.payload);
  }
  if (admit(rec)) emit(rec);
}

void Tendermint::castVote(MsgType type, const std::optional<Hash32>& id,
                          const Bytes& lockedPayload) {
  if (!isValidator()) return;
  SignRecord rec;
  rec.height = height_;
  rec.round = round_;
  rec.type = type;
  rec.blockHash = id;
  if (type == MsgType::Precommit && id) rec.payload = lockedPayload;
  if (admit(rec)) emit(rec);
}

bool Tendermint::admit(SignRecord& rec) {
  switch (log_.recordSign(rec)) {
    case SignCheck::Fresh:
    case SignCheck::Repeat:
      return true;
    case SignCheck::Conflict:
      // Signed something else here before a restart: never sign a second value; repeat the first.
      rec = *log_.find(rec.height, rec.round, rec.type);
      return true;
    case SignCheck::Pruned:
      return false;
  }
  return false;
}

void Tendermint::emit(const SignRecord& rec) {
  if (!isValidator()) return;
  const uint64_t power = validators_.find(*address_)->power;
  if (rec.type == MsgType::Proposal) {
    Proposal p = Proposal::sign(config_.chainId, rec.height, rec.round, rec.polRound,
                                *rec.blockHash, rec.payload, *key_);
    RoundState& rs = rounds_[rec.round];
    if (!rs.proposalFor(p.blockHash)) rs.proposals.push_back(p);
    noteSender(rs, *address_, power);
    out_.broadcastProposal(p);
  } else {
    Vote v = Vote::sign(config_.chainId, rec.type, rec.height, rec.round, rec.blockHash, *key_);
    addVote(v, power);
    out_.broadcastVote(v);
  }
}

void Tendermint::decide(Round round, const Value& value, Commit commit) {
  out_.decide(Decision{height_, round, value, std::move(commit)});
  log_.prune(height_ + 1);
  ++height_;
  validators_.incrementProposerPriority(1);
  resetHeight();
  if (config_.haltAfterDecision) {
    halted_ = true;
    return;
  }
  startRound(0);
}

// Line 54: reset the locks and the message log for the new height.
void Tendermint::resetHeight() {
  lockedValue_.reset();
  lockedRound_ = kNilRound;
  validValue_.reset();
  validRound_ = kNilRound;
  rounds_.clear();
  proposers_.clear();
  validity_.clear();
  reported_.clear();
}

// --- helpers ---

void Tendermint::addVote(const Vote& vote, uint64_t power, bool first) {
  RoundState& rs = rounds_[vote.round];
  Tally& t = tallyOf(rs, vote.type);
  if (first) {
    if (!t.first.emplace(vote.validator, vote).second) return;  // own vote repeated
    t.total += power;
    noteSender(rs, vote.validator, power);
  }
  if (t.byValue[vote.blockHash].emplace(vote.validator, vote).second)
    t.power[vote.blockHash] += power;
}

bool Tendermint::isProposedValue(const Hash32& id) const {
  for (const auto& [r, rs] : rounds_)
    if (rs.proposalFor(id)) return true;
  return false;
}

void Tendermint::noteSender(RoundState& rs, const Address& who, uint64_t power) {
  if (rs.senders.insert(who).second) rs.senderPower += power;
}

bool Tendermint::matchesId(const Hash32& id, const Bytes& payload) {
  try {
    return app_.valueId(payload) == id;
  } catch (const std::exception&) {
    return false;  // a malformed payload
  }
}

bool Tendermint::valid(const Hash32& id, const Bytes& payload) {
  if (auto it = validity_.find(id); it != validity_.end()) return it->second;
  bool ok = app_.validValue(height_, Value{id, payload});
  validity_.emplace(id, ok);
  return ok;
}

Tendermint::Tally& Tendermint::tallyOf(RoundState& rs, MsgType type) {
  return type == MsgType::Prevote ? rs.prevotes : rs.precommits;
}

Tendermint::RoundState* Tendermint::current() {
  auto it = rounds_.find(round_);
  return it == rounds_.end() ? nullptr : &it->second;
}

bool Tendermint::isValidator() const {
  return address_ && validators_.find(*address_);
}

void Tendermint::schedule(Step step, Round round) {
  const TimeoutSchedule& s = step == Step::Propose   ? config_.propose
                             : step == Step::Prevote ? config_.prevote
                                                     : config_.precommit;
  out_.scheduleTimeout(Timeout{height_, round, step, s.at(round)});
}

}  // namespace tn::bft
