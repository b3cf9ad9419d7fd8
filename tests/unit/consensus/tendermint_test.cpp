// The Tendermint state machine rule by rule (Algorithm 1 line numbers), proposer rotation,
// signatures and commits, the signing log (double-sign protection) and duplicate-vote evidence.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>

#include "chain/rlp.hpp"
#include "tests/unit/consensus/bft_fixtures.hpp"
#include "tests/unit/state/helpers.hpp"

using namespace tn;
using namespace tn::bft;
using namespace tn::bft::test;

namespace {

struct Recorder final : Outbox {
  std::vector<Proposal> proposals;
  std::vector<Vote> votes;
  std::vector<Timeout> timeouts;
  std::vector<Decision> decisions;
  std::vector<DuplicateVoteEvidence> evidence;

  void broadcastProposal(const Proposal& p) override { proposals.push_back(p); }
  void broadcastVote(const Vote& v) override { votes.push_back(v); }
  void scheduleTimeout(const Timeout& t) override { timeouts.push_back(t); }
  void decide(const Decision& d) override { decisions.push_back(d); }
  void reportEvidence(const DuplicateVoteEvidence& e) override { evidence.push_back(e); }

  std::vector<Vote> sent(MsgType type) const {
    std::vector<Vote> out;
    for (const auto& v : votes)
      if (v.type == type) out.push_back(v);
    return out;
  }
  std::size_t timeoutsFor(Step step, Round round) const {
    return std::size_t(std::count_if(timeouts.begin(), timeouts.end(), [&](const Timeout& t) {
      return t.step == step && t.round == round;
    }));
  }
};

TendermintConfig testConfig() {
  TendermintConfig c;
  c.chainId = kChainId;
  c.propose = {3000, 500};
  c.prevote = {1000, 200};
  c.precommit = {1200, 300};
  return c;
}

const std::optional<Hash32> kNil = std::nullopt;

// One machine under test (validator `me`) and the keys of the others, who are played by the test.
struct Node {
  Committee committee;
  TextApp app;
  Recorder out;
  MemorySignLog ownLog;
  SignLog* log;
  int me;
  std::unique_ptr<Tendermint> tm;

  Node(std::vector<uint64_t> powers, int me, SignLog* sharedLog = nullptr)
      : committee(std::move(powers)), log(sharedLog ? sharedLog : &ownLog), me(me) {}

  // The validator that proposes `round` at `height`.
  int proposerOf(Round round, uint64_t height = 1) const {
    auto seq = committee.setAt(height).roundProposers(uint32_t(round) + 1);
    return committee.indexOf(seq.at(std::size_t(round)));
  }
  // A validator that proposes none of `rounds` at height 1.
  static int nonProposer(std::vector<uint64_t> powers, std::initializer_list<Round> rounds) {
    Node probe(std::move(powers), 0);
    for (int i = 0; i < int(probe.committee.size()); ++i)
      if (std::none_of(rounds.begin(), rounds.end(),
                       [&](Round r) { return probe.proposerOf(r) == i; }))
        return i;
    FAIL("no validator is free of the given rounds");
    return -1;
  }

  void start() {
    tm = std::make_unique<Tendermint>(testConfig(), 1, committee.set, committee.keys[me], *log, app,
                                      out);
    tm->start();
  }
  Vote vote(int who, MsgType type, Round round, std::optional<Hash32> id,
            uint64_t height = 1) const {
    return Vote::sign(kChainId, type, height, round, id, committee.keys[who]);
  }
  Proposal proposal(Round round, const Value& v, Round pol = kNilRound, uint64_t height = 1) const {
    return Proposal::sign(kChainId, height, round, pol, v.id, v.payload,
                          committee.keys[proposerOf(round, height)]);
  }
  // The validators other than me, first `n` of them.
  std::vector<int> others(std::size_t n) const {
    std::vector<int> out;
    for (int i = 0; i < int(committee.size()) && out.size() < n; ++i)
      if (i != me) out.push_back(i);
    REQUIRE(out.size() == n);
    return out;
  }
  void deliverVotes(const std::vector<int>& who, MsgType type, Round round,
                    std::optional<Hash32> id) {
    for (int w : who) REQUIRE(tm->onVote(vote(w, type, round, id)) == Accept::Added);
  }
  Accept deliver(const Proposal& p) { return tm->onProposal(p); }
  // Proposal for v in `round`, then prevotes from two others: with my own prevote a quorum of 3/4.
  void lockOn(Round round, const Value& v) {
    REQUIRE(deliver(proposal(round, v)) == Accept::Added);
    deliverVotes(others(2), MsgType::Prevote, round, v.id);
    REQUIRE(tm->lockedRound() == round);
  }
  // Leaves the current round through its timeouts (nil votes where still needed).
  void timeoutRound() {
    Round r = tm->round();
    tm->onTimeout(1, r, Step::Propose);
    tm->onTimeout(1, r, Step::Prevote);
    tm->onTimeout(1, r, Step::Precommit);
    REQUIRE(tm->round() == r + 1);
  }
  std::optional<Hash32> lastPrevote(Round round) const {
    for (auto it = out.votes.rbegin(); it != out.votes.rend(); ++it)
      if (it->type == MsgType::Prevote && it->round == round) return it->blockHash;
    FAIL("no prevote sent in round " << round);
    return std::nullopt;
  }
};

const std::vector<uint64_t> kEqual4{1, 1, 1, 1};

}  // namespace

// --- StartRound and the proposal rules ---

TEST_CASE("tendermint line 11: the proposer proposes a new value, the others wait timeoutPropose") {
  Node probe(kEqual4, 0);
  const int proposer = probe.proposerOf(0);
  Node p(kEqual4, proposer);
  p.start();
  REQUIRE(p.out.proposals.size() == 1);
  const Proposal& prop = p.out.proposals[0];
  CHECK(prop.height == 1);
  CHECK(prop.round == 0);
  CHECK(prop.polRound == kNilRound);
  CHECK(asChars(prop.payload).starts_with("h=1 "));
  CHECK(prop.verify(kChainId));
  // Its own proposal reaches it like anyone's (line 22): it prevotes the value.
  REQUIRE(p.out.sent(MsgType::Prevote).size() == 1);
  CHECK(p.out.sent(MsgType::Prevote)[0].blockHash == prop.blockHash);
  CHECK(p.tm->step() == Step::Prevote);

  Node n(kEqual4, (proposer + 1) % 4);
  n.start();
  CHECK(n.out.proposals.empty());
  CHECK(n.out.votes.empty());
  CHECK(n.out.timeouts == std::vector<Timeout>{Timeout{1, 0, Step::Propose, 3000}});
  CHECK(n.tm->step() == Step::Propose);
}

