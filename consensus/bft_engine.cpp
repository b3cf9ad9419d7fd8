#include "consensus/bft_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <span>
#include <utility>

#include "chain/blockbuilder.hpp"
#include "chain/recover.hpp"
#include "chain/rlp.hpp"

namespace tn::bft {

using Clock = std::chrono::steady_clock;

namespace {

// How far ahead of this node's clock a proposed block's timestamp may be.
constexpr uint64_t kMaxClockDriftSeconds = 10;

uint64_t unixNow() {
  return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

std::string shortHash(const Hash32& h) {
  return h.hex().substr(0, 12);
}

// Rejections that only a faulty or malicious sender produces (as opposed to stale or early
// messages, which honest peers send all the time).
bool isOffence(Accept a) {
  return a == Accept::Malformed || a == Accept::NotValidator || a == Accept::WrongProposer ||
         a == Accept::BadSignature || a == Accept::BadValue;
}

}  // namespace

// The machine's view of the node: blocks as values (Application) and its outputs (Outbox).
class BftEngine::Driver final : public Application, public Outbox {
 public:
  explicit Driver(BftEngine& engine) : engine_(engine) {}

  // id(v) = the block hash. The header binds the transactions through transactionsRoot, which
  // is checked here, so the hash binds the whole payload. A proposed block carries no commit.
  Hash32 valueId(BytesView payload) override {
    if (lastId && std::ranges::equal(lastId->payload, payload)) return lastId->id;
    Block block = Block::decode(payload);
    if (!block.commit.empty()) throw std::invalid_argument("a proposed block carries no commit");
    if (transactionsRoot(block.transactions) != block.header.transactionsRoot)
      throw std::invalid_argument("transactions do not match the transactions root");
    Hash32 id = block.header.hash();
    lastId = IdOf{Bytes(payload.begin(), payload.end()), id, std::move(block)};
    return id;
  }
  // The block valueId decoded for exactly this payload, if it was the last one asked: checking a
  // proposal right after its id then neither decodes nor hashes its transactions again.
  std::optional<Block> takeDecoded(const Value& value) {
    if (!lastId || !lastId->block || lastId->id != value.id || lastId->payload != value.payload)
      return std::nullopt;
    return std::exchange(lastId->block, std::nullopt);
  }
  // The proposer already knows its own block's id.
  void rememberId(Bytes payload, const Hash32& id) {
    lastId = IdOf{std::move(payload), id, std::nullopt};
  }
  Bytes getValue(uint64_t height) override { return engine_.buildProposal(height); }
  bool validValue(uint64_t height, const Value& value) override {
    return engine_.checkProposal(height, value);
  }

  void broadcastProposal(const Proposal& p) override {
    engine_.network_.broadcast(Channel::Proposal, p.encode(), std::nullopt);
  }
  void broadcastVote(const Vote& v) override {
    engine_.network_.broadcast(Channel::Vote, v.encode(), std::nullopt);
  }
  void scheduleTimeout(const Timeout& t) override {
    TimerEntry e{TimerEntry::What::Consensus, t.height, t.round, t.step};
    engine_.addTimer(std::chrono::milliseconds(std::min<uint64_t>(t.delayMs, 24ull * 3600 * 1000)),
                     e);
  }
  void decide(const Decision& d) override { engine_.commitDecision(d); }
  void reportEvidence(const DuplicateVoteEvidence& ev) override {
    std::fprintf(stderr, "consensus: validator %s signed two %s votes at height %llu round %lld\n",
                 ev.offender().checksumHex().c_str(), std::string(name(ev.a.type)).c_str(),
                 (unsigned long long)ev.a.height, (long long)ev.a.round);
    engine_.addEvidence(ev);
    engine_.network_.broadcast(Channel::Evidence, ev.encode(), std::nullopt);
  }

  // Blocks executed this height (own proposal or validated ones), by hash: decide commits them
  // without executing again.
  std::map<Hash32, SealedBlock> sealed;

 private:
  // The last payload given an id (the machine asks again for repeated and own proposals).
  struct IdOf {
    Bytes payload;
    Hash32 id;
    std::optional<Block> block;  // until checkProposal takes it
  };
  std::optional<IdOf> lastId;

