#include "consensus/p2p/host.hpp"

#include <boost/asio.hpp>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "chain/random.hpp"
#include "chain/rlp.hpp"

namespace tn::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Remembers the content hashes of recent gossip so each message is handled and relayed once.
class SeenSet {
 public:
  explicit SeenSet(std::size_t capacity) : capacity_(capacity) {}
  // True if `h` is new (and remembers it).
  bool insert(const Hash32& h) {
    if (!set_.insert(h).second) return false;
    order_.push_back(h);
    if (order_.size() > capacity_) {
      set_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }

 private:
  std::size_t capacity_;
  std::unordered_set<Hash32> set_;
  std::deque<Hash32> order_;
};

Hash32 gossipHash(Kind kind, BytesView payload) {
  Bytes tagged{uint8_t(kind)};
  append(tagged, payload);
  return keccak256(tagged);
}

}  // namespace

struct Connection;

struct Host::Impl {
  struct Persistent {
    PeerAddress addr;            // nodeId filled in after the first handshake if not configured
    std::optional<PeerId> conn;  // the connection dialled for it, while alive
    bool dialing = false;
    Clock::time_point nextDial{};
  };
  struct BookEntry {
    PeerAddress addr;
    int failures = 0;
    bool dialing = false;
    Clock::time_point nextDial{};
  };

  HostConfig config;
  Bytes nodeId;
  MessageHandler onMessage;
  PeerHandler onPeer;
  Host::ReadGate readGate;

  // Declared first so that it is destroyed last (sockets and timers need it).
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{io};
  tcp::resolver resolver{io};
  asio::steady_timer tick{io};
  asio::steady_timer acceptRetry{io};  // after a failed accept (EMFILE, ENOBUFS): no busy loop
  std::thread thread;
  bool stopping = false;

  PeerId nextId = 1;
  std::map<PeerId, std::shared_ptr<Connection>> conns;
  std::vector<Persistent> persistent;
  std::map<Bytes, BookEntry> book;          // by node id
  std::map<Bytes, Clock::time_point> bans;  // node id -> until
  SeenSet seen;
  Clock::time_point lastPex{};
  // Inbound addresses seen within config.inboundThrottle, until when; bounded, since IPv6 offers
  // an attacker many addresses: when full, inbound connections from new addresses are closed too.
  std::map<std::string, Clock::time_point> inboundHistory;
  static constexpr std::size_t kMaxInboundHistory = 65'536;

  mutable std::mutex snapshotMutex;  // guards the three below, read from other threads
  std::vector<PeerInfo> peerSnapshot;
  std::map<Bytes, Clock::time_point> banSnapshot;
  HostStats stats;
  std::atomic<uint16_t> boundPort{0};
  // All connections' queuedBytes and inGrowth, written on the io thread (read by stats()).
  std::atomic<std::size_t> totalQueued{0};
  std::atomic<std::size_t> totalReadGrowth{0};

  explicit Impl(HostConfig c) : config(std::move(c)), seen(config.seenCapacity) {}

  void log(const std::string& line) {
    if (config.verbose) std::fprintf(stderr, "p2p: %s\n", line.c_str());
  }
  template <typename F>
  void count(F&& f) {
    std::lock_guard lock(snapshotMutex);
    f(stats);
  }

  void startListening();
  void accept();
  void dial(const PeerAddress& addr, std::optional<std::size_t> persistentIndex);
  void onTick();
  void onEstablished(const std::shared_ptr<Connection>& c);
  void onClosed(Connection& c);
  void onFrame(Connection& c, Kind kind, Bytes&& payload);
  // Before `c` queues or buffers `bytes` more: keep all connections within the host's budget.
  bool makeRoom(const Connection& c, std::size_t bytes);
  bool makeReadRoom(const Connection& c, std::size_t bytes);
  bool closeLargest(const Connection& c, std::size_t bytes, std::size_t budget,
                    const std::atomic<std::size_t>& total, std::size_t Connection::*held,
                    uint64_t HostStats::*closes, const char* what);
  bool inboundThrottled(const tcp::endpoint& remote);
  void ban(const Bytes& id, const std::string& reason);
  bool banned(const Bytes& id) const {
    auto it = bans.find(id);
    return it != bans.end() && it->second > Clock::now();
  }
  bool connectedTo(const Bytes& id) const;
  void broadcastFrame(Kind kind, Bytes&& payload, std::optional<PeerId> except);
  std::shared_ptr<Connection> established(PeerId id) const;
  void publishPeers();
  void closeAll();
};

struct Connection : std::enable_shared_from_this<Connection> {
  enum class State { AwaitHello, AwaitAuth, Established, Closed };