TEST_CASE("tendermint line 22: prevote a valid unlocked proposal, nil otherwise") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0, 1}));
  n.start();
  const Value v = textValue(1, "v");
  const Value w = textValue(1, "w");

  SUBCASE("valid value") {
    CHECK(n.deliver(n.proposal(0, v)) == Accept::Added);
    CHECK(n.lastPrevote(0) == v.id);
    CHECK(n.tm->step() == Step::Prevote);
  }
  SUBCASE("invalid value") {
    n.app.rejected.insert(v.id);
    CHECK(n.deliver(n.proposal(0, v)) == Accept::Added);
    CHECK(n.lastPrevote(0) == kNil);
  }
  SUBCASE("value for another height") {
    Value old = textValue(0, "stale");
    CHECK(n.deliver(n.proposal(0, old)) == Accept::Added);
    CHECK(n.lastPrevote(0) == kNil);
  }
  SUBCASE("not from the round's proposer") {
    Proposal p = Proposal::sign(kChainId, 1, 0, kNilRound, v.id, v.payload, n.committee.keys[n.me]);
    CHECK(n.deliver(p) == Accept::WrongProposer);
    CHECK(n.out.votes.empty());
    CHECK(n.tm->step() == Step::Propose);
  }
  SUBCASE("locked on another value") {
    n.lockOn(0, v);
    n.timeoutRound();
    CHECK(n.deliver(n.proposal(1, w)) == Accept::Added);
    CHECK(n.lastPrevote(1) == kNil);
  }
  SUBCASE("locked on the same value") {
    n.lockOn(0, v);
    n.timeoutRound();
    CHECK(n.deliver(n.proposal(1, v)) == Accept::Added);
    CHECK(n.lastPrevote(1) == v.id);
  }
}

TEST_CASE("tendermint line 28: a re-proposal with a proof-of-lock round") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0, 1, 2}));
  n.start();
  const Value v = textValue(1, "v");
  const Value w = textValue(1, "w");

  SUBCASE("a lock older than the proof-of-lock round does not block") {
    n.lockOn(0, v);
    n.timeoutRound();
    n.deliverVotes(n.others(3), MsgType::Prevote, 1, w.id);  // a POL for w in round 1
    n.timeoutRound();
    CHECK(n.deliver(n.proposal(2, w, 1)) == Accept::Added);
    CHECK(n.lastPrevote(2) == w.id);
    CHECK(n.tm->lockedRound() == 0);  // only line 36 moves the lock
  }
  SUBCASE("a lock newer than the proof-of-lock round blocks another value") {
    n.deliverVotes(n.others(3), MsgType::Prevote, 0, w.id);  // a POL for w in round 0
    n.timeoutRound();
    n.lockOn(1, v);
    n.timeoutRound();
    CHECK(n.deliver(n.proposal(2, w, 0)) == Accept::Added);
    CHECK(n.lastPrevote(2) == kNil);
  }
  SUBCASE("without 2f+1 prevotes in the proof-of-lock round it waits") {
    n.timeoutRound();
    CHECK(n.deliver(n.proposal(1, w, 0)) == Accept::Added);
    CHECK(n.out.sent(MsgType::Prevote).size() == 1);  // only the nil prevote of round 0
    CHECK(n.tm->step() == Step::Propose);
    n.deliverVotes(n.others(2), MsgType::Prevote, 0, w.id);  // 2 of 4: not yet a quorum
    CHECK(n.tm->step() == Step::Propose);
    n.deliverVotes({n.others(3)[2]}, MsgType::Prevote, 0, w.id);
    CHECK(n.lastPrevote(1) == w.id);
  }
}

// --- the prevote step ---

TEST_CASE("tendermint line 34: 2f+1 prevotes of any kind schedule timeoutPrevote once") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0}));
  n.start();
  const Value v = textValue(1, "v");
  REQUIRE(n.deliver(n.proposal(0, v)) == Accept::Added);  // my prevote for v
  auto o = n.others(3);
  n.deliverVotes({o[0]}, MsgType::Prevote, 0, v.id);
  CHECK(n.out.timeoutsFor(Step::Prevote, 0) == 0);
  n.deliverVotes({o[1]}, MsgType::Prevote, 0, kNil);  // 3 of 4, split: v, v, nil
  CHECK(n.out.timeoutsFor(Step::Prevote, 0) == 1);
  CHECK(n.out.timeouts.back() == Timeout{1, 0, Step::Prevote, 1000});
  n.deliverVotes({o[2]}, MsgType::Prevote, 0, kNil);
  CHECK(n.out.timeoutsFor(Step::Prevote, 0) == 1);
  CHECK(n.out.sent(MsgType::Precommit).empty());
  n.tm->onTimeout(1, 0, Step::Prevote);  // line 61
  REQUIRE(n.out.sent(MsgType::Precommit).size() == 1);
  CHECK(n.out.sent(MsgType::Precommit)[0].blockHash == kNil);
}

