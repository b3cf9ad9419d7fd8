// Four BftEngines over an in-memory network, each with its own chain store: blocks carry the
// parent's commit and double-sign evidence, their facts reach the modules identically on every
// node, a forged fact is refused, and the validator set follows the state from one height on.
#include "consensus/bft_engine.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "chain/rlp.hpp"
#include "consensus/vote.hpp"
#include "tests/unit/chain/test_genesis.hpp"
#include "tests/unit/chain/test_ledger.hpp"
#include "tests/unit/mutate.hpp"
#include "tests/unit/state/helpers.hpp"

using namespace tn;
using namespace tn::bft;
using namespace std::chrono_literals;
using tn::test::TestLedger;

namespace {

constexpr uint64_t kChain = 77;
constexpr std::size_t kNodes = 4;

Hash32 key(std::size_t i) {
  return keccak256("bft engine test validator " + std::to_string(i));
}

// Records each block's consensus facts in state, and from height `dropAt` on names a validator
// set without validator 3 (what staking would do when it leaves the active set).
class FactsModule final : public Module {
 public:
  std::string name() const override { return "facts"; }
  Address address() const override { return Address::fromU64(0x4000); }
  std::vector<CallDecl> calls() override { return {}; }
  void endBlock(HookContext& ctx) override {
    rlp::Encoder e;
    auto l = e.beginList();
    e.uint(uint64_t(ctx.block.parentSigners.has_value()));
    auto s = e.beginList();
    if (ctx.block.parentSigners)
      for (const Address& a : *ctx.block.parentSigners) e.bytes(a);
    e.endList(s);
    auto d = e.beginList();
    for (const DoubleSign& x : ctx.block.doubleSigns) {
      auto one = e.beginList();
      e.bytes(x.validator).uint(x.height);
      e.endList(one);
    }
    e.endList(d);
    e.endList(l);
    ctx.state.put(factsKey(ctx.block.number), e.take());
    if (ctx.block.number == kDropAt - 1) ctx.state.put(asBytes("facts/dropped"), Bytes{1});
  }
  static Bytes factsKey(uint64_t n) {
    Bytes k = toBytes("facts/");
    for (int i = 7; i >= 0; --i) k.push_back(uint8_t(n >> (8 * i)));
    return k;
  }
  static constexpr uint64_t kDropAt = 8;
};

struct Net;

struct Node {
  test::TempDir dir;
  std::shared_ptr<TestLedger> ledger = std::make_shared<TestLedger>();
  ModuleRegistry registry{ledger};
  ChainParams params;
  std::unique_ptr<Executor> executor;
  std::unique_ptr<ChainStore> chain;
  std::unique_ptr<Mempool> pool;
  std::unique_ptr<PeerNetwork> link;
  std::unique_ptr<BftEngine> engine;
};

// Delivers every message to every other node at once (the engines queue it on their threads).
struct Net {
  std::vector<std::unique_ptr<Node>> nodes;
  std::mutex mutex;
  std::set<std::size_t> cut;  // nodes that neither send nor receive
  std::map<Channel, std::vector<Bytes>> samples;  // the first few messages of each channel
  // Sees each message first (under the mutex); returning true takes it over, undelivered.
  std::function<bool(std::size_t from, std::size_t to, Channel, const Bytes&)> intercept;

  // Every engine stops before any node goes away (a failed REQUIRE leaves them running, and a
  // running engine delivers to the others).
  ~Net() {
    for (auto& n : nodes)
      if (n->engine) n->engine->stop();
  }

  void deliver(std::size_t from, std::optional<std::size_t> to, Channel c, const Bytes& payload) {
    std::lock_guard lock(mutex);
    if (samples[c].size() < 3) samples[c].push_back(payload);
    if (cut.count(from)) return;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (i == from || (to && *to != i) || cut.count(i) || !nodes[i]->engine) continue;
      if (intercept && intercept(from, i, c, payload)) continue;
      nodes[i]->engine->receive(PeerId(from), c, payload);
    }
  }
};

class Link final : public PeerNetwork {
 public:
  Link(Net& net, std::size_t self) : net_(net), self_(self) {}
  void broadcast(Channel c, Bytes payload, std::optional<PeerId> except) override {
    count(c);
    for (std::size_t i = 0; i < kNodes; ++i)
      if (i != self_ && (!except || *except != PeerId(i))) net_.deliver(self_, i, c, payload);
  }
  void send(PeerId peer, Channel c, Bytes payload) override {
    count(c);
    if (c == Channel::BlockResponse) blockResponseBytes += payload.size();
    if (c == Channel::TxRequest) {
      std::lock_guard lock(mutex);
      requested[peer] += rlp::decode(payload).items().size();
    }
    net_.deliver(self_, std::size_t(peer), c, payload);
  }
  void punish(PeerId peer, std::string reason) override {
    std::lock_guard lock(mutex);
    punished.push_back(std::to_string(peer) + ": " + reason);
  }
  std::size_t peerCount() const override { return kNodes - 1; }
  std::mutex mutex;
  std::vector<std::string> punished;
  std::map<PeerId, std::size_t> requested;  // transaction hashes asked of each peer
  // Frames this node sent (broadcast or to one peer) on the transaction channels.
  std::atomic<int> txFrames{0}, txHashFrames{0}, txRequestFrames{0};
  std::atomic<std::size_t> blockResponseBytes{0};

 private:
  void count(Channel c) {
    if (c == Channel::Tx) ++txFrames;
    if (c == Channel::TxHashes) ++txHashFrames;
    if (c == Channel::TxRequest) ++txRequestFrames;
  }
  Net& net_;
  std::size_t self_;
};

std::vector<Validator> members(std::size_t count) {
  std::vector<Validator> m;
  for (std::size_t i = 0; i < count; ++i) m.push_back(Validator{addressOfSecret(key(i)), 10, 0});
  return m;
}