  Host::Impl& host;
  tcp::socket socket;
  PeerId id;
  bool outbound;
  std::optional<std::size_t> persistentIndex;  // into Impl::persistent
  std::optional<Bytes> bookKey;                // the address-book entry it was dialled for
  State state = State::AwaitHello;
  Hash32 challenge = secureRandomHash();  // handshake challenges must be unpredictable
  Hello remote;  // valid from AwaitAuth on
  std::string remoteEndpoint;
  static constexpr std::size_t kReadChunk = 64 * 1024;  // room for at least this much per read
  static constexpr std::size_t kOwnBuffer = 2 * kReadChunk;
  Bytes in = Bytes(kOwnBuffer);  // received bytes; [inStart, inEnd) not parsed yet
  std::size_t inStart = 0, inEnd = 0;
  std::size_t inNeeded = 0;  // the size of a frame being received that does not fit yet
  std::size_t inGrowth = 0;  // in.size() beyond kOwnBuffer, counted in the host's totalReadGrowth
  Bytes body;
  std::deque<std::shared_ptr<const Bytes>> queue;
  std::size_t queuedBytes = 0;
  bool writing = false;
  static constexpr std::size_t kMaxFramesPerWrite = 64;  // IOV_MAX is 1024
  static constexpr std::size_t kMaxBytesPerWrite = 1u << 20;
  asio::steady_timer handshakeTimer;
  asio::steady_timer readPause;  // while the read gate is closed or the allowance spent
  Clock::time_point lastIn = Clock::now(), lastOut = Clock::now();
  std::optional<Clock::time_point> lastPexAnswer;
  static constexpr std::size_t kFrameReadCharge = 256;  // per frame, on top of its bytes
  std::optional<bft::TokenBucket> recvAllowance;        // none if unlimited

  Connection(Host::Impl& h, tcp::socket s, PeerId i, bool out)
      : host(h), socket(std::move(s)), id(i), outbound(out), handshakeTimer(h.io), readPause(h.io) {
    if (h.config.recvBytesPerSecond != 0)
      recvAllowance.emplace(h.config.recvBurstBytes, h.config.recvBytesPerSecond, Clock::now());
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    remoteEndpoint = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket.set_option(tcp::no_delay(true), ec);
  }

  bool established() const { return state == State::Established; }

  void start() {
    auto self = shared_from_this();
    handshakeTimer.expires_after(host.config.handshakeTimeout);
    handshakeTimer.async_wait([self](boost::system::error_code ec) {
      if (!ec && !self->established()) self->close("handshake timeout");
    });
    Hello hello;
    hello.chainId = host.config.chainId;
    hello.genesisHash = host.config.genesisHash;
    hello.nodeId = host.nodeId;
    hello.listenPort = host.boundPort.load();
    hello.challenge = challenge;
    send(std::make_shared<const Bytes>(frame(Kind::Hello, hello.encode())));
    readMore();
  }