TEST_CASE("tendermint line 36: lock on 2f+1 prevotes for the proposal") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0}));
  n.start();
  const Value v = textValue(1, "v");

  SUBCASE("at the prevote step: lock, precommit, remember as valid") {
    n.lockOn(0, v);
    CHECK(n.tm->lockedValue() == v.id);
    CHECK(n.tm->validValue() == v.id);
    CHECK(n.tm->validRound() == 0);
    CHECK(n.tm->step() == Step::Precommit);
    REQUIRE(n.out.sent(MsgType::Precommit).size() == 1);
    CHECK(n.out.sent(MsgType::Precommit)[0].blockHash == v.id);
  }
  SUBCASE("at the precommit step: only the valid value moves") {
    REQUIRE(n.deliver(n.proposal(0, v)) == Accept::Added);
    n.tm->onTimeout(1, 0, Step::Prevote);  // precommit nil
    n.deliverVotes(n.others(2), MsgType::Prevote, 0, v.id);
    CHECK(n.tm->lockedRound() == kNilRound);
    CHECK(n.tm->validValue() == v.id);
    CHECK(n.tm->validRound() == 0);
    REQUIRE(n.out.sent(MsgType::Precommit).size() == 1);
    CHECK(n.out.sent(MsgType::Precommit)[0].blockHash == kNil);
  }
  SUBCASE("the proposal may come after the prevotes") {
    n.tm->onTimeout(1, 0, Step::Propose);  // prevote nil
    n.deliverVotes(n.others(3), MsgType::Prevote, 0, v.id);
    CHECK(n.out.sent(MsgType::Precommit).empty());
    REQUIRE(n.deliver(n.proposal(0, v)) == Accept::Added);
    CHECK(n.tm->lockedValue() == v.id);
    REQUIRE(n.out.sent(MsgType::Precommit).size() == 1);
    CHECK(n.out.sent(MsgType::Precommit)[0].blockHash == v.id);
  }
  SUBCASE("an equivocator's vote counts for each value it signed") {
    REQUIRE(n.deliver(n.proposal(0, v)) == Accept::Added);  // my prevote for v
    auto o = n.others(3);
    n.deliverVotes({o[0]}, MsgType::Prevote, 0, v.id);
    n.deliverVotes({o[1]}, MsgType::Prevote, 0, kNil);
    CHECK(n.tm->lockedRound() == kNilRound);
    CHECK(n.tm->onVote(n.vote(o[1], MsgType::Prevote, 0, v.id)) == Accept::Conflict);
    CHECK(n.out.evidence.size() == 1);
    CHECK(n.tm->lockedValue() == v.id);  // me, o0 and o1 signed v: 3 of 4
  }
  SUBCASE("not for an invalid value") {
    n.app.rejected.insert(v.id);
    n.tm->onTimeout(1, 0, Step::Propose);
    REQUIRE(n.deliver(n.proposal(0, v)) == Accept::Added);
    n.deliverVotes(n.others(3), MsgType::Prevote, 0, v.id);
    CHECK(n.tm->lockedRound() == kNilRound);
    CHECK(n.out.sent(MsgType::Precommit).empty());
  }
}

TEST_CASE("tendermint line 44: 2f+1 prevotes for nil make a nil precommit") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0}));
  n.start();
  n.tm->onTimeout(1, 0, Step::Propose);  // line 57: prevote nil
  REQUIRE(n.lastPrevote(0) == kNil);
  n.deliverVotes(n.others(1), MsgType::Prevote, 0, kNil);
  CHECK(n.out.sent(MsgType::Precommit).empty());
  n.deliverVotes({n.others(2)[1]}, MsgType::Prevote, 0, kNil);
  REQUIRE(n.out.sent(MsgType::Precommit).size() == 1);
  CHECK(n.out.sent(MsgType::Precommit)[0].blockHash == kNil);
  CHECK(n.tm->step() == Step::Precommit);
}

// --- the precommit step and decisions ---

TEST_CASE("tendermint line 47: 2f+1 precommits of any kind schedule timeoutPrecommit once") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0, 1}));
  n.start();
  const Value v = textValue(1, "v");
  auto o = n.others(3);
  n.deliverVotes({o[0], o[1]}, MsgType::Precommit, 0, v.id);
  CHECK(n.out.timeoutsFor(Step::Precommit, 0) == 0);
  n.deliverVotes({o[2]}, MsgType::Precommit, 0, kNil);
  CHECK(n.out.timeoutsFor(Step::Precommit, 0) == 1);
  CHECK(n.out.timeouts.back() == Timeout{1, 0, Step::Precommit, 1200});
  CHECK(n.out.decisions.empty());          // no proposal seen
  n.tm->onTimeout(1, 0, Step::Precommit);  // line 65
  CHECK(n.tm->round() == 1);
  CHECK(n.tm->step() == Step::Propose);
  CHECK(n.out.timeouts.back() == Timeout{1, 1, Step::Propose, 3500});
}

TEST_CASE("tendermint line 49: decide on a proposal and 2f+1 precommits of any round") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0, 1, 2}));
  n.start();
  const Value v = textValue(1, "v");

  SUBCASE("in the current round") {
    REQUIRE(n.deliver(n.proposal(0, v)) == Accept::Added);
    n.deliverVotes(n.others(2), MsgType::Precommit, 0, v.id);
    CHECK(n.out.decisions.empty());
    n.deliverVotes({n.others(3)[2]}, MsgType::Precommit, 0, v.id);
    REQUIRE(n.out.decisions.size() == 1);
    const Decision& d = n.out.decisions[0];
    CHECK(d.height == 1);
    CHECK(d.round == 0);
    CHECK(d.value == v);
    CHECK(d.commit.sigs.size() == 3);
    CHECK(checkCommit(kChainId, n.committee.set, d.commit) == std::nullopt);
    // The next height starts from scratch with the next proposer.
    CHECK(n.tm->height() == 2);
    CHECK(n.tm->round() == 0);
    CHECK(n.tm->lockedRound() == kNilRound);
    CHECK(n.tm->validRound() == kNilRound);
    CHECK(n.tm->votes().empty());
    CHECK(n.tm->validators() == n.committee.setAt(2));
    CHECK(n.tm->proposer(0) == n.committee.setAt(2).proposer().address);
    // Messages of the decided height no longer count.
    CHECK(n.tm->onVote(n.vote(n.others(1)[0], MsgType::Prevote, 0, v.id)) == Accept::OtherHeight);
  }
  SUBCASE("in an earlier round") {
    n.timeoutRound();
    n.timeoutRound();
    REQUIRE(n.tm->round() == 2);
    n.deliverVotes(n.others(3), MsgType::Precommit, 1, v.id);
    CHECK(n.out.decisions.empty());
    REQUIRE(n.deliver(n.proposal(1, v)) == Accept::Added);
    REQUIRE(n.out.decisions.size() == 1);
    CHECK(n.out.decisions[0].round == 1);
    CHECK(n.tm->height() == 2);
  }
  SUBCASE("never an invalid value") {
    n.app.rejected.insert(v.id);
    REQUIRE(n.deliver(n.proposal(0, v)) == Accept::Added);
    n.deliverVotes(n.others(3), MsgType::Precommit, 0, v.id);
    CHECK(n.out.decisions.empty());
    CHECK(n.tm->height() == 1);
  }
  SUBCASE("a commit learnt from a peer") {
    Commit c{1, 0, v.id, {}};
    for (int w : n.others(3))
      c.sigs.push_back(
          CommitSig{n.committee.addresses[w], n.vote(w, MsgType::Precommit, 0, v.id).sig});
    Commit weak = c;
    weak.sigs.pop_back();
    CHECK(n.tm->onCommit(v, weak) == Accept::BadSignature);
    CHECK(n.tm->onCommit(textValue(1, "other"), c) == Accept::BadValue);
    CHECK(n.tm->onCommit(v, c) == Accept::Added);
    REQUIRE(n.out.decisions.size() == 1);
    CHECK(n.out.decisions[0].value == v);
    CHECK(n.tm->height() == 2);
  }
}

