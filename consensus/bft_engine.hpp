// The Tendermint engine of a validator node: drives the consensus machine (tendermint.hpp) with
// real timers, the signing log on disk, the validator key, a peer network for gossip, the mempool
// for proposals and the chain store for commits; and block sync for a node that fell behind.
// It implements the same Engine interface as the dev engine. One thread runs the machine; the
// network hands messages in through receive(). See docs/CONSENSUS.md ("The engine in the node").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "chain/mempool.hpp"
#include "consensus/engine.hpp"
#include "consensus/tendermint.hpp"

namespace tn::bft {

using PeerId = uint64_t;  // a connection number given by the network, never reused

// Consensus message channels; the p2p layer uses the same numbers as frame kinds.
enum class Channel : uint8_t {
  Tx = 16,             // RLP list of raw signed transactions (gossip, batched)
  Proposal = 17,       // Proposal::encode (gossip)
  Vote = 18,           // Vote::encode (gossip)
  Evidence = 19,       // DuplicateVoteEvidence::encode (gossip)
  Status = 20,         // RLP([committedHeight, headHash]) to each peer, periodically
  BlockRequest = 21,   // RLP([height])
  BlockResponse = 22,  // Block::encode(false), with its commit
  TxHashes = 23,       // RLP list of 32-byte hashes: transactions this node admitted from a peer
  TxRequest = 24,      // RLP list of 32-byte hashes: "send me these" (answered with Tx frames)
};

// A proposal or a synced block can be no larger than this on the wire.
inline constexpr std::size_t kMaxBlockMessageBytes = 16u << 20;
// Transactions are gossiped in batches: one frame, one queue entry and (with the host's gather
// writes) a share of one send() for many transactions. A batch is cut at the target size; the
// wire limit leaves room for a single largest transaction.
inline constexpr std::size_t kTxBatchTargetBytes = 256u << 10;
inline constexpr std::size_t kMaxTxBatchBytes = 1u << 20;
static_assert(kTxBatchTargetBytes + kMaxTxSize + 64 * 1024 <= kMaxTxBatchBytes);
// Relayed transactions are announced by hash and fetched by the peers that lack them (a node's own
// submissions are pushed whole): in a well-connected network every peer already has them from the
// origin, and a 33-byte announcement replaces a ~110-byte transaction that would be decoded,
// hashed and dropped. A peer waits a little before fetching, so the origin's push can land first.
inline constexpr std::size_t kMaxTxHashesPerMessage = 4096;
inline constexpr std::size_t kMaxTxHashesBytes = kMaxTxHashesPerMessage * 33 + 16;
inline constexpr std::chrono::milliseconds kTxAnnounceWait{100};
inline constexpr std::chrono::milliseconds kTxRequestTimeout{1000};
inline constexpr std::size_t kMaxTxAnnouncers = 4;  // peers remembered per wanted transaction
// Announced transactions waiting to be fetched that one peer may name, like geth's tx fetcher:
// a peer's further announcements are ignored until some of its entries arrive or time out.
inline constexpr std::size_t kMaxTxAnnouncesPerPeer = 4096;
// One request is answered with at most this many bytes of transactions (no large amplification of
// a small request); what is cut off reaches the requester in blocks or from another announcer.
inline constexpr std::size_t kMaxTxResponseBytes = 4u << 20;

// What the engine needs from the p2p layer. Implementations must not call back into the engine.
class PeerNetwork {
 public:
  virtual ~PeerNetwork() = default;
  virtual void broadcast(Channel channel, Bytes payload, std::optional<PeerId> except) = 0;
  virtual void send(PeerId peer, Channel channel, Bytes payload) = 0;
  // The peer sent invalid data: disconnect and ban it.
  virtual void punish(PeerId peer, std::string reason) = 0;
  virtual std::size_t peerCount() const = 0;
};

// The validators a committed state names (the staking module's active set; apps wires it): the
// members of the next height, the height `since` which they have been unchanged, and the members
// before that change (the set of the head block when since == head + 1). Empty members: the state
// names none, and the genesis validators stay in charge.
struct StakedValidators {
  uint64_t since = 1;
  std::vector<Validator> members;   // address and power; priorities are derived
  std::vector<Validator> previous;  // empty when unknown or when there was no change
};
using ValidatorSource = std::function<StakedValidators(const StateReader&)>;

// The set of `height` when the members have been unchanged since height `since`: CometBFT's
// priorities started fresh at `since` and incremented once per height.
ValidatorSet validatorSetAt(uint64_t height, uint64_t since, const std::vector<Validator>& members);

inline constexpr std::size_t kMaxEvidencePerBlock = 50;
inline constexpr uint64_t kMaxEvidenceAgeBlocks = 100'000;  // older double signs are not punished

// Empty if `data` is right for a block at `height` on top of `parentHash`, else why not: the
// parent commit is a valid commit of the parent by `parentValidators` (none at height 1), the
// signer list is exactly its signers, and each evidence verifies, is in range, appears once per
// (validator, height) and matches its double-sign entry.
std::optional<std::string> checkConsensusData(uint64_t chainId, uint64_t height,
                                              const Hash32& parentHash,
                                              const ValidatorSet& parentValidators,
                                              const ConsensusData& data,
                                              RecoverCache* cache = nullptr);

struct BftEngineOptions {
  TendermintConfig tendermint;         // chainId must be set
  ValidatorSet genesisValidators;      // the set of height 1 (ValidatorSet's constructor ran)
  ValidatorSource validatorSource;     // null: the genesis validators forever
  std::optional<Hash32> validatorKey;  // nullopt: follow the chain without voting
  std::filesystem::path signLogPath;   // the validator's signing write-ahead log
  // Pause after a commit before the next height starts (CometBFT's timeout_commit): sets the
  // block rate and lets transactions gather. Skipped while catching up.
  std::chrono::milliseconds commitDelay{1000};
  std::chrono::milliseconds statusInterval{1000};
  // Re-broadcast this height's messages when the height has not moved for this long.
  std::chrono::milliseconds regossipAfter{2000};
  std::chrono::milliseconds syncRequestTimeout{3000};
  std::size_t maxTxsPerBlock = 10'000;
  std::size_t maxBufferedMessages = 10'000;  // for the next height, received early
  // Valid transactions a peer sends that the pool refuses are no offence (docs/NETWORK.md), but
  // each new one costs a recovery. A connection may have refusedTxBurst of them at once and earns
  // refusedTxPerSecond more; past that (the allowance may go into debt by one batch), its Tx
  // frames are dropped undecoded until the allowance is positive again. Transactions this node
  // holds already (no offence either, but a decode and a hash each) take a sixteenth of a
  // refusal from the same allowance.
  uint64_t refusedTxBurst = 256;
  uint64_t refusedTxPerSecond = 64;
  // Peer messages received and not yet handled, in bytes, past which inboxFull() says so (the
  // p2p host then stops reading from peers until the engine catches up). Without a bound, peers
  // sending faster than the engine handles (a flood of known transactions costs a decode and a
  // hash each) would grow the queue without limit.
  std::size_t maxInboxBytes = 64u << 20;
  // What a peer's requests and announcements may cost, in bytes: the answers to its
  // BlockRequests (a request of a few bytes costs a read, a decode and an encode of a whole block
  // on the engine thread) and TxRequests, plus 32 per hash it announces or asks for (a lookup
  // each). A connection may spend serveBurstBytes at once and earns serveBytesPerSecond more;
  // past that its requests go unanswered and its announcements unread (no offence: a syncing
  // peer asks again after a timeout, transactions come from other announcers or in blocks). An
  // honest peer at 5,000 tx/s spends ~1 MB/s, and a syncing node executes blocks more slowly
  // than this serves them.
  uint64_t serveBurstBytes = 16u << 20;
  uint64_t serveBytesPerSecond = 8u << 20;
  // The same for all connections together, so that many connections (maxInbound is 40) cannot
  // multiply it: while it is spent, no peer is served (consensus comes first; syncing waits).
  uint64_t serveTotalBurstBytes = 64u << 20;
  uint64_t serveTotalBytesPerSecond = 32u << 20;
};

// What became of the transactions peers sent in Tx frames (since the engine started).
struct PeerTxStats {
  uint64_t received = 0;   // in Tx frames
  uint64_t known = 0;      // pooled already or committed in the last blocks: dropped unrecovered
  uint64_t recovered = 0;  // sender recoveries these transactions cost
  uint64_t admitted = 0;
  uint64_t refused = 0;  // valid, refused by the pool (nonce, funds, ...): not an offence
  uint64_t throttled = 0;  // dropped undecoded: the peer had used up its allowance
};

// Peers' block and transaction requests and announcements (since the engine started).
struct PeerRequestStats {
  uint64_t served = 0;    // answered (requests) or read (announcements)
  uint64_t unserved = 0;  // dropped: the serving allowance (the peer's or the total) was spent
};

// An allowance that refills at `perSecond` up to `burst` and may be overdrawn: take() never
// fails, available() says whether anything is left. Starts full.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(uint64_t burst, uint64_t perSecond, Clock::time_point now);
  bool available(Clock::time_point now);
  void take(uint64_t n) { tokens_ -= static_cast<int64_t>(n); }
  // When available() will next be true, if nothing more is taken (the far future at no refill).
  Clock::time_point availableAt() const;

