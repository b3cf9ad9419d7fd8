#include "apps/treasurenetd/node.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "apps/treasurenetd/descriptors.hpp"
#include "apps/treasurenetd/node_backend.hpp"
#include "consensus/p2p/validator_node.hpp"
#include "consensus/vote.hpp"
#include "modules/catalog/catalog.hpp"
#include "modules/staking/staking.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/server.hpp"
#include "rpc/tn_api.hpp"

namespace tn {

namespace json = boost::json;

namespace {

// HostStats reaches operators twice: here and in Node::writeMetrics. A new field must be added to
// both (and to docs/RPC.md), which this reminds whoever adds it.
static_assert(sizeof(net::HostStats) == 15 * sizeof(uint64_t),
              "a HostStats field was added or removed: update p2pStats and Node::writeMetrics");

// What the p2p host counted since start, for operators (tn_getConsensusState.p2p).
json::object p2pStats(const net::HostStats& s) {
  return json::object{{"framesIn", s.framesIn},
                      {"framesOut", s.framesOut},
                      {"gossipDuplicates", s.gossipDuplicates},
                      {"handshakeFailures", s.handshakeFailures},
                      {"bansIssued", s.bansIssued},
                      {"refusedBanned", s.refusedBanned},
                      {"readsPaused", s.readsPaused},
                      {"sendQueueBytes", s.sendQueueBytes},
                      {"queueFullCloses", s.queueFullCloses},
                      {"queueBudgetCloses", s.queueBudgetCloses},
                      {"pexRequestsIgnored", s.pexRequestsIgnored},
                      {"readBufferBytes", s.readBufferBytes},
                      {"readBudgetCloses", s.readBudgetCloses},
                      {"readsThrottled", s.readsThrottled},
                      {"inboundThrottled", s.inboundThrottled}};
}

}  // namespace

NodeConfig NodeConfig::load(const std::filesystem::path& file) {
  NodeConfig c;
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("cannot read config file " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec || !v.is_object()) throw std::invalid_argument("config file " + file.string() + " is not a JSON object");
  const json::object& o = v.as_object();
  auto num = [&](std::string_view key, auto& field) {
    if (const json::value* x = o.if_contains(key)) field = json::value_to<std::decay_t<decltype(field)>>(*x);
  };
  if (const json::value* x = o.if_contains("rpcAddr")) c.rpcAddr = json::value_to<std::string>(*x);
  num("rpcThreads", c.rpcThreads);
  num("rpcMaxBodyBytes", c.rpcMaxBodyBytes);
  num("rpcMaxBatch", c.rpcMaxBatch);
  num("rpcMaxConnections", c.rpcMaxConnections);
  num("rpcMaxInFlightBytes", c.rpcMaxInFlightBytes);
  if (const json::value* x = o.if_contains("rpcCorsOrigins"))
    c.rpcCorsOrigins = json::value_to<std::vector<std::string>>(*x);
  num("rpcMetrics", c.rpcMetrics);
  num("logsMaxBlockRange", c.logsMaxBlockRange);
  num("logsMaxResults", c.logsMaxResults);
  num("rpcMaxFilters", c.rpcMaxFilters);
  num("rpcFilterTimeoutSeconds", c.rpcFilterTimeoutSeconds);
  num("blockTimeMs", c.blockTimeMs);
  num("mempoolMaxTxs", c.mempoolMaxTxs);
  num("mempoolMaxBytes", c.mempoolMaxBytes);
  num("maxTxsPerBlock", c.maxTxsPerBlock);
  return c;
}

void NodeConfig::save(const std::filesystem::path& file) const {
  json::object o;
  o["rpcAddr"] = rpcAddr;
  o["rpcThreads"] = rpcThreads;
  o["rpcMaxBodyBytes"] = rpcMaxBodyBytes;
  o["rpcMaxBatch"] = rpcMaxBatch;
  o["rpcMaxConnections"] = rpcMaxConnections;
  o["rpcMaxInFlightBytes"] = rpcMaxInFlightBytes;
  json::array cors;
  for (const auto& s : rpcCorsOrigins) cors.push_back(json::string(s));
  o["rpcCorsOrigins"] = std::move(cors);
  o["rpcMetrics"] = rpcMetrics;
  o["logsMaxBlockRange"] = logsMaxBlockRange;
  o["logsMaxResults"] = logsMaxResults;
  o["rpcMaxFilters"] = rpcMaxFilters;
  o["rpcFilterTimeoutSeconds"] = rpcFilterTimeoutSeconds;
  o["blockTimeMs"] = blockTimeMs;
  o["mempoolMaxTxs"] = mempoolMaxTxs;
  o["mempoolMaxBytes"] = mempoolMaxBytes;
  o["maxTxsPerBlock"] = maxTxsPerBlock;
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  out << json::serialize(o) << "\n";
}

void openOrInitChain(ChainStore& chain, const Executor& executor, const Genesis& genesis) {
  json::value genesisJson = genesis.toJson();
  if (chain.hasGenesis()) {
    auto stored = chain.genesisJson();
    if (!stored || json::serialize(*stored) != json::serialize(genesisJson))
      throw std::runtime_error("the database was created from a different genesis");
    return;
  }
  EmptyState empty;
  Overlay state(empty);
  BlockContext ctx = genesis.context();
  // Balances first: a module's genesis may take from them (staking bonds validators' self-stake).
  for (const GenesisAccount& a : genesis.alloc) executor.modules().ledger().credit(state, a.address, a.balance);
  executor.initGenesis(state, ctx, genesis.modules);
  BlockHeader h;
  h.number = 0;
  h.timestamp = genesis.timestamp;
  h.gasLimit = genesis.gasLimit;
  h.baseFeePerGas = genesis.baseFeePerGas;
  h.transactionsRoot = orderedRoot({});
  h.receiptsRoot = orderedRoot({});
  h.stateRoot = chain.prepareState(state.writes()).newRoot;
  chain.commitGenesis(h, state.writes(), genesisJson);
}

static std::pair<std::string, uint16_t> splitHostPort(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("address must be HOST:PORT: " + addr);
  std::string host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    port = std::stoul(addr.substr(colon + 1));
  } catch (...) {
    throw std::invalid_argument("bad port in " + addr);
  }
  if (port > 65535) throw std::invalid_argument("bad port in " + addr);
  return {host, uint16_t(port)};
}