TEST_CASE("tendermint line 55: f+1 power in a later round skips to it") {
  // Powers 1, 1, 1, 3 (total 6): f+1 means more than 2.
  const std::vector<uint64_t> powers{1, 1, 1, 3};
  const int me = Node::nonProposer(powers, {0, 1, 3, 5});
  REQUIRE(me != 3);
  Node n(powers, me);
  n.start();
  std::vector<int> small;
  for (int i = 0; i < 3; ++i)
    if (i != me) small.push_back(i);
  SUBCASE("small validators add up") {
    n.deliverVotes(small, MsgType::Prevote, 3, kNil);  // power 2: not more than 1/3
    CHECK(n.tm->round() == 0);
    n.deliverVotes({3}, MsgType::Precommit, 3, kNil);  // power 5
    CHECK(n.tm->round() == 3);
    CHECK(n.tm->step() == Step::Propose);
    CHECK(n.out.timeouts.back() == Timeout{1, 3, Step::Propose, 4500});
  }
  SUBCASE("one heavy validator suffices") {
    n.deliverVotes({3}, MsgType::Prevote, 5, kNil);
    CHECK(n.tm->round() == 5);
  }
  SUBCASE("not to an earlier round") {
    n.timeoutRound();
    n.timeoutRound();
    n.deliverVotes({3}, MsgType::Prevote, 1, kNil);
    CHECK(n.tm->round() == 2);
  }
}

TEST_CASE("tendermint timeouts: linear in the round, stale ones ignored") {
  TimeoutSchedule s{250, 100};
  CHECK(s.at(0) == 250);
  CHECK(s.at(1) == 350);
  CHECK(s.at(10) == 1250);
  CHECK(TimeoutSchedule{1, UINT64_MAX / 2}.at(4) == UINT64_MAX);  // saturates

  Node n(kEqual4, Node::nonProposer(kEqual4, {0, 1, 2}));
  n.start();
  n.timeoutRound();
  n.timeoutRound();
  CHECK(n.out.timeouts.back() == Timeout{1, 2, Step::Propose, 4000});
  const auto before = n.out.votes.size();
  n.tm->onTimeout(1, 1, Step::Propose);  // an old round
  n.tm->onTimeout(2, 2, Step::Propose);  // another height
  n.tm->onTimeout(1, 2, Step::Prevote);  // not at that step yet
  CHECK(n.out.votes.size() == before);
  CHECK(n.tm->round() == 2);
  CHECK(n.tm->step() == Step::Propose);
  n.tm->onTimeout(1, 2, Step::Propose);
  CHECK(n.lastPrevote(2) == kNil);
  n.tm->onTimeout(1, 2, Step::Propose);  // repeated: still one prevote
  CHECK(n.out.sent(MsgType::Prevote).size() == 3);
}

// --- proposer rotation ---

TEST_CASE("proposer rotation matches CometBFT's reference sequence") {
  // CometBFT types/validator_set_test.go TestProposerSelection1: foo 1000, bar 300, baz 330.
  // Addresses keep the byte order of the names (bar < baz < foo).
  auto named = [](std::string_view name, uint64_t power) {
    Address a;
    std::copy(name.begin(), name.end(), a.bytes.begin());
    return Validator{a, power, 0};
  };
  ValidatorSet set({named("foo", 1000), named("bar", 300), named("baz", 330)});
  std::string seq;
  for (int i = 0; i < 99; ++i) {
    const Address& a = set.proposer().address;
    seq += (seq.empty() ? "" : " ") + std::string(reinterpret_cast<const char*>(a.data()), 3);
    set.incrementProposerPriority(1);
  }
  CHECK(
      seq ==
      "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo foo baz "
      "foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar "
      "foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz foo bar foo foo baz foo bar "
      "foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz "
      "foo foo bar foo baz foo foo");
}