void build(Net& net, bool dynamicSet, const std::function<void(BftEngineOptions&)>& tweak = {}) {
  for (std::size_t i = 0; i < kNodes; ++i) {
    auto n = std::make_unique<Node>();
    n->registry.add(std::make_shared<FactsModule>());
    n->params.chainId = kChain;
    n->params.baseFee = 1;
    n->executor = std::make_unique<Executor>(n->registry, n->params);
    n->chain = std::make_unique<ChainStore>(n->dir.path());
    EmptyState empty;
    Overlay state(empty);
    for (uint32_t k = 1; k <= 3; ++k)  // accounts for the transaction tests
      TestLedger::write(state, addressOfSecret(test::secretKey(k)), {0, U256(1'000'000'000'000)});
    test::commitTestGenesis(*n->chain, n->params, state.writes());
    n->pool = std::make_unique<Mempool>(MempoolConfig{kChain, 1000, 64, n->params.blockGasLimit});
    n->link = std::make_unique<Link>(net, i);
    BftEngineOptions o;
    o.tendermint.chainId = kChain;
    o.tendermint.propose = {400, 100};
    o.tendermint.prevote = {200, 100};
    o.tendermint.precommit = {200, 100};
    o.genesisValidators = ValidatorSet(members(kNodes));
    o.validatorKey = key(i);
    o.signLogPath = n->dir.path() / "signlog.wal";
    o.commitDelay = 20ms;
    if (dynamicSet)
      o.validatorSource = [](const StateReader& s) {
        StakedValidators v;
        if (s.get(asBytes("facts/dropped"))) {
          v.since = FactsModule::kDropAt;
          v.members = members(kNodes - 1);
          v.previous = members(kNodes);
        }
        return v;
      };
    if (tweak) tweak(o);
    n->engine =
        std::make_unique<BftEngine>(*n->chain, *n->executor, *n->pool, *n->link, std::move(o));
    net.nodes.push_back(std::move(n));
  }
}

template <typename Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

uint64_t minHeight(Net& net) {
  uint64_t h = UINT64_MAX;
  for (auto& n : net.nodes) h = std::min(h, n->chain->height());
  return h;
}

void stopAll(Net& net) {
  for (auto& n : net.nodes) n->engine->stop();
}

// Four engines committing, then node 0 cut off from the others: nothing commits any more, so its
// pool judges every transaction against one state. Returns node 0's engine and link.
struct IsolatedNode {
  BftEngine& engine;
  Link& link;
};
IsolatedNode startThenIsolateNode0(Net& net) {
  build(net, false);
  for (auto& n : net.nodes) n->engine->start();
  REQUIRE(waitFor([&] { return minHeight(net) >= 2; }));
  std::lock_guard lock(net.mutex);
  net.cut = {1, 2, 3};
  return {*net.nodes[0]->engine, static_cast<Link&>(*net.nodes[0]->link)};
}

Transaction transfer(uint32_t keyNo, uint64_t nonce, uint64_t chainId = kChain) {
  Transaction t;
  t.type = Transaction::Type::DynamicFee;
  t.chainId = chainId;
  t.nonce = nonce;
  t.maxPriorityFeePerGas = 1;
  t.maxFeePerGas = 10;
  t.gasLimit = 21000;
  t.to = Address::fromU64(0xbeef);
  t.value = 1;
  t.sign(test::secretKey(keyNo));
  return t;
}

// An RLP list of byte strings: a transaction batch or a hash list.
Bytes batch(const std::vector<Bytes>& items) {
  rlp::Encoder e;
  auto l = e.beginList();
  for (const Bytes& r : items) e.bytes(r);
  e.endList(l);
  return e.take();
}

}  // namespace

TEST_CASE("bft engine: blocks carry the parent commit and evidence; facts agree on every node") {
  Net net;
  build(net, false);
  for (auto& n : net.nodes) n->engine->start();
  REQUIRE(waitFor([&] { return minHeight(net) >= 3; }));

  // Validator 3 signed two prevotes at height 1: the evidence reaches node 0 from "a peer".
  Vote a = Vote::sign(kChain, MsgType::Prevote, 1, 0, keccak256(std::string_view("x")), key(3));
  Vote b = Vote::sign(kChain, MsgType::Prevote, 1, 0, keccak256(std::string_view("y")), key(3));
  DuplicateVoteEvidence ev = DuplicateVoteEvidence::make(a, b);
  net.nodes[0]->engine->receive(PeerId(9), Channel::Evidence, ev.encode());
  // Forged evidence (a vote signed by another key than it names) punishes the sender.
  DuplicateVoteEvidence forged = ev;
  forged.b.validator = addressOfSecret(key(2));
  net.nodes[1]->engine->receive(PeerId(3), Channel::Evidence, forged.encode());

  auto includedAt = [&](Node& n) -> std::optional<uint64_t> {
    for (uint64_t h = 1; h <= n.chain->height(); ++h) {
      const Block block = *n.chain->block(h);
      for (const DoubleSign& d : block.consensus.doubleSigns)
        if (d == DoubleSign{addressOfSecret(key(3)), 1}) return h;
    }
    return std::nullopt;
  };
  REQUIRE(waitFor([&] { return includedAt(*net.nodes[0]).has_value(); }));
  const uint64_t at = *includedAt(*net.nodes[0]);
  REQUIRE(waitFor([&] { return minHeight(net) >= at + 3; }));
  stopAll(net);

  // Included once, in one block, identical on every node; the evidence pool forgets it.
  for (auto& n : net.nodes) CHECK(includedAt(*n) == at);
  std::size_t times = 0;
  for (uint64_t h = 1; h <= net.nodes[0]->chain->height(); ++h)
    times += net.nodes[0]->chain->block(h)->consensus.doubleSigns.size();
  CHECK(times == 1);
  {
    auto& l = static_cast<Link&>(*net.nodes[1]->link);
    std::lock_guard lock(l.mutex);
    REQUIRE(l.punished.size() >= 1);
    CHECK(l.punished[0].find("invalid evidence") != std::string::npos);
  }

  const uint64_t top = minHeight(net);
  for (uint64_t h = 1; h <= top; ++h) {
    Block b0 = *net.nodes[0]->chain->block(h);
    // Height 1 has no parent commit; from 2 on the signers are exactly the parent commit's.
    CHECK(b0.consensus.parentSigners.has_value() == (h >= 2));
    if (h >= 2) {
      Commit parent = Commit::decode(b0.consensus.lastCommit);
      CHECK(parent.height == h - 1);
      CHECK(parent.blockHash == net.nodes[0]->chain->header(h - 1)->hash());
      CHECK(b0.consensus.parentSigners->size() == parent.sigs.size());
      CHECK(b0.consensus.parentSigners->size() >= 3);  // > 2/3 of four equal powers
    }
    const Hash32 ch = b0.consensus.hash();
    CHECK(b0.header.extraData ==
          (b0.consensus.empty() ? Bytes{} : Bytes(ch.data(), ch.data() + 32)));
    for (auto& n : net.nodes) {
      CHECK(n->chain->header(h)->hash() == b0.header.hash());
      CHECK(*n->chain->state()->get(FactsModule::factsKey(h)) ==
            *net.nodes[0]->chain->state()->get(FactsModule::factsKey(h)));
    }
  }
}