  // Reads are buffered: one recv() usually brings in many small frames (votes, transaction
  // batches), which are parsed from the buffer without further system calls.
  void readMore() {
    if (host.readGate && !host.readGate()) {
      // Our consumer is behind, not the peer silent: the idle timeout does not run meanwhile.
      lastIn = Clock::now();
      host.count([](HostStats& s) { ++s.readsPaused; });
      readPause.expires_after(std::chrono::milliseconds(5));
      readPause.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && self->state != State::Closed) self->readMore();
      });
      return;
    }
    if (inStart > 0) {
      std::memmove(in.data(), in.data() + inStart, inEnd - inStart);
      inEnd -= inStart;
      inStart = 0;
    }
    // What is left unparsed is a frame's beginning: shorter than its header, or than inNeeded.
    if (in.size() > kOwnBuffer && inNeeded <= kOwnBuffer) {
      Bytes own(kOwnBuffer);  // the big frame is done: release its buffer
      std::memcpy(own.data(), in.data(), inEnd);
      in.swap(own);
      setGrowth(0);
    }
    // Only a frame bigger than the buffer grows it, as its bytes arrive, doubling up to the
    // frame's size, not at once when its header announces it: a peer that announces 16 MiB and
    // sends little holds little, and what it holds counts against the host's budget.
    if (inNeeded > in.size() && in.size() - inEnd < kReadChunk) {
      std::size_t want = std::max(inEnd + kReadChunk, std::min(inNeeded, 2 * in.size()));
      if (!host.makeReadRoom(*this, want - in.size())) return;  // this connection was closed
      in.resize(want);
      setGrowth(want - kOwnBuffer);
    }
    auto self = shared_from_this();
    socket.async_read_some(
        asio::buffer(in.data() + inEnd, in.size() - inEnd),
        [self](boost::system::error_code ec, std::size_t n) {
          if (ec) return self->close(ec == asio::error::eof ? "closed by peer" : ec.message());
          self->inEnd += n;
          self->parseFrames();
        });
  }

  void setGrowth(std::size_t growth) {
    host.totalReadGrowth += growth;
    host.totalReadGrowth -= inGrowth;
    inGrowth = growth;
  }

  // The peer used up its receive allowance: parse and read nothing more from it until the
  // allowance is positive again (its frames already buffered wait too).
  void pauseForAllowance() {
    lastIn = Clock::now();  // we are not reading; the peer is not idle
    host.count([](HostStats& s) { ++s.readsThrottled; });
    readPause.expires_at(
        std::max(recvAllowance->availableAt(), lastIn + std::chrono::milliseconds(1)));
    readPause.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && self->state != State::Closed) self->parseFrames();
    });
  }

  void parseFrames() {
    uint64_t parsed = 0;
    bool throttled = false;
    while (state != State::Closed) {
      if (recvAllowance && !recvAllowance->available(Clock::now())) {
        throttled = true;
        break;
      }
      std::size_t avail = inEnd - inStart;
      if (avail < kFrameHeaderBytes) break;
      const uint8_t* h = in.data() + inStart;
      uint32_t length =
          uint32_t(h[0]) << 24 | uint32_t(h[1]) << 16 | uint32_t(h[2]) << 8 | uint32_t(h[3]);
      uint8_t kind = h[4];
      auto limit = maxPayload(kind);
      if (!limit) return misbehave("unknown message kind " + std::to_string(kind));
      bool expected = state == State::AwaitHello ? kind == uint8_t(Kind::Hello)
                      : state == State::AwaitAuth
                          ? kind == uint8_t(Kind::Auth)
                          : kind != uint8_t(Kind::Hello) && kind != uint8_t(Kind::Auth);
      if (!expected) return misbehave(std::string("unexpected ") + std::string(name(Kind(kind))));
      // The limit is checked before the buffer grows for the payload.
      if (length > *limit)
        return misbehave(std::string("oversized ") + std::string(name(Kind(kind))) + " frame (" +
                         std::to_string(length) + " > " + std::to_string(*limit) + " bytes)");
      if (avail < kFrameHeaderBytes + length) {
        inNeeded = kFrameHeaderBytes + length;
        break;
      }
      inNeeded = 0;
      const uint8_t* p = h + kFrameHeaderBytes;
      body.assign(p, p + length);
      inStart += kFrameHeaderBytes + length;
      if (recvAllowance) recvAllowance->take(kFrameHeaderBytes + length + kFrameReadCharge);
      ++parsed;
      onFrameBody(Kind(kind));
    }
    if (parsed) host.count([parsed](HostStats& s) { s.framesIn += parsed; });
    if (state == State::Closed) return;
    if (throttled)
      pauseForAllowance();
    else
      readMore();
  }

  void onFrameBody(Kind kind) {
    lastIn = Clock::now();
    try {
      if (kind == Kind::Hello)
        onHello();
      else if (kind == Kind::Auth)
        onAuth();
      else
        host.onFrame(*this, kind, std::move(body));
    } catch (const std::exception& e) {
      return misbehave(std::string("malformed ") + std::string(name(kind)) + ": " + e.what());
    }
  }

  void onHello() {
    remote = Hello::decode(body);
    state = State::AwaitAuth;  // the node id is claimed, not proven, until its Auth verifies
    if (remote.version != kProtocolVersion)
      return refuse("protocol version " + std::to_string(remote.version));
    if (remote.chainId != host.config.chainId)
      return refuse("wrong chain id " + std::to_string(remote.chainId));
    if (remote.genesisHash != host.config.genesisHash) return refuse("wrong genesis hash");
    if (remote.nodeId == host.nodeId) return refuse("connected to itself");
    if (host.banned(remote.nodeId)) {
      host.count([](HostStats& s) { ++s.refusedBanned; });
      return refuse("banned node");
    }
    if (persistentIndex) {
      const PeerAddress& want = host.persistent[*persistentIndex].addr;
      if (!want.nodeId.empty() && want.nodeId != remote.nodeId)
        return refuse("node id differs from the configured " +
                      toHex(want.nodeId, false).substr(0, 16));
    }
    Hash32 h =
        authHash(host.config.chainId, host.config.genesisHash, remote.challenge, host.nodeId);
    send(std::make_shared<const Bytes>(
        frame(Kind::Auth, encodeAuth(signHash(h, host.config.nodeKey)))));
  }

  void onAuth() {
    Signature sig = decodeAuth(body);
    Hash32 h = authHash(host.config.chainId, host.config.genesisHash, challenge, remote.nodeId);
    if (!verifyAuth(h, sig, remote.nodeId))
      return misbehave("handshake signature does not match its node id");
    state = State::Established;
    handshakeTimer.cancel();
    host.onEstablished(shared_from_this());
  }

  // A handshake that cannot succeed. Nothing is banned: the Hello's node id is not proven yet.
  void refuse(const std::string& reason) {
    host.count([](HostStats& s) { ++s.handshakeFailures; });
    close("handshake refused: " + reason);
  }

  // Invalid data: disconnect, and ban the node once its Auth proved who it is. Before that the id
  // is merely claimed, and banning it would let anyone get an honest node banned (and its
  // connections dropped) by sending its id in a Hello followed by garbage.
  void misbehave(const std::string& reason) {
    if (state == State::Closed) return;
    if (state == State::Established)
      host.ban(remote.nodeId, reason);
    else
      host.count([](HostStats& s) { ++s.handshakeFailures; });
    close(reason);
  }

  void send(std::shared_ptr<const Bytes> f) {
    if (state == State::Closed) return;
    if (queuedBytes + f->size() > host.config.maxQueuedBytes) {
      host.count([](HostStats& s) { ++s.queueFullCloses; });
      return close("send queue full");
    }
    if (!host.makeRoom(*this, f->size())) return;  // this connection was closed for it
    queuedBytes += f->size();
    host.totalQueued += f->size();
    queue.push_back(std::move(f));
    lastOut = Clock::now();
    if (!writing) writeNext();
  }

  // Everything queued goes out in one gather write (one system call for a burst of frames).
  void writeNext() {
    if (queue.empty() || state == State::Closed) {
      writing = false;
      return;
    }
    writing = true;
    std::vector<asio::const_buffer> buffers;
    std::size_t frames = 0, bytes = 0;
    for (const auto& f : queue) {
      if (frames == kMaxFramesPerWrite || (frames > 0 && bytes + f->size() > kMaxBytesPerWrite))
        break;
      buffers.emplace_back(f->data(), f->size());
      ++frames;
      bytes += f->size();
    }
    auto self = shared_from_this();
    asio::async_write(socket, buffers,
                      [self, frames, bytes](boost::system::error_code ec, std::size_t) {
                        // After close() the queue is no longer counted.
                        if (ec || self->state == State::Closed) return self->close(ec.message());
                        self->queuedBytes -= bytes;
                        self->host.totalQueued -= bytes;
                        for (std::size_t i = 0; i < frames; ++i) self->queue.pop_front();
                        self->host.count([frames](HostStats& s) { s.framesOut += frames; });
                        self->writeNext();
                      });
  }

  void close(const std::string& reason) {
    if (state == State::Closed) return;
    bool wasEstablished = established();
    state = State::Closed;
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    handshakeTimer.cancel();
    readPause.cancel();
    // Released from the budgets now; the frames and the buffer themselves go with the
    // connection, once its cancelled handlers have run (a write in flight still points at them).
    host.totalQueued -= queuedBytes;
    queuedBytes = 0;
    setGrowth(0);
    if (wasEstablished || host.config.verbose)
      host.log("peer " + std::to_string(id) + " (" + remoteEndpoint + ") disconnected: " + reason);
    host.onClosed(*this);
  }

  PeerInfo info() const {
    PeerInfo p;
    p.id = id;
    p.nodeId = remote.nodeId;
    p.remote = remoteEndpoint;
    auto colon = remoteEndpoint.rfind(':');
    if (remote.listenPort != 0 && colon != std::string::npos)
      p.listenAddr = remoteEndpoint.substr(0, colon) + ":" + std::to_string(remote.listenPort);
    p.outbound = outbound;
    p.persistent = persistentIndex.has_value();
    return p;
  }
};