TEST_CASE("proposer rotation: frequencies follow power, identical on every node") {
  SUBCASE("CometBFT TestProposerSelection2: powers 4, 5, 3 over 120 heights") {
    std::vector<Validator> vals;
    for (uint8_t i = 0; i < 3; ++i) {
      Address a;
      a.bytes[19] = i;
      vals.push_back(Validator{a, std::array<uint64_t, 3>{4, 5, 3}[i], 0});
    }
    ValidatorSet set(vals);
    std::array<int, 3> count{};
    for (int h = 0; h < 120; ++h) {
      ++count[set.proposer().address.bytes[19]];
      set.incrementProposerPriority(1);
    }
    CHECK(count == std::array<int, 3>{40, 50, 30});
  }
  SUBCASE("unequal powers over many heights") {
    const std::vector<uint64_t> powers{1, 2, 3, 7, 12, 25};
    Committee c(powers);
    const uint64_t total = 50, heights = 5000;
    std::map<Address, uint64_t> count;
    ValidatorSet set = c.set;
    for (uint64_t h = 0; h < heights; ++h) {
      ++count[set.proposer().address];
      set.incrementProposerPriority(1);
    }
    for (std::size_t i = 0; i < powers.size(); ++i) {
      const int64_t expected = int64_t(heights * powers[i] / total);
      CAPTURE(i);
      CHECK(std::llabs(int64_t(count[c.addresses[i]]) - expected) <= 1);
    }
  }
  SUBCASE("deterministic: member order and path do not matter") {
    Committee c({3, 1, 4, 1, 5, 9, 2});
    std::vector<Validator> reversed(c.set.members().rbegin(), c.set.members().rend());
    for (auto& v : reversed) v.priority = 0;
    ValidatorSet other(reversed);
    CHECK(other == c.set);
    // Round r of a height is the set incremented r times, computed in one pass or one by one.
    auto rounds = c.set.roundProposers(40);
    for (uint32_t r = 1; r < 40; ++r) CHECK(rounds[r] == c.set.incremented(r).proposer().address);
    CHECK(rounds[0] == c.set.proposer().address);
    // The machine asks the same thing.
    TextApp app;
    Recorder out;
    MemorySignLog log;
    Tendermint tm(testConfig(), 1, c.set, std::nullopt, log, app, out);
    tm.start();
    for (Round r = 0; r < 40; ++r) CHECK(tm.proposer(r) == rounds[std::size_t(r)]);
  }
  SUBCASE("priorities are rescaled and centred first") {
    auto at = [](uint8_t b, uint64_t power, int64_t prio) {
      Address a;
      a.bytes[0] = b;
      return Validator{a, power, prio};
    };
    // diff 2e12 > 2 × total = 12: divided by ceil(2e12 / 12), truncating: 5, -5, 0; average 0;
    // then +power: 6, -3, 3; the first is proposer and pays the total: 0, -3, 3.
    ValidatorSet set({at(1, 1, 1'000'000'000'000), at(2, 2, -1'000'000'000'000), at(3, 3, 0)});
    CHECK(set.proposer().address == at(1, 1, 0).address);
    CHECK(set.members()[0].priority == 0);
    CHECK(set.members()[1].priority == -3);
    CHECK(set.members()[2].priority == 3);
  }
  SUBCASE("invalid sets are refused") {
    Address a, b;
    b.bytes[0] = 1;
    CHECK_THROWS_AS(ValidatorSet(std::vector<Validator>{}), std::invalid_argument);
    CHECK_THROWS_AS(ValidatorSet({Validator{a, 0, 0}}), std::invalid_argument);
    CHECK_THROWS_AS(ValidatorSet({Validator{a, 1, 0}, Validator{a, 2, 0}}), std::invalid_argument);
    CHECK_THROWS_AS(ValidatorSet({Validator{a, kMaxTotalPower, 0}, Validator{b, 1, 0}}),
                    std::invalid_argument);
  }
}

// --- signatures and commits ---

TEST_CASE("votes and proposals: signed over chain, height, round, type and hash") {
  Committee c({1, 1, 1, 1});
  const Value v = textValue(1, "v");
  const Vote vote = Vote::sign(kChainId, MsgType::Precommit, 1, 2, v.id, c.keys[1]);
  CHECK(vote.validator == c.addresses[1]);
  CHECK(vote.verify(kChainId));
  CHECK(Vote::decode(vote.encode()) == vote);
  CHECK(Vote::decode(Vote::sign(kChainId, MsgType::Prevote, 1, 0, kNil, c.keys[0]).encode())
            .blockHash == kNil);

  SUBCASE("every signed field is covered") {
    std::vector<Vote> tampered(6, vote);
    tampered[0].type = MsgType::Prevote;
    tampered[1].height = 2;
    tampered[2].round = 3;
    tampered[3].blockHash = kNil;
    tampered[4].blockHash = textValue(1, "w").id;
    tampered[5].validator = c.addresses[2];
    for (const auto& t : tampered) CHECK_FALSE(t.verify(kChainId));
    CHECK_FALSE(vote.verify(kChainId + 1));
    Vote badSig = vote;
    badSig.sig.s += 1;
    CHECK_FALSE(badSig.verify(kChainId));
  }
  SUBCASE("the machine rejects a tampered vote and counts nothing") {
    Node n(kEqual4, Node::nonProposer(kEqual4, {0}));
    n.start();
    Vote t = n.vote(n.others(1)[0], MsgType::Prevote, 0, v.id);
    t.round = 1;
    CHECK(n.tm->onVote(t) == Accept::BadSignature);
    Vote stranger = Vote::sign(kChainId, MsgType::Prevote, 1, 0, v.id, validatorKey(99));
    CHECK(n.tm->onVote(stranger) == Accept::NotValidator);
    CHECK(n.tm->votes().empty());
  }
  SUBCASE("proposals") {
    const Proposal p = Proposal::sign(kChainId, 1, 3, 1, v.id, v.payload, c.keys[2]);
    CHECK(p.verify(kChainId));
    CHECK(Proposal::decode(p.encode()) == p);
    Proposal t = p;
    t.polRound = 0;
    CHECK_FALSE(t.verify(kChainId));
    t = p;
    t.blockHash = textValue(1, "w").id;
    CHECK_FALSE(t.verify(kChainId));
    t = p;
    t.polRound = 3;  // must be below the round
    CHECK_FALSE(t.verify(kChainId));
  }
  SUBCASE("the machine checks a proposal's value against its id, then the signature") {
    Node n(kEqual4, Node::nonProposer(kEqual4, {0}));
    n.start();
    Proposal p = n.proposal(0, v);
    Proposal wrongPayload = p;
    wrongPayload.payload = textValue(1, "w").payload;
    CHECK(n.deliver(wrongPayload) == Accept::BadValue);
    Proposal forged = p;
    forged.polRound = kNilRound;
    forged.round = 0;
    forged.sig.r += 1;
    CHECK(n.deliver(forged) == Accept::BadSignature);
    CHECK(n.out.votes.empty());
    CHECK(n.deliver(p) == Accept::Added);
    CHECK(n.deliver(p) == Accept::Duplicate);
  }
  SUBCASE("domain separation and strict decoding") {
    CHECK(signingHash(kChainId, MsgType::Prevote, 1, 0, v.id) !=
          signingHash(kChainId, MsgType::Precommit, 1, 0, v.id));
    CHECK(signingHash(kChainId, MsgType::Proposal, 1, 1, v.id, kNilRound) !=
          signingHash(kChainId, MsgType::Proposal, 1, 1, v.id, 0));
    Bytes enc = vote.encode();
    CHECK_THROWS(Vote::decode(BytesView(enc).first(enc.size() - 1)));
    Bytes extra = enc;
    extra.push_back(0x80);
    CHECK_THROWS(Vote::decode(extra));
    rlp::Encoder e;  // a vote of type "proposal"
    auto m = e.beginList();
    e.uint(uint64_t(3)).uint(uint64_t(1)).uint(uint64_t(0)).bytes({}).bytes(c.addresses[0].view());
    e.uint(uint64_t(0)).uint(uint64_t(1)).uint(uint64_t(1));
    e.endList(m);
    CHECK_THROWS(Vote::decode(e.out()));
  }
}

