// The p2p host over loopback: the authenticated handshake, chain identity checks, frame limits
// and bans, deduplicated gossip across a ring, peer exchange and persistent-peer redial.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "consensus/p2p/host.hpp"
#include "tests/unit/descriptor_exhaustion.hpp"
#include "tests/unit/mutate.hpp"
#include "tests/unit/stderr_capture.hpp"

using namespace tn;
using namespace tn::net;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kChainId = 7357;

Hash32 testKey(int i) {
  return keccak256("p2p test node key " + std::to_string(i));
}
Hash32 genesisHash() {
  return keccak256(std::string_view("p2p test genesis"));
}

HostConfig fastConfig(int keyIndex) {
  HostConfig c;
  c.chainId = kChainId;
  c.genesisHash = genesisHash();
  c.nodeKey = testKey(keyIndex);
  c.listenAddr = "127.0.0.1:0";
  c.dialInterval = 50ms;
  c.handshakeTimeout = 2000ms;
  c.verbose = false;
  return c;
}

std::string addressOf(const Host& h) {
  return h.nodeIdHex() + "@127.0.0.1:" + std::to_string(h.port());
}

// The config of node `keyIndex` with `target` as its persistent peer.
HostConfig dialing(const Host& target, int keyIndex) {
  HostConfig c = fastConfig(keyIndex);
  c.persistentPeers = {addressOf(target)};
  return c;
}

template <typename Pred>
bool waitUntil(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// Whether `host` has an established connection to `other`.
bool hasPeer(const Host& host, const Host& other) {
  for (const auto& p : host.peers())
    if (p.nodeId == other.nodeId()) return true;
  return false;
}

// A new node (test key `keyIndex`) can still connect to `a`, which then has `peers` peers.
void checkJoinable(Host& a, int keyIndex, std::size_t peers) {
  Host joining(dialing(a, keyIndex));
  joining.start();
  CHECK(waitUntil([&] { return a.peerCount() == peers && joining.peerCount() == 1; }));
}

// Counts consensus-channel deliveries per payload, optionally relaying them like the engine.
struct Receiver {
  std::mutex mutex;
  std::map<Bytes, int> deliveries;
  int count(const Bytes& payload) {
    std::lock_guard lock(mutex);
    return deliveries[payload];
  }
};

void attach(Host& host, Receiver& receiver, bool relay) {
  host.setMessageHandler(
      [&host, &receiver, relay](PeerId from, bft::Channel channel, Bytes payload) {
        {
          std::lock_guard lock(receiver.mutex);
          ++receiver.deliveries[payload];
        }
        // Like the engine, relay only gossip: point-to-point messages (status) would circle
        // forever.
        if (relay && isGossip(Kind(uint8_t(channel)))) host.broadcast(channel, payload, from);
      });
}

}  // namespace

TEST_CASE("p2p messages: hello, auth and peer addresses round-trip") {
  Hello h;
  h.chainId = kChainId;
  h.genesisHash = genesisHash();
  h.nodeId = nodeIdOf(testKey(1));
  h.listenPort = 26656;
  h.challenge = keccak256(std::string_view("challenge"));
  Hello back = Hello::decode(h.encode());
  CHECK(back.nodeId == h.nodeId);
  CHECK(back.listenPort == 26656);
  CHECK(back.challenge == h.challenge);

  Hash32 digest = authHash(kChainId, genesisHash(), h.challenge, h.nodeId);
  Signature sig = decodeAuth(encodeAuth(signHash(digest, testKey(1))));
  CHECK(verifyAuth(digest, sig, h.nodeId));
  CHECK_FALSE(verifyAuth(digest, sig, nodeIdOf(testKey(2))));  // another key's id
  CHECK_FALSE(
      verifyAuth(authHash(kChainId + 1, genesisHash(), h.challenge, h.nodeId), sig, h.nodeId));

  PeerAddress a = parsePeerAddress(toHex(h.nodeId, false) + "@127.0.0.1:26656");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 26656);
  CHECK(parsePeerAddress(a.str()) == a);
  auto list = decodePexAddrs(encodePexAddrs({a}));
  REQUIRE(list.size() == 1);
  CHECK(list[0] == a);
  CHECK_THROWS(parsePeerAddress("127.0.0.1"));
  CHECK_THROWS(parsePeerAddress("127.0.0.1:99999"));
  CHECK_THROWS(parsePeerAddress("abcd@127.0.0.1:1"));
  CHECK_THROWS(Hello::decode(Bytes{0xc0}));
  CHECK(maxPayload(uint8_t(Kind::Vote)).value() < maxPayload(uint8_t(Kind::Proposal)).value());
  CHECK_FALSE(maxPayload(200).has_value());
}