// ------------------------------------------------------------------------------------ Impl

void Host::Impl::startListening() {
  if (config.listenAddr.empty()) return;
  PeerAddress a = parsePeerAddress(config.listenAddr, /*allowPortZero=*/true);
  tcp::endpoint ep(asio::ip::make_address(a.host), a.port);
  acceptor.open(ep.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen();
  boundPort = acceptor.local_endpoint().port();
}

void Host::Impl::accept() {
  if (!acceptor.is_open()) return;
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec) {
      std::size_t inbound = 0;
      for (const auto& [id, c] : conns) inbound += !c->outbound;
      boost::system::error_code remoteError;
      auto remote = socket.remote_endpoint(remoteError);
      if (inbound >= config.maxInbound || remoteError || inboundThrottled(remote)) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        try {
          auto c = std::make_shared<Connection>(*this, std::move(socket), nextId++, false);
          conns[c->id] = c;
          c->start();
        } catch (const std::exception& e) {  // out of memory, say: drop this one, keep accepting
          std::fprintf(stderr, "p2p: inbound connection dropped: %s\n", e.what());
        }
      }
    } else if (ec != asio::error::operation_aborted) {
      // Out of descriptors or buffers: the error repeats until something closes, so wait a
      // little instead of spinning the I/O thread that also serves the established peers.
      acceptRetry.expires_after(std::chrono::milliseconds(100));
      acceptRetry.async_wait([this](boost::system::error_code e) {
        if (!e && !stopping) accept();
      });
      return;
    }
    accept();
  });
}