  BftEngine& engine_;
};

BftEngine::BftEngine(ChainStore& chain, const Executor& executor, Mempool& mempool,
                     PeerNetwork& network, BftEngineOptions options)
    : chain_(chain),
      executor_(executor),
      mempool_(mempool),
      network_(network),
      options_(std::move(options)),
      driver_(std::make_unique<Driver>(*this)),
      refusedSenders_(mempool_.config().maxTxs),
      serveTotal_(options_.serveTotalBurstBytes, options_.serveTotalBytesPerSecond, Clock::now()) {
  if (options_.tendermint.chainId == 0) throw std::invalid_argument("bft engine: chain id not set");
  if (options_.genesisValidators.size() == 0)
    throw std::invalid_argument("bft engine: no validators");
  options_.tendermint.haltAfterDecision = true;  // the engine starts each height itself
  mempool_.trackAdded();
  mempool_.onAdded([this] {
    if (!mempoolDirty_.exchange(true)) post([this] { gossipMempool(); });
  });
}

BftEngine::~BftEngine() {
  stop();
}

void BftEngine::start() {
  if (thread_.joinable()) return;
  if (options_.validatorKey)
    signLog_ = std::make_unique<FileSignLog>(options_.signLogPath);
  else
    signLog_ = std::make_unique<MemorySignLog>();
  loadValidators();
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  post([this] { startHeight(); });
  addTimer(options_.statusInterval, TimerEntry{TimerEntry::What::Status});
  thread_ = std::thread([this] { run(); });
}

void BftEngine::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BftEngine::receive(PeerId peer, Channel channel, Bytes payload) {
  const std::size_t size = payload.size();
  inboxBytes_ += size;
  post([this, peer, channel, size, payload = std::move(payload)] {
    handle(peer, channel, payload);
    inboxBytes_ -= size;
  });
}

void BftEngine::peerConnected(PeerId peer) {
  post([this, peer] { sendStatus(peer); });
}

void BftEngine::peerDisconnected(PeerId peer) {
  post([this, peer] {
    peerHeights_.erase(peer);
    refusalAllowance_.erase(peer);
    serveAllowance_.erase(peer);
  });
}

ConsensusSnapshot BftEngine::snapshot() const {
  std::lock_guard lock(snapshotMutex_);
  return snapshot_;
}

// ------------------------------------------------------------------------------------ loop

void BftEngine::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void BftEngine::addTimer(std::chrono::milliseconds delay, TimerEntry entry) {
  {
    std::lock_guard lock(mutex_);
    timers_.emplace(Clock::now() + delay, entry);
  }
  cv_.notify_one();
}

void BftEngine::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::function<void()> task;
    std::optional<TimerEntry> timer;
    if (!tasks_.empty()) {
      task = std::move(tasks_.front());
      tasks_.pop_front();
    } else if (!timers_.empty() && timers_.begin()->first <= Clock::now()) {
      timer = timers_.begin()->second;
      timers_.erase(timers_.begin());
    } else {
      if (timers_.empty())
        cv_.wait(lock);
      else
        cv_.wait_until(lock, timers_.begin()->first);
      continue;
    }
    lock.unlock();
    try {
      if (task)
        task();
      else
        fireTimer(*timer);
    } catch (const std::exception& e) {
      // Only a broken database or executor gets here (peer input errors are handled where they
      // arise): keep the last commit and stop rather than write anything doubtful.
      std::fprintf(stderr, "fatal: consensus engine failed: %s\n", e.what());
      std::fflush(stderr);
      std::abort();
    }
    lock.lock();
  }
}

void BftEngine::fireTimer(const TimerEntry& t) {
  switch (t.what) {
    case TimerEntry::What::Consensus:
      if (machine_ && machine_->height() == t.height) {
        machine_->onTimeout(t.height, t.round, t.step);
        afterInput();
      }
      return;
    case TimerEntry::What::NextHeight:
      nextHeightScheduled_ = false;
      if (!machine_) startHeight();
      return;
    case TimerEntry::What::FetchTxs:
      fetchScheduled_ = false;
      fetchWantedTxs();
      return;
    case TimerEntry::What::Status:
      sendStatus(std::nullopt);
      regossip();
      maybeRequestBlock();
      addTimer(options_.statusInterval, TimerEntry{TimerEntry::What::Status});
      return;
  }
}

// ------------------------------------------------------------------------------------ heights

void BftEngine::startHeight() {
  uint64_t height = chain_.height() + 1;
  driver_->sealed.clear();
  machine_ = std::make_unique<Tendermint>(options_.tendermint, height, nextValidators_,
                                          options_.validatorKey, *signLog_, *driver_, *driver_,
                                          &recoverCache_);
  heightStartedAt_ = Clock::now();
  regossiped_ = false;
  machine_->start();
  // Messages that arrived early for this height (or later ones) go through again.
  auto early = std::move(buffered_);
  buffered_.clear();
  for (auto& [peer, channel, payload] : early) {
    if (machine_ && !machine_->halted())
      handleConsensusMessage(peer, channel, payload);
    else
      buffered_.emplace_back(peer, channel, std::move(payload));
  }
  afterInput();
}

void BftEngine::afterInput() {
  if (machine_ && machine_->halted()) {
    machine_.reset();
    loadValidators();
    // Catching up: no pause. Otherwise wait commitDelay for transactions to gather.
    if (bestPeerHeight() > chain_.height() || options_.commitDelay.count() == 0) {
      startHeight();
      return;
    }
    if (!nextHeightScheduled_) {
      nextHeightScheduled_ = true;
      addTimer(options_.commitDelay, TimerEntry{TimerEntry::What::NextHeight});
    }
  }
  refreshSnapshot();
}

uint64_t BftEngine::bestPeerHeight() const {
  uint64_t best = 0;
  for (const auto& [peer, h] : peerHeights_) best = std::max(best, h);
  return best;
}

// ------------------------------------------------------------------------------------ validators

ValidatorSet validatorSetAt(uint64_t height, uint64_t since,
                            const std::vector<Validator>& members) {
  std::vector<Validator> fresh;
  fresh.reserve(members.size());
  for (const Validator& v : members) fresh.push_back(Validator{v.address, v.power, 0});
  ValidatorSet set(std::move(fresh));  // priorities of height `since`
  for (uint64_t left = height > since ? height - since : 0; left > 0;) {
    uint32_t step = uint32_t(std::min<uint64_t>(left, 1u << 20));
    set.incrementProposerPriority(step);
    left -= step;
  }
  return set;
}