Node::Node(const HomePaths& paths, const Genesis& genesis, const NodeConfig& config)
    : config_(config) {
  const uint64_t descriptorLimit = raiseDescriptorLimit();  // before the store opens its files
  modules_ = makeStandardModules();
  ChainParams params = genesis.params();
  params.feeCollector = kFeeCollector;
  executor_ = std::make_unique<Executor>(*modules_, params);
  std::filesystem::create_directories(paths.data());
  chain_ = std::make_unique<ChainStore>(paths.data());
  openOrInitChain(*chain_, *executor_, genesis);

  MempoolConfig mc;
  mc.chainId = params.chainId;
  mc.maxTxs = config.mempoolMaxTxs;
  mc.maxBytes = config.mempoolMaxBytes;
  mc.blockGasLimit = params.blockGasLimit;
  mempool_ = std::make_unique<Mempool>(mc);

  std::size_t p2pPeers = 0;
  if (auto setup = net::loadNetworkedSetup(paths.home, params.chainId, chain_->header(0)->hash())) {
    p2pPeers =
        setup->host.maxInbound + setup->host.maxOutbound + setup->host.persistentPeers.size();
    // Validator sets follow the staking module's active set (docs/CONSENSUS.md).
    setup->engine.validatorSource = [](const StateReader& state) {
      auto convert = [](const staking::ActiveSet& a) {
        std::vector<bft::Validator> out;
        for (const auto& [address, power] : a.members) out.push_back(bft::Validator{address, power, 0});
        return out;
      };
      bft::StakedValidators v;
      staking::ActiveSet active = staking::activeSet(state);
      v.since = std::max<uint64_t>(active.since, 1);
      v.members = convert(active);
      v.previous = convert(staking::previousActiveSet(state));
      return v;
    };
    auto networked = std::make_unique<net::NetworkedEngine>(*chain_, *executor_, *mempool_, std::move(*setup));
    networked_ = networked.get();
    engine_ = std::move(networked);
  } else {
    DevEngineOptions eo;
    eo.blockTime = std::chrono::milliseconds(config.blockTimeMs);
    eo.maxTxsPerBlock = config.maxTxsPerBlock;
    engine_ = std::make_unique<DevEngine>(*chain_, *executor_, *mempool_, eo);
  }

  backend_ = std::make_unique<NodeBackend>(*chain_, *executor_, *mempool_);
  if (net::NetworkedEngine* networked = networked_) {
    backend_->setPeerCounter([networked] { return uint64_t(networked->peerCount()); });
    ChainStore* chain = chain_.get();
    backend_->setSyncReporter([networked, chain]() -> std::optional<rpc::SyncStatus> {
      bft::ConsensusSnapshot s = networked->consensusState();
      if (!s.syncing) return std::nullopt;
      return rpc::SyncStatus{0, chain->height(), s.bestPeerHeight};
    });
    backend_->setConsensusReporter([networked]() -> boost::json::value {
      bft::ConsensusSnapshot s = networked->consensusState();
      boost::json::array validators;
      uint64_t total = 0;
      for (const bft::Validator& v : s.validators) {
        total += v.power;
        validators.push_back(boost::json::object{
            {"address", v.address.checksumHex()}, {"power", v.power}, {"proposerPriority", v.priority}});
      }
      auto optionalHex = [](const auto& x) -> boost::json::value {
        if (!x) return nullptr;
        return boost::json::string(x->hex());
      };
      return boost::json::object{
          {"engine", "tendermint"},
          {"height", s.height},
          {"round", s.round},
          {"step", std::string(bft::name(s.step))},
          {"lockedRound", s.lockedRound},
          {"lockedBlock", optionalHex(s.lockedBlock)},
          {"validRound", s.validRound},
          {"proposer", s.proposer ? boost::json::value(s.proposer->checksumHex()) : nullptr},
          {"self", s.self ? boost::json::value(s.self->checksumHex()) : nullptr},
          {"validators", std::move(validators)},
          {"totalPower", total},
          {"bestPeerHeight", s.bestPeerHeight},
          {"syncing", s.syncing},
          {"peers", networked->peerCount()},
          {"peerTxs", boost::json::object{{"received", s.peerTxs.received},
                                          {"known", s.peerTxs.known},
                                          {"recovered", s.peerTxs.recovered},
                                          {"admitted", s.peerTxs.admitted},
                                          {"refused", s.peerTxs.refused},
                                          {"throttled", s.peerTxs.throttled}}},
          {"peerRequests", boost::json::object{{"served", s.peerRequests.served},
                                               {"unserved", s.peerRequests.unserved}}},
          {"inboxBytes", s.inboxBytes},
          {"p2p", p2pStats(networked->host().stats())}};
    });
  } else {
    ChainStore* chain = chain_.get();
    backend_->setConsensusReporter([chain]() -> boost::json::value {
      return boost::json::object{{"engine", "dev"}, {"height", chain->height() + 1}, {"validators", boost::json::array{}}};
    });
  }
  dispatcher_ = std::make_unique<rpc::Dispatcher>();
  rpc::EthApiOptions eo2;
  eo2.maxLogBlockRange = config.logsMaxBlockRange;
  eo2.maxLogResults = config.logsMaxResults;
  eo2.maxFilters = config.rpcMaxFilters;
  eo2.filterTimeout = std::chrono::seconds(config.rpcFilterTimeoutSeconds);
  rpc::addEthApi(*dispatcher_, *backend_, eo2);
  rpc::addTnApi(*dispatcher_, *backend_);
  rpc::ServerOptions so;
  auto [host, port] = splitHostPort(config.rpcAddr);
  so.bindAddress = host;
  so.port = port;
  so.ioThreads = config.rpcThreads;
  so.maxBodyBytes = config.rpcMaxBodyBytes;
  so.maxBatch = config.rpcMaxBatch;
  so.maxInFlightBytes = config.rpcMaxInFlightBytes;
  so.pendingTransactions = [backend = backend_.get()](uint64_t cursor) {
    return backend->admittedSince(cursor);
  };
  const std::size_t reserved =
      reservedDescriptors(std::size_t(StoreOptions{}.maxOpenFiles), p2pPeers);
  so.maxConnections = rpcConnectionsWithin(descriptorLimit, config.rpcMaxConnections, reserved);
  if (so.maxConnections < config.rpcMaxConnections)
    std::fprintf(stderr,
                 "warning: rpcMaxConnections %zu cut to %zu: the file descriptor limit %llu keeps "
                 "%zu for the "
                 "store and %zu p2p peers (raise the hard limit, ulimit -Hn)\n",
                 config.rpcMaxConnections, so.maxConnections, (unsigned long long)descriptorLimit,
                 reserved, p2pPeers);
  so.corsOrigins = config.rpcCorsOrigins;
  const ChainStore* chain = chain_.get();
  so.health = [chain] {
    return boost::json::object{{"status", "ok"}, {"height", chain->height()}};
  };
  if (config.rpcMetrics) so.metrics = [this](rpc::MetricsText& out) { writeMetrics(out); };
  server_ = std::make_unique<rpc::Server>(so, *dispatcher_);
  engine_->onCommit([this](const Block& b, const std::vector<Receipt>& r) {
    committedBlocks_.fetch_add(1, std::memory_order_relaxed);
    committedTransactions_.fetch_add(b.transactions.size(), std::memory_order_relaxed);
    if (!b.commit.empty()) {
      // The round of the block's certificate: above 0 when the round's first proposal failed
      // (a proposer down or late), which operators watch for.
      try {
        const bft::Commit c = bft::Commit::decode(b.commit);
        lastCommitRound_.store(uint64_t(c.round), std::memory_order_relaxed);
        if (c.round > 0) lateRoundCommits_.fetch_add(1, std::memory_order_relaxed);
      } catch (const std::exception&) {
        // Engines commit only certificates they checked; a figure is not worth stopping for.
      }
    }
    server_->publishBlock(b, r);
  });
}