void Host::Impl::dial(const PeerAddress& addr, std::optional<std::size_t> persistentIndex) {
  if (persistentIndex)
    persistent[*persistentIndex].dialing = true;
  else
    book[addr.nodeId].dialing = true;
  auto socket = std::make_shared<tcp::socket>(io);
  auto failed = [this, addr, persistentIndex](const std::string& why) {
    if (stopping) return;
    if (persistentIndex) {
      Persistent& p = persistent[*persistentIndex];
      p.dialing = false;
      p.nextDial = Clock::now() + config.dialInterval;
    } else if (auto it = book.find(addr.nodeId); it != book.end()) {
      it->second.dialing = false;
      it->second.nextDial = Clock::now() + config.dialInterval * 10;
      if (++it->second.failures >= 3) book.erase(it);
    }
    (void)why;
  };
  resolver.async_resolve(addr.host, std::to_string(addr.port),
                         [this, socket, addr, persistentIndex, failed](
                             boost::system::error_code ec, tcp::resolver::results_type results) {
                           if (ec) return failed(ec.message());
                           asio::async_connect(
                               *socket, results,
                               [this, socket, addr, persistentIndex, failed](
                                   boost::system::error_code ec2, const tcp::endpoint&) {
                                 if (ec2 || stopping)
                                   return failed(ec2 ? ec2.message() : "stopping");
                                 auto c = std::make_shared<Connection>(*this, std::move(*socket),
                                                                       nextId++, true);
                                 c->persistentIndex = persistentIndex;
                                 if (persistentIndex) {
                                   persistent[*persistentIndex].dialing = false;
                                   persistent[*persistentIndex].conn = c->id;
                                 } else {
                                   c->bookKey = addr.nodeId;
                                   book[addr.nodeId].dialing = false;
                                 }
                                 conns[c->id] = c;
                                 c->start();
                               });
                         });
}

bool Host::Impl::connectedTo(const Bytes& id) const {
  for (const auto& [pid, c] : conns)
    if (c->established() && c->remote.nodeId == id) return true;
  return false;
}

std::shared_ptr<Connection> Host::Impl::established(PeerId id) const {
  auto it = conns.find(id);
  return it != conns.end() && it->second->established() ? it->second : nullptr;
}

void Host::Impl::onTick() {
  if (stopping) return;
  auto now = Clock::now();
  for (auto it = bans.begin(); it != bans.end();)
    it = it->second <= now ? bans.erase(it) : std::next(it);
  for (auto it = inboundHistory.begin(); it != inboundHistory.end();)
    it = it->second <= now ? inboundHistory.erase(it) : std::next(it);
  // Persistent peers: redial whenever neither our dial nor their dial is connected.
  for (std::size_t i = 0; i < persistent.size(); ++i) {
    Persistent& p = persistent[i];
    if (p.conn || p.dialing || now < p.nextDial) continue;
    if (!p.addr.nodeId.empty() && (connectedTo(p.addr.nodeId) || banned(p.addr.nodeId))) continue;
    dial(p.addr, i);
  }
  // Addresses learnt by peer exchange, up to maxOutbound connections of our own.
  std::size_t outbound = 0;
  for (const auto& [id, c] : conns) outbound += c->outbound && !c->persistentIndex;
  for (auto& [id, entry] : book) {
    if (outbound >= config.maxOutbound) break;
    if (entry.dialing || now < entry.nextDial || connectedTo(id) || banned(id)) continue;
    dial(entry.addr, std::nullopt);
    ++outbound;
  }
  bool pexDue = config.pex && now - lastPex >= config.pexInterval;
  if (pexDue) lastPex = now;
  std::vector<std::shared_ptr<Connection>> snapshot;
  for (const auto& [id, c] : conns) snapshot.push_back(c);
  for (const auto& c : snapshot) {
    if (!c->established()) continue;
    if (now - c->lastIn > config.idleTimeout) {
      c->close("idle for " + std::to_string(config.idleTimeout.count()) + " ms");
      continue;
    }
    if (now - c->lastOut > config.pingInterval)
      c->send(std::make_shared<const Bytes>(frame(Kind::Ping, {})));
    if (pexDue) c->send(std::make_shared<const Bytes>(frame(Kind::PexRequest, {})));
  }
  tick.expires_after(
      std::min<std::chrono::milliseconds>(config.dialInterval, std::chrono::milliseconds(200)));
  tick.async_wait([this](boost::system::error_code ec) {
    if (!ec) onTick();
  });
}