TEST_CASE("p2p handshake: two nodes connect and prove their node ids") {
  Host a(fastConfig(1));
  a.start();
  Host b(dialing(a, 2));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));
  CHECK(a.peers()[0].nodeId == b.nodeId());
  CHECK(b.peers()[0].nodeId == a.nodeId());
  CHECK(b.peers()[0].outbound);
  CHECK_FALSE(a.peers()[0].outbound);
  CHECK(a.peers()[0].listenAddr == "127.0.0.1:" + std::to_string(b.port()));
}

TEST_CASE("p2p handshake: another chain id or genesis is refused") {
  for (int variant = 0; variant < 2; ++variant) {
    CAPTURE(variant);
    Host a(fastConfig(1));
    a.start();
    auto bc = fastConfig(2);
    if (variant == 0)
      bc.chainId = kChainId + 1;
    else
      bc.genesisHash = keccak256(std::string_view("another genesis"));
    bc.persistentPeers = {addressOf(a)};
    Host b(bc);
    b.start();
    REQUIRE(waitUntil(
        [&] { return a.stats().handshakeFailures > 0 && b.stats().handshakeFailures > 0; }));
    std::this_thread::sleep_for(300ms);
    CHECK(a.peerCount() == 0);
    CHECK(b.peerCount() == 0);
    // Refused, not banned: a Hello's node id is only claimed until its Auth verifies.
    CHECK_FALSE(a.isBanned(b.nodeId()));
    CHECK_FALSE(b.isBanned(a.nodeId()));
  }
}

namespace {

// A raw TCP client that writes `bytes` to `host`, ends its side and reads until the host closes.
void sendRaw(const Host& host, const Bytes& bytes) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket raw(io);
  raw.connect({boost::asio::ip::make_address("127.0.0.1"), host.port()});
  boost::system::error_code ec;
  boost::asio::write(raw, boost::asio::buffer(bytes), ec);
  raw.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  std::array<uint8_t, 4096> sink{};
  while (!ec) raw.read_some(boost::asio::buffer(sink), ec);
}

Bytes concatFrames(std::initializer_list<Bytes> frames) {
  Bytes out;
  for (const Bytes& f : frames) out.insert(out.end(), f.begin(), f.end());
  return out;
}

}  // namespace

TEST_CASE("p2p handshake: claiming another node's id in a Hello cannot get that node banned") {
  Host a(fastConfig(1));
  a.start();
  Host b(dialing(a, 2));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));

  // Someone without b's key sends b's node id, then an Auth that cannot verify; or b's id on
  // another chain; or an Auth that is not even decodable.
  Hello impostor;
  impostor.chainId = kChainId;
  impostor.genesisHash = genesisHash();
  impostor.nodeId = b.nodeId();
  impostor.challenge = keccak256(std::string_view("impostor challenge"));
  Signature junk{U256(12345), U256(67890), 0};
  sendRaw(a, concatFrames(
                 {frame(Kind::Hello, impostor.encode()), frame(Kind::Auth, encodeAuth(junk))}));
  sendRaw(a, concatFrames({frame(Kind::Hello, impostor.encode()), frame(Kind::Auth, Bytes{0x01})}));
  sendRaw(a, concatFrames({frame(Kind::Hello, impostor.encode()), frame(Kind::Vote, Bytes{0xc0})}));
  Hello otherChain = impostor;
  otherChain.chainId = kChainId + 1;
  sendRaw(a, frame(Kind::Hello, otherChain.encode()));
  REQUIRE(waitUntil([&] { return a.stats().handshakeFailures >= 4; }));

  CHECK_FALSE(a.isBanned(b.nodeId()));
  CHECK(a.stats().bansIssued == 0);
  std::this_thread::sleep_for(200ms);
  CHECK(a.peerCount() == 1);  // the real b is still connected
  CHECK(a.peers()[0].nodeId == b.nodeId());
}

TEST_CASE("p2p handshake: mutated handshakes and random bytes from raw connections") {
  Host a(fastConfig(1));
  a.start();
  Host b(dialing(a, 2));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1; }));

  Hello hello;
  hello.chainId = kChainId;
  hello.genesisHash = genesisHash();
  hello.nodeId = nodeIdOf(testKey(5));
  hello.challenge = keccak256(std::string_view("a challenge"));
  Signature sig{U256(1), U256(2), 1};
  const Bytes valid = concatFrames({frame(Kind::Hello, hello.encode()),
                                    frame(Kind::Auth, encodeAuth(sig)), frame(Kind::Ping, {})});
  tn::test::Mutator m(41);
  const int rounds = 150;
  for (int i = 0; i < rounds; ++i) {
    if (i % 10 == 9) {
      Bytes noise(1 + m.below(300));
      for (uint8_t& x : noise) x = uint8_t(m.below(256));
      sendRaw(a, noise);
    } else {
      sendRaw(a, m.mutate(valid));
    }
  }
  // Every raw connection is gone, the real peer is untouched and nobody was banned (no raw
  // connection ever proved an identity); a new node can still join.
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && a.stats().handshakeFailures > 0; }));
  CHECK(a.stats().bansIssued == 0);
  CHECK(a.peers()[0].nodeId == b.nodeId());
  checkJoinable(a, 3, 2);
}