TEST_CASE(
    "bft engine: a precommit that arrives after the quorum is recorded in the next block's parent "
    "commit") {
  // Node 3's precommits reach the others 60 ms late: nodes 0-2 (30 of 40) decide without them.
  // The commit delay (300 ms) leaves time for them to arrive before the next proposal is built.
  Net net;
  struct Late {
    std::chrono::steady_clock::time_point due;
    std::size_t to;
    Bytes payload;
  };
  std::mutex lateMutex;
  std::deque<Late> late;
  bool stopping = false;
  net.intercept = [&](std::size_t from, std::size_t to, Channel c, const Bytes& payload) {
    if (from != 3 || c != Channel::Vote || Vote::decode(payload).type != MsgType::Precommit)
      return false;
    std::lock_guard lock(lateMutex);
    if (!stopping) late.push_back({std::chrono::steady_clock::now() + 60ms, to, payload});
    return true;
  };
  int forged = 0;
  std::thread deliverer([&] {
    for (;;) {
      std::optional<Late> next;
      {
        std::lock_guard lock(lateMutex);
        if (stopping) return;
        if (!late.empty() && late.front().due <= std::chrono::steady_clock::now()) {
          next = std::move(late.front());
          late.pop_front();
        }
      }
      if (next) {
        // Node 0 also gets a forged copy first (another S: it recovers to someone else), from
        // peer 9: a late precommit is checked like any vote, and its sender punished.
        if (next->to == 0 && forged++ < 3) {
          Vote v = Vote::decode(next->payload);
          v.sig.s -= 1;
          net.nodes[0]->engine->receive(PeerId(9), Channel::Vote, v.encode());
        }
        net.nodes[next->to]->engine->receive(PeerId(3), Channel::Vote, next->payload);
      } else
        std::this_thread::sleep_for(2ms);
    }
  });
  build(net, false, [](BftEngineOptions& o) { o.commitDelay = 300ms; });
  for (auto& n : net.nodes) n->engine->start();
  const bool reached = waitFor([&] { return minHeight(net) >= 12; }, 60s);
  {
    std::lock_guard lock(lateMutex);
    stopping = true;
  }
  deliverer.join();
  stopAll(net);
  REQUIRE(reached);

  const Address slow = addressOfSecret(key(3));
  const uint64_t top = minHeight(net);
  std::size_t recorded = 0, stored = 0;
  for (uint64_t h = 2; h <= top; ++h) {
    const Block b = *net.nodes[0]->chain->block(h);
    REQUIRE(b.consensus.parentSigners.has_value());
    const std::vector<Address>& signers = *b.consensus.parentSigners;
    recorded += std::count(signers.begin(), signers.end(), slow);
    // What node 0 stored for block h - 1 when it decided: the quorum, which node 3 was late for
    // unless it proposed.
    const Commit own = Commit::decode(net.nodes[0]->chain->block(h - 1)->commit);
    for (const CommitSig& sig : own.sigs) stored += sig.validator == slow;
  }
  const uint64_t blocks = top - 1;
  INFO("node 3 recorded as a signer in " << recorded << " of " << blocks
                                         << " parent commits; in node 0's own certificates "
                                         << stored);
  // Without late precommits node 3 would be recorded only where its own certificate was used (when
  // it proposed, about a quarter of the blocks): it is recorded in (nearly) all of them.
  CHECK(recorded + 1 >= blocks);
  CHECK(stored < blocks);  // the delay did hold node 3 back from the quorum
  {
    auto& l = static_cast<Link&>(*net.nodes[0]->link);
    std::lock_guard lock(l.mutex);
    REQUIRE(!l.punished.empty());
    for (const std::string& why : l.punished) {
      CHECK(why.starts_with("9: vote at height "));
      CHECK(why.find("bad signature") != std::string::npos);
    }
  }
}

TEST_CASE("bft engine: consensus facts must follow from their proofs") {
  Net net;
  build(net, false);
  for (auto& n : net.nodes) n->engine->start();
  REQUIRE(waitFor([&] { return minHeight(net) >= 3; }));
  stopAll(net);
  ChainStore& chain = *net.nodes[0]->chain;
  const ValidatorSet set(members(kNodes));
  const Hash32 parent = chain.header(2)->hash();
  const ConsensusData good = chain.block(3)->consensus;
  CHECK(checkConsensusData(kChain, 3, parent, set, good) == std::nullopt);
  CHECK(checkConsensusData(kChain, 1, parent, set, ConsensusData{}) == std::nullopt);

  auto refused = [&](const ConsensusData& d, const char* why, uint64_t height = 3) {
    auto r = checkConsensusData(kChain, height, parent, set, d);
    REQUIRE_MESSAGE(r.has_value(), why);
    CHECK_MESSAGE(r->find(why) != std::string::npos, *r << " / wanted: " << std::string(why));
  };
  ConsensusData d = good;
  d.parentSigners->pop_back();  // hides a signer: its downtime would count
  refused(d, "signers do not match");
  d = good;
  d.parentSigners->push_back(addressOfSecret(key(7)));
  refused(d, "signers do not match");
  d = good;
  d.parentSigners.reset();
  refused(d, "no commit of its parent");
  refused(good, "another block", 4);  // not the parent's commit
  CHECK(checkConsensusData(kChain, 3, chain.header(1)->hash(), set, good).has_value());
  std::vector<Validator> strangers;  // a commit by the wrong validator set
  for (std::size_t i = 4; i < 8; ++i)
    strangers.push_back(Validator{addressOfSecret(key(i)), 10, 0});
  auto r = checkConsensusData(kChain, 3, parent, ValidatorSet(strangers), good);
  REQUIRE(r.has_value());
  CHECK(r->find("parent commit:") != std::string::npos);
  ConsensusData first;
  first.lastCommit = good.lastCommit;
  refused(first, "block 1 cannot carry", 1);

  Vote a = Vote::sign(kChain, MsgType::Precommit, 2, 0, keccak256(std::string_view("x")), key(1));
  Vote b = Vote::sign(kChain, MsgType::Precommit, 2, 0, std::nullopt, key(1));
  DuplicateVoteEvidence ev = DuplicateVoteEvidence::make(a, b);
  d = good;
  d.evidence = {ev.encode()};
  d.doubleSigns = {DoubleSign{addressOfSecret(key(1)), 2}};
  CHECK(checkConsensusData(kChain, 3, parent, set, d) == std::nullopt);
  ConsensusData wrong = d;
  wrong.doubleSigns[0].validator = addressOfSecret(key(2));  // slashes someone else
  refused(wrong, "does not match its evidence");
  wrong = d;
  wrong.doubleSigns.clear();  // hides the offence
  refused(wrong, "do not match the evidence");
  wrong = d;
  wrong.evidence.push_back(ev.encode());
  wrong.doubleSigns.push_back(d.doubleSigns[0]);
  refused(wrong, "duplicate evidence");
  Vote c3 = Vote::sign(kChain, MsgType::Precommit, 3, 0, keccak256(std::string_view("x")), key(1));
  Vote d3 = Vote::sign(kChain, MsgType::Precommit, 3, 0, std::nullopt, key(1));
  wrong = d;
  wrong.evidence = {DuplicateVoteEvidence::make(c3, d3).encode()};
  wrong.doubleSigns = {DoubleSign{addressOfSecret(key(1)), 3}};
  refused(wrong, "out of range");  // evidence of the block's own height
  DuplicateVoteEvidence bad = ev;
  bad.b.validator = addressOfSecret(key(2));
  wrong = d;
  wrong.evidence = {bad.encode()};
  refused(wrong, "evidence:");
}

