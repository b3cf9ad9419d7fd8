// The p2p host: a TCP listener plus outbound dials, the authenticated handshake, the peer table
// with in/out limits, persistent peers (redialled), peer exchange, bans and deduplicated gossip.
// Everything runs on one Asio thread owned by the host; the public methods are thread-safe
// (they post to that thread or take the snapshot mutex). See docs/NETWORK.md.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/bft_engine.hpp"
#include "consensus/p2p/message.hpp"

namespace tn::net {

using PeerId = bft::PeerId;

struct HostConfig {
  uint64_t chainId = 0;
  Hash32 genesisHash;  // chain identity checked in the handshake
  Hash32 nodeKey;      // secp256k1 secret; the node id is its public key
  std::string listenAddr = "127.0.0.1:0";  // "" disables listening
  // Dialled at start and redialled whenever disconnected; never counted against maxOutbound.
  std::vector<std::string> persistentPeers;
  std::size_t maxInbound = 40;
  std::size_t maxOutbound = 10;  // dials of addresses learnt by peer exchange
  bool pex = true;
  std::chrono::milliseconds banDuration{60'000};
  std::chrono::milliseconds dialInterval{1'000};  // redial / address-book dial period
  std::chrono::milliseconds handshakeTimeout{5'000};
  std::chrono::milliseconds pingInterval{10'000};
  std::chrono::milliseconds idleTimeout{30'000};  // no frame for this long: disconnect
  std::chrono::milliseconds pexInterval{30'000};
  std::size_t seenCapacity = 200'000;             // gossip hashes remembered
  std::size_t maxQueuedBytes = 64u << 20;         // per peer; a slower peer is dropped
  // All peers' send queues together. Past it the connection with the largest queue is closed,
  // so that 50 peers that do not read cannot make the node hold 50 times maxQueuedBytes.
  std::size_t maxTotalQueuedBytes = 256u << 20;
  // Receive buffers beyond each connection's own 128 KiB, for all peers together: a frame larger
  // than that (up to 16 MiB for a block) grows its buffer as its bytes arrive. Past it the
  // connection with the largest buffer, typically a frame stalled half-sent, is closed.
  std::size_t maxTotalReadBufferBytes = 128u << 20;
  // Per connection, what a peer's frames may cost to read: their bytes plus 256 per frame (so
  // that a flood of tiny frames, pings say, counts for its per-frame work), up to
  // recvBurstBytes at once and recvBytesPerSecond more each second. Past it the host reads
  // nothing more from that peer until the allowance has refilled; TCP holds the rest back in the
  // peer's send queue. Not an offence. Honest peers stay far below: block sync is served at
  // 8 MiB/s per connection. 0 per second disables it.
  std::size_t recvBurstBytes = 32u << 20;
  std::size_t recvBytesPerSecond = 16u << 20;
  // A second inbound connection from one address (an IPv4 address, or an IPv6 /64) within this
  // time is closed at accept, before its handshake costs a signature (as geth does); 0 disables.
  // Loopback and private addresses are exempt (a node's own sentries and tools) unless
  // throttleLocalAddresses is set.
  std::chrono::milliseconds inboundThrottle{30'000};
  bool throttleLocalAddresses = false;
  // A peer's PexRequests are answered at most this often; the rest are ignored. An answer can be
  // a few KiB for a 5-byte request, so unthrottled requests would amplify into queued bytes.
  std::chrono::milliseconds pexAnswerInterval{1'000};
  std::size_t maxAddressBook = 1000;
  bool verbose = true;  // connection events and bans on stderr
};

struct PeerInfo {
  PeerId id = 0;
  Bytes nodeId;
  std::string remote;        // ip:port of the socket
  std::string listenAddr;    // where it accepts connections ("" if it does not)
  bool outbound = false;
  bool persistent = false;
};

struct HostStats {
  uint64_t framesIn = 0, framesOut = 0;
  uint64_t gossipDuplicates = 0;  // gossip frames dropped by the seen-set
  uint64_t handshakeFailures = 0;
  uint64_t bansIssued = 0;
  uint64_t refusedBanned = 0;       // handshakes refused because the node id is banned
  uint64_t readsPaused = 0;         // reads put off because the read gate was closed
  uint64_t sendQueueBytes = 0;      // queued for all peers now (a snapshot)
  uint64_t queueFullCloses = 0;     // peers closed because their queue passed maxQueuedBytes
  uint64_t queueBudgetCloses = 0;   // closed: largest queue when all passed maxTotalQueuedBytes
  uint64_t pexRequestsIgnored = 0;  // PexRequests within pexAnswerInterval of the last answer
  uint64_t readBufferBytes = 0;     // receive buffers beyond the connections' own (a snapshot)
  uint64_t readBudgetCloses = 0;  // closed: largest buffer when all passed maxTotalReadBufferBytes
  uint64_t readsThrottled = 0;    // reads put off: a peer had used up its receive allowance
  uint64_t inboundThrottled = 0;  // inbound connections closed: same address within inboundThrottle
};

struct Connection;  // one TCP connection (host.cpp)

// Loopback, private (RFC 1918, fc00::/7) or link-local: exempt from the inbound throttle.
bool isLocalAddress(const std::string& ip);
// What the inbound throttle counts as one address: an IPv4 address (IPv4-mapped IPv6 included)
// or the /64 of an IPv6 address, as "hex/64".
std::string addressGroup(const std::string& ip);

class Host final : public bft::PeerNetwork {
 public:
  // Called on the host thread for every consensus-channel frame from an established peer
  // (gossip already deduplicated). Must be cheap: queue, do not block.
  using MessageHandler = std::function<void(PeerId, bft::Channel, Bytes)>;
  using PeerHandler = std::function<void(PeerId, bool connected)>;
  // Asked on the host thread before each read from a peer: while it returns false, the host
  // reads nothing (TCP's flow control holds the peers' frames back) and asks again every few
  // milliseconds. Lets a slower consumer bound what it has received and not yet handled.
  using ReadGate = std::function<bool()>;

  explicit Host(HostConfig config);
  ~Host() override;
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  void setMessageHandler(MessageHandler handler);  // before start()
  void setPeerHandler(PeerHandler handler);        // before start()
  void setReadGate(ReadGate open);                 // before start()
  void start();  // binds (throws if the address is taken) and starts the thread
  void stop();   // closes every connection and joins the thread

  uint16_t port() const;  // the bound listen port (0 if not listening)
  const Bytes& nodeId() const { return nodeId_; }
  std::string nodeIdHex() const { return toHex(nodeId_, false); }
  std::vector<PeerInfo> peers() const;
  HostStats stats() const;
  bool isBanned(BytesView nodeId) const;

  // bft::PeerNetwork
  void broadcast(bft::Channel channel, Bytes payload, std::optional<PeerId> except) override;
  void send(PeerId peer, bft::Channel channel, Bytes payload) override;
  void punish(PeerId peer, std::string reason) override;
  std::size_t peerCount() const override;

  // Sends a raw transport frame (tests use it to misbehave); not for normal use.
  void sendFrameForTest(PeerId peer, Bytes frameBytes);

 private:
  friend struct Connection;
  struct Impl;
  std::shared_ptr<Impl> impl_;
  Bytes nodeId_;
};

}  // namespace tn::net