TEST_CASE("p2p host: a node key that is no secp256k1 secret key is refused at construction") {
  for (const Hash32& bad :
       {Hash32{},
        Hash32::fromHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")}) {
    HostConfig c = fastConfig(1);
    c.nodeKey = bad;  // zero, and the group order n
    CHECK_THROWS_WITH_AS(Host{c}, "p2p: invalid node key", std::invalid_argument);
  }
}

TEST_CASE("p2p handshake: a configured node id must match") {
  Host a(fastConfig(1));
  a.start();
  auto bc = fastConfig(2);
  bc.persistentPeers = {toHex(nodeIdOf(testKey(9)), false) +
                        "@127.0.0.1:" + std::to_string(a.port())};
  Host b(bc);
  b.start();
  REQUIRE(waitUntil([&] { return b.stats().handshakeFailures > 0; }));
  std::this_thread::sleep_for(200ms);
  CHECK(b.peerCount() == 0);
}

TEST_CASE("p2p limits: an oversized frame disconnects and bans the sender") {
  Host a(fastConfig(1));
  a.start();
  Host b(dialing(a, 2));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));

  // A vote frame header announcing one byte more than a vote may have.
  uint32_t tooLong = *maxPayload(uint8_t(Kind::Vote)) + 1;
  Bytes header{uint8_t(tooLong >> 24), uint8_t(tooLong >> 16), uint8_t(tooLong >> 8),
               uint8_t(tooLong), uint8_t(Kind::Vote)};
  b.sendFrameForTest(b.peers()[0].id, header);
  REQUIRE(waitUntil([&] { return a.peerCount() == 0; }));
  CHECK(a.isBanned(b.nodeId()));
  CHECK(a.stats().bansIssued == 1);
  // b keeps redialling (a is its persistent peer) and is refused while banned.
  REQUIRE(waitUntil([&] { return a.stats().refusedBanned > 0; }));
  CHECK(a.peerCount() == 0);
  CHECK(b.peerCount() == 0);

  // Before the handshake there is no identity to ban, but the connection is closed at once.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket raw(io);
  raw.connect({boost::asio::ip::make_address("127.0.0.1"), a.port()});
  std::array<uint8_t, 5> hugeHello{0xff, 0xff, 0xff, 0xff, uint8_t(Kind::Hello)};
  boost::asio::write(raw, boost::asio::buffer(hugeHello));
  boost::system::error_code ec;
  std::array<uint8_t, 4096> sink{};
  // a sends its own Hello first; reading continues until a closes the socket.
  while (!ec) raw.read_some(boost::asio::buffer(sink), ec);
  CHECK((ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset));
}

TEST_CASE("p2p limits: a malformed message bans the sender") {
  Host a(fastConfig(1));
  a.start();
  Host b(dialing(a, 2));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1; }));
  b.sendFrameForTest(b.peers()[0].id, frame(Kind::PexAddrs, Bytes{0x01, 0x02}));  // not an RLP list
  REQUIRE(waitUntil([&] { return a.isBanned(b.nodeId()); }));
  CHECK(a.peerCount() == 0);
}

TEST_CASE("p2p bans: a ban lasts banDuration, then the peer connects again") {
  HostConfig ac = fastConfig(1);
  ac.banDuration = 600ms;
  Host a(ac);
  a.start();
  Host b(dialing(a, 2));  // b redials a, its persistent peer, all along
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));
  auto offend = [&] {
    b.sendFrameForTest(b.peers()[0].id, frame(Kind::PexAddrs, Bytes{0x01, 0x02}));
    return std::chrono::steady_clock::now();
  };
  const auto bannedAt = offend();
  // Counted, not polled with isBanned: on a loaded machine a 600 ms ban can end between polls.
  REQUIRE(waitUntil([&] { return a.stats().bansIssued == 1; }));
  REQUIRE(waitUntil([&] { return a.stats().refusedBanned > 0; }));  // refused while banned
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));
  CHECK(std::chrono::steady_clock::now() - bannedAt >= 600ms);
  CHECK_FALSE(a.isBanned(b.nodeId()));
  // A second offence bans it again.
  offend();
  CHECK(waitUntil([&] { return a.stats().bansIssued == 2; }));
}

