// A running node: the chain store, the module set, the executor, the mempool, the consensus
// engine and the RPC server, composed once from a home directory.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "chain/chainstore.hpp"
#include "chain/genesis.hpp"
#include "chain/mempool.hpp"
#include "consensus/dev_engine.hpp"

namespace tn {

namespace rpc {
class Server;
class Dispatcher;
class MetricsText;
}
class NodeBackend;
namespace net {
class NetworkedEngine;
}

// DIR/config.json: everything that is the operator's choice rather than consensus.
struct NodeConfig {
  std::string rpcAddr = "127.0.0.1:8545";
  unsigned rpcThreads = 2;
  std::size_t rpcMaxBodyBytes = 5u << 20;
  std::size_t rpcMaxBatch = 1000;
  std::size_t rpcMaxConnections =
      1000;  // cut to what the descriptor limit leaves (descriptors.hpp)
  std::size_t rpcMaxInFlightBytes = 256u << 20;  // rpc::ServerOptions::maxInFlightBytes
  std::vector<std::string> rpcCorsOrigins;
  bool rpcMetrics = true;  // GET /metrics on the RPC port (docs/RPC.md "Metrics")
  uint64_t logsMaxBlockRange = 10'000;
  std::size_t logsMaxResults = 10'000;
  std::size_t rpcMaxFilters = 1000;        // eth_newFilter & co.: installed at most
  uint64_t rpcFilterTimeoutSeconds = 300;  // a filter not polled this long is dropped
  uint64_t blockTimeMs = 0;
  std::size_t mempoolMaxTxs = 20'000;
  std::size_t mempoolMaxBytes = 64u << 20;  // encoded transactions pooled, all together
  std::size_t maxTxsPerBlock = 10'000;

  static NodeConfig load(const std::filesystem::path& file);  // missing fields keep defaults
  void save(const std::filesystem::path& file) const;
};

struct HomePaths {
  std::filesystem::path home;
  std::filesystem::path data() const { return home / "data"; }
  std::filesystem::path genesis() const { return home / "genesis.json"; }
  std::filesystem::path config() const { return home / "config.json"; }
  std::filesystem::path devAccounts() const { return home / "dev-accounts.json"; }
};

// Opens the chain in `dataDir`, committing the genesis block first if the database is empty.
// Throws if the database holds a different genesis.
void openOrInitChain(ChainStore& chain, const Executor& executor, const Genesis& genesis);

class Node {
 public:
  Node(const HomePaths& paths, const Genesis& genesis, const NodeConfig& config);
  ~Node();

  void start();  // RPC server and block production
  void stop();   // the opposite order; returns once the last block is committed
  uint16_t rpcPort() const;
  const ChainStore& chain() const { return *chain_; }

 private:
  NodeConfig config_;
  std::unique_ptr<ModuleRegistry> modules_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<ChainStore> chain_;
  std::unique_ptr<Mempool> mempool_;
  std::unique_ptr<Engine> engine_;  // DevEngine, or NetworkedEngine when config.json has "p2p"
  net::NetworkedEngine* networked_ = nullptr;
  std::unique_ptr<NodeBackend> backend_;
  std::unique_ptr<rpc::Dispatcher> dispatcher_;
  std::unique_ptr<rpc::Server> server_;
  // Since start, for GET /metrics; written on the engine thread.
  std::atomic<uint64_t> committedBlocks_{0};
  std::atomic<uint64_t> committedTransactions_{0};
  std::atomic<uint64_t> lastCommitRound_{0};   // of the last committed block's certificate
  std::atomic<uint64_t> lateRoundCommits_{0};  // blocks whose certificate is from a round > 0

  void writeMetrics(rpc::MetricsText& out) const;
};

// Re-executes every block of the chain in `sourceData` into an empty chain in `targetData`,
// checking each state root; returns the number of blocks replayed. Throws on the first mismatch.
uint64_t replayChain(const std::filesystem::path& sourceData, const std::filesystem::path& targetData,
                     const Genesis& genesis, const std::function<void(uint64_t)>& progress);

}  // namespace tn