void Host::Impl::onEstablished(const std::shared_ptr<Connection>& c) {
  // Two connections to one node (both sides dialled): keep the one dialled by the smaller node
  // id, which both sides compute alike, so they close the same one.
  for (const auto& [id, other] : conns) {
    if (other == c || !other->established() || other->remote.nodeId != c->remote.nodeId) continue;
    auto dialer = [&](const Connection& x) { return x.outbound ? nodeId : x.remote.nodeId; };
    bool keepNew = dialer(*c) < dialer(*other);
    auto loser = keepNew ? other : c;
    loser->close("duplicate connection");
    if (loser == c) return;
    break;
  }
  if (c->persistentIndex && persistent[*c->persistentIndex].addr.nodeId.empty())
    persistent[*c->persistentIndex].addr.nodeId = c->remote.nodeId;
  if (c->bookKey) {
    if (auto it = book.find(*c->bookKey); it != book.end()) it->second.failures = 0;
  }
  // An inbound peer that listens becomes a known address for peer exchange.
  PeerInfo info = c->info();
  if (!c->outbound && !info.listenAddr.empty() && book.size() < config.maxAddressBook &&
      !book.count(c->remote.nodeId)) {
    try {
      PeerAddress a = parsePeerAddress(info.listenAddr);
      a.nodeId = c->remote.nodeId;
      book[a.nodeId] = BookEntry{a, 0, false, Clock::now() + config.dialInterval};
    } catch (const std::exception&) {
    }
  }
  log("peer " + std::to_string(c->id) +
      " connected: " + toHex(c->remote.nodeId, false).substr(0, 16) + "… " +
      (c->outbound ? "to " : "from ") + c->remoteEndpoint);
  publishPeers();
  if (config.pex && c->outbound)
    c->send(std::make_shared<const Bytes>(frame(Kind::PexRequest, {})));
  if (onPeer) onPeer(c->id, true);
}

void Host::Impl::onClosed(Connection& c) {
  auto it = conns.find(c.id);
  if (it == conns.end()) return;
  auto keep = it->second;  // keep the object alive until the end of this call
  conns.erase(it);
  if (c.persistentIndex) {
    Persistent& p = persistent[*c.persistentIndex];
    if (p.conn == c.id) p.conn.reset();
    p.nextDial = Clock::now() + config.dialInterval;
  }
  bool wasPeer = false;
  {
    std::lock_guard lock(snapshotMutex);
    for (const auto& p : peerSnapshot) wasPeer |= p.id == c.id;
  }
  if (wasPeer) {
    publishPeers();
    if (onPeer && !stopping) onPeer(c.id, false);
  }
}

void Host::Impl::onFrame(Connection& c, Kind kind, Bytes&& payload) {
  switch (kind) {
    case Kind::Ping:
      return;
    case Kind::PexRequest: {
      if (!config.pex) return;
      auto now = Clock::now();
      if (c.lastPexAnswer && now - *c.lastPexAnswer < config.pexAnswerInterval) {
        count([](HostStats& s) { ++s.pexRequestsIgnored; });
        return;
      }
      c.lastPexAnswer = now;
      std::vector<PeerAddress> addrs;
      for (const auto& [id, other] : conns) {
        if (other.get() == &c || !other->established()) continue;
        PeerInfo info = other->info();
        if (info.listenAddr.empty() && !other->outbound) continue;
        PeerAddress a = parsePeerAddress(other->outbound ? other->remoteEndpoint : info.listenAddr);
        a.nodeId = other->remote.nodeId;
        addrs.push_back(std::move(a));
        if (addrs.size() == kMaxPexAddrs) break;
      }
      c.send(std::make_shared<const Bytes>(frame(Kind::PexAddrs, encodePexAddrs(addrs))));
      return;
    }
    case Kind::PexAddrs: {
      auto addrs = decodePexAddrs(payload);  // throws on malformed input: the peer is banned
      if (!config.pex) return;
      for (auto& a : addrs) {
        if (a.nodeId == nodeId || book.count(a.nodeId) || book.size() >= config.maxAddressBook)
          continue;
        book[a.nodeId] = BookEntry{a, 0, false, Clock::now()};
      }
      return;
    }
    default:
      break;
  }
  // Votes always reach the engine: it drops votes for a height it has not reached yet (a node
  // still syncing), so remembering them here would refuse their re-gossip later and can stall a
  // quorum. The machine ignores duplicates and relays only votes it added, so none circle.
  // Transaction batches are not remembered either: relayed batches are cut differently at each
  // node, so the pool's hash check is what drops repeats.
  if (isGossip(kind) && kind != Kind::Vote && kind != Kind::Tx &&
      !seen.insert(gossipHash(kind, payload))) {
    count([](HostStats& s) { ++s.gossipDuplicates; });
    return;
  }
  if (onMessage) onMessage(c.id, bft::Channel(uint8_t(kind)), std::move(payload));
}