TEST_CASE("p2p gossip: a message reaches each node of a ring exactly once") {
  constexpr int n = 4;
  std::array<Receiver, n> receivers;  // outlives the hosts, whose threads call into it
  std::vector<std::unique_ptr<Host>> hosts;
  for (int i = 0; i < n; ++i) {
    auto c = fastConfig(10 + i);
    c.pex = false;  // keep the ring a ring: node 0 and node 2 are not neighbours
    hosts.push_back(std::make_unique<Host>(c));
  }
  // Bind each host once to learn the ports, then start the ring 0-1-2-3-0 on those ports,
  // each node dialling its successor.
  for (auto& h : hosts) h->start();
  // Persistent peers are configuration; restart each host with its successor configured.
  std::vector<uint16_t> ports;
  for (auto& h : hosts) ports.push_back(h->port());
  hosts.clear();
  for (int i = 0; i < n; ++i) {
    auto c = fastConfig(10 + i);
    c.pex = false;
    c.listenAddr = "127.0.0.1:" + std::to_string(ports[i]);
    int next = (i + 1) % n;
    c.persistentPeers = {toHex(nodeIdOf(testKey(10 + next)), false) +
                         "@127.0.0.1:" + std::to_string(ports[next])};
    hosts.push_back(std::make_unique<Host>(c));
  }
  for (int i = 0; i < n; ++i) {
    attach(*hosts[i], receivers[i], true);
    hosts[i]->start();
  }
  REQUIRE(waitUntil([&] {
    for (auto& h : hosts)
      if (h->peerCount() != 2) return false;
    return true;
  }));

  // Proposals are deduplicated by content (transaction batches are not: the pool does it).
  Bytes tx = toBytes("a proposal travelling the ring");
  hosts[0]->broadcast(bft::Channel::Proposal, tx, std::nullopt);
  REQUIRE(waitUntil([&] {
    for (int i = 1; i < n; ++i)
      if (receivers[i].count(tx) == 0) return false;
    return true;
  }));
  std::this_thread::sleep_for(300ms);  // time for any duplicate to arrive
  CHECK(receivers[0].count(tx) == 0);  // the origin drops its own message coming back
  for (int i = 1; i < n; ++i) CHECK(receivers[i].count(tx) == 1);
  uint64_t duplicates = 0;
  for (auto& h : hosts) duplicates += h->stats().gossipDuplicates;
  CHECK(duplicates >= 1);  // the ring closes: someone received it twice and dropped it

  // Status is point-to-point, not deduplicated: the same bytes twice are delivered twice.
  Bytes status = toBytes("status");
  hosts[1]->send(hosts[1]->peers()[0].id, bft::Channel::Status, status);
  hosts[1]->send(hosts[1]->peers()[0].id, bft::Channel::Status, status);
  REQUIRE(waitUntil([&] { return receivers[0].count(status) + receivers[2].count(status) == 2; }));
}

TEST_CASE("p2p peer exchange: a node learns and dials its peers' peers") {
  Host a(fastConfig(21));
  a.start();
  Host b(dialing(a, 22));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1; }));
  auto cc = fastConfig(23);
  cc.persistentPeers = {addressOf(b)};  // c knows only b
  Host c(cc);
  c.start();
  REQUIRE(waitUntil([&] { return c.peerCount() == 2; }));
  CHECK(hasPeer(c, a));
}

TEST_CASE("p2p persistent peers: reconnect after the peer restarts") {
  auto bc = fastConfig(32);
  auto b = std::make_unique<Host>(bc);
  b->start();
  uint16_t bPort = b->port();
  auto ac = fastConfig(31);
  ac.persistentPeers = {addressOf(*b)};
  Host a(ac);
  a.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1; }));
  b.reset();  // b goes down
  REQUIRE(waitUntil([&] { return a.peerCount() == 0; }));
  std::this_thread::sleep_for(200ms);  // a keeps redialling a closed port
  bc.listenAddr = "127.0.0.1:" + std::to_string(bPort);
  b = std::make_unique<Host>(bc);
  b->start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b->peerCount() == 1; }));
  CHECK(a.peers()[0].nodeId == b->nodeId());
}

TEST_CASE("p2p liveness: a silent peer is closed after idleTimeout; its pings keep a quiet one") {
  test::StderrCapture capture;  // outlives the hosts' threads
  auto quietConfig = [](HostConfig c) {
    c.pex = false;  // no traffic but what each case sends
    c.pingInterval = 60s;
    return c;
  };
  SUBCASE("pings every 100 ms keep it past a 500 ms idle timeout") {
    HostConfig ac = quietConfig(fastConfig(51));
    ac.idleTimeout = 500ms;
    Host a(ac);
    std::atomic<int> disconnects{0};
    a.setPeerHandler([&](PeerId, bool connected) { disconnects += !connected; });
    a.start();
    HostConfig bc = quietConfig(dialing(a, 52));
    bc.pingInterval = 100ms;
    Host b(bc);
    b.start();
    REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));
    std::this_thread::sleep_for(1500ms);
    CHECK(disconnects == 0);
    CHECK(a.peerCount() == 1);
  }
  SUBCASE("with nothing received for 500 ms, the connection is closed") {
    HostConfig ac = quietConfig(fastConfig(53));
    ac.idleTimeout = 500ms;
    ac.verbose = true;
    Host a(ac);
    std::mutex mutex;
    std::vector<std::pair<bool, std::chrono::steady_clock::time_point>> events;
    a.setPeerHandler([&](PeerId, bool connected) {
      std::lock_guard lock(mutex);
      events.emplace_back(connected, std::chrono::steady_clock::now());
    });
    a.start();
    Host b(quietConfig(dialing(a, 54)));  // b redials a, its persistent peer, once closed
    b.start();
    REQUIRE(waitUntil([&] {
      std::lock_guard lock(mutex);
      return events.size() >= 2;
    }));
    std::lock_guard lock(mutex);
    REQUIRE(events[0].first);
    REQUIRE_FALSE(events[1].first);
    // Idle counts from the last frame, the handshake's, read just before the connection was
    // reported: closed ~500-550 ms after the report (the host checks every 50 ms here).
    const auto quiet = events[1].second - events[0].second;
    CHECK(quiet >= 450ms);
    CHECK(capture.captured().find("disconnected: idle for 500 ms") != std::string::npos);
  }
}

