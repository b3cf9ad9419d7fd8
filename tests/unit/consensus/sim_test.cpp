// A deterministic in-process simulation of a Tendermint network, in the spirit of rippled's
// consensus simulation framework (csf): simulated time, a seeded PRNG that drives message delays,
// drops, duplicates and reordering, partitions that heal, crashes with restart from the signing
// log, and Byzantine validators (< 1/3 of the power) that equivocate. Over many seeds it asserts
// safety (no two honest nodes decide differently at one height, no honest validator signs two
// values for one (height, round, type)) and, once the faults stop, liveness (every honest node
// decides the next K heights within a bound of simulated time).
//
// Rerun one seed: TN_SIM_SEEDS=<seed> or a range TN_SIM_SEEDS=<first>:<count>.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <sstream>
#include <variant>

#include "tests/unit/consensus/bft_fixtures.hpp"

using namespace tn;
using namespace tn::bft;
using namespace tn::bft::test;

namespace {

// --- simulated time ---

class Scheduler {
 public:
  using Action = std::function<void()>;

  uint64_t now() const { return now_; }
  void at(uint64_t when, Action a) { queue_.push(Event{when, seq_++, std::move(a)}); }
  void after(uint64_t delay, Action a) { at(now_ + delay, std::move(a)); }
  // Runs events in time order (first scheduled first at equal times) until done() holds or the
  // next event lies beyond `until`. Returns done().
  bool runUntil(uint64_t until, const std::function<bool()>& done) {
    while (!done()) {
      if (queue_.empty() || queue_.top().when > until) {
        now_ = std::max(now_, until);
        return false;
      }
      Event e = std::move(const_cast<Event&>(queue_.top()));
      queue_.pop();
      now_ = e.when;
      e.action();
    }
    return true;
  }

 private:
  struct Event {
    uint64_t when, seq;
    Action action;
    bool operator>(const Event& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  uint64_t now_ = 0, seq_ = 0;
};

// --- the scenario a seed stands for ---

struct Crash {
  int node;
  uint64_t at, back;
};
struct Partition {
  uint64_t from, to;
  std::vector<int> side;  // side[i]: which half node i is in
};

// How Byzantine validators equivocate. Random: each peer gets the real message or a conflicting
// one, by coin toss. Split: they collude. Per (height, round) the honest nodes are cut in two
// halves. When a colluder proposes, one half gets its proposal and the other a second value, and
// all colluders prevote and precommit the first value to the first half and the second value to
// the second: with a quorum threshold too low this decides both. When an honest node proposes,
// the colluders prevote its value to one half (nil to the other) and precommit it to a single
// honest node (nil to the rest): the pattern that lets one node decide while the others move on,
// so that only the locks stand between them and a second decision.
enum class Attack { Random, Split };

struct Scenario {
  uint64_t seed = 0;
  std::vector<uint64_t> powers;
  std::vector<bool> byzantine;
  Attack attack = Attack::Random;
  uint64_t gst = 0;           // global stabilisation time: all faults end here
  uint32_t dropPermille = 0;  // before GST
  uint32_t dupPermille = 0;
  uint64_t maxDelayMs = 1;     // before GST; after it, kDeltaMs
  std::vector<Crash> crashes;  // honest nodes only, all back by GST
  std::vector<Partition> partitions;