void Node::writeMetrics(rpc::MetricsText& out) const {
  using Type = rpc::MetricsText::Type;
  const uint64_t height = chain_->height();
  out.gauge("treasurenet_chain_height", "Number of the committed head block.", height);
  if (auto head = chain_->header(height))
    out.gauge("treasurenet_chain_head_timestamp_seconds",
              "Timestamp of the committed head block (block time, Unix seconds).", head->timestamp);
  out.counter("treasurenet_chain_blocks_committed_total",
              "Blocks committed since the node started.",
              committedBlocks_.load(std::memory_order_relaxed));
  out.counter("treasurenet_chain_transactions_committed_total",
              "Transactions committed since the node started.",
              committedTransactions_.load(std::memory_order_relaxed));
  out.gauge("treasurenet_mempool_transactions", "Transactions in the pool.", mempool_->size());
  out.gauge("treasurenet_mempool_bytes", "Encoded bytes of the pooled transactions.",
            mempool_->bytes());
  out.gauge("treasurenet_mempool_max_transactions",
            "The pool's bound in transactions (mempoolMaxTxs).", mempool_->config().maxTxs);
  out.gauge("treasurenet_mempool_max_bytes", "The pool's bound in bytes (mempoolMaxBytes).",
            mempool_->config().maxBytes);
  out.counter("treasurenet_mempool_admitted_total",
              "Transactions admitted to the pool since the node started.", mempool_->addedCount());
  rpc::appendProcessMetrics(out);
  const net::NetworkedEngine* networked = networked_;
  if (!networked) return;  // the dev engine: no consensus or peers to report

  const bft::ConsensusSnapshot s = networked->consensusState();
  uint64_t totalPower = 0, ownPower = 0;
  for (const bft::Validator& v : s.validators) {
    totalPower += v.power;
    if (s.self && v.address == *s.self) ownPower = v.power;
  }
  out.gauge("treasurenet_consensus_height", "Height being decided (committed head + 1).", s.height);
  out.gauge("treasurenet_consensus_round",
            "Round of the height being decided; above 0 after a view change.", uint64_t(s.round));
  out.family("treasurenet_consensus_step", Type::Gauge, "1 for the machine's current step.");
  for (bft::Step step : {bft::Step::Propose, bft::Step::Prevote, bft::Step::Precommit})
    out.sample(step == s.step ? 1 : 0, {{"step", bft::name(step)}});
  out.gauge("treasurenet_consensus_last_commit_round",
            "Round of the last committed block's certificate (0: its first proposal was decided).",
            lastCommitRound_.load(std::memory_order_relaxed));
  out.counter("treasurenet_consensus_late_round_commits_total",
              "Blocks committed since the node started whose certificate is from a round above 0 "
              "(the first proposer's round failed).",
              lateRoundCommits_.load(std::memory_order_relaxed));
  out.gauge("treasurenet_consensus_validators", "Validators in the current set.",
            s.validators.size());
  out.gauge("treasurenet_consensus_total_power", "Voting power of the current set.", totalPower);
  out.gauge("treasurenet_consensus_own_power",
            "This node's voting power in the current set (0: not a validator).", ownPower);
  out.gauge("treasurenet_consensus_syncing",
            "1 while the node is more than one block behind a peer.", s.syncing ? 1 : 0);
  out.gauge("treasurenet_consensus_best_peer_height", "Highest committed height a peer reported.",
            s.bestPeerHeight);
  out.gauge("treasurenet_consensus_inbox_bytes", "Peer messages queued for the engine, in bytes.",
            s.inboxBytes);

  out.gauge("treasurenet_p2p_peers", "Connected peers.", networked->peerCount());
  out.family("treasurenet_p2p_peer_transactions_total", Type::Counter,
             "Transactions received from peers, by what became of them (docs/NETWORK.md).")
      .sample(s.peerTxs.received, {{"outcome", "received"}})
      .sample(s.peerTxs.known, {{"outcome", "known"}})
      .sample(s.peerTxs.recovered, {{"outcome", "recovered"}})
      .sample(s.peerTxs.admitted, {{"outcome", "admitted"}})
      .sample(s.peerTxs.refused, {{"outcome", "refused"}})
      .sample(s.peerTxs.throttled, {{"outcome", "throttled"}});
  out.family("treasurenet_p2p_peer_requests_total", Type::Counter,
             "Peers' block and transaction requests, served or dropped by the allowances.")
      .sample(s.peerRequests.served, {{"outcome", "served"}})
      .sample(s.peerRequests.unserved, {{"outcome", "unserved"}});
  const net::HostStats h = networked->host().stats();
  out.family("treasurenet_p2p_frames_total", Type::Counter, "p2p frames read and written.")
      .sample(h.framesIn, {{"direction", "in"}})
      .sample(h.framesOut, {{"direction", "out"}});
  out.counter("treasurenet_p2p_gossip_duplicates_total", "Gossip frames dropped as already seen.",
              h.gossipDuplicates);
  out.counter("treasurenet_p2p_handshake_failures_total", "Failed p2p handshakes.",
              h.handshakeFailures);
  out.counter("treasurenet_p2p_bans_total", "Peers banned for invalid data.", h.bansIssued);
  out.counter("treasurenet_p2p_refused_banned_total", "Handshakes refused: the node id is banned.",
              h.refusedBanned);
  out.family("treasurenet_p2p_closes_total", Type::Counter,
             "Peers closed by the host's memory bounds (docs/NETWORK.md).")
      .sample(h.queueFullCloses, {{"reason", "queue_full"}})
      .sample(h.queueBudgetCloses, {{"reason", "queue_budget"}})
      .sample(h.readBudgetCloses, {{"reason", "read_budget"}});
  out.family("treasurenet_p2p_reads_deferred_total", Type::Counter,
             "Reads put off: the engine's inbox was full (paused) or a peer's allowance spent "
             "(throttled).")
      .sample(h.readsPaused, {{"reason", "paused"}})
      .sample(h.readsThrottled, {{"reason", "throttled"}});
  out.counter("treasurenet_p2p_inbound_throttled_total",
              "Inbound connections closed: the same address connected within inboundThrottle.",
              h.inboundThrottled);
  out.counter("treasurenet_p2p_pex_requests_ignored_total",
              "Peer-exchange requests ignored as too frequent.", h.pexRequestsIgnored);
  out.gauge("treasurenet_p2p_send_queue_bytes", "Bytes queued for all peers.", h.sendQueueBytes);
  out.gauge("treasurenet_p2p_read_buffer_bytes",
            "Receive-buffer bytes beyond the connections' own.", h.readBufferBytes);
}