void BftEngine::loadValidators() {
  const uint64_t head = chain_.height();
  StakedValidators staked;
  if (options_.validatorSource) staked = options_.validatorSource(*chain_.state());
  if (staked.members.empty()) {
    staked.since = 1;
    staked.members = options_.genesisValidators.members();
    staked.previous.clear();
  }
  // Unchanged members: one more increment of the running set (no replay from `since`).
  auto sameMembers = [](const ValidatorSet& set, const std::vector<Validator>& members) {
    if (set.size() != members.size()) return false;
    for (const Validator& v : members) {
      const Validator* m = set.find(v.address);
      if (!m || m->power != v.power) return false;
    }
    return true;
  };
  if (nextValidators_.size() > 0 && staked.since <= head &&
      sameMembers(nextValidators_, staked.members) && headValidators_.size() > 0) {
    headValidators_ = nextValidators_;
    nextValidators_.incrementProposerPriority(1);
  } else {
    nextValidators_ = validatorSetAt(head + 1, staked.since, staked.members);
    if (head >= 1) {
      // The head's set: the same members unless they changed in the head block itself.
      if (staked.since <= head)
        headValidators_ = validatorSetAt(head, staked.since, staked.members);
      else if (!staked.previous.empty())
        headValidators_ = ValidatorSet(staked.previous);
      else
        headValidators_ = ValidatorSet(options_.genesisValidators.members());
    }
  }
}

void BftEngine::addEvidence(const DuplicateVoteEvidence& ev) {
  auto key = std::make_tuple(ev.offender(), ev.a.height, ev.a.round, uint8_t(ev.a.type));
  if (committedEvidence_.count(key)) return;
  if (pendingEvidence_.size() < 10 * kMaxEvidencePerBlock) pendingEvidence_.emplace(key, ev);
}

ConsensusData BftEngine::consensusDataForNextBlock() {
  ConsensusData data;
  const uint64_t height = chain_.height() + 1;
  if (height >= 2) {
    auto head = chain_.block(height - 1);
    if (!head || head->commit.empty())
      throw std::runtime_error("the head block has no stored commit");
    Commit last = Commit::decode(head->commit);
    if (headCommit_.height == height - 1 && headCommit_.blockHash == last.blockHash) {
      last.round = headCommit_.round;
      last.sigs.clear();
      for (const auto& [who, sig] : headCommit_.sigs) last.sigs.push_back(CommitSig{who, sig});
    }
    data.lastCommit = last.encode();
    std::vector<Address> signers;
    for (const CommitSig& s : last.sigs) signers.push_back(s.validator);
    std::sort(signers.begin(), signers.end());
    data.parentSigners = std::move(signers);
  }
  std::set<std::pair<Address, uint64_t>> seen;
  std::erase_if(pendingEvidence_, [&](const auto& entry) {  // too old to be included, ever
    return entry.second.a.height < height && height - entry.second.a.height > kMaxEvidenceAgeBlocks;
  });
  for (const auto& [key, ev] : pendingEvidence_) {
    if (data.evidence.size() == kMaxEvidencePerBlock) break;
    if (ev.a.height >= height) continue;
    if (!seen.insert({ev.offender(), ev.a.height}).second)
      continue;  // one per validator and height
    data.evidence.push_back(ev.encode());
    data.doubleSigns.push_back(DoubleSign{ev.offender(), ev.a.height});
  }
  return data;
}

std::optional<std::string> checkConsensusData(uint64_t chainId, uint64_t height,
                                              const Hash32& parentHash,
                                              const ValidatorSet& parentValidators,
                                              const ConsensusData& data, RecoverCache* cache) {
  if (height == 1) {
    if (!data.lastCommit.empty() || data.parentSigners)
      return "block 1 cannot carry a parent commit";
  } else {
    if (data.lastCommit.empty() || !data.parentSigners)
      return "block carries no commit of its parent";
    Commit c = Commit::decode(data.lastCommit);
    if (c.height != height - 1 || c.blockHash != parentHash)
      return "parent commit is for another block";
    if (auto why = checkCommit(chainId, parentValidators, c, cache))
      return "parent commit: " + *why;
    std::vector<Address> signers;
    for (const CommitSig& s : c.sigs) signers.push_back(s.validator);
    std::sort(signers.begin(), signers.end());
    if (signers != *data.parentSigners) return "parent signers do not match the parent commit";
  }
  if (data.evidence.size() > kMaxEvidencePerBlock) return "too much evidence in one block";
  if (data.evidence.size() != data.doubleSigns.size())
    return "double signs do not match the evidence";
  std::set<std::pair<Address, uint64_t>> seen;
  for (std::size_t i = 0; i < data.evidence.size(); ++i) {
    DuplicateVoteEvidence ev = DuplicateVoteEvidence::decode(data.evidence[i]);
    if (auto why = ev.check(chainId)) return "evidence: " + *why;
    if (ev.a.height >= height || height - ev.a.height > kMaxEvidenceAgeBlocks)
      return "evidence out of range";
    if (!seen.insert({ev.offender(), ev.a.height}).second) return "duplicate evidence";
    if (!(data.doubleSigns[i] == DoubleSign{ev.offender(), ev.a.height}))
      return "double sign does not match its evidence";
  }
  return std::nullopt;
}

// ------------------------------------------------------------------------------------ blocks

Bytes BftEngine::buildProposal(uint64_t height) {
  if (height != chain_.height() + 1)
    throw std::logic_error("proposal for a height not on the head");
  auto state = chain_.state();
  const Ledger& ledger = executor_.modules().ledger();
  std::size_t maxTxs = options_.maxTxsPerBlock;
  for (;;) {
    auto txs = mempool_.select(*state, ledger, executor_.params().baseFee,
                               executor_.params().blockGasLimit, maxTxs);
    uint64_t timestamp = std::max(unixNow(), chain_.head().timestamp);
    SealedBlock sealed =
        buildBlock(chain_, executor_, txs, timestamp, addressOfSecret(*options_.validatorKey),
                   consensusDataForNextBlock());
    Bytes payload = sealed.block.encode(false);
    // Stay well inside the frame limit (the proposal adds its own fields).
    if (payload.size() + 4096 > kMaxBlockMessageBytes && maxTxs > 1) {
      maxTxs = std::max<std::size_t>(1, sealed.block.transactions.size() / 2);
      continue;
    }
    Hash32 id = sealed.block.header.hash();
    driver_->sealed.insert_or_assign(id, std::move(sealed));
    driver_->rememberId(payload, id);
    return payload;
  }
}