TEST_CASE("p2p read gate: while it is closed nothing more is read; opened, every frame arrives") {
  constexpr std::size_t kFrames = 200, kFrameBytes = 32 * 1024, kLimit = 1u << 20;
  std::atomic<std::size_t> pending{0}, limit{kLimit};  // outlive the hosts' threads
  Receiver received;
  Host a(fastConfig(51));
  a.setMessageHandler([&](PeerId, bft::Channel, Bytes payload) {
    pending += payload.size();
    std::lock_guard lock(received.mutex);
    ++received.deliveries[payload];
  });
  a.setReadGate([&] { return pending.load() < limit.load(); });
  a.start();
  Host b(dialing(a, 52));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));

  // Transaction batches are never deduplicated by the host: each frame must arrive once.
  const PeerId toA = b.peers()[0].id;
  for (std::size_t i = 0; i < kFrames; ++i) {
    Bytes payload(kFrameBytes, uint8_t(i));
    payload[0] = uint8_t(i >> 8);
    b.send(toA, bft::Channel::Tx, std::move(payload));
  }
  // a stops reading once it holds the limit: what passes it is the rest of one read buffer.
  REQUIRE(waitUntil([&] { return pending.load() >= kLimit; }));
  std::this_thread::sleep_for(300ms);
  CHECK(pending.load() <= kLimit + 64 * 1024 + kFrameBytes);
  CHECK(a.stats().readsPaused > 0);

  limit = std::numeric_limits<std::size_t>::max();  // the consumer caught up
  REQUIRE(waitUntil([&] { return pending.load() == kFrames * kFrameBytes; }));
  {
    std::lock_guard lock(received.mutex);
    CHECK(received.deliveries.size() == kFrames);
    for (const auto& [payload, count] : received.deliveries) CHECK(count == 1);
  }
  CHECK(a.peerCount() == 1);  // the pause cost the connection nothing
  CHECK(b.peerCount() == 1);
}

// Peers whose I/O thread is stuck in the message handler: they stop reading, so what is sent to
// them piles up in the sender's queue. Declare it before the hosts (their threads read it) and a
// Release after them: destroyed first, it lets the handlers return so the hosts can be joined.
struct StuckReaders {
  std::atomic<bool> released{false};
  void stick(Host& host) {
    host.setMessageHandler([this](PeerId, bft::Channel, Bytes) {
      while (!released) std::this_thread::sleep_for(1ms);
    });
  }
  struct Release {
    StuckReaders& readers;
    ~Release() { readers.released = true; }
  };
};

TEST_CASE("p2p send queues: past the host's budget the largest queue is closed, readers keep all") {
  // 50 MiB to each peer: far beyond what the kernel's socket buffers take before queues grow.
  constexpr std::size_t kFrames = 200, kFrameBytes = 256 * 1024, kBudget = 12u << 20;
  auto ac = fastConfig(61);
  ac.maxTotalQueuedBytes = kBudget;  // below maxQueuedBytes (64 MiB): only the budget can close
  Receiver received;                 // both outlive the hosts' threads
  StuckReaders stuck;
  Host a(ac);
  a.start();
  Host stuck1(dialing(a, 62)), stuck2(dialing(a, 63)), reader(dialing(a, 64));
  StuckReaders::Release releaseFirst{stuck};
  attach(reader, received, false);
  stuck.stick(stuck1);
  stuck.stick(stuck2);
  for (Host* h : {&stuck1, &stuck2, &reader}) h->start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 3; }));

  std::size_t peakQueued = 0;
  for (std::size_t i = 0; i < kFrames; ++i) {
    // The reader keeps up: at most 8 frames (2 MiB) ahead of what it has received. Unpaced, a
    // reader slowed down by the sanitizers on a loaded machine fell behind by more than the budget
    // after the stuck peers were closed, and was closed third (seen once in CI).
    REQUIRE(waitUntil(
        [&] {
          std::lock_guard lock(received.mutex);
          return received.deliveries.size() + 8 >= i;
        },
        15s));
    Bytes payload(kFrameBytes, uint8_t(i));  // transaction batches: the host never drops repeats
    a.broadcast(bft::Channel::Tx, std::move(payload), std::nullopt);
    peakQueued = std::max<std::size_t>(peakQueued, a.stats().sendQueueBytes);
    std::this_thread::sleep_for(2ms);
  }
  // The stuck peers' queues grow together until the budget closes one, then the other.
  bool bothClosed = waitUntil([&] { return a.stats().queueBudgetCloses == 2; }, 15s);
  const HostStats atEnd = a.stats();
  INFO("budget closes ", atEnd.queueBudgetCloses, ", full closes ", atEnd.queueFullCloses,
       ", peak queued ", peakQueued);
  REQUIRE(bothClosed);
  REQUIRE(waitUntil(
      [&] {
        std::lock_guard lock(received.mutex);
        return received.deliveries.size() == kFrames;
      },
      15s));
  HostStats s = a.stats();
  CHECK(s.queueFullCloses == 0);
  CHECK(peakQueued > kBudget / 4);  // the queues did fill (beyond what the kernel buffers took)
  CHECK(peakQueued <= kBudget);
  CHECK(s.sendQueueBytes <= kBudget);
  {
    std::lock_guard lock(received.mutex);
    for (const auto& [payload, count] : received.deliveries) CHECK(count == 1);
  }
  CHECK(hasPeer(a, reader));
  CHECK(!a.isBanned(stuck1.nodeId()));  // slow is no offence
  CHECK(!a.isBanned(stuck2.nodeId()));
}