TEST_CASE("commit: more than 2/3 of the power in precommit signatures, verifiable by anyone") {
  // Powers 1, 2, 3, 4 (total 10): a quorum needs more than 6.66.
  Committee c({1, 2, 3, 4});
  const Value v = textValue(5, "v");
  auto sigOf = [&](int i, uint64_t height = 5, Round round = 2, Hash32 id = Hash32{}) {
    if (id.isZero()) id = v.id;
    return CommitSig{c.addresses[i],
                     Vote::sign(kChainId, MsgType::Precommit, height, round, id, c.keys[i]).sig};
  };
  Commit good{5, 2, v.id, {sigOf(1), sigOf(3), sigOf(2)}};  // 2 + 4 + 3 = 9
  CHECK(checkCommit(kChainId, c.set, good) == std::nullopt);
  CHECK(verifyCommit(kChainId, c.set, Commit::decode(good.encode())));

  Commit weak{5, 2, v.id, {sigOf(0), sigOf(1), sigOf(2)}};  // 1 + 2 + 3 = 6
  CHECK(checkCommit(kChainId, c.set, weak).value_or("").find("not more than 2/3") !=
        std::string::npos);
  Commit dup{5, 2, v.id, {sigOf(3), sigOf(3), sigOf(0)}};
  CHECK(checkCommit(kChainId, c.set, dup).value_or("").find("duplicate") != std::string::npos);
  Commit other = good;
  other.height = 6;
  CHECK_FALSE(verifyCommit(kChainId, c.set, other));
  other = good;
  other.round = 1;
  CHECK_FALSE(verifyCommit(kChainId, c.set, other));
  other = good;
  other.blockHash = textValue(5, "w").id;
  CHECK_FALSE(verifyCommit(kChainId, c.set, other));
  other = good;
  other.sigs[0].validator = c.addresses[0];  // claims another signer
  CHECK_FALSE(verifyCommit(kChainId, c.set, other));
  CHECK_FALSE(verifyCommit(kChainId + 1, c.set, good));
  Committee strangers({1, 2, 3, 4, 5});
  CHECK(verifyCommit(kChainId, strangers.set, good) == false);  // 9 of 15
  Commit prevotes = good;  // prevote signatures are not precommits
  for (auto& s : prevotes.sigs)
    s.sig = Vote::sign(kChainId, MsgType::Prevote, 5, 2, v.id, c.keys[c.indexOf(s.validator)]).sig;
  CHECK_FALSE(verifyCommit(kChainId, c.set, prevotes));
}

// --- the signing log ---