bool BftEngine::checkProposal(uint64_t height, const Value& value) {
  if (driver_->sealed.count(value.id)) return true;  // our own block, or already executed
  try {
    std::optional<Block> decoded = driver_->takeDecoded(value);
    Block block = decoded ? std::move(*decoded) : Block::decode(value.payload);
    if (block.header.number != height || height != chain_.height() + 1) return false;
    // A proposer cannot push block time ahead of the validators' clocks (modules use it as "now").
    if (block.header.timestamp > unixNow() + kMaxClockDriftSeconds)
      throw std::runtime_error("timestamp " + std::to_string(block.header.timestamp) +
                               " is in the future");
    if (auto why = checkConsensusData(options_.tendermint.chainId, height, chain_.headHash(),
                                      headValidators_, block.consensus, &recoverCache_))
      throw std::runtime_error(*why);
    // A transaction the pool holds or refused (same hash: the same signed bytes) was recovered.
    std::vector<Transaction*> txs;
    for (auto& tx : block.transactions) {
      if (auto pooled = mempool_.get(tx.hash); pooled && pooled->sender) {
        tx.sender = pooled->sender;
        continue;
      }
      if (const Address* sender = refusedSenders_.find(tx.hash)) {
        tx.sender = *sender;
        continue;
      }
      txs.push_back(&tx);
    }
    for (const auto& error : recoverSenders(txs))
      if (error) return false;
    SealedBlock sealed =
        applyBlock(chain_, executor_, std::move(block));  // checks every derived root
    driver_->sealed.insert_or_assign(value.id, std::move(sealed));
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consensus: invalid block %s at height %llu: %s\n",
                 shortHash(value.id).c_str(), (unsigned long long)height, e.what());
    return false;
  }
}

void BftEngine::commitDecision(const Decision& d) {
  auto it = driver_->sealed.find(d.value.id);
  if (it == driver_->sealed.end()) {
    // The machine only decides values it found valid, which executed them; be safe anyway.
    if (!checkProposal(d.height, d.value))
      throw std::runtime_error("decided block does not execute");
    it = driver_->sealed.find(d.value.id);
  }
  SealedBlock sealed = std::move(it->second);
  driver_->sealed.clear();
  for (const Bytes& e : sealed.block.consensus.evidence) {
    DuplicateVoteEvidence ev = DuplicateVoteEvidence::decode(e);
    auto key = std::make_tuple(ev.offender(), ev.a.height, ev.a.round, uint8_t(ev.a.type));
    pendingEvidence_.erase(key);
    committedEvidence_.insert(key);
  }
  sealed.block.commit = d.commit.encode();  // stored with the block: anyone can verify it
  headCommit_ = HeadCommit{d.height, d.commit.round, d.commit.blockHash, {}};
  for (const CommitSig& s : d.commit.sigs) headCommit_.sigs.emplace(s.validator, s.sig);
  commitSealed(chain_, sealed);
  // Included transactions leave the pool; so do those the block builder found invalid.
  std::vector<const Transaction*> done;
  done.reserve(sealed.block.transactions.size() + sealed.dropped.size());
  for (const auto& tx : sealed.block.transactions) done.push_back(&tx);
  for (const auto& [tx, why] : sealed.dropped)
    if (why != kBlockFull) done.push_back(tx.get());
  auto newState = chain_.state();
  mempool_.removeCommitted(done, *newState, executor_.modules().ledger());
  if (recentlyCommitted_.size() + sealed.block.transactions.size() > mempool_.config().maxTxs) {
    previouslyCommitted_ = std::move(recentlyCommitted_);
    recentlyCommitted_.clear();
  }
  for (const auto& tx : sealed.block.transactions) {
    gossipedTxs_.erase(tx.hash);
    eraseWanted(tx.hash);
    recentlyCommitted_.insert(tx.hash);
  }
  if (sealed.block.header.number % 100 == 0 || sealed.block.transactions.size() > 0)
    std::fprintf(stderr, "consensus: committed block %llu %s (%zu txs, round %lld)\n",
                 (unsigned long long)sealed.block.header.number, shortHash(d.value.id).c_str(),
                 sealed.block.transactions.size(), (long long)d.round);
  for (const auto& l : listeners_) l(sealed.block, sealed.receipts);
  sendStatus(std::nullopt);
}

// ------------------------------------------------------------------------------------ messages

void BftEngine::handle(PeerId peer, Channel channel, const Bytes& payload) {
  try {
    switch (channel) {
      case Channel::Proposal:
      case Channel::Vote:
      case Channel::Evidence:
        handleConsensusMessage(peer, channel, payload);
        break;
      case Channel::Tx:
        handleTx(peer, payload);
        break;
      case Channel::Status:
        handleStatus(peer, payload);
        break;
      case Channel::BlockRequest:
        handleBlockRequest(peer, payload);
        break;
      case Channel::BlockResponse:
        handleBlockResponse(peer, payload);
        break;
      case Channel::TxHashes:
        handleTxHashes(peer, payload);
        break;
      case Channel::TxRequest:
        handleTxRequest(peer, payload);
        break;
    }
  } catch (const std::invalid_argument& e) {
    network_.punish(peer, std::string("malformed message: ") + e.what());
  } catch (const rlp::Error& e) {
    network_.punish(peer, std::string("malformed message: ") + e.what());
  } catch (const TxError& e) {
    network_.punish(peer, std::string("malformed message: ") + e.what());
  }
  afterInput();
}