Node::~Node() { stop(); }

void Node::start() {
  server_->start();
  engine_->start();
}

void Node::stop() {
  if (engine_) engine_->stop();
  if (server_) server_->stop();
}

uint16_t Node::rpcPort() const { return server_->port(); }

uint64_t replayChain(const std::filesystem::path& sourceData, const std::filesystem::path& targetData,
                     const Genesis& genesis, const std::function<void(uint64_t)>& progress) {
  auto modules = makeStandardModules();
  ChainParams params = genesis.params();
  params.feeCollector = kFeeCollector;
  Executor executor(*modules, params);
  ChainStore source(sourceData);
  if (!source.hasGenesis()) throw std::runtime_error("source database has no chain");
  if (std::filesystem::exists(targetData) && !std::filesystem::is_empty(targetData))
    throw std::runtime_error("replay target " + targetData.string() + " is not empty");
  std::filesystem::create_directories(targetData);
  ChainStore target(targetData);
  openOrInitChain(target, executor, genesis);
  auto sourceGenesis = source.header(0);
  if (!sourceGenesis || target.headHash() != sourceGenesis->hash())
    throw std::runtime_error("genesis block differs from the source chain's");
  uint64_t height = source.height();
  for (uint64_t n = 1; n <= height; ++n) {
    auto block = source.block(n);
    if (!block) throw std::runtime_error("source block " + std::to_string(n) + " is missing");
    SealedBlock sealed = applyBlock(target, executor, std::move(*block));  // checks every root
    commitSealed(target, sealed);
    if (progress) progress(n);
  }
  return height;
}

}  // namespace tn