namespace {

SignRecord rec(uint64_t h, Round r, MsgType t, std::optional<Hash32> id, Round pol = kNilRound) {
  SignRecord out;
  out.height = h;
  out.round = r;
  out.type = t;
  out.blockHash = id;
  out.polRound = pol;
  return out;
}

std::size_t fileSize(const std::filesystem::path& p) {
  return std::filesystem::file_size(p);
}

void flipByte(const std::filesystem::path& p, std::size_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(std::streamoff(offset));
  char c = 0;
  f.get(c);
  f.seekp(std::streamoff(offset));
  f.put(char(c ^ 0x5a));
}

void appendRaw(const std::filesystem::path& p, const Bytes& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::app);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

TEST_CASE("signing log: one content per (height, round, type), forever") {
  const Hash32 x = keccak256("x"), y = keccak256("y");
  auto exercise = [&](SignLog& log) {
    CHECK(log.recordSign(rec(3, 1, MsgType::Prevote, x)) == SignCheck::Fresh);
    CHECK(log.recordSign(rec(3, 1, MsgType::Prevote, x)) == SignCheck::Repeat);
    CHECK(log.recordSign(rec(3, 1, MsgType::Prevote, y)) == SignCheck::Conflict);
    CHECK(log.recordSign(rec(3, 1, MsgType::Prevote, kNil)) == SignCheck::Conflict);
    CHECK(log.recordSign(rec(3, 1, MsgType::Precommit, kNil)) == SignCheck::Fresh);
    CHECK(log.recordSign(rec(3, 2, MsgType::Prevote, y)) == SignCheck::Fresh);
    CHECK(log.recordSign(rec(3, 2, MsgType::Proposal, x, 1)) == SignCheck::Fresh);
    CHECK(log.recordSign(rec(3, 2, MsgType::Proposal, x, 0)) == SignCheck::Conflict);
    CHECK(log.recordsAt(3).size() == 4);
  };
  SUBCASE("in memory") {
    MemorySignLog log;
    exercise(log);
    log.prune(4);
    CHECK(log.recordsAt(3).empty());
    CHECK(log.recordSign(rec(3, 5, MsgType::Prevote, x)) == SignCheck::Pruned);
    log.prune(2);  // never down
    CHECK(log.floor() == 4);
  }
  SUBCASE("in a file, across reopening") {
    tn::test::TempDir dir;
    const auto path = dir.path() / "sign.wal";
    {
      FileSignLog log(path);
      exercise(log);
    }
    {
      FileSignLog again(path);
      CHECK_THROWS_AS(FileSignLog{path}, std::system_error);  // one signer per log
      CHECK(again.truncatedBytes() == 0);
      CHECK(again.recordsAt(3).size() == 4);
      CHECK(again.recordSign(rec(3, 1, MsgType::Prevote, y)) == SignCheck::Conflict);
      CHECK(again.recordSign(rec(3, 2, MsgType::Proposal, x, 1)) == SignCheck::Repeat);
      again.prune(4);
    }
    FileSignLog third(path);
    CHECK(third.floor() == 4);
    CHECK(third.records().empty());
    CHECK(third.recordSign(rec(3, 1, MsgType::Prevote, y)) == SignCheck::Pruned);
  }
}

TEST_CASE("signing log file: a torn tail is cut, corruption is refused") {
  tn::test::TempDir dir;
  const auto path = dir.path() / "sign.wal";
  const Hash32 x = keccak256("x"), y = keccak256("y");
  std::size_t goodSize = 0;
  {
    FileSignLog log(path);
    CHECK(log.recordSign(rec(1, 0, MsgType::Prevote, x)) == SignCheck::Fresh);
    CHECK(log.recordSign(rec(1, 0, MsgType::Precommit, x)) == SignCheck::Fresh);
    goodSize = fileSize(path);
    CHECK(log.recordSign(rec(1, 1, MsgType::Prevote, y)) == SignCheck::Fresh);
  }
  const std::size_t fullSize = fileSize(path);
  auto recordsAfterReopen = [&] {
    FileSignLog log(path);
    return log.records().size();
  };

  SUBCASE("half a record") {
    std::filesystem::resize_file(path, fullSize - 5);
    CHECK(recordsAfterReopen() == 2);
    CHECK(fileSize(path) == goodSize);
  }
  SUBCASE("half a frame header") {
    appendRaw(path, Bytes{0x10, 0x00, 0x00});
    CHECK(recordsAfterReopen() == 3);
    CHECK(fileSize(path) == fullSize);
  }
  SUBCASE("zeros where a record was being written") {
    appendRaw(path, Bytes(64, 0));
    CHECK(recordsAfterReopen() == 3);
    CHECK(fileSize(path) == fullSize);
  }
  SUBCASE("a garbled last record") {
    flipByte(path, fullSize - 1);
    CHECK(recordsAfterReopen() == 2);
    {
      FileSignLog log(path);  // the slot is free again and appending works
      CHECK(log.recordSign(rec(1, 1, MsgType::Prevote, x)) == SignCheck::Fresh);
    }
    FileSignLog again(path);
    CHECK(again.find(1, 1, MsgType::Prevote)->blockHash == x);
  }
  SUBCASE("a garbled record with good ones after it") {
    flipByte(path, goodSize - 3);
    CHECK_THROWS_WITH_AS(FileSignLog{path}, doctest::Contains("corrupt"), std::runtime_error);
  }
  SUBCASE("not a signing log") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << "hello world, not a log";
    CHECK_THROWS_WITH_AS(FileSignLog{path}, doctest::Contains("not a signing log"),
                         std::runtime_error);
  }
  SUBCASE("shorter than the header: a torn creation, or not a signing log") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << "TNB";  // the header's start
    CHECK(recordsAfterReopen() == 0);
    CHECK(fileSize(path) == 8);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << "abc";
    CHECK_THROWS_WITH_AS(FileSignLog{path}, doctest::Contains("not a signing log"),
                         std::runtime_error);
  }
  SUBCASE("a whole record this version does not know") {
    // Framed as the log frames: 4-byte little-endian length, the body's Keccak prefix, the body.
    auto framed = [](const Bytes& body) {
      Bytes out = {uint8_t(body.size()), 0, 0, 0};
      const Hash32 sum = keccak256(body);
      out.insert(out.end(), sum.bytes.begin(), sum.bytes.begin() + 4);
      out.insert(out.end(), body.begin(), body.end());
      return out;
    };
    rlp::Encoder unknown;
    auto m = unknown.beginList();
    unknown.uint(uint64_t{9}).uint(uint64_t{1});
    unknown.endList(m);
    appendRaw(path, framed(unknown.out()));
    const std::string why = "bad record at offset " + std::to_string(fullSize) + ": unknown record";
    CHECK_THROWS_WITH_AS(FileSignLog{path}, doctest::Contains(why.c_str()), std::runtime_error);
  }
}

TEST_CASE("signing log file: compaction keeps the live records") {
  tn::test::TempDir dir;
  const auto path = dir.path() / "sign.wal";
  {
    FileSignLog log(path, 8);
    for (uint64_t h = 1; h <= 20; ++h) {
      CHECK(log.recordSign(rec(h, 0, MsgType::Prevote, keccak256(std::to_string(h)))) ==
            SignCheck::Fresh);
      log.prune(h);
    }
  }
  const std::size_t compacted = fileSize(path);
  FileSignLog log(path, 8);
  CHECK(log.floor() == 20);
  CHECK(log.records().size() == 1);
  CHECK(log.find(20, 0, MsgType::Prevote)->blockHash == keccak256("20"));
  CHECK(compacted < 20 * 60);  // far less than 20 records plus 20 floors
  CHECK_FALSE(std::filesystem::exists(dir.path() / "sign.wal.tmp"));
}

namespace {

// A validator locks on v in round 0, then its process ends.
void lockThenCrash(int me, SignLog& log, const Value& v) {
  Node before(kEqual4, me, &log);
  before.start();
  before.lockOn(0, v);
}

// Its successor resumes the lock from the log and refuses to prevote w in round 1.
void expectLockedAfterRestart(int me, SignLog& log, const Value& v, const Value& w) {
  Node after(kEqual4, me, &log);
  after.start();
  CHECK(after.tm->lockedRound() == 0);
  CHECK(after.tm->lockedValue() == v.id);
  CHECK(after.tm->step() == Step::Precommit);
  REQUIRE(after.out.sent(MsgType::Precommit).size() == 1);  // re-broadcast
  CHECK(after.out.sent(MsgType::Precommit)[0].blockHash == v.id);
  after.tm->onTimeout(1, 0, Step::Precommit);
  REQUIRE(after.deliver(after.proposal(1, w)) == Accept::Added);
  CHECK(after.lastPrevote(1) == kNil);  // an amnesic validator would prevote w here
}

}  // namespace