void BftEngine::bufferForLater(PeerId peer, Channel channel, const Bytes& payload,
                               uint64_t height) {
  // Only the next height: anything further is reached through block sync.
  uint64_t next = machine_ ? machine_->height() + 1 : chain_.height() + 1;
  if (height > next || buffered_.size() >= options_.maxBufferedMessages) return;
  buffered_.emplace_back(peer, channel, payload);
}

void BftEngine::handleConsensusMessage(PeerId peer, Channel channel, const Bytes& payload) {
  if (channel == Channel::Evidence) {
    DuplicateVoteEvidence ev = DuplicateVoteEvidence::decode(payload);
    // Anyone can make valid-looking evidence with throwaway keys; only evidence against a
    // validator of the head or next height is kept and relayed, or such junk would fill the
    // bounded pending pool (crowding out real evidence) and every block. Not an offence: the
    // peer may know a set change this node has not seen yet. The filter reads only the claimed
    // offender, so junk is dropped before it costs two signature recoveries.
    if (!headValidators_.find(ev.offender()) && !nextValidators_.find(ev.offender())) return;
    if (auto why = ev.check(options_.tendermint.chainId))
      return network_.punish(peer, "invalid evidence: " + *why);
    auto key = std::make_tuple(ev.offender(), ev.a.height, ev.a.round, uint8_t(ev.a.type));
    if (pendingEvidence_.count(key) || committedEvidence_.count(key))
      return;  // known: do not relay again
    std::fprintf(stderr,
                 "consensus: evidence from a peer: validator %s double-signed at height %llu\n",
                 ev.offender().checksumHex().c_str(), (unsigned long long)ev.a.height);
    addEvidence(ev);
    network_.broadcast(Channel::Evidence, payload, peer);
    return;
  }
  uint64_t height;
  Accept verdict;
  if (channel == Channel::Proposal) {
    Proposal p = Proposal::decode(payload);
    height = p.height;
    if (!machine_ || height > machine_->height())
      return bufferForLater(peer, channel, payload, height);
    verdict = machine_->onProposal(p);
  } else {
    Vote v = Vote::decode(payload);
    height = v.height;
    if (height == headCommit_.height && height == chain_.height()) {
      // For the committed head: no machine takes it any more (none runs during the commit delay).
      verdict = addLatePrecommit(v);
    } else {
      if (!machine_ || height > machine_->height())
        return bufferForLater(peer, channel, payload, height);
      verdict = machine_->onVote(v);
    }
  }
  if (isOffence(verdict))
    return network_.punish(
        peer, fmt::format("{} at height {}: {}", channel == Channel::Proposal ? "proposal" : "vote",
                          height, name(verdict)));
  // Relay what this node took into account: peers that are not directly connected to the
  // signer get it too (each node relays a message once, the seen-set drops echoes).
  if (verdict == Accept::Added || verdict == Accept::Conflict)
    network_.broadcast(channel, payload, peer);
}

Accept BftEngine::addLatePrecommit(const Vote& v) {
  if (v.type != MsgType::Precommit || v.round != headCommit_.round || !v.blockHash ||
      *v.blockHash != headCommit_.blockHash || !headValidators_.find(v.validator))
    return Accept::OtherHeight;
  if (headCommit_.sigs.count(v.validator)) return Accept::Duplicate;
  if (!v.verify(options_.tendermint.chainId, &recoverCache_)) return Accept::BadSignature;
  headCommit_.sigs.emplace(v.validator, v.sig);
  return Accept::Added;
}

void BftEngine::handleTx(PeerId peer, const Bytes& payload) {
  auto items = rlp::decode(payload).items();  // rlp::Error: malformed
  if (items.empty()) throw std::invalid_argument("empty transaction batch");
  // In kKnownPerRefusal-ths of a refusal: a known transaction costs one, a refusal all of them.
  TokenBucket& allowance =
      refusalAllowance_
          .try_emplace(peer, options_.refusedTxBurst * kKnownPerRefusal,
                       options_.refusedTxPerSecond * kKnownPerRefusal, Clock::now())
          .first->second;
  if (!allowance.available(Clock::now())) {
    // Dropped before they cost a decode: their announcers' timeouts fetch them elsewhere.
    peerTxs_.received += items.size();
    peerTxs_.throttled += items.size();
    return;
  }
  const uint64_t chainId = mempool_.config().chainId;
  std::vector<std::shared_ptr<Transaction>> fresh;
  std::vector<Transaction*> unrecovered;
  fresh.reserve(items.size());
  for (const rlp::Item& item : items) {
    auto tx =
        std::make_shared<Transaction>(Transaction::decode(item.bytes()));  // TxError: malformed
    ++peerTxs_.received;
    if (mempool_.contains(tx->hash) || recentlyCommitted(tx->hash)) {
      ++peerTxs_.known;  // a committed one would only be refused for its nonce, after a recovery
      allowance.take(1);  // a decode and a hash: honest peers rarely send what we hold
      continue;
    }
    // A peer relays only transactions its pool admitted, and pools admit only this chain's (the
    // handshake checked that the peer is on it): anything else is the sender's own invention.
    if (tx->chainId != chainId)
      return network_.punish(
          peer, fmt::format("transaction {} of chain id {}", tx->hash.hex(), tx->chainId));
    if (const Address* sender = refusedSenders_.find(tx->hash))
      tx->sender = *sender;
    else
      unrecovered.push_back(tx.get());
    fresh.push_back(std::move(tx));
  }
  if (fresh.empty()) return;
  if (!allowance.available(Clock::now())) {
    peerTxs_.throttled += fresh.size();
    for (const auto& tx : fresh) eraseWanted(tx->hash);  // another announcer may deliver it
    return;
  }
  // One batch of signature recoveries for the new ones (the pool would recover them one by one).
  const auto errors = recoverSenders(unrecovered);
  peerTxs_.recovered += unrecovered.size();
  // Recovery is a pure function of the signed bytes, so no honest pool holds such a transaction.
  for (std::size_t i = 0; i < errors.size(); ++i)
    if (errors[i])
      return network_.punish(peer, fmt::format("transaction {} with an invalid signature: {}",
                                               unrecovered[i]->hash.hex(), *errors[i]));
  auto state = chain_.state();
  std::vector<Hash32> admitted;
  for (const auto& tx : fresh) {
    eraseWanted(tx->hash);
    try {
      mempool_.add(tx, *state, executor_.modules().ledger(), executor_.params().baseFee);
    } catch (const TxError&) {
      // A valid transaction this pool refuses (nonce, funds, ...): not an offence, since the
      // peer's view of the state may differ. Sent again, it costs no second recovery.
      ++peerTxs_.refused;
      allowance.take(kKnownPerRefusal);
      refusedSenders_.insert(tx->hash, *tx->sender);
      continue;
    }
    ++peerTxs_.admitted;
    gossipedTxs_.insert(tx->hash);
    admitted.push_back(tx->hash);
  }
  announceTxs(admitted, peer);
}

