#include "consensus/p2p/validator_node.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

namespace tn::net {

namespace json = boost::json;

namespace {

json::value readJson(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("cannot read " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) throw std::invalid_argument(file.string() + " is not valid JSON");
  return v;
}

template <typename T>
void readNumber(const json::object& o, std::string_view key, T& field) {
  if (const json::value* v = o.if_contains(key)) field = json::value_to<T>(*v);
}

void readMs(const json::object& o, std::string_view key, std::chrono::milliseconds& field) {
  if (const json::value* v = o.if_contains(key)) field = std::chrono::milliseconds(json::value_to<uint64_t>(*v));
}

}  // namespace

std::vector<bft::Validator> genesisValidators(const json::value& genesisJson) {
  std::vector<bft::Validator> out;
  if (!genesisJson.is_object()) return out;
  const json::value* list = genesisJson.as_object().if_contains("validators");
  if (!list) return out;
  if (!list->is_array()) throw std::invalid_argument("genesis validators must be an array");
  for (const auto& v : list->as_array()) {
    if (!v.is_object()) throw std::invalid_argument("genesis validator must be an object");
    bft::Validator val;
    val.address = Address::parse(json::value_to<std::string>(v.at("address")));
    val.power = json::value_to<uint64_t>(v.at("power"));
    out.push_back(val);
  }
  return out;
}

Hash32 networkIdentity(const Hash32& genesisBlockHash, const bft::ValidatorSet& validators) {
  return keccak256(concat({genesisBlockHash, validators.hash()}));
}

Hash32 readKeyFile(const std::filesystem::path& file) {
  json::value v = readJson(file);
  if (!v.is_object() || !v.as_object().contains("privateKey"))
    throw std::invalid_argument(file.string() + " has no privateKey");
  Hash32 key = Hash32::fromHex(json::value_to<std::string>(v.at("privateKey")));
  if (!isValidSecretKey(key)) throw std::invalid_argument(file.string() + " holds an invalid key");
  return key;
}

std::optional<NetworkedSetup> loadNetworkedSetup(const std::filesystem::path& home, uint64_t chainId,
                                                 const Hash32& genesisBlockHash) {
  NetworkedHomeFiles files{home};
  if (!std::filesystem::exists(home / "config.json")) return std::nullopt;
  json::value config = readJson(home / "config.json");
  if (!config.is_object()) return std::nullopt;
  const json::value* p2p = config.as_object().if_contains("p2p");
  if (!p2p) return std::nullopt;
  if (!p2p->is_object()) throw std::invalid_argument("config.json p2p must be an object");
  const json::object& p = p2p->as_object();

  auto members = genesisValidators(readJson(home / "genesis.json"));
  if (members.empty()) throw std::invalid_argument("genesis.json lists no validators: a networked node needs them");
  bft::ValidatorSet validators(members);

  NetworkedSetup s;
  s.host.chainId = chainId;
  s.host.genesisHash = networkIdentity(genesisBlockHash, validators);
  s.host.nodeKey = readKeyFile(files.nodeKey());
  if (const json::value* v = p.if_contains("listenAddr")) s.host.listenAddr = json::value_to<std::string>(*v);
  if (const json::value* v = p.if_contains("persistentPeers"))
    s.host.persistentPeers = json::value_to<std::vector<std::string>>(*v);
  for (const auto& peer : s.host.persistentPeers) parsePeerAddress(peer);  // fail at start, not later
  readNumber(p, "maxInbound", s.host.maxInbound);
  readNumber(p, "maxOutbound", s.host.maxOutbound);
  readNumber(p, "pex", s.host.pex);
  if (const json::value* v = p.if_contains("inboundThrottleSeconds"))
    s.host.inboundThrottle = std::chrono::seconds(json::value_to<uint64_t>(*v));
  if (const json::value* v = p.if_contains("banSeconds"))
    s.host.banDuration = std::chrono::seconds(json::value_to<uint64_t>(*v));

  bft::BftEngineOptions& e = s.engine;
  e.tendermint.chainId = chainId;
  e.genesisValidators = validators;
  if (std::filesystem::exists(files.validatorKey())) e.validatorKey = readKeyFile(files.validatorKey());
  e.signLogPath = files.signLog();
  std::filesystem::create_directories(e.signLogPath.parent_path());
  if (const json::value* c = config.as_object().if_contains("consensus"); c && c->is_object()) {
    const json::object& o = c->as_object();
    readMs(o, "commitDelayMs", e.commitDelay);
    readNumber(o, "timeoutProposeMs", e.tendermint.propose.baseMs);
    readNumber(o, "timeoutProposeDeltaMs", e.tendermint.propose.deltaMs);
    readNumber(o, "timeoutPrevoteMs", e.tendermint.prevote.baseMs);
    readNumber(o, "timeoutPrevoteDeltaMs", e.tendermint.prevote.deltaMs);
    readNumber(o, "timeoutPrecommitMs", e.tendermint.precommit.baseMs);
    readNumber(o, "timeoutPrecommitDeltaMs", e.tendermint.precommit.deltaMs);
  }
  if (const json::value* v = config.as_object().if_contains("maxTxsPerBlock"))
    e.maxTxsPerBlock = json::value_to<std::size_t>(*v);
  return s;
}

NetworkedEngine::NetworkedEngine(ChainStore& chain, const Executor& executor, Mempool& mempool,
                                 NetworkedSetup setup) {
  host_ = std::make_unique<Host>(std::move(setup.host));
  engine_ = std::make_unique<bft::BftEngine>(chain, executor, mempool, *host_, std::move(setup.engine));
  bft::BftEngine* engine = engine_.get();
  host_->setMessageHandler([engine](PeerId peer, bft::Channel channel, Bytes payload) {
    engine->receive(peer, channel, std::move(payload));
  });
  host_->setReadGate([engine] { return !engine->inboxFull(); });
  host_->setPeerHandler([engine](PeerId peer, bool connected) {
    if (connected) engine->peerConnected(peer);
    else engine->peerDisconnected(peer);
  });
}

NetworkedEngine::~NetworkedEngine() { stop(); }

void NetworkedEngine::start() {
  host_->start();
  std::printf("P2P listening on port %u, node id %s\n", unsigned(host_->port()), host_->nodeIdHex().c_str());
  std::fflush(stdout);
  engine_->start();
}

void NetworkedEngine::stop() {
  // Consensus first (it finishes the block being committed), then the network.
  if (engine_) engine_->stop();
  if (host_) host_->stop();
}

}  // namespace tn::net
