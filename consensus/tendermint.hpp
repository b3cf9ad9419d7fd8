// Tendermint consensus (Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus", 2018,
// Algorithm 1) as a deterministic state machine: no I/O, no threads, no clock. Inputs are calls
// (a proposal, a vote, a timeout that fired, a commit learnt from a peer); outputs go to an Outbox
// (broadcast, schedule a timeout, decide, report evidence); the block content comes from an
// Application. The driver (the node, or the simulation in tests) owns the network and the timers.
// See docs/CONSENSUS.md.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "consensus/validator_set.hpp"
#include "consensus/vote.hpp"
#include "consensus/wal.hpp"

namespace tn::bft {

enum class Step : uint8_t { Propose = 0, Prevote = 1, Precommit = 2 };
std::string_view name(Step s);

// A proposed value: the block bytes and their id, which votes and commits name.
struct Value {
  Hash32 id;
  Bytes payload;
  bool operator==(const Value&) const = default;
};

// A timeout of base + delta × round milliseconds: grows linearly with the round, so that after
// the network stabilises the timeouts eventually exceed the message delay (liveness).
struct TimeoutSchedule {
  uint64_t baseMs = 1000;
  uint64_t deltaMs = 500;
  uint64_t at(Round round) const;
};

struct TendermintConfig {
  uint64_t chainId = 0;
  TimeoutSchedule propose{3000, 500};
  TimeoutSchedule prevote{1000, 500};
  TimeoutSchedule precommit{1000, 500};
  // Messages for rounds further than this ahead of the current round are ignored (memory bound
  // against a faulty validator spamming round numbers).
  Round maxRoundsAhead = 10'000;
  // Stop after a decision instead of starting round 0 of the next height: a node driver that
  // pauses between blocks (a commit delay) then builds the next height's machine itself, from
  // validators(), when it is ready. Inputs to a halted machine are answered OtherHeight.
  bool haltAfterDecision = false;
};

struct Timeout {
  uint64_t height = 0;
  Round round = 0;
  Step step = Step::Propose;
  uint64_t delayMs = 0;
  bool operator==(const Timeout&) const = default;
};

struct Decision {
  uint64_t height = 0;
  Round round = 0;
  Value value;
  Commit commit;
};

// The block builder and validator, supplied by the node.
class Application {
 public:
  virtual ~Application() = default;
  // id(v): the hash that votes name. Must bind the payload (collision-resistant); may throw on
  // a malformed payload, which makes the proposal invalid.
  virtual Hash32 valueId(BytesView payload) = 0;
  // A new value to propose at `height` (the proposer's getValue()).
  virtual Bytes getValue(uint64_t height) = 0;
  // valid(v): the same answer on every correct node for the same (height, value).
  virtual bool validValue(uint64_t height, const Value& value) = 0;
};

// Outputs. Called synchronously from inside the machine's input methods; an implementation must
// not call back into the machine (queue instead).
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void broadcastProposal(const Proposal& proposal) = 0;
  virtual void broadcastVote(const Vote& vote) = 0;
  // Call Tendermint::onTimeout(t.height, t.round, t.step) after t.delayMs.
  virtual void scheduleTimeout(const Timeout& t) = 0;
  // The decision of a height. When this returns the decision must be durable (the block
  // committed): the machine then prunes the signing log below the next height and moves on.
  virtual void decide(const Decision& decision) = 0;
  virtual void reportEvidence(const DuplicateVoteEvidence& evidence) = 0;
};

// What became of an input message.
enum class Accept {
  Added,          // new and valid: taken into account
  Duplicate,      // already known
  OtherHeight,    // not for the current height
  TooFarAhead,    // round beyond maxRoundsAhead
  Malformed,      // impossible field values
  NotValidator,   // signer is not in the validator set
  WrongProposer,  // proposal from someone who is not the round's proposer
  BadSignature,
  BadValue,  // payload does not match its id, or the commit does not match the value
  Conflict,  // a second, different vote by the same validator: evidence was reported
  Ignored,   // a second proposal for the round that no vote supports (yet)
};
std::string_view name(Accept a);

class Tendermint {
 public:
  // Starts at `height` with `validators`, the set of that height with its priorities as of round 0.
  // `secretKey` is this node's validator key (nullopt, or a key outside the set: follow without
  // voting). `cache`, if given, memoises signature recovery.
  Tendermint(TendermintConfig config, uint64_t height, ValidatorSet validators,
             std::optional<Hash32> secretKey, SignLog& signLog, Application& app, Outbox& out,
             RecoverCache* cache = nullptr);

  // Replays the signing log of the current height (round, step, lock; re-broadcasts what was
  // signed) or, if it has nothing, starts round 0. Call once, before any other input.
  void start();