TEST_CASE("p2p send queues: a peer whose own queue passes maxQueuedBytes is closed, not banned") {
  // 25 MiB to a peer that reads nothing: beyond the kernel's socket buffers and a 4 MiB queue.
  constexpr std::size_t kFrames = 100, kFrameBytes = 256 * 1024;
  auto ac = fastConfig(65);
  ac.maxQueuedBytes = 4u << 20;
  StuckReaders stuck;  // outlives the hosts' threads
  Host a(ac);
  a.start();
  Host slow(dialing(a, 66));
  StuckReaders::Release release{stuck};
  stuck.stick(slow);
  slow.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1; }));
  for (std::size_t i = 0; i < kFrames && a.stats().queueFullCloses == 0; ++i) {
    a.broadcast(bft::Channel::Tx, Bytes(kFrameBytes, uint8_t(i)), std::nullopt);
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(waitUntil([&] { return a.stats().queueFullCloses == 1; }, 15s));
  CHECK(waitUntil([&] { return a.peerCount() == 0 && a.stats().sendQueueBytes == 0; }));
  CHECK(a.stats().queueBudgetCloses == 0);
  CHECK(!a.isBanned(slow.nodeId()));  // slow is no offence
}

// The header of a `kind` frame announcing `length` bytes, followed by only `sent` of them.
Bytes partialFrame(Kind kind, std::size_t length, std::size_t sent) {
  Bytes f = frame(kind, Bytes(length, 0x5a));
  f.resize(kFrameHeaderBytes + sent);
  return f;
}

TEST_CASE("p2p receive buffers: grow as bytes arrive, bounded for all peers together") {
  constexpr std::size_t kBudget = 8u << 20, kMiB = 1u << 20;
  auto ac = fastConfig(81);
  ac.maxTotalReadBufferBytes = kBudget;
  Receiver received;  // outlives the hosts' threads
  Host a(ac);
  attach(a, received, false);
  a.start();
  Host stalling1(dialing(a, 82)), stalling2(dialing(a, 83)), honest(dialing(a, 84));
  for (Host* h : {&stalling1, &stalling2, &honest}) h->start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 3; }));
  auto toA = [](Host& h) { return h.peers()[0].id; };

  // Announced 12 MiB, sent 64 KiB: the buffer holds what arrived, not what was announced.
  stalling1.sendFrameForTest(toA(stalling1), partialFrame(Kind::Proposal, 12 * kMiB, 64 * 1024));
  REQUIRE(waitUntil([&] { return a.stats().readBufferBytes > 0; }));
  std::this_thread::sleep_for(100ms);
  CHECK(a.stats().readBufferBytes <= 256 * 1024);

  // Two frames stalled 5 MiB in: the second one's growth passes the budget, and the larger
  // buffer's connection is closed.
  stalling1.sendFrameForTest(toA(stalling1), Bytes(5 * kMiB - 64 * 1024, 0x5a));
  stalling2.sendFrameForTest(toA(stalling2), partialFrame(Kind::Proposal, 12 * kMiB, 5 * kMiB));
  std::size_t peak = 0;
  auto sampleUntil = [&](auto done) {
    return waitUntil([&] {
      peak = std::max<std::size_t>(peak, a.stats().readBufferBytes);
      return done();
    });
  };
  REQUIRE(sampleUntil([&] { return a.stats().readBudgetCloses == 1; }));
  // The survivor's buffer grows to hold its 5 MiB (doubling: 8 MiB less the connection's own).
  REQUIRE(sampleUntil([&] { return a.stats().readBufferBytes == 8 * kMiB - 128 * 1024; }));

  // A whole 3 MiB block from an honest peer: its buffer needs room, the stalled frame's
  // connection is closed for it, and the block arrives.
  Bytes block(3 * kMiB, 0x11);
  honest.broadcast(bft::Channel::Proposal, block, std::nullopt);
  REQUIRE(sampleUntil([&] { return received.count(block) == 1; }));
  CHECK(a.stats().readBudgetCloses == 2);
  CHECK(peak <= kBudget);
  CHECK(hasPeer(a, honest));  // (the stalling nodes redial: they are no offenders)
  // The honest peer's frame is done: its buffer is released at the next read.
  honest.broadcast(bft::Channel::Vote, Bytes(100, 0x22), std::nullopt);
  CHECK(sampleUntil([&] { return a.stats().readBufferBytes == 0; }));
  CHECK(!a.isBanned(stalling1.nodeId()));  // a slow sender is no offence
}