bool BftEngine::recentlyCommitted(const Hash32& hash) const {
  return recentlyCommitted_.contains(hash) || previouslyCommitted_.contains(hash);
}

TokenBucket::TokenBucket(uint64_t burst, uint64_t perSecond, Clock::time_point now)
    : burst_(static_cast<int64_t>(burst)),
      perSecond_(perSecond),
      tokens_(static_cast<int64_t>(burst)),
      refilledAt_(now) {}

namespace {

constexpr uint64_t kNanos = 1'000'000'000;

// Nanoseconds needed to earn `tokens` at `perSecond`, rounded up, and the whole tokens earned in
// `nanos`; both split into whole seconds and the rest, so that neither a large debt nor a long
// time overflows a product with 10^9 or with the rate.
uint64_t nanosToEarn(uint64_t tokens, uint64_t perSecond) {
  return tokens / perSecond * kNanos + ((tokens % perSecond) * kNanos + perSecond - 1) / perSecond;
}
uint64_t tokensEarned(uint64_t nanos, uint64_t perSecond) {
  return nanos / kNanos * perSecond + (nanos % kNanos) * perSecond / kNanos;
}

}  // namespace

bool TokenBucket::available(Clock::time_point now) {
  if (tokens_ >= burst_ || perSecond_ == 0) {
    refilledAt_ = now;  // nothing to earn: time spent full does not count
  } else if (now > refilledAt_) {
    using std::chrono::nanoseconds;
    // Whole tokens earned; the clock advances by exactly their time, keeping the remainder.
    // Time beyond what fills the bucket earns nothing (an hour at 16 MiB/s once overflowed
    // elapsed * perSecond_: 6e19 > 2^64).
    const uint64_t toFill = nanosToEarn(static_cast<uint64_t>(burst_ - tokens_), perSecond_);
    const uint64_t elapsed = std::min(static_cast<uint64_t>((now - refilledAt_).count()), toFill);
    const uint64_t earned = tokensEarned(elapsed, perSecond_);
    if (earned > 0) {
      tokens_ = std::min(burst_, tokens_ + static_cast<int64_t>(earned));
      refilledAt_ =
          tokens_ == burst_ ? now : refilledAt_ + nanoseconds(nanosToEarn(earned, perSecond_));
    }
  }
  return tokens_ > 0;
}

TokenBucket::Clock::time_point TokenBucket::availableAt() const {
  if (tokens_ > 0) return refilledAt_;
  if (perSecond_ == 0) return Clock::time_point::max();
  return refilledAt_ +
         std::chrono::nanoseconds(nanosToEarn(static_cast<uint64_t>(1 - tokens_), perSecond_));
}

const Address* RefusedSenders::find(const Hash32& hash) const {
  if (auto it = newer_.find(hash); it != newer_.end()) return &it->second;
  if (auto it = older_.find(hash); it != older_.end()) return &it->second;
  return nullptr;
}

void RefusedSenders::insert(const Hash32& hash, const Address& sender) {
  if (newer_.size() >= capacity_) older_ = std::exchange(newer_, {});
  newer_.insert_or_assign(hash, sender);
}

namespace {

Bytes encodeHashes(std::span<const Hash32> hashes) {
  rlp::Encoder e;
  auto list = e.beginList();
  for (const Hash32& h : hashes) e.bytes(h);
  e.endList(list);
  return e.take();
}

// An announcement or a request: a non-empty list of at most kMaxTxHashesPerMessage hashes.
std::vector<Hash32> decodeHashes(const Bytes& payload) {
  auto items = rlp::decode(payload).items();  // rlp::Error: malformed
  if (items.empty()) throw std::invalid_argument("empty transaction hash list");
  if (items.size() > kMaxTxHashesPerMessage)
    throw std::invalid_argument("more than " + std::to_string(kMaxTxHashesPerMessage) +
                                " transaction hashes");
  std::vector<Hash32> out;
  out.reserve(items.size());
  for (const rlp::Item& item : items) out.push_back(Hash32::fromView(item.bytes()));
  return out;
}

template <typename Send>
void inChunksOfHashes(const std::vector<Hash32>& hashes, Send&& send) {
  for (std::size_t i = 0; i < hashes.size(); i += kMaxTxHashesPerMessage) {
    std::size_t n = std::min(kMaxTxHashesPerMessage, hashes.size() - i);
    send(encodeHashes(std::span<const Hash32>(hashes.data() + i, n)));
  }
}

}  // namespace