TEST_CASE("bft engine: a proposer's invalid blocks are refused, and the others go on without it") {
  // Node 1 is Byzantine: each of its proposals reaches the others altered and signed again with
  // its key, alternately (a) with a block time an hour ahead, a block that would otherwise execute,
  // and (b) with a transactions root its transactions do not have.
  auto unixNow = [] {
    return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
  };
  Net net;
  std::map<std::pair<uint64_t, Round>, Bytes> altered;  // the same forgery to every node
  std::size_t futureBlocks = 0, wrongRoots = 0;
  net.intercept = [&](std::size_t from, std::size_t to, Channel c, const Bytes& payload) {
    if (from != 1 || c != Channel::Proposal) return false;
    const Proposal p = Proposal::decode(payload);
    if (p.proposer != addressOfSecret(key(1))) return false;  // relays another's proposal
    auto [it, fresh] = altered.try_emplace({p.height, p.round});
    if (fresh) {
      Block b = Block::decode(p.payload);
      if (altered.size() % 2) {
        b.header.timestamp = unixNow() + 3600;
        ++futureBlocks;
      } else {
        b.header.transactionsRoot = keccak256(std::string_view("not these transactions"));
        ++wrongRoots;
      }
      it->second = Proposal::sign(kChain, p.height, p.round, p.polRound, b.header.hash(),
                                  b.encode(false), key(1))
                       .encode();
    }
    net.nodes[to]->engine->receive(PeerId(1), c, it->second);
    return true;
  };
  build(net, false);
  for (auto& n : net.nodes) n->engine->start();
  const bool reached = waitFor([&] { return minHeight(net) >= 9; }, 60s);
  stopAll(net);
  REQUIRE(reached);
  CHECK(futureBlocks >= 1);
  CHECK(wrongRoots >= 1);

  const Address byzantine = addressOfSecret(key(1));
  const uint64_t top = minHeight(net);
  for (uint64_t h = 1; h <= top; ++h) {
    const Block b = *net.nodes[0]->chain->block(h);
    CAPTURE(h);
    CHECK(b.header.proposer != byzantine);  // each of its rounds failed; another proposer's won
    CHECK(b.header.timestamp <= unixNow() + 10);
    for (std::size_t i = 1; i < kNodes; ++i)
      CHECK(net.nodes[i]->chain->header(h)->hash() == b.header.hash());
  }
  // (b) is an offence the sender answers for: the proposal does not match its own block hash.
  auto& l = static_cast<Link&>(*net.nodes[0]->link);
  std::lock_guard lock(l.mutex);
  CHECK(std::any_of(l.punished.begin(), l.punished.end(), [](const std::string& why) {
    return why.starts_with("1: proposal at height ") && why.ends_with(": bad value");
  }));
}

TEST_CASE("bft engine: the validator set follows the state from the height it names") {
  Net net;
  build(net, true);
  for (auto& n : net.nodes) n->engine->start();
  REQUIRE(waitFor([&] { return minHeight(net) >= FactsModule::kDropAt + 4; }));
  // Validator 3 leaves: the network goes on without it.
  {
    std::lock_guard lock(net.mutex);
    net.cut.insert(3);
  }
  const uint64_t h0 = minHeight(net);
  auto live = [&] {
    uint64_t h = UINT64_MAX;
    for (std::size_t i = 0; i < 3; ++i) h = std::min(h, net.nodes[i]->chain->height());
    return h;
  };
  REQUIRE(waitFor([&] { return live() >= h0 + 3; }));
  ConsensusSnapshot s = net.nodes[0]->engine->snapshot();
  CHECK(s.validators.size() == 3);
  stopAll(net);
  for (uint64_t h = FactsModule::kDropAt + 1; h <= live(); ++h) {
    Block b = *net.nodes[0]->chain->block(h);
    CHECK(b.header.proposer != addressOfSecret(key(3)));
    // The parent commits count only the three remaining validators.
    for (const Address& a : *b.consensus.parentSigners) CHECK(a != addressOfSecret(key(3)));
  }
}