TEST_CASE("restart from the signing log: same round, same step, same lock, same signatures") {
  const Value v = textValue(1, "v");
  const Value w = textValue(1, "w");
  const int me = Node::nonProposer(kEqual4, {0, 1});
  MemorySignLog log;

  SUBCASE("a prevote is repeated, never replaced") {
    {
      Node before(kEqual4, me, &log);
      before.start();
      REQUIRE(before.deliver(before.proposal(0, v)) == Accept::Added);
      REQUIRE(before.lastPrevote(0) == v.id);
    }
    Node after(kEqual4, me, &log);
    after.start();
    REQUIRE(after.out.votes.size() == 1);  // re-broadcast, byte for byte
    CHECK(after.out.votes[0] ==
          Vote::sign(kChainId, MsgType::Prevote, 1, 0, v.id, after.committee.keys[me]));
    CHECK(after.tm->round() == 0);
    CHECK(after.tm->step() == Step::Prevote);
    // A different proposal or the propose timeout cannot make it prevote again.
    after.tm->onTimeout(1, 0, Step::Propose);
    CHECK(after.out.votes.size() == 1);
  }
  SUBCASE("the lock survives") {
    lockThenCrash(me, log, v);
    expectLockedAfterRestart(me, log, v, w);
  }
  SUBCASE("the lock survives in a file-backed log") {
    tn::test::TempDir dir;
    const auto path = dir.path() / "sign.wal";
    {
      FileSignLog file(path);
      lockThenCrash(me, file, v);
    }
    FileSignLog file(path);  // a new process opens the same file
    expectLockedAfterRestart(me, file, v, w);
  }
  SUBCASE("a proposer re-proposes the same value") {
    const int proposer = Node(kEqual4, 0).proposerOf(0);
    Bytes first;
    {
      Node before(kEqual4, proposer, &log);
      before.start();
      REQUIRE(before.out.proposals.size() == 1);
      first = before.out.proposals[0].payload;
    }
    Node after(kEqual4, proposer, &log);
    after.app.getValue(1);  // a fresh getValue() would now differ from the first proposal
    after.start();
    REQUIRE(after.out.proposals.size() == 1);
    CHECK(after.out.proposals[0].payload == first);
    CHECK(after.out.sent(MsgType::Prevote).size() == 1);
  }
  SUBCASE("two instances sharing one key and log never sign two values") {
    Node a(kEqual4, me, &log);
    Node b(kEqual4, me, &log);
    a.start();
    b.start();
    REQUIRE(a.deliver(a.proposal(0, v)) == Accept::Added);
    REQUIRE(b.deliver(b.proposal(0, w)) == Accept::Added);
    CHECK(a.lastPrevote(0) == v.id);
    CHECK(b.lastPrevote(0) == v.id);  // b wanted w, the log made it repeat v
  }
}

// --- evidence ---

TEST_CASE("duplicate-vote evidence: detected, self-contained and verifiable") {
  Node n(kEqual4, Node::nonProposer(kEqual4, {0}));
  n.start();
  const Value v = textValue(1, "v");
  const int bad = n.others(1)[0];
  const int good = n.others(2)[1];
  const Vote first = n.vote(bad, MsgType::Prevote, 0, v.id);
  const Vote second = n.vote(bad, MsgType::Prevote, 0, kNil);
  CHECK(n.tm->onVote(first) == Accept::Added);
  CHECK(n.tm->onVote(first) == Accept::Duplicate);
  CHECK(n.out.evidence.empty());
  CHECK(n.tm->onVote(second) == Accept::Conflict);
  CHECK(n.tm->onVote(n.vote(bad, MsgType::Prevote, 0, textValue(1, "w").id)) == Accept::Conflict);
  REQUIRE(n.out.evidence.size() == 1);  // once per validator, round and type
  const DuplicateVoteEvidence& ev = n.out.evidence[0];
  CHECK(ev.offender() == n.committee.addresses[bad]);
  CHECK(ev.a == second);  // nil sorts first
  CHECK(ev.b == first);
  CHECK(ev.check(kChainId) == std::nullopt);
  CHECK(ev.check(kChainId, n.committee.set) == std::nullopt);
  CHECK(DuplicateVoteEvidence::decode(ev.encode()).verify(kChainId));
  CHECK(DuplicateVoteEvidence::make(first, second).encode() ==
        DuplicateVoteEvidence::make(second, first).encode());
  // Kept: the first vote, and the nil one (nil can make a quorum); the vote for a value that no
  // proposal names is dropped.
  CHECK(n.tm->votes().size() == 2);

  SUBCASE("what is not evidence") {
    CHECK_FALSE(DuplicateVoteEvidence::make(first, first).verify(kChainId));
    CHECK_FALSE(DuplicateVoteEvidence::make(first, n.vote(good, MsgType::Prevote, 0, kNil))
                    .verify(kChainId));
    CHECK_FALSE(DuplicateVoteEvidence::make(first, n.vote(bad, MsgType::Prevote, 1, kNil))
                    .verify(kChainId));
    CHECK_FALSE(DuplicateVoteEvidence::make(first, n.vote(bad, MsgType::Precommit, 0, kNil))
                    .verify(kChainId));
    CHECK_FALSE(ev.verify(kChainId + 1));
    DuplicateVoteEvidence forged = ev;
    forged.b.sig.s += 2;
    CHECK_FALSE(forged.verify(kChainId));
    ValidatorSet strangers({Validator{addressOfSecret(validatorKey(50)), 1, 0}});
    CHECK(ev.check(kChainId, strangers).value_or("").find("not a validator") != std::string::npos);
  }
}