  Accept onProposal(const Proposal& proposal);
  Accept onVote(const Vote& vote);
  void onTimeout(uint64_t height, Round round, Step step);
  // A decision learnt from a peer (catch-up): `commit` must verify against the current
  // validator set and name `value`, which must be valid.
  Accept onCommit(const Value& value, const Commit& commit);

  uint64_t height() const { return height_; }
  // True once a decision was made with TendermintConfig::haltAfterDecision; height() and
  // validators() are then those of the next height.
  bool halted() const { return halted_; }
  Round round() const { return round_; }
  Step step() const { return step_; }
  Round lockedRound() const { return lockedRound_; }
  std::optional<Hash32> lockedValue() const;
  Round validRound() const { return validRound_; }
  std::optional<Hash32> validValue() const;
  const ValidatorSet& validators() const { return validators_; }
  std::optional<Address> address() const { return address_; }
  // proposer(height, round): the set of this height incremented `round` times (CometBFT).
  const Address& proposer(Round round);

  // Every signed message held for the current height, for gossip to peers that missed them.
  std::vector<Proposal> proposals() const;
  std::vector<Vote> votes() const;

 private:
  // The votes of one (round, type). A validator's first vote counts once towards `total` (the
  // "2f+1 of any kind" rules). Per value, every validator that signed a vote for it counts, an
  // equivocating one in each value it signed: a quorum for v is then exactly "validators with
  // more than 2/3 of the power signed v", whichever of their votes arrived first. Two such
  // quorums for different values would need more than 1/3 of the power to equivocate.
  struct Tally {
    std::map<Address, Vote> first;
    std::map<std::optional<Hash32>, std::map<Address, Vote>> byValue;
    std::map<std::optional<Hash32>, uint64_t> power;  // power of byValue[value]
    uint64_t total = 0;
    uint64_t powerFor(const std::optional<Hash32>& h) const;
    bool has(const Address& who, const std::optional<Hash32>& h) const;
  };
  struct RoundState {
    std::vector<Proposal> proposals;  // signed by proposer(height, round); the first is "the" one
    Tally prevotes, precommits;
    std::set<Address> senders;  // any message of this round, for the f + 1 round skip
    uint64_t senderPower = 0;
    bool prevoteTimeoutScheduled = false;    // line 34 "for the first time"
    bool precommitTimeoutScheduled = false;  // line 47 "for the first time"
    bool lockRuleFired = false;              // line 36 "for the first time"
    const Proposal* proposalFor(const Hash32& id) const;
  };

  // Upon-rules; each returns true if it fired (changed the state).
  void evaluate();
  bool ruleDecide();            // line 49
  bool ruleRoundSkip();         // line 55
  bool ruleProposal();          // lines 22 and 28
  bool rulePrevoteTimeout();    // line 34
  bool ruleLock();              // line 36
  bool rulePrevoteNil();        // line 44
  bool rulePrecommitTimeout();  // line 47

  void startRound(Round round);
  void decide(Round round, const Value& value, Commit commit);
  void resetHeight();
  void propose();
  void castVote(MsgType type, const std::optional<Hash32>& id, const Bytes& lockedPayload);
  // Records `rec` in the signing log; on conflict, the recorded content replaces it. False if
  // the log forbids signing at all.
  bool admit(SignRecord& rec);
  void emit(const SignRecord& rec);  // signs a recorded message, keeps and broadcasts it
  // Adds a verified vote; `first` is false for an equivocating validator's further vote.
  void addVote(const Vote& vote, uint64_t power, bool first = true);
  bool isProposedValue(const Hash32& id) const;  // the value of a proposal held at this height
  static void noteSender(RoundState& rs, const Address& who, uint64_t power);
  bool valid(const Hash32& id, const Bytes& payload);
  bool matchesId(const Hash32& id, const Bytes& payload);  // valueId(payload) == id
  static Tally& tallyOf(RoundState& rs, MsgType type);
  RoundState* current();
  bool isValidator() const;
  void schedule(Step step, Round round);

  TendermintConfig config_;
  uint64_t height_;
  ValidatorSet validators_;
  std::optional<Hash32> key_;
  std::optional<Address> address_;
  SignLog& log_;
  Application& app_;
  Outbox& out_;
  RecoverCache* cache_;

  Round round_ = 0;
  Step step_ = Step::Propose;
  std::optional<Value> lockedValue_;
  Round lockedRound_ = kNilRound;
  std::optional<Value> validValue_;
  Round validRound_ = kNilRound;
  std::map<Round, RoundState> rounds_;
  std::vector<Address> proposers_;  // proposer of each round, computed ahead on demand
  std::map<Hash32, bool> validity_;
  std::set<std::tuple<Address, Round, MsgType>> reported_;  // evidence already reported
  bool started_ = false;
  bool halted_ = false;
};

}  // namespace tn::bft