void BftEngine::announceTxs(const std::vector<Hash32>& hashes, PeerId except) {
  inChunksOfHashes(hashes,
                   [&](Bytes m) { network_.broadcast(Channel::TxHashes, std::move(m), except); });
}

bool BftEngine::canServe(PeerId peer) {
  const auto now = Clock::now();
  const bool can =
      serveAllowance_.try_emplace(peer, options_.serveBurstBytes, options_.serveBytesPerSecond, now)
          .first->second.available(now) &&
      serveTotal_.available(now);
  ++(can ? peerRequests_.served : peerRequests_.unserved);
  return can;
}

void BftEngine::chargeServe(PeerId peer, uint64_t bytes) {
  serveAllowance_.at(peer).take(bytes);
  serveTotal_.take(bytes);
}

void BftEngine::handleTxHashes(PeerId peer, const Bytes& payload) {
  const std::vector<Hash32> hashes = decodeHashes(payload);
  if (!canServe(peer)) return;  // not an offence: unread
  chargeServe(peer, 32 * hashes.size());
  auto due = Clock::now() + kTxAnnounceWait;
  // A quota per peer rather than for all: a peer announcing junk (hashes it will not deliver)
  // uses up its own quota, never that of the honest peers.
  std::size_t& quota = announced_[peer];
  for (const Hash32& h : hashes) {
    if (mempool_.contains(h) || recentlyCommitted(h)) continue;
    if (quota >= kMaxTxAnnouncesPerPeer) break;
    auto it = wantedTxs_.find(h);
    if (it == wantedTxs_.end()) {
      wantedTxs_.emplace(h, WantedTx{{peer}, 0, due});
      ++quota;
    } else if (it->second.announcers.size() < kMaxTxAnnouncers &&
               std::find(it->second.announcers.begin(), it->second.announcers.end(), peer) ==
                   it->second.announcers.end()) {
      it->second.announcers.push_back(peer);
      ++quota;
    }
  }
  if (quota == 0) announced_.erase(peer);
  if (!wantedTxs_.empty() && !fetchScheduled_) {
    fetchScheduled_ = true;
    addTimer(kTxAnnounceWait, TimerEntry{TimerEntry::What::FetchTxs});
  }
}

BftEngine::WantedTxs::iterator BftEngine::eraseWanted(WantedTxs::iterator it) {
  for (PeerId announcer : it->second.announcers)
    if (auto q = announced_.find(announcer); q != announced_.end() && --q->second == 0)
      announced_.erase(q);
  return wantedTxs_.erase(it);
}

void BftEngine::eraseWanted(const Hash32& hash) {
  if (auto it = wantedTxs_.find(hash); it != wantedTxs_.end()) eraseWanted(it);
}

void BftEngine::fetchWantedTxs() {
  auto now = Clock::now();
  std::map<PeerId, std::vector<Hash32>> requests;
  for (auto it = wantedTxs_.begin(); it != wantedTxs_.end();) {
    WantedTx& w = it->second;
    if (mempool_.contains(it->first) || (w.due <= now && w.asked == w.announcers.size())) {
      it = eraseWanted(it);  // arrived, or every announcer was asked in vain
      continue;
    }
    if (w.due <= now) {
      requests[w.announcers[w.asked++]].push_back(it->first);
      w.due = now + kTxRequestTimeout;
    }
    ++it;
  }
  for (auto& [peer, hashes] : requests) {
    std::sort(hashes.begin(), hashes.end());  // deterministic messages
    inChunksOfHashes(
        hashes, [&, p = peer](Bytes m) { network_.send(p, Channel::TxRequest, std::move(m)); });
  }
  if (!wantedTxs_.empty()) {
    fetchScheduled_ = true;
    addTimer(kTxAnnounceWait, TimerEntry{TimerEntry::What::FetchTxs});
  }
}

void BftEngine::handleTxRequest(PeerId peer, const Bytes& payload) {
  const std::vector<Hash32> hashes = decodeHashes(payload);
  if (!canServe(peer)) return;                            // not an offence: unanswered
  std::vector<std::shared_ptr<const Transaction>> found;  // keeps the raw bytes alive
  std::size_t bytes = 0;
  for (const Hash32& h : hashes) {
    auto tx = mempool_.get(h);  // null: committed or evicted since it was announced
    if (!tx) continue;
    if (bytes + tx->raw.size() > kMaxTxResponseBytes) break;
    bytes += tx->raw.size();
    found.push_back(std::move(tx));
  }
  chargeServe(peer, 32 * hashes.size() + bytes);
  std::vector<BytesView> raws;
  raws.reserve(found.size());
  for (const auto& tx : found) raws.push_back(tx->raw);
  batchTxs(raws, [&](Bytes batch) { network_.send(peer, Channel::Tx, std::move(batch)); });
}