TEST_CASE(
    "bft engine: transactions are pushed in batches, relayed by hash and fetched; malformed lists "
    "punish their sender") {
  Net net;
  build(net, false);
  for (auto& n : net.nodes) n->engine->start();
  REQUIRE(waitFor([&] { return minHeight(net) >= 2; }));

  // 30 transfers of one sender, one of them twice, and one of an unfunded sender (refused by the
  // pool, which is not an offence of the relaying peer).
  std::vector<Bytes> raws;
  for (uint64_t n = 0; n < 30; ++n) raws.push_back(transfer(1, n).raw);
  raws.push_back(raws[3]);
  raws.push_back(transfer(9, 0).raw);
  // Nodes 2 and 3 cut off: no quorum, so nothing commits and node 1 can only get the
  // transactions by fetching what node 0 announces.
  {
    std::lock_guard lock(net.mutex);
    net.cut = {2, 3};
  }
  net.nodes[0]->engine->receive(PeerId(9), Channel::Tx, batch(raws));
  auto& l0 = static_cast<Link&>(*net.nodes[0]->link);
  auto& l1 = static_cast<Link&>(*net.nodes[1]->link);
  REQUIRE(waitFor([&] { return net.nodes[1]->pool->size() == 30; }));
  // Node 0 announced what it admitted in one hash list and answered node 1's one request with one
  // batch; node 1 announced in turn and pushed nothing whole that it got from a peer.
  CHECK(l0.txHashFrames.load() == 1);
  CHECK(l0.txFrames.load() == 1);
  CHECK(l0.txRequestFrames.load() == 0);
  CHECK(l1.txRequestFrames.load() == 1);
  CHECK(l1.txHashFrames.load() == 1);
  CHECK(l1.txFrames.load() == 0);
  {
    std::lock_guard lock(l0.mutex);
    CHECK(l0.punished.empty());  // a refused transaction is not the relaying peer's offence
  }
  {
    std::lock_guard lock(net.mutex);
    net.cut.clear();
  }

  const Address sender = addressOfSecret(test::secretKey(1));
  REQUIRE(waitFor([&] {
    for (auto& n : net.nodes)
      if (TestLedger::read(*n->chain->state(), sender).nonce != 30) return false;
    return true;
  }));
  for (auto& n : net.nodes) {
    CHECK(TestLedger::read(*n->chain->state(), addressOfSecret(test::secretKey(2))).nonce == 0);
    CHECK(TestLedger::read(*n->chain->state(), Address::fromU64(0xbeef)).balance == 30);
  }
  // Not a list, an empty batch, an item that is not a transaction: the sending peer is punished.
  net.nodes[1]->engine->receive(PeerId(5), Channel::Tx, Bytes{0x82, 0x01, 0x02});
  net.nodes[1]->engine->receive(PeerId(6), Channel::Tx, batch({}));
  net.nodes[1]->engine->receive(PeerId(7), Channel::Tx, batch({toBytes("not a transaction")}));
  // Hash lists (announcements and requests): empty, an item that is not 32 bytes, too many.
  net.nodes[1]->engine->receive(PeerId(5), Channel::TxHashes, batch({}));
  net.nodes[1]->engine->receive(PeerId(6), Channel::TxRequest, batch({toBytes("short")}));
  net.nodes[1]->engine->receive(
      PeerId(7), Channel::TxHashes,
      batch(std::vector<Bytes>(kMaxTxHashesPerMessage + 1, Bytes(32, 0x11))));
  REQUIRE(waitFor([&] {
    std::lock_guard lock(l1.mutex);
    return l1.punished.size() >= 6;
  }));
  stopAll(net);
  std::lock_guard lock(l1.mutex);
  REQUIRE(l1.punished.size() == 6);
  for (const std::string& why : l1.punished)
    CHECK(why.find("malformed message") != std::string::npos);
}

TEST_CASE(
    "bft engine: a peer's transaction with a bad signature or another chain id is an offence; a "
    "refused transaction sent again costs no second recovery") {
  Net net;
  auto [engine, link] = startThenIsolateNode0(net);
  // The engine handles its queue in order: once a malformed Status from a fresh peer id is
  // punished, everything sent before it was handled.
  PeerId marker = 100;
  auto settle = [&] {
    const PeerId id = marker++;
    engine.receive(id, Channel::Status, Bytes{0x01});
    REQUIRE(waitFor([&] {
      std::lock_guard lock(link.mutex);
      return !link.punished.empty() && link.punished.back().starts_with(std::to_string(id) + ": ");
    }));
    return engine.snapshot().peerTxs;
  };
  auto punishedPeers = [&] {  // every punishment but the markers'
    std::lock_guard lock(link.mutex);
    std::vector<std::string> offenders;
    for (const std::string& why : link.punished)
      if (std::stoull(why) < 100) offenders.push_back(why);
    return offenders;
  };
  const PeerTxStats start = settle();

  // An unfunded sender's transfer, sent 50 times: refused each time, recovered once.
  const Bytes unfunded = batch({transfer(9, 0).raw});
  for (int i = 0; i < 50; ++i) engine.receive(PeerId(5), Channel::Tx, unfunded);
  PeerTxStats s = settle();
  CHECK(s.received - start.received == 50);
  CHECK(s.refused - start.refused == 50);
  CHECK(s.recovered - start.recovered == 1);
  CHECK(s.admitted == start.admitted);
  // A valid transfer, sent twice: admitted once, then known (not recovered again).
  const Transaction good = transfer(1, 0);
  engine.receive(PeerId(5), Channel::Tx, batch({good.raw}));
  engine.receive(PeerId(5), Channel::Tx, batch({good.raw}));
  PeerTxStats t = settle();
  CHECK(t.admitted - s.admitted == 1);
  CHECK(t.known - s.known == 1);
  CHECK(t.recovered - s.recovered == 1);
  CHECK(net.nodes[0]->pool->contains(good.hash));
  CHECK(punishedPeers().empty());  // refusals and repeats are no offence

  // Peer 8 sends more new transfers the pool refuses (an unfunded sender's) than its allowance:
  // that batch is recovered and refused whole, overdrawing the allowance, and its next batch is
  // dropped unrecovered, an admissible transfer included, which another peer still delivers.
  const uint64_t burst = BftEngineOptions{}.refusedTxBurst;
  std::vector<Bytes> flood;
  for (uint64_t nonce = 1; nonce <= burst + 44; ++nonce) flood.push_back(transfer(9, nonce).raw);
  const Transaction admissible = transfer(2, 0);
  engine.receive(PeerId(8), Channel::Tx, batch(flood));
  engine.receive(PeerId(8), Channel::Tx, batch({transfer(9, burst + 45).raw, admissible.raw}));
  PeerTxStats v = settle();
  CHECK(v.recovered - t.recovered == burst + 44);
  CHECK(v.refused - t.refused == burst + 44);
  CHECK(v.throttled - t.throttled == 2);
  CHECK_FALSE(net.nodes[0]->pool->contains(admissible.hash));
  engine.receive(PeerId(5), Channel::Tx, batch({admissible.raw}));
  t = settle();
  CHECK(t.admitted - v.admitted == 1);
  CHECK(net.nodes[0]->pool->contains(admissible.hash));
  CHECK(punishedPeers().empty());

  // Peer 11 sends a transaction the pool holds, over and over: no offence, but each costs a
  // decode and a hash, so each takes a sixteenth of a refusal from its allowance; once that is
  // used up, its frames are dropped undecoded.
  const std::size_t repeats = burst * 16 + 2000;
  const Bytes pooled = batch({good.raw});
  for (std::size_t i = 0; i < repeats; ++i) engine.receive(PeerId(11), Channel::Tx, pooled);
  v = settle();
  CHECK(v.received - t.received == repeats);
  CHECK(v.known - t.known >= burst * 16);   // the allowance (and what refilled meanwhile)
  CHECK(v.throttled - t.throttled >= 500);  // the rest, undecoded (1,024 refill in a second)
  CHECK(v.known - t.known + v.throttled - t.throttled == repeats);
  CHECK(v.recovered == t.recovered);
  CHECK(punishedPeers().empty());
  t = v;

  // A broken signature in a batch: the sender is punished and the batch dropped, its valid
  // transaction included. Another chain's transaction: punished before any recovery.
  Transaction broken = transfer(2, 0);
  broken.s = 0;  // out of range: recovery fails
  const Transaction other = transfer(3, 0);
  engine.receive(PeerId(6), Channel::Tx, batch({other.raw, broken.encode()}));
  engine.receive(PeerId(7), Channel::Tx, batch({transfer(3, 1, kChain + 1).raw}));
  PeerTxStats u = settle();
  CHECK(u.recovered - t.recovered == 2);
  CHECK(u.admitted == t.admitted);
  CHECK_FALSE(net.nodes[0]->pool->contains(other.hash));
  stopAll(net);
  const auto offenders = punishedPeers();
  REQUIRE(offenders.size() == 2);
  CHECK(offenders[0].starts_with("6: transaction "));
  CHECK(offenders[0].find("with an invalid signature") != std::string::npos);
  CHECK(offenders[1].starts_with("7: transaction "));
  CHECK(offenders[1].find("of chain id 78") != std::string::npos);
}