 private:
  int64_t burst_;
  uint64_t perSecond_;
  int64_t tokens_;
  Clock::time_point refilledAt_;
};

// Senders of transactions the pool refused, by transaction hash, so that a refused transaction
// sent again costs a lookup instead of a signature recovery (the hash binds the signed bytes, and
// the sender is a pure function of them). Two generations: when the newer holds `capacity`
// entries, the older is dropped.
class RefusedSenders {
 public:
  explicit RefusedSenders(std::size_t capacity) : capacity_(capacity) {}
  const Address* find(const Hash32& hash) const;
  void insert(const Hash32& hash, const Address& sender);

 private:
  std::size_t capacity_;
  std::unordered_map<Hash32, Address> newer_, older_;
};

// A copy of the engine's state for RPC and tests.
struct ConsensusSnapshot {
  uint64_t height = 0;  // the height being decided (committed head + 1)
  Round round = 0;
  Step step = Step::Propose;
  Round lockedRound = kNilRound;
  std::optional<Hash32> lockedBlock;
  Round validRound = kNilRound;
  std::optional<Address> proposer;  // of the current round
  std::optional<Address> self;      // this validator, if it is one
  std::vector<Validator> validators;
  uint64_t bestPeerHeight = 0;  // highest committed height a peer reported
  bool syncing = false;         // behind a peer by more than one block
  PeerTxStats peerTxs;
  PeerRequestStats peerRequests;
  std::size_t inboxBytes = 0;  // peer messages queued and not yet handled
};