// While `total` plus `bytes` more would pass `budget`, closes the connection holding the most
// (`held`): the peer reading slowest, for send queues; a frame stalled half-sent, most often,
// for receive buffers. A persistent peer is not spared: sparing it would close every other peer
// in turn when it is the one stuck, and it is redialled anyway. Returns false if `c` itself was
// closed. With nothing held anywhere, one item larger than the budget goes through alone.
bool Host::Impl::closeLargest(const Connection& c, std::size_t bytes, std::size_t budget,
                              const std::atomic<std::size_t>& total, std::size_t Connection::*held,
                              uint64_t HostStats::*closes, const char* what) {
  while (total.load() + bytes > budget) {
    std::shared_ptr<Connection> victim;
    for (const auto& [id, other] : conns)
      if ((*other).*held > 0 && (!victim || (*other).*held > (*victim).*held)) victim = other;
    if (!victim) return true;
    count([closes](HostStats& s) { ++(s.*closes); });
    bool self = victim.get() == &c;
    victim->close(std::string(what) + " over the host's budget of " + std::to_string(budget) +
                  " bytes; this one held the most (" + std::to_string((*victim).*held) + " bytes)");
    if (self) return false;
  }
  return true;
}

bool Host::Impl::makeRoom(const Connection& c, std::size_t bytes) {
  return closeLargest(c, bytes, config.maxTotalQueuedBytes, totalQueued, &Connection::queuedBytes,
                      &HostStats::queueBudgetCloses, "send queues");
}

bool Host::Impl::makeReadRoom(const Connection& c, std::size_t bytes) {
  return closeLargest(c, bytes, config.maxTotalReadBufferBytes, totalReadGrowth,
                      &Connection::inGrowth, &HostStats::readBudgetCloses, "receive buffers");
}