void BftEngine::batchTxs(const std::vector<BytesView>& raws,
                         const std::function<void(Bytes)>& sink) {
  std::size_t i = 0;
  while (i < raws.size()) {
    rlp::Encoder e;
    auto list = e.beginList();
    std::size_t bytes = 0;
    for (; i < raws.size() && (bytes == 0 || bytes + raws[i].size() <= kTxBatchTargetBytes); ++i) {
      e.bytes(raws[i]);
      bytes += raws[i].size();
    }
    e.endList(list);
    sink(e.take());
  }
}

void BftEngine::gossipMempool() {
  mempoolDirty_ = false;
  // Only what was added since the last wake-up, by sender then nonce: receivers get each
  // sender's nonces in order. Transactions that came from peers are in gossipedTxs_ already.
  auto added = mempool_.takeAdded();
  std::vector<BytesView> fresh;
  for (const auto& tx : added)
    if (gossipedTxs_.insert(tx->hash).second) fresh.push_back(tx->raw);
  batchTxs(fresh,
           [&](Bytes batch) { network_.broadcast(Channel::Tx, std::move(batch), std::nullopt); });
  if (gossipedTxs_.size() > 4 * mempool_.config().maxTxs) {
    gossipedTxs_.clear();
    for (const auto& tx : mempool_.all()) gossipedTxs_.insert(tx->hash);
  }
}

void BftEngine::sendStatus(std::optional<PeerId> to) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(chain_.height()).bytes(chain_.headHash());
  e.endList(m);
  if (to)
    network_.send(*to, Channel::Status, e.take());
  else
    network_.broadcast(Channel::Status, e.take(), std::nullopt);
}

void BftEngine::handleStatus(PeerId peer, const Bytes& payload) {
  auto items = rlp::decode(payload).items();
  if (items.size() != 2) throw std::invalid_argument("status: expected [height, headHash]");
  uint64_t height = items[0].toU64();
  Hash32::fromView(items[1].bytes());
  peerHeights_[peer] = height;
  maybeRequestBlock();
}

void BftEngine::maybeRequestBlock() {
  uint64_t want = chain_.height() + 1;
  auto now = Clock::now();
  if (syncRequest_ && syncRequest_->first == want &&
      now - syncRequest_->second < options_.syncRequestTimeout)
    return;
  std::vector<PeerId> candidates;
  for (const auto& [peer, h] : peerHeights_)
    if (h >= want) candidates.push_back(peer);
  if (candidates.empty()) return;
  // Rotate among the peers that have it, so one unresponsive peer does not stall sync.
  static thread_local std::size_t turn = 0;
  PeerId peer = candidates[turn++ % candidates.size()];
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(want);
  e.endList(m);
  network_.send(peer, Channel::BlockRequest, e.take());
  syncRequest_ = {want, now};
}

void BftEngine::handleBlockRequest(PeerId peer, const Bytes& payload) {
  auto items = rlp::decode(payload).items();
  if (items.size() != 1) throw std::invalid_argument("block request: expected [height]");
  uint64_t height = items[0].toU64();
  if (height == 0 || height > chain_.height()) return;
  if (!canServe(peer)) return;  // not an offence: unanswered
  if (auto block = chain_.block(height)) {
    Bytes answer = block->encode(false);
    chargeServe(peer, answer.size());
    network_.send(peer, Channel::BlockResponse, std::move(answer));
  }
}

void BftEngine::handleBlockResponse(PeerId peer, const Bytes& payload) {
  Block block = Block::decode(payload);
  if (block.header.number != chain_.height() + 1) return;  // stale: already have it
  if (!machine_) startHeight();                            // skip the commit pause: we are behind
  if (!machine_ || block.header.number != chain_.height() + 1) return;
  Commit commit = Commit::decode(block.commit);
  block.commit.clear();
  Value value{block.header.hash(), block.encode(false)};
  // The machine checks the commit against the height's validator set and executes the block
  // (validValue) before deciding it, exactly as for a decision reached in consensus.
  Accept verdict = machine_->onCommit(value, commit);
  syncRequest_.reset();
  if (verdict == Accept::BadSignature || verdict == Accept::BadValue)
    network_.punish(peer,
                    fmt::format("block {} with an invalid commit or content", block.header.number));
}

void BftEngine::regossip() {
  if (!machine_) return;
  auto now = Clock::now();
  if (now - heightStartedAt_ < options_.regossipAfter) return;
  heightStartedAt_ = now;  // again after another regossipAfter
  for (const auto& p : machine_->proposals())
    network_.broadcast(Channel::Proposal, p.encode(), std::nullopt);
  for (const auto& v : machine_->votes())
    network_.broadcast(Channel::Vote, v.encode(), std::nullopt);
}

void BftEngine::refreshSnapshot() {
  ConsensusSnapshot s;
  if (machine_) {
    s.height = machine_->height();
    s.round = machine_->round();
    s.step = machine_->step();
    s.lockedRound = machine_->lockedRound();
    s.lockedBlock = machine_->lockedValue();
    s.validRound = machine_->validRound();
    s.proposer = machine_->proposer(machine_->round());
    s.self = machine_->address();
    s.validators = machine_->validators().members();
  } else {
    s.height = chain_.height() + 1;
    s.validators = nextValidators_.members();
    if (nextValidators_.size() > 0) s.proposer = nextValidators_.proposer().address;  // of round 0
    if (options_.validatorKey) s.self = addressOfSecret(*options_.validatorKey);
  }
  s.bestPeerHeight = bestPeerHeight();
  s.syncing = s.bestPeerHeight > chain_.height() + 1;
  s.peerTxs = peerTxs_;
  s.peerRequests = peerRequests_;
  s.inboxBytes = inboxBytes();
  std::lock_guard lock(snapshotMutex_);
  snapshot_ = std::move(s);
}

}  // namespace tn::bft