TEST_CASE(
    "bft engine: peer messages received and not yet handled are counted; past maxInboxBytes the "
    "inbox is full (the p2p host then stops reading), and handling empties it") {
  Net net;
  build(net, false);
  BftEngine& engine = *net.nodes[0]->engine;  // not started yet: nothing is handled
  engine.receive(9, Channel::Status, Bytes(1000, 0));
  engine.receive(9, Channel::Tx, Bytes(2000, 0));
  CHECK(engine.inboxBytes() == 3000);
  CHECK_FALSE(engine.inboxFull());
  engine.receive(9, Channel::Tx, Bytes(BftEngineOptions{}.maxInboxBytes - 3000, 0));
  CHECK(engine.inboxFull());
  for (auto& n : net.nodes) n->engine->start();
  CHECK(waitFor([&] { return engine.inboxBytes() == 0; }));
  CHECK_FALSE(engine.inboxFull());
  auto& link = static_cast<Link&>(*net.nodes[0]->link);
  {
    std::lock_guard lock(link.mutex);
    CHECK(link.punished.size() == 3);  // handled: each was malformed
  }
  stopAll(net);
}

// Four engines with the given serving allowances, committing, then node 0 cut off from the others
// so that it answers "peers" of the test alone.
struct ServingNode {
  Net net;
  BftEngine* engine = nullptr;
  Link* link = nullptr;
  Bytes askBlock2;  // a BlockRequest for block 2
  std::size_t block2Bytes = 0;

  ServingNode(uint64_t perConnection, uint64_t total) {
    build(net, false, [&](BftEngineOptions& o) {
      o.serveBurstBytes = perConnection;
      o.serveBytesPerSecond = 1024;
      o.serveTotalBurstBytes = total;
      o.serveTotalBytesPerSecond = 1024;
    });
    for (auto& n : net.nodes) n->engine->start();
    REQUIRE(waitFor([&] { return minHeight(net) >= 3; }));
    {
      std::lock_guard lock(net.mutex);
      net.cut = {1, 2, 3};
    }
    engine = net.nodes[0]->engine.get();
    link = static_cast<Link*>(net.nodes[0]->link.get());
    block2Bytes = net.nodes[0]->chain->block(2)->encode(false).size();
    rlp::Encoder request;
    auto r = request.beginList();
    request.uint(uint64_t{2});
    request.endList(r);
    askBlock2 = request.take();
  }
  // The engine handles its queue in order: a malformed Status from a fresh peer id, once
  // punished, shows that everything before it was handled.
  void settle(PeerId marker) {
    engine->receive(marker, Channel::Status, Bytes{0x01});
    REQUIRE(waitFor([&] {
      std::lock_guard lock(link->mutex);
      return !link->punished.empty() &&
             link->punished.back().starts_with(std::to_string(marker) + ": ");
    }));
  }
  std::size_t punishments() {
    std::lock_guard lock(link->mutex);
    return link->punished.size();
  }
};

TEST_CASE(
    "bft engine: a peer's block and transaction requests and its announcements are served up to "
    "its allowance of bytes, then go unanswered or unread; another peer is still served") {
  constexpr uint64_t kBurst = 8 * 1024;
  ServingNode node(kBurst, 64u << 20);
  BftEngine& engine = *node.engine;
  Link& link = *node.link;
  const std::size_t blockBytes = node.block2Bytes;
  const std::size_t before = link.blockResponseBytes;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) engine.receive(PeerId(9), Channel::BlockRequest, node.askBlock2);
  node.settle(100);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t served = link.blockResponseBytes - before;
  CHECK(served >= kBurst);  // answered until the allowance went negative
  CHECK(served <= kBurst + blockBytes + std::size_t(1024 * seconds) + blockBytes);
  CHECK(served < 200 * blockBytes);  // the rest unanswered
  // Another connection has its own allowance.
  const std::size_t before10 = link.blockResponseBytes;
  engine.receive(PeerId(10), Channel::BlockRequest, node.askBlock2);
  node.settle(101);
  CHECK(link.blockResponseBytes - before10 == blockBytes);

  // Transaction requests cost 32 bytes a hash plus the answer: a pooled transfer asked for over
  // and over is sent until peer 11's allowance is spent.
  const Transaction pooled = transfer(1, 0);
  engine.receive(PeerId(5), Channel::Tx, batch({pooled.raw}));
  node.settle(102);
  REQUIRE(node.net.nodes[0]->pool->contains(pooled.hash));
  const Bytes askTx = batch({Bytes(pooled.hash.data(), pooled.hash.data() + 32)});
  const std::size_t perAnswer = 32 + pooled.raw.size();
  const int framesBefore = link.txFrames;
  for (int i = 0; i < 200; ++i) engine.receive(PeerId(11), Channel::TxRequest, askTx);
  node.settle(103);
  const std::size_t answers = std::size_t(link.txFrames - framesBefore);
  CHECK(answers >= kBurst / perAnswer);
  CHECK(answers < 200);

  // Announcements cost 32 bytes a hash: of 600 new hashes announced one by one, peer 12 is asked
  // for those read before its allowance was spent (256, and what refilled meanwhile).
  for (int i = 0; i < 600; ++i) {
    const Hash32 h = keccak256("announced " + std::to_string(i));
    engine.receive(PeerId(12), Channel::TxHashes, batch({Bytes(h.data(), h.data() + 32)}));
  }
  node.settle(104);
  auto askedOf12 = [&] {
    std::lock_guard lock(link.mutex);
    return link.requested[PeerId(12)];
  };
  REQUIRE(waitFor([&] { return askedOf12() > 0; }));
  std::this_thread::sleep_for(300ms);  // the fetch goes out in one round
  CHECK(askedOf12() >= kBurst / 32);
  CHECK(askedOf12() < 600);
  // Only the markers: unanswered requests and unread announcements are no offence.
  CHECK(node.punishments() == 5);
  stopAll(node.net);
}