TEST_CASE("p2p receive allowance: a flood of pings is read at the allowed rate, and all of it") {
  constexpr std::size_t kPings = 10'000, kBurst = 64 * 1024, kRate = 1u << 20;
  constexpr double kCostPerPing = kFrameHeaderBytes + 256;
  auto ac = fastConfig(91);
  ac.recvBurstBytes = kBurst;
  ac.recvBytesPerSecond = kRate;
  Host a(ac);
  a.start();
  Host b(dialing(a, 92));
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));
  std::this_thread::sleep_for(100ms);  // the handshake and the first PexRequest are in
  const uint64_t before = a.stats().framesIn;

  Bytes flood;
  for (std::size_t i = 0; i < kPings; ++i) append(flood, frame(Kind::Ping, {}));
  const auto start = std::chrono::steady_clock::now();
  b.sendFrameForTest(b.peers()[0].id, std::move(flood));
  // At any moment a has read no more than the allowance let it (plus the frame that spent it).
  bool withinAllowance = true;
  const bool all = waitUntil(
      [&] {
        uint64_t read = a.stats().framesIn - before;
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (double(read) > (kBurst + kRate * seconds) / kCostPerPing + 1) withinAllowance = false;
        return read == kPings;
      },
      15s);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(all);
  CHECK(withinAllowance);
  CHECK(took >= (kPings * kCostPerPing - kBurst) / kRate * 0.9);  // ~2.4 s, not at once
  CHECK(a.stats().readsThrottled > 0);
  CHECK(a.peerCount() == 1);  // a fast sender is no offence
  CHECK(!a.isBanned(b.nodeId()));
}

TEST_CASE("p2p peer exchange: requests beyond one per interval are ignored, not answered") {
  auto ac = fastConfig(71);
  ac.pexAnswerInterval = 60s;
  Host a(ac);
  a.start();
  Host b(dialing(a, 72));  // asks once when connected (outbound, pex on)
  b.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1 && b.peerCount() == 1; }));
  REQUIRE(waitUntil([&] { return b.stats().framesIn >= 3; }));  // Hello, Auth, the one answer
  std::this_thread::sleep_for(50ms);
  const uint64_t framesOutBefore = a.stats().framesOut;
  const PeerId toA = b.peers()[0].id;
  for (int i = 0; i < 50; ++i) b.sendFrameForTest(toA, frame(Kind::PexRequest, {}));
  REQUIRE(waitUntil([&] { return a.stats().pexRequestsIgnored == 50; }));
  std::this_thread::sleep_for(100ms);
  CHECK(a.stats().framesOut == framesOutBefore);  // no answer queued for any of them
  CHECK(a.peerCount() == 1);                      // and no offence either
}

TEST_CASE("p2p I/O thread: a handler that throws is reported on stderr, and the host keeps going") {
  test::StderrCapture capture;  // outlives the hosts' threads
  auto bc = fastConfig(42);
  auto b = std::make_unique<Host>(bc);
  b->start();
  const uint16_t bPort = b->port();
  Host a(dialing(*b, 41));
  std::atomic<int> disconnects{0};
  // The handler throws from inside a read handler (the connection's end), past every catch of
  // the host but the I/O thread's own.
  a.setPeerHandler([&](PeerId, bool connected) {
    if (!connected && disconnects++ == 0) throw std::runtime_error("peer handler failed");
  });
  a.start();
  REQUIRE(waitUntil([&] { return a.peerCount() == 1; }));
  b.reset();
  REQUIRE(waitUntil([&] { return disconnects == 1 && a.peerCount() == 0; }));
  // Printed once the exception has unwound to the thread, just after the count went up.
  CHECK(waitUntil([&] {
    return capture.captured().find("p2p: unexpected exception in io thread: peer handler failed") !=
           std::string::npos;
  }));

  // Its timers still run (the persistent peer is redialled) and it still accepts.
  bc.listenAddr = "127.0.0.1:" + std::to_string(bPort);
  b = std::make_unique<Host>(bc);
  b->start();
  CHECK(waitUntil([&] { return a.peerCount() == 1 && b->peerCount() == 1; }));
  checkJoinable(a, 43, 2);
}