namespace {

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

bool isLocalAddress(const std::string& ip) {
  const auto a = unmapped(asio::ip::make_address(ip));
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
  }
  auto b = a.to_v6().to_bytes();
  return a.to_v6().is_loopback() || (b[0] & 0xfe) == 0xfc ||
         (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

std::string addressGroup(const std::string& ip) {
  const auto a = unmapped(asio::ip::make_address(ip));
  if (a.is_v4()) return a.to_string();
  auto b = a.to_v6().to_bytes();
  return toHex(BytesView(b.data(), 8), false) + "/64";
}

// True if an inbound connection from `remote` comes too soon after the previous one from its
// address (or the history is full); otherwise remembers the address.
bool Host::Impl::inboundThrottled(const tcp::endpoint& remote) {
  if (config.inboundThrottle.count() <= 0) return false;
  const std::string address = remote.address().to_string();
  if (!config.throttleLocalAddresses && isLocalAddress(address)) return false;
  const std::string key = addressGroup(address);
  const auto now = Clock::now();
  auto it = inboundHistory.find(key);
  if ((it != inboundHistory.end() && it->second > now) ||
      (it == inboundHistory.end() && inboundHistory.size() >= kMaxInboundHistory)) {
    count([](HostStats& s) { ++s.inboundThrottled; });
    return true;
  }
  inboundHistory[key] = now + config.inboundThrottle;
  return false;
}

void Host::Impl::ban(const Bytes& id, const std::string& reason) {
  if (id.empty()) return;
  auto until = Clock::now() + config.banDuration;
  bans[id] = until;
  {
    std::lock_guard lock(snapshotMutex);
    ++stats.bansIssued;
    for (auto it = banSnapshot.begin(); it != banSnapshot.end();)
      it = it->second <= Clock::now() ? banSnapshot.erase(it) : std::next(it);
    banSnapshot[id] = until;
  }
  log("banned " + toHex(id, false).substr(0, 16) + "… for " +
      std::to_string(config.banDuration.count()) + " ms: " + reason);
  // Drop any other connection the banned node holds.
  std::vector<std::shared_ptr<Connection>> victims;
  for (const auto& [pid, c] : conns)
    if (c->state != Connection::State::AwaitHello && c->remote.nodeId == id) victims.push_back(c);
  for (const auto& c : victims) c->close("banned");
}

void Host::Impl::broadcastFrame(Kind kind, Bytes&& payload, std::optional<PeerId> except) {
  if (isGossip(kind) && kind != Kind::Tx) seen.insert(gossipHash(kind, payload));
  auto f = std::make_shared<const Bytes>(frame(kind, payload));
  std::vector<std::shared_ptr<Connection>> targets;
  for (const auto& [id, c] : conns)
    if (c->established() && id != except) targets.push_back(c);
  for (const auto& c : targets) c->send(f);
}

void Host::Impl::publishPeers() {
  std::vector<PeerInfo> list;
  for (const auto& [id, c] : conns)
    if (c->established()) list.push_back(c->info());
  std::lock_guard lock(snapshotMutex);
  peerSnapshot = std::move(list);
}

void Host::Impl::closeAll() {
  stopping = true;
  boost::system::error_code ec;
  acceptor.close(ec);
  resolver.cancel();
  tick.cancel();
  acceptRetry.cancel();
  std::vector<std::shared_ptr<Connection>> all;
  for (const auto& [id, c] : conns) all.push_back(c);
  for (const auto& c : all) c->close("node stopping");
}

// ------------------------------------------------------------------------------------ Host

Host::Host(HostConfig config) : impl_(std::make_shared<Impl>(std::move(config))) {
  if (!isValidSecretKey(impl_->config.nodeKey))
    throw std::invalid_argument("p2p: invalid node key");
  nodeId_ = nodeIdOf(impl_->config.nodeKey);
  impl_->nodeId = nodeId_;
  for (const auto& text : impl_->config.persistentPeers) {
    Impl::Persistent p;
    p.addr = parsePeerAddress(text);
    impl_->persistent.push_back(std::move(p));
  }
}

Host::~Host() {
  stop();
}

void Host::setMessageHandler(MessageHandler handler) {
  impl_->onMessage = std::move(handler);
}
void Host::setPeerHandler(PeerHandler handler) {
  impl_->onPeer = std::move(handler);
}
void Host::setReadGate(ReadGate open) {
  impl_->readGate = std::move(open);
}

void Host::start() {
  if (impl_->thread.joinable()) return;
  impl_->startListening();
  impl_->work.emplace(impl_->io.get_executor());
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    impl->accept();
    impl->onTick();
  });
  impl->thread = std::thread([impl] {
    // A handler that throws must not take the node down: note it and keep serving.
    for (;;) {
      try {
        impl->io.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "p2p: unexpected exception in io thread: %s\n", e.what());
      }
    }
  });
}

void Host::stop() {
  Impl* impl = impl_.get();
  if (!impl->thread.joinable()) return;
  asio::post(impl->io, [impl] { impl->closeAll(); });
  impl->work.reset();
  impl->thread.join();
}

uint16_t Host::port() const {
  return impl_->boundPort.load();
}

std::vector<PeerInfo> Host::peers() const {
  std::lock_guard lock(impl_->snapshotMutex);
  return impl_->peerSnapshot;
}

std::size_t Host::peerCount() const {
  std::lock_guard lock(impl_->snapshotMutex);
  return impl_->peerSnapshot.size();
}

HostStats Host::stats() const {
  std::lock_guard lock(impl_->snapshotMutex);
  HostStats s = impl_->stats;
  s.sendQueueBytes = impl_->totalQueued.load();
  s.readBufferBytes = impl_->totalReadGrowth.load();
  return s;
}

bool Host::isBanned(BytesView nodeId) const {
  std::lock_guard lock(impl_->snapshotMutex);
  auto it = impl_->banSnapshot.find(Bytes(nodeId.begin(), nodeId.end()));
  return it != impl_->banSnapshot.end() && it->second > Clock::now();
}

void Host::broadcast(bft::Channel channel, Bytes payload, std::optional<PeerId> except) {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl, channel, payload = std::move(payload), except]() mutable {
    if (!impl->stopping) impl->broadcastFrame(Kind(uint8_t(channel)), std::move(payload), except);
  });
}

void Host::send(PeerId peer, bft::Channel channel, Bytes payload) {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl, peer, channel, payload = std::move(payload)] {
    if (auto c = impl->established(peer))
      c->send(std::make_shared<const Bytes>(frame(Kind(uint8_t(channel)), payload)));
  });
}

void Host::punish(PeerId peer, std::string reason) {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl, peer, reason = std::move(reason)] {
    if (auto c = impl->established(peer)) c->misbehave(reason);
  });
}

void Host::sendFrameForTest(PeerId peer, Bytes frameBytes) {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl, peer, f = std::make_shared<const Bytes>(std::move(frameBytes))] {
    if (auto c = impl->established(peer)) c->send(f);
  });
}

}  // namespace tn::net