TEST_CASE(
    "bft engine: the serving allowance of all connections together caps what many connections "
    "can ask for") {
  constexpr uint64_t kTotal = 8 * 1024;
  ServingNode node(64u << 20, kTotal);
  Link& link = *node.link;
  const std::size_t before = link.blockResponseBytes;
  const auto start = std::chrono::steady_clock::now();
  // 20 connections, each far within its own allowance.
  for (int i = 0; i < 200; ++i)
    node.engine->receive(PeerId(20 + i % 20), Channel::BlockRequest, node.askBlock2);
  node.settle(100);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t served = link.blockResponseBytes - before;
  CHECK(served >= kTotal);
  CHECK(served <= kTotal + node.block2Bytes + std::size_t(1024 * seconds) + node.block2Bytes);
  const PeerRequestStats counted = node.engine->snapshot().peerRequests;  // tn_getConsensusState
  CHECK(counted.served == served / node.block2Bytes);
  CHECK(counted.served + counted.unserved == 200);
  CHECK(node.punishments() == 1);  // the marker only
  stopAll(node.net);
}

TEST_CASE("token bucket: starts full, may be overdrawn, refills at its rate up to its burst") {
  using namespace std::chrono_literals;
  const auto t0 = TokenBucket::Clock::time_point{} + 1000s;
  TokenBucket b(4, 2, t0);  // 4 at once, 2 per second
  CHECK(b.available(t0));
  b.take(5);  // one into debt
  CHECK_FALSE(b.available(t0));
  CHECK_FALSE(b.available(t0 + 499ms));  // 0.998 earned: still -1
  CHECK_FALSE(b.available(t0 + 500ms));  // 1 earned: 0
  CHECK_FALSE(b.available(t0 + 999ms));  // the half token from 500 ms on is kept, not lost
  CHECK(b.available(t0 + 1000ms));       // 1
  CHECK(b.available(t0 + 100s));         // capped at 4
  b.take(4);
  CHECK_FALSE(b.available(t0 + 100s + 499ms));
  CHECK(b.available(t0 + 100s + 500ms));
  TokenBucket full(4, 2, t0);  // time spent full earns nothing
  CHECK(full.available(t0 + 60s));
  full.take(4);
  CHECK_FALSE(full.available(t0 + 60s + 400ms));
  TokenBucket never(3, 0, t0);  // no refill
  never.take(3);
  CHECK_FALSE(never.available(t0 + 3600s));
  CHECK(never.availableAt() == TokenBucket::Clock::time_point::max());

  // When it will be available again: the debt plus one token, at its rate.
  TokenBucket owing(4, 2, t0);
  CHECK(owing.availableAt() == t0);
  owing.take(7);  // -3: four tokens to earn, 2 s
  CHECK(owing.availableAt() == t0 + 2s);
  CHECK_FALSE(owing.available(t0 + 1999ms));
  CHECK(owing.available(owing.availableAt()));

  // A fast bucket left partly empty for long: 2^40 ns at 2^24 per second is 2^64, which
  // overflowed the product of elapsed time and rate to 0 tokens earned.
  constexpr uint64_t kMiB = 1u << 20;
  TokenBucket fast(32 * kMiB, 16 * kMiB, t0);
  fast.take(kMiB);
  const auto later = t0 + std::chrono::nanoseconds(uint64_t(1) << 40);
  CHECK(fast.available(later));
  fast.take(32 * kMiB - 1);  // full again, so one token is left
  CHECK(fast.available(later));
  fast.take(1);
  CHECK_FALSE(fast.available(later));

  // A debt whose time to earn, in nanoseconds, is beyond 2^64 / 10^9 tokens.
  TokenBucket deep(4, 1000, t0);
  deep.take(20'000'000'004);  // -2e10: 2e7 s and one token's millisecond to be positive again
  CHECK(deep.availableAt() == t0 + 20'000'000s + 1ms);
  CHECK_FALSE(deep.available(t0 + 20'000'000s));
  CHECK(deep.available(t0 + 20'000'000s + 1ms));
}

TEST_CASE(
    "bft engine: a peer announcing transactions it never delivers uses up its own quota, never an "
    "honest peer's") {
  Net net;
  auto [engine, link] = startThenIsolateNode0(net);
  auto hashBytes = [](const Hash32& h) { return Bytes(h.data(), h.data() + 32); };
  // Peer 5 announces three full lists of hashes nobody has (more than the pool could hold).
  for (int m = 0; m < 3; ++m) {
    std::vector<Bytes> junk;
    for (std::size_t i = 0; i < kMaxTxHashesPerMessage; ++i)
      junk.push_back(hashBytes(keccak256(fmt::format("junk {} {}", m, i))));
    engine.receive(PeerId(5), Channel::TxHashes, batch(junk));
  }
  // Peer 6 then announces a transfer node 0 lacks: node 0 still asks for it, and takes it.
  const Transaction t = transfer(1, 0);
  engine.receive(PeerId(6), Channel::TxHashes, batch({hashBytes(t.hash)}));
  REQUIRE(waitFor([&] {
    std::lock_guard lock(link.mutex);
    return link.requested[6] == 1;
  }));
  engine.receive(PeerId(6), Channel::Tx, batch({t.raw}));
  REQUIRE(waitFor([&] { return net.nodes[0]->pool->contains(t.hash); }));
  stopAll(net);
  std::lock_guard lock(link.mutex);
  CHECK(link.requested[5] == kMaxTxAnnouncesPerPeer);  // the rest of its junk was ignored
  CHECK(link.punished.empty());
}

TEST_CASE(
    "bft engine: mutated messages of every channel from a hostile peer are refused or ignored; the "
    "node keeps its place in consensus") {
  Net net;
  build(net, false);
  for (auto& n : net.nodes) n->engine->start();
  REQUIRE(waitFor([&] { return minHeight(net) >= 3; }));

  // Seeds: what the network itself sent, and valid messages of the channels it did not use.
  std::map<Channel, std::vector<Bytes>> seeds;
  {
    std::lock_guard lock(net.mutex);
    seeds = net.samples;
  }
  std::vector<Bytes> raws, hashes;
  for (uint64_t n = 0; n < 3; ++n) {
    Transaction t = transfer(3, n);
    raws.push_back(t.raw);
    hashes.push_back(Bytes(t.hash.data(), t.hash.data() + 32));
  }
  seeds[Channel::Tx].push_back(batch(raws));
  seeds[Channel::TxHashes].push_back(batch(hashes));
  seeds[Channel::TxRequest].push_back(batch(hashes));
  seeds[Channel::Evidence].push_back(
      DuplicateVoteEvidence::make(
          Vote::sign(kChain, MsgType::Prevote, 2, 0, keccak256(std::string_view("x")), key(3)),
          Vote::sign(kChain, MsgType::Prevote, 2, 0, keccak256(std::string_view("y")), key(3)))
          .encode());
  rlp::Encoder request;
  auto r = request.beginList();
  request.uint(uint64_t{2});
  request.endList(r);
  seeds[Channel::BlockRequest].push_back(request.take());
  seeds[Channel::BlockResponse].push_back(net.nodes[1]->chain->block(2)->encode(false));
  for (Channel c : {Channel::Proposal, Channel::Vote, Channel::Status})
    REQUIRE_MESSAGE(!seeds[c].empty(), "the network sent no message on channel ", int(c));

  // Node 0 gets thousands of mutations from "peer 9" while consensus runs. A parser or handler
  // that threw anything but a parse error would stop its engine (and this test binary).
  const PeerId hostile = 9;
  tn::test::Mutator m(31);
  std::size_t sent = 0;
  for (const auto& [channel, messages] : seeds)
    for (const Bytes& valid : messages)
      for (int i = 0; i < 1000; ++i, ++sent)
        net.nodes[0]->engine->receive(hostile, channel, m.mutate(valid));
  // The engine works through its queue in order: once this last message from "peer 10" is
  // punished, every mutation before it has been handled.
  net.nodes[0]->engine->receive(PeerId(10), Channel::Status, Bytes{0x01});
  auto& l0 = static_cast<Link&>(*net.nodes[0]->link);
  REQUIRE(waitFor(
      [&] {
        std::lock_guard lock(l0.mutex);
        return !l0.punished.empty() && l0.punished.back().starts_with("10: ");
      },
      60s));

  // Every node, node 0 included, goes on committing: a lying status (a height far ahead) or a
  // flood of broken votes does not take node 0 out of consensus.
  const uint64_t before = net.nodes[0]->chain->height();
  REQUIRE(waitFor([&] { return minHeight(net) >= before + 3; }, 60s));
  stopAll(net);

  {
    std::lock_guard lock(l0.mutex);
    MESSAGE(sent, " mutated messages on ", seeds.size(), " channels, ", l0.punished.size(),
            " punished");
    CHECK(l0.punished.size() > sent / 2);  // most mutations are offences
    for (std::size_t i = 0; i + 1 < l0.punished.size(); ++i) {
      CAPTURE(l0.punished[i]);
      CHECK(l0.punished[i].starts_with("9: "));  // only the hostile peer, never an honest one
    }
  }
  // Node 0 relayed nothing broken: the honest nodes punished nobody.
  for (std::size_t i = 1; i < kNodes; ++i) {
    auto& l = static_cast<Link&>(*net.nodes[i]->link);
    std::lock_guard lock(l.mutex);
    CHECK_MESSAGE(l.punished.empty(), "node ", i, " punished: ", l.punished.front());
  }
  // Same chain everywhere.
  const uint64_t top = minHeight(net);
  for (uint64_t h = 1; h <= top; ++h)
    for (auto& n : net.nodes)
      CHECK(n->chain->header(h)->hash() == net.nodes[0]->chain->header(h)->hash());
}

TEST_CASE(
    "bft engine: evidence against non-validators is dropped, so a flood of it cannot crowd out "
    "real evidence") {
  Net net;
  build(net, false);
  for (auto& n : net.nodes) n->engine->start();
  REQUIRE(waitFor([&] { return minHeight(net) >= 2; }));

  // More valid-looking evidence than the pending pool holds (10 blocks' worth), each from a fresh
  // key that never was a validator, then one piece against validator 2.
  auto evidence = [](const Hash32& signer) {
    return DuplicateVoteEvidence::make(
               Vote::sign(kChain, MsgType::Prevote, 1, 0, keccak256(std::string_view("x")), signer),
               Vote::sign(kChain, MsgType::Prevote, 1, 0, keccak256(std::string_view("y")), signer))
        .encode();
  };
  const std::size_t junk = 10 * kMaxEvidencePerBlock + 20;
  for (std::size_t i = 0; i < junk; ++i)
    net.nodes[0]->engine->receive(PeerId(9), Channel::Evidence,
                                  evidence(keccak256("throwaway key " + std::to_string(i))));
  // Junk is dropped on its claimed offender alone, before its signatures are checked: a non-
  // validator's evidence with a broken signature is no offence either. Against a validator, it is.
  auto broken = [&](const Hash32& signer) {
    DuplicateVoteEvidence ev = DuplicateVoteEvidence::decode(evidence(signer));
    ev.b.sig = ev.a.sig;  // no longer b's signature
    return ev.encode();
  };
  net.nodes[0]->engine->receive(PeerId(9), Channel::Evidence,
                                broken(keccak256(std::string_view("another throwaway key"))));
  net.nodes[0]->engine->receive(PeerId(8), Channel::Evidence, broken(key(3)));
  net.nodes[0]->engine->receive(PeerId(9), Channel::Evidence, evidence(key(2)));

  const Address offender = addressOfSecret(key(2));
  auto doubleSignsIn = [](Node& n) {
    std::vector<DoubleSign> all;
    for (uint64_t h = 1; h <= n.chain->height(); ++h) {
      const Block block = *n.chain->block(h);
      all.insert(all.end(), block.consensus.doubleSigns.begin(), block.consensus.doubleSigns.end());
    }
    return all;
  };
  REQUIRE(waitFor([&] {
    for (const DoubleSign& d : doubleSignsIn(*net.nodes[1]))
      if (d.validator == offender) return true;
    return false;
  }));
  stopAll(net);
  // Only the validator's double sign reached a block; no node relayed the junk; nobody was
  // punished for it (a peer may know a validator set this node has not seen yet), only peer 8
  // for its broken evidence against validator 3.
  for (auto& n : net.nodes) {
    for (const DoubleSign& d : doubleSignsIn(*n)) CHECK(d == DoubleSign{offender, 1});
    auto& l = static_cast<Link&>(*n->link);
    std::lock_guard lock(l.mutex);
    if (n == net.nodes[0]) {
      REQUIRE(l.punished.size() == 1);
      CHECK(l.punished[0].starts_with("8: invalid evidence: "));
    } else {
      CHECK(l.punished.empty());
    }
  }
}