TEST_CASE(
    "p2p accept: a second inbound connection from one address within the throttle is closed") {
  auto ac = fastConfig(101);
  ac.inboundThrottle = 60s;
  ac.throttleLocalAddresses = true;  // the test runs on loopback
  Host a(ac);
  a.start();
  {
    Host first(dialing(a, 102));
    first.start();
    REQUIRE(waitUntil([&] { return a.peerCount() == 1; }));
  }
  REQUIRE(waitUntil([&] { return a.peerCount() == 0; }));
  Host second(dialing(a, 103));  // redials every 50 ms: closed at accept each time
  second.start();
  REQUIRE(waitUntil([&] { return a.stats().inboundThrottled >= 3; }));
  CHECK(a.peerCount() == 0);
  CHECK(a.stats().handshakeFailures == 0);  // closed before any handshake work

  // By default loopback and private addresses are exempt: two joins in a row both connect.
  Host local(fastConfig(104));
  local.start();
  checkJoinable(local, 105, 1);
  checkJoinable(local, 106, 1);
  CHECK(local.stats().inboundThrottled == 0);
}

TEST_CASE("p2p accept: which addresses are local, and what counts as one address") {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                         "169.254.0.9", "::1", "fd00::1", "fe80::1", "::ffff:192.168.0.2"})
    CHECK_MESSAGE(isLocalAddress(ip), ip);
  for (const char* ip :
       {"8.8.8.8", "172.32.0.1", "172.15.0.1", "192.169.0.1", "2001:db8::1", "::ffff:8.8.8.8"})
    CHECK_MESSAGE(!isLocalAddress(ip), ip);
  CHECK(addressGroup("203.0.113.7") == "203.0.113.7");
  CHECK(addressGroup("::ffff:203.0.113.7") == "203.0.113.7");
  // One /64: an IPv6 host can take any of 2^64 addresses, which must not each get a new slot.
  CHECK(addressGroup("2001:db8:1:2::1") == addressGroup("2001:db8:1:2:ffff::9"));
  CHECK(addressGroup("2001:db8:1:2::1") != addressGroup("2001:db8:1:3::1"));
  CHECK(addressGroup("2001:db8:1:2::1") == "20010db800010002/64");
}

TEST_CASE("p2p accept: out of file descriptors, the host waits instead of spinning, then accepts") {
  Host a(fastConfig(1));
  a.start();
  boost::asio::io_context io;
  test::DescriptorExhaustion out = test::exhaustDescriptors(io, a.port(), 500ms);
  out.clients.clear();
  REQUIRE(out.limitsSet);
  REQUIRE(out.ranOut);
  CHECK_MESSAGE(out.cpuMicrosWhileOut < 150'000, "the host used ", out.cpuMicrosWhileOut,
                " µs of CPU in 500 ms while out of fds");

  checkJoinable(a, 2, 1);
}

TEST_CASE("p2p accept: a connection accepted with the last descriptor still gets its handshake") {
  // A connection needs no descriptor beyond its socket: its handshake challenge comes from
  // getrandom(2). It used to open /dev/urandom, whose failure escaped the I/O thread and ended
  // the process.
  Host a(fastConfig(1));
  a.start();
  boost::asio::io_context io;  // its own descriptors first
  boost::asio::ip::tcp::socket client(io);
  client.open(boost::asio::ip::tcp::v4());
  rlimit original{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &original) == 0);
  // New descriptors take the lowest free numbers below the limit: a limit at the second free
  // number leaves exactly one, for the host's accept.
  std::vector<int> freeNumbers;
  for (int fd = 0; freeNumbers.size() < 2; ++fd)
    if (fcntl(fd, F_GETFD) == -1) freeNumbers.push_back(fd);
  rlimit tight = original;
  tight.rlim_cur = rlim_t(freeNumbers[1]);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &tight) == 0);

  boost::system::error_code connectError, readError;
  client.connect({boost::asio::ip::make_address("127.0.0.1"), a.port()}, connectError);
  std::size_t received = 0;
  if (!connectError) {
    client.non_blocking(true);
    std::array<uint8_t, 4096> buffer{};
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (received == 0 && std::chrono::steady_clock::now() < deadline) {
      received = client.read_some(boost::asio::buffer(buffer), readError);
      if (readError == boost::asio::error::would_block)
        std::this_thread::sleep_for(10ms);
      else if (readError)
        break;
    }
  }
  // No doctest macro while descriptors are out (see the test above).
  REQUIRE(setrlimit(RLIMIT_NOFILE, &original) == 0);
  REQUIRE_MESSAGE(!connectError, connectError.message());
  CHECK_MESSAGE(received > 0, "no Hello from the host: ", readError.message());

  // And the host goes on accepting once descriptors are back.
  checkJoinable(a, 2, 1);
}