  static Scenario generate(uint64_t seed);
  std::string describe() const;
  uint64_t byzantinePower() const {
    uint64_t p = 0;
    for (std::size_t i = 0; i < powers.size(); ++i) p += byzantine[i] ? powers[i] : 0;
    return p;
  }
};

Scenario Scenario::generate(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&](uint64_t n) { return rng() % n; };
  Scenario s;
  s.seed = seed;
  const int n = 4 + int(below(4));
  uint64_t total = 0;
  for (int i = 0; i < n; ++i) total += s.powers.emplace_back(1 + below(10));
  s.byzantine.assign(std::size_t(n), false);
  if (below(2) == 0) {  // Byzantine validators with total power f, 3f < total
    uint64_t f = 0;
    for (uint64_t tries = 0; tries < 2 * uint64_t(n); ++tries) {
      std::size_t i = below(uint64_t(n));
      if (!s.byzantine[i] && 3 * (f + s.powers[i]) < total) {
        s.byzantine[i] = true;
        f += s.powers[i];
      }
    }
  }
  s.attack = below(2) ? Attack::Split : Attack::Random;
  s.gst = 2000 + below(4000);
  s.dropPermille = uint32_t(below(300));
  s.dupPermille = uint32_t(below(100));
  s.maxDelayMs = 5 + below(400);
  for (int i = 0; i < n; ++i) {
    if (s.byzantine[std::size_t(i)]) continue;
    uint64_t t = below(s.gst);
    while (t < s.gst && below(100) < 35) {
      uint64_t back = std::min(s.gst, t + 200 + below(2500));
      s.crashes.push_back(Crash{i, t, back});
      t = back + 100 + below(s.gst);
    }
  }
  for (uint64_t k = below(3); k > 0; --k) {
    Partition p;
    p.from = below(s.gst);
    p.to = std::min(s.gst, p.from + 300 + below(3000));
    for (int i = 0; i < n; ++i) p.side.push_back(int(below(2)));
    if (std::count(p.side.begin(), p.side.end(), 0) % n != 0) s.partitions.push_back(p);
  }
  return s;
}

std::string Scenario::describe() const {
  std::ostringstream o;
  o << "seed=" << seed << " powers=[";
  for (std::size_t i = 0; i < powers.size(); ++i)
    o << (i ? "," : "") << powers[i] << (byzantine[i] ? "(byz)" : "");
  o << "] attack=" << (attack == Attack::Split ? "split" : "random") << " gst=" << gst
    << "ms drop=" << dropPermille / 10.0 << "% dup=" << dupPermille / 10.0
    << "% maxDelay=" << maxDelayMs << "ms crashes=" << crashes.size()
    << " partitions=" << partitions.size();
  return o.str();
}

// --- the safety monitor: watches every signature and decision of honest nodes ---

class Monitor {
 public:
  Monitor(const Committee& committee, std::vector<bool> byzantine)
      : committee_(committee), byzantine_(std::move(byzantine)) {}

  void signedMessage(int node, MsgType type, uint64_t height, Round round,
                     const std::optional<Hash32>& id, Round polRound) {
    if (byzantine_[std::size_t(node)]) return;
    auto [it, fresh] =
        signed_.try_emplace(std::make_tuple(node, height, round, type), id, polRound);
    if (!fresh && it->second != std::make_pair(id, polRound))
      fail("double sign: honest node " + std::to_string(node) + " signed two " +
           std::string(name(type)) + "s at height " + std::to_string(height) + " round " +
           std::to_string(round));
  }

  void decided(int node, const Decision& d) {
    if (byzantine_[std::size_t(node)]) return;
    ++decisions_;
    auto [it, fresh] = values_.try_emplace(d.height, d.value.id);
    if (!fresh && it->second != d.value.id)
      fail("fork: node " + std::to_string(node) + " decided another value at height " +
           std::to_string(d.height));
    if (!validator_.validValue(d.height, d.value))
      fail("invalid value decided at height " + std::to_string(d.height));
    if (auto why = checkCommit(kChainId, committee_.setAt(d.height), d.commit); why)
      fail("node " + std::to_string(node) + " decided with a bad commit: " + *why);
    if (d.commit.height != d.height || d.commit.blockHash != d.value.id)
      fail("commit does not name the decision");
  }

  void evidence(int node, const DuplicateVoteEvidence& e) {
    if (byzantine_[std::size_t(node)]) return;
    ++evidence_;
    if (auto why = e.check(kChainId, committee_.setAt(e.a.height)); why)
      fail("bad evidence: " + *why);
    int who = committee_.indexOf(e.offender());
    if (who < 0 || !byzantine_[std::size_t(who)])
      fail("evidence against honest validator " + std::to_string(who));
  }

  void fail(const std::string& what) {
    if (failures.size() < 5) failures.push_back(what);
  }

  std::vector<std::string> failures;
  uint64_t decisions() const { return decisions_; }
  uint64_t evidenceCount() const { return evidence_; }

