// A networked node's consensus: the p2p host and the Tendermint engine, wired together and
// configured from the home directory (config.json "p2p"/"consensus", genesis.json "validators",
// node_key.json, validator_key.json). It is the Engine the node runs instead of the dev engine.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "consensus/bft_engine.hpp"
#include "consensus/p2p/host.hpp"

namespace tn::net {

struct NetworkedSetup {
  HostConfig host;
  bft::BftEngineOptions engine;
};

// The home's files as named by the testnet command.
struct NetworkedHomeFiles {
  std::filesystem::path home;
  std::filesystem::path nodeKey() const { return home / "node_key.json"; }
  std::filesystem::path validatorKey() const { return home / "validator_key.json"; }
  std::filesystem::path signLog() const { return home / "consensus" / "signlog.wal"; }
};

// The validators listed in genesis.json ("validators": [{"address", "power"}]); empty if none.
std::vector<bft::Validator> genesisValidators(const boost::json::value& genesisJson);

// Chain identity checked in the p2p handshake: keccak256(genesis block hash ++ validator set
// hash), so nodes of chains that differ in their genesis state or their validators never peer.
Hash32 networkIdentity(const Hash32& genesisBlockHash, const bft::ValidatorSet& validators);

// nullopt if config.json has no "p2p" section (a dev node). Throws std::invalid_argument on an
// incomplete networked home (no validators in genesis, no node key, bad addresses).
std::optional<NetworkedSetup> loadNetworkedSetup(const std::filesystem::path& home, uint64_t chainId,
                                                 const Hash32& genesisBlockHash);

// A key file {"privateKey": "0x..", ...}.
Hash32 readKeyFile(const std::filesystem::path& file);

class NetworkedEngine final : public Engine {
 public:
  NetworkedEngine(ChainStore& chain, const Executor& executor, Mempool& mempool, NetworkedSetup setup);
  ~NetworkedEngine() override;

  void start() override;  // listens, dials, then runs consensus
  void stop() override;
  void onCommit(CommitListener listener) override { engine_->onCommit(std::move(listener)); }

  std::size_t peerCount() const { return host_->peerCount(); }
  bft::ConsensusSnapshot consensusState() const { return engine_->snapshot(); }
  const Host& host() const { return *host_; }

 private:
  std::unique_ptr<Host> host_;
  std::unique_ptr<bft::BftEngine> engine_;
};

}  // namespace tn::net