class BftEngine final : public Engine {
 public:
  BftEngine(ChainStore& chain, const Executor& executor, Mempool& mempool, PeerNetwork& network,
            BftEngineOptions options);
  ~BftEngine() override;

  void start() override;
  void stop() override;
  void onCommit(CommitListener listener) override { listeners_.push_back(std::move(listener)); }

  // From the network thread: queued and handled on the engine thread.
  void receive(PeerId peer, Channel channel, Bytes payload);
  // What receive() has queued and the engine thread has not handled yet (any thread).
  std::size_t inboxBytes() const { return inboxBytes_.load(std::memory_order_relaxed); }
  bool inboxFull() const { return inboxBytes() >= options_.maxInboxBytes; }
  void peerConnected(PeerId peer);
  void peerDisconnected(PeerId peer);

  ConsensusSnapshot snapshot() const;

 private:
  class Driver;  // the machine's Application and Outbox
  struct TimerEntry {
    enum class What : uint8_t { Consensus, NextHeight, Status, FetchTxs } what;
    uint64_t height = 0;
    Round round = 0;
    Step step = Step::Propose;
  };

  void run();
  void post(std::function<void()> task);
  void addTimer(std::chrono::milliseconds delay, TimerEntry entry);
  void fireTimer(const TimerEntry& entry);

  void startHeight();
  void afterInput();  // rebuilds the machine after a decision, refreshes the snapshot
  void handle(PeerId peer, Channel channel, const Bytes& payload);
  void handleConsensusMessage(PeerId peer, Channel channel, const Bytes& payload);
  void handleStatus(PeerId peer, const Bytes& payload);
  void handleBlockRequest(PeerId peer, const Bytes& payload);
  void handleBlockResponse(PeerId peer, const Bytes& payload);
  void handleTx(PeerId peer, const Bytes& payload);
  void handleTxHashes(PeerId peer, const Bytes& payload);
  void handleTxRequest(PeerId peer, const Bytes& payload);
  void fetchWantedTxs();
  void gossipMempool();
  // Cuts `raws` into Tx batches of about kTxBatchTargetBytes and hands each to `sink`.
  static void batchTxs(const std::vector<BytesView>& raws, const std::function<void(Bytes)>& sink);
  void announceTxs(const std::vector<Hash32>& hashes, PeerId except);
  Bytes buildProposal(uint64_t height);
  bool checkProposal(uint64_t height, const Value& value);
  // Validator sets from the committed state: of the head block and of the next height.
  void loadValidators();
  ConsensusData consensusDataForNextBlock();
  void addEvidence(const DuplicateVoteEvidence& ev);
  void commitDecision(const Decision& decision);
  void bufferForLater(PeerId peer, Channel channel, const Bytes& payload, uint64_t height);
  uint64_t bestPeerHeight() const;
  void maybeRequestBlock();
  void sendStatus(std::optional<PeerId> to);
  void regossip();
  void refreshSnapshot();