 private:
  const Committee& committee_;
  std::vector<bool> byzantine_;
  TextApp validator_;
  std::map<std::tuple<int, uint64_t, Round, MsgType>, std::pair<std::optional<Hash32>, Round>>
      signed_;
  std::map<uint64_t, Hash32> values_;
  uint64_t decisions_ = 0, evidence_ = 0;
};

// --- the network and its nodes ---

struct StatusMsg {
  uint64_t height;
};
struct CommitMsg {
  Value value;
  Commit commit;
};
using Payload = std::variant<Proposal, Vote, StatusMsg, CommitMsg>;
using Message = std::shared_ptr<const Payload>;

constexpr uint64_t kDeltaMs = 40;    // message delay bound after GST
constexpr uint64_t kGossipMs = 100;  // each node pushes its current height to a random peer
constexpr uint64_t kHeightsAfterGst = 3;
constexpr uint64_t kLivenessBoundMs = 30'000;

TendermintConfig simConfig() {
  TendermintConfig c;
  c.chainId = kChainId;
  c.propose = {300, 100};
  c.prevote = {150, 50};
  c.precommit = {150, 50};
  return c;
}

struct Stats {
  uint64_t decisions = 0, evidence = 0, crashes = 0, partitions = 0, byzantineRuns = 0;
  uint64_t messages = 0, maxLivenessMs = 0, maxHeight = 0;
  Round maxRound = 0;
};

class Sim;

class SimNode final : public Outbox {
 public:
  SimNode(Sim& sim, int index) : sim_(sim), index_(index), app_("n" + std::to_string(index)) {}

  void boot();
  void crash() {
    up_ = false;
    ++epoch_;
    tm_.reset();
  }
  void receive(int from, const Message& m);
  bool up() const { return up_; }
  uint64_t lastDecided() const { return decided_.empty() ? 0 : decided_.rbegin()->first; }
  Round round() const { return tm_ ? tm_->round() : 0; }
  // "n2@h3r19/prevote lock=r2:1a2b valid=r5:3c4d", for failure messages.
  std::string state() const {
    auto id = [](const std::optional<Hash32>& h) {
      return h ? h->hex().substr(2, 4) : std::string("nil");
    };
    std::string out = "n" + std::to_string(index_) + "@h" + std::to_string(lastDecided() + 1);
    if (!tm_) return out + " down";
    return out + "r" + std::to_string(tm_->round()) + "/" + std::string(name(tm_->step())) +
           " lock=r" + std::to_string(tm_->lockedRound()) + ":" + id(tm_->lockedValue()) +
           " valid=r" + std::to_string(tm_->validRound()) + ":" + id(tm_->validValue());
  }

  void broadcastProposal(const Proposal& p) override;
  void broadcastVote(const Vote& v) override;
  void scheduleTimeout(const Timeout& t) override;
  void decide(const Decision& d) override;
  void reportEvidence(const DuplicateVoteEvidence& e) override;

 private:
  void gossip(uint64_t epoch);

  Sim& sim_;
  int index_;
  TextApp app_;
  // The node's disk: survives crashes.
  MemorySignLog log_;
  std::map<uint64_t, CommitMsg> decided_;
  // Process state: lost in a crash.
  std::unique_ptr<Tendermint> tm_;
  uint64_t epoch_ = 0;
  bool up_ = false;
};

class Sim {
 public:
  explicit Sim(Scenario sc)
      : sc_(std::move(sc)),
        committee_(sc_.powers),
        monitor_(committee_, sc_.byzantine),
        rng_(sc_.seed ^ 0x5eed) {
    for (int i = 0; i < int(sc_.powers.size()); ++i)
      nodes_.push_back(std::make_unique<SimNode>(*this, i));
  }

  // Runs the scenario; returns the failures (empty: passed) and adds to `stats`.
  std::vector<std::string> run(Stats& stats) {
    for (auto& n : nodes_) n->boot();
    for (const Crash& c : sc_.crashes) {
      sched_.at(c.at, [this, c] {
        if (nodes_[std::size_t(c.node)]->up()) nodes_[std::size_t(c.node)]->crash();
      });
      sched_.at(c.back, [this, c] { bootIfDown(c.node); });
    }
    sched_.runUntil(sc_.gst, [] { return false; });
    for (int i = 0; i < int(nodes_.size()); ++i) bootIfDown(i);

    // Liveness: once the faults stop, every honest node decides K more heights, in bounded time.
    uint64_t base = 0;
    for (int i : honest()) base = std::max(base, nodes_[std::size_t(i)]->lastDecided());
    const uint64_t target = base + kHeightsAfterGst;
    bool live = sched_.runUntil(sc_.gst + kLivenessBoundMs, [&] {
      for (int i : honest())
        if (nodes_[std::size_t(i)]->lastDecided() < target) return false;
      return true;
    });
    if (!live) {
      std::string where;
      for (int i : honest()) where += "; " + nodes_[std::size_t(i)]->state();
      monitor_.fail("liveness: not all honest nodes decided height " + std::to_string(target) +
                    " within " + std::to_string(kLivenessBoundMs) + "ms of GST:" + where);
    }
    stats.maxLivenessMs = std::max(stats.maxLivenessMs, sched_.now() - sc_.gst);
    stats.decisions += monitor_.decisions();
    stats.evidence += monitor_.evidenceCount();
    stats.crashes += sc_.crashes.size();
    stats.partitions += sc_.partitions.size();
    stats.byzantineRuns += sc_.byzantinePower() > 0;
    stats.messages += messages_;
    stats.maxRound = std::max(stats.maxRound, maxRound_);
    stats.maxHeight = std::max(stats.maxHeight, target);
    return monitor_.failures;
  }

  // --- used by the nodes ---

  Scheduler& sched() { return sched_; }
  Monitor& monitor() { return monitor_; }
  const Committee& committee() const { return committee_; }
  RecoverCache& cache() { return cache_; }
  bool byzantine(int i) const { return sc_.byzantine[std::size_t(i)]; }
  std::size_t size() const { return nodes_.size(); }
  uint64_t random(uint64_t n) { return rng_() % n; }
  void noteRound(Round r) { maxRound_ = std::max(maxRound_, r); }

  const ValidatorSet& setAt(uint64_t height) {
    while (sets_.size() < height)
      sets_.push_back(sets_.empty() ? committee_.set : sets_.back().incremented(1));
    return sets_[height - 1];
  }

  void send(int from, int to, Message m) {
    ++messages_;
    const uint64_t now = sched_.now();
    uint64_t delay = 1 + random(kDeltaMs);
    if (now < sc_.gst) {
      for (const Partition& p : sc_.partitions)
        if (p.from <= now && now < p.to && p.side[std::size_t(from)] != p.side[std::size_t(to)])
          return;
      if (random(1000) < sc_.dropPermille) return;
      delay = 1 + random(sc_.maxDelayMs);
      if (random(1000) < sc_.dupPermille) deliver(1 + random(sc_.maxDelayMs), from, to, m);
    }
    deliver(delay, from, to, std::move(m));
  }
  void broadcast(int from, const Message& m) {
    for (int to = 0; to < int(nodes_.size()); ++to)
      if (to != from) send(from, to, m);
  }
  // A Byzantine sender: each peer gets either the real message or a conflicting one.
  void equivocate(int from, MsgType type, uint64_t height, Round round, const Message& real,
                  const Message& other) {
    for (int to = 0; to < int(nodes_.size()); ++to) {
      if (to == from) continue;
      bool getsReal =
          sc_.attack == Attack::Random ? random(2) == 1 : splitGetsReal(to, type, height, round);
      send(from, to, getsReal ? real : other);
    }
  }
  Attack attack() const { return sc_.attack; }
  // The two values a colluding proposer showed at (height, round).
  struct SplitValues {
    Hash32 first, second;
  };
  void noteSplit(uint64_t height, Round round, const SplitValues& v) {
    splits_[{height, round}] = v;
  }
  const SplitValues* findSplit(uint64_t height, Round round) const {
    auto it = splits_.find({height, round});
    return it == splits_.end() ? nullptr : &it->second;
  }

 private:
  std::vector<int> honest() const {
    std::vector<int> out;
    for (int i = 0; i < int(nodes_.size()); ++i)
      if (!sc_.byzantine[std::size_t(i)]) out.push_back(i);
    return out;
  }
  // Split attack: the same choice for every colluder at (height, round).
  bool splitGetsReal(int to, MsgType type, uint64_t height, Round round) const {
    uint64_t x = sc_.seed * 0x9e3779b97f4a7c15ULL ^ height * 0xbf58476d1ce4e5b9ULL ^
                 uint64_t(round) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    if (type != MsgType::Precommit || findSplit(height, round)) return (x >> (to % 64)) & 1;
    auto h = honest();
    return to == h[x % h.size()];
  }
  void bootIfDown(int i) {
    if (!nodes_[std::size_t(i)]->up()) nodes_[std::size_t(i)]->boot();
  }
  void deliver(uint64_t delay, int from, int to, Message m) {
    sched_.after(delay,
                 [this, from, to, m = std::move(m)] { nodes_[std::size_t(to)]->receive(from, m); });
  }