  ChainStore& chain_;
  const Executor& executor_;
  Mempool& mempool_;
  PeerNetwork& network_;
  BftEngineOptions options_;
  std::vector<CommitListener> listeners_;

  std::unique_ptr<SignLog> signLog_;  // FileSignLog for a validator, in memory for a follower
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<Tendermint> machine_;
  ValidatorSet nextValidators_;  // the set of the height the next machine starts at
  ValidatorSet headValidators_;  // the set that committed the head block (checks lastCommit)
  // Double signs seen and not yet in a committed block, by (offender, height, round, type).
  std::map<std::tuple<Address, uint64_t, Round, uint8_t>, DuplicateVoteEvidence> pendingEvidence_;
  std::set<std::tuple<Address, uint64_t, Round, uint8_t>> committedEvidence_;
  RecoverCache recoverCache_;
  // The head block's certificate, grown by the precommits for it that arrive after this node
  // decided (CometBFT's LastCommit). The decision holds just the precommits that made the quorum;
  // the next proposal records every signer heard by then, so a validator whose precommit came in
  // after the quorum is not counted absent (downtime) nor left out of the reward.
  struct HeadCommit {
    uint64_t height = 0;  // 0: none (the head was not decided by this engine since it started)
    Round round = 0;
    Hash32 blockHash;
    std::map<Address, Signature> sigs;  // in address order, as Commit wants them
  };
  HeadCommit headCommit_;
  // A precommit for the head block that arrived after the decision: Added (kept, to be relayed),
  // Duplicate, BadSignature, or OtherHeight when it is not one (another round or value, or a
  // signer outside the head's set: ignored, as the machine ignores past heights).
  Accept addLatePrecommit(const Vote& vote);

  // Early messages for the height after the machine's (or the next machine's), replayed at start.
  std::deque<std::tuple<PeerId, Channel, Bytes>> buffered_;
  std::map<PeerId, uint64_t> peerHeights_;
  std::optional<std::pair<uint64_t, std::chrono::steady_clock::time_point>> syncRequest_;
  std::chrono::steady_clock::time_point heightStartedAt_;
  bool regossiped_ = false;
  bool nextHeightScheduled_ = false;
  std::unordered_set<Hash32> gossipedTxs_;  // pooled transactions already announced
  // Transactions peers announced that the pool lacks: who announced them (first asked first) and
  // when to ask (again). At most kMaxTxAnnouncesPerPeer entries name one peer.
  struct WantedTx {
    std::vector<PeerId> announcers;
    std::size_t asked = 0;  // announcers asked so far
    std::chrono::steady_clock::time_point due;
  };
  using WantedTxs = std::unordered_map<Hash32, WantedTx>;
  WantedTxs wantedTxs_;
  std::unordered_map<PeerId, std::size_t> announced_;  // wanted entries naming each peer
  WantedTxs::iterator eraseWanted(WantedTxs::iterator it);
  void eraseWanted(const Hash32& hash);
  bool fetchScheduled_ = false;
  // Transactions of the last blocks, so that a lagging peer's announcements of them are ignored:
  // two generations, the older dropped when the newer holds a pool's worth.
  std::unordered_set<Hash32> recentlyCommitted_, previouslyCommitted_;
  bool recentlyCommitted(const Hash32& hash) const;
  RefusedSenders refusedSenders_;
  // Known transactions per refusal in a peer's allowance (BftEngineOptions::refusedTxBurst).
  static constexpr uint64_t kKnownPerRefusal = 16;
  std::unordered_map<PeerId, TokenBucket> refusalAllowance_;     // per connection, in those units
  std::unordered_map<PeerId, TokenBucket> serveAllowance_;       // per connection, in bytes
  TokenBucket serveTotal_;                                       // all connections together
  // Whether the peer's allowance and the total both have something left (counted in
  // peerRequests_); charging takes from both (may overdraw them).
  bool canServe(PeerId peer);
  void chargeServe(PeerId peer, uint64_t bytes);
  PeerTxStats peerTxs_;
  PeerRequestStats peerRequests_;
  std::atomic<bool> mempoolDirty_{false};

  // Engine thread queue.
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<std::size_t> inboxBytes_{0};  // payloads of the queued receive() tasks
  std::deque<std::function<void()>> tasks_;
  std::multimap<std::chrono::steady_clock::time_point, TimerEntry> timers_;
  bool stopping_ = false;
  std::thread thread_;

  mutable std::mutex snapshotMutex_;
  ConsensusSnapshot snapshot_;
};

}  // namespace tn::bft