  Scenario sc_;
  Committee committee_;
  Monitor monitor_;
  std::mt19937_64 rng_;
  Scheduler sched_;
  RecoverCache cache_;
  std::vector<ValidatorSet> sets_;
  std::map<std::pair<uint64_t, Round>, SplitValues> splits_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  uint64_t messages_ = 0;
  Round maxRound_ = 0;
};

void SimNode::boot() {
  up_ = true;
  ++epoch_;
  const uint64_t height = lastDecided() + 1;
  tm_ = std::make_unique<Tendermint>(simConfig(), height, sim_.setAt(height),
                                     sim_.committee().keys[std::size_t(index_)], log_, app_, *this,
                                     &sim_.cache());
  tm_->start();
  const uint64_t e = epoch_;
  sim_.sched().after(1 + sim_.random(kGossipMs), [this, e] { gossip(e); });
}

void SimNode::gossip(uint64_t epoch) {
  if (!up_ || epoch != epoch_) return;
  int peer = int(sim_.random(sim_.size() - 1));
  if (peer >= index_) ++peer;
  sim_.send(index_, peer, std::make_shared<const Payload>(StatusMsg{tm_->height()}));
  for (auto& p : tm_->proposals())
    sim_.send(index_, peer, std::make_shared<const Payload>(std::move(p)));
  for (auto& v : tm_->votes())
    sim_.send(index_, peer, std::make_shared<const Payload>(std::move(v)));
  sim_.sched().after(kGossipMs, [this, epoch] { gossip(epoch); });
}

void SimNode::receive(int from, const Message& m) {
  if (!up_) return;
  if (const auto* p = std::get_if<Proposal>(m.get())) {
    tm_->onProposal(*p);
  } else if (const auto* v = std::get_if<Vote>(m.get())) {
    tm_->onVote(*v);
  } else if (const auto* s = std::get_if<StatusMsg>(m.get())) {
    // A peer behind us: send it the decision of its height (block sync in miniature).
    if (auto it = decided_.find(s->height); it != decided_.end() && s->height < tm_->height())
      sim_.send(index_, from, std::make_shared<const Payload>(it->second));
  } else if (const auto* c = std::get_if<CommitMsg>(m.get())) {
    tm_->onCommit(c->value, c->commit);
  }
  sim_.noteRound(tm_->round());
}

void SimNode::broadcastProposal(const Proposal& p) {
  sim_.monitor().signedMessage(index_, MsgType::Proposal, p.height, p.round, p.blockHash,
                               p.polRound);
  auto real = std::make_shared<const Payload>(p);
  if (!sim_.byzantine(index_)) return sim_.broadcast(index_, real);
  // A second proposal for the round: another value; in the random attack sometimes an invalid one.
  const bool split = sim_.attack() == Attack::Split;
  Value alt = textValue(p.height, (!split && sim_.random(4) == 0 ? "bad " : "") +
                                      std::string("byz.") + std::to_string(sim_.random(1u << 30)));
  if (split) sim_.noteSplit(p.height, p.round, {p.blockHash, alt.id});
  auto other = std::make_shared<const Payload>(
      Proposal::sign(kChainId, p.height, p.round, kNilRound, alt.id, alt.payload,
                     sim_.committee().keys[std::size_t(index_)]));
  sim_.equivocate(index_, MsgType::Proposal, p.height, p.round, real, other);
}

void SimNode::broadcastVote(const Vote& v) {
  sim_.monitor().signedMessage(index_, v.type, v.height, v.round, v.blockHash, kNilRound);
  auto real = std::make_shared<const Payload>(v);
  if (!sim_.byzantine(index_)) return sim_.broadcast(index_, real);
  const Hash32& key = sim_.committee().keys[std::size_t(index_)];
  auto signed_ = [&](const std::optional<Hash32>& id) {
    return std::make_shared<const Payload>(
        Vote::sign(kChainId, v.type, v.height, v.round, id, key));
  };
  std::optional<Hash32> alt;
  if (sim_.attack() == Attack::Random) {
    if (!v.blockHash || sim_.random(2))
      alt = keccak256("byz" + std::to_string(sim_.random(1u << 30)));
  } else if (const auto* split = sim_.findSplit(v.height, v.round)) {
    return sim_.equivocate(index_, v.type, v.height, v.round, signed_(split->first),
                           signed_(split->second));
  } else if (!v.blockHash) {
    return sim_.broadcast(index_, real);
  }
  auto other = signed_(alt);
  sim_.equivocate(index_, v.type, v.height, v.round, real, other);
}

void SimNode::scheduleTimeout(const Timeout& t) {
  const uint64_t e = epoch_;
  sim_.sched().after(t.delayMs, [this, e, t] {
    if (up_ && epoch_ == e) tm_->onTimeout(t.height, t.round, t.step);
  });
}

void SimNode::decide(const Decision& d) {
  decided_[d.height] = CommitMsg{d.value, d.commit};
  sim_.monitor().decided(index_, d);
}

void SimNode::reportEvidence(const DuplicateVoteEvidence& e) {
  sim_.monitor().evidence(index_, e);
}

// Seeds to run: TN_SIM_SEEDS=<seed> or <first>:<count>; by default 1..200.
std::pair<uint64_t, uint64_t> seedRange() {
  const char* env = std::getenv("TN_SIM_SEEDS");
  if (!env || !*env) return {1, 200};
  std::string s(env);
  auto colon = s.find(':');
  if (colon == std::string::npos) return {std::stoull(s), 1};
  return {std::stoull(s.substr(0, colon)), std::stoull(s.substr(colon + 1))};
}

}  // namespace

TEST_CASE("simulation: safety always, liveness after the faults stop, over many seeds") {
  const auto [first, count] = seedRange();
  Stats stats;
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t seed = first; seed < first + count; ++seed) {
    Scenario sc = Scenario::generate(seed);
    Sim sim(sc);
    auto failures = sim.run(stats);
    for (const auto& f : failures)
      FAIL_CHECK("simulation failed (rerun with TN_SIM_SEEDS=" << seed << "): " << sc.describe()
                                                               << ": " << f);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("simulated " << count << " seeds in " << secs << " s: " << stats.decisions
                       << " honest decisions, max height " << stats.maxHeight << ", max round "
                       << stats.maxRound << ", " << stats.crashes << " crashes, "
                       << stats.partitions << " partitions, " << stats.byzantineRuns
                       << " runs with Byzantine validators, " << stats.evidence
                       << " evidence reports, " << stats.messages << " messages, slowest "
                       << stats.maxLivenessMs << " ms from GST to the last decision");
  // The faults the test is about did happen (a run of a single seed may lack some).
  if (count >= 50) {
    CHECK(stats.crashes > 0);
    CHECK(stats.partitions > 0);
    CHECK(stats.byzantineRuns > 0);
    CHECK(stats.evidence > 0);
    CHECK(stats.maxRound > 0);
  }
}

TEST_CASE("simulation monitor: flags forks, double signs, bad commits and false evidence") {
  Committee c({1, 1, 1, 1});
  Monitor m(c, {false, false, false, true});
  const Value v = textValue(1, "v"), w = textValue(1, "w");
  auto commitFor = [&](const Value& val) {
    Commit commit{1, 0, val.id, {}};
    for (int i = 0; i < 3; ++i)
      commit.sigs.push_back(CommitSig{
          c.addresses[std::size_t(i)],
          Vote::sign(kChainId, MsgType::Precommit, 1, 0, val.id, c.keys[std::size_t(i)]).sig});
    return commit;
  };
  m.decided(0, Decision{1, 0, v, commitFor(v)});
  m.decided(1, Decision{1, 0, v, commitFor(v)});
  CHECK(m.failures.empty());
  m.decided(2, Decision{1, 0, w, commitFor(w)});
  CHECK(m.failures.size() == 1);
  m.decided(3, Decision{1, 0, w, commitFor(w)});  // Byzantine nodes are not judged
  CHECK(m.failures.size() == 1);
  Commit weak = commitFor(v);
  weak.sigs.pop_back();
  m.decided(1, Decision{1, 0, v, weak});
  CHECK(m.failures.size() == 2);

  m.signedMessage(0, MsgType::Prevote, 1, 0, v.id, kNilRound);
  m.signedMessage(0, MsgType::Prevote, 1, 0, v.id, kNilRound);
  CHECK(m.failures.size() == 2);
  m.signedMessage(0, MsgType::Prevote, 1, 0, std::nullopt, kNilRound);
  CHECK(m.failures.size() == 3);

  auto ev = [&](int who) {
    return DuplicateVoteEvidence::make(
        Vote::sign(kChainId, MsgType::Prevote, 1, 0, v.id, c.keys[std::size_t(who)]),
        Vote::sign(kChainId, MsgType::Prevote, 1, 0, w.id, c.keys[std::size_t(who)]));
  };
  m.evidence(0, ev(3));
  CHECK(m.failures.size() == 3);
  m.evidence(0, ev(1));
  CHECK(m.failures.size() == 4);
}
