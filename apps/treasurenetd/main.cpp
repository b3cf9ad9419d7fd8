// treasurenetd: the Treasurenet node. Commands: dev, init, start, replay, testnet, version.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "apps/treasurenetd/node.hpp"
#include "apps/treasurenetd/testnet.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace tn;

namespace {

constexpr const char* kUsage = R"(treasurenetd - the Treasurenet node

Usage:
  treasurenetd dev    --home DIR [--rpc-addr 127.0.0.1:8545] [--block-time MS] [--chain-id N]
                      [--accounts N] [--balance UNIT]
  treasurenetd init   --home DIR [--genesis FILE | --chain-id N --accounts N] [--rpc-addr ADDR]
  treasurenetd start  --home DIR [--rpc-addr ADDR] [--block-time MS]
  treasurenetd replay --source DIR --home DIR
  treasurenetd testnet --home DIR [--validators N] [--base-port P]
  treasurenetd validator-key --home DIR
  treasurenetd version

dev    creates a single-validator dev chain on first run (genesis with funded dev accounts,
       written to DIR/dev-accounts.json) and runs it; later runs resume it.
init   writes DIR/genesis.json, DIR/config.json and the genesis block.
start  runs the node of an initialised home directory.
replay re-executes every block of another home's chain into an empty home, checking each
       state root.
testnet writes a local network of N validators (one home DIR/nodeI each) to run with start.
validator-key writes DIR/validator_key.json (a new key) for a node that is to become a validator.
)";

uint64_t nowSeconds() {
  return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

// Blocks SIGINT/SIGTERM in every thread (threads inherit the mask) so the main thread can wait
// for them with sigwait and shut down in order.
sigset_t blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void writeJsonFile(const fs::path& file, const boost::json::value& v) {
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  out << boost::json::serialize(v) << "\n";
}

void printDevAccounts(const std::vector<DevAccount>& accounts, const U256& balance) {
  std::printf("\nAvailable Accounts\n==================\n");
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    std::string roles;
    for (const auto& r : accounts[i].roles) roles += (roles.empty() ? "" : ", ") + r;
    std::printf("(%zu) %s (%s UNIT)%s\n", i, accounts[i].address.checksumHex().c_str(),
                formatUnits(balance).c_str(), roles.empty() ? "" : (" [" + roles + "]").c_str());
  }
  std::printf("\nPrivate Keys\n==================\n");
  for (std::size_t i = 0; i < accounts.size(); ++i)
    std::printf("(%zu) %s\n", i, accounts[i].secretKey.hex().c_str());
  std::printf("\n");
}

int runNode(const HomePaths& paths, const Genesis& genesis, const NodeConfig& config) {
  sigset_t stopSignals = blockStopSignals();
  Node node(paths, genesis, config);
  node.start();
  std::printf("Chain ID: %llu\nBlock height: %llu\nListening on %s (JSON-RPC over HTTP and WebSocket, port %u)\n",
              (unsigned long long)genesis.chainId, (unsigned long long)node.chain().height(),
              config.rpcAddr.c_str(), unsigned(node.rpcPort()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stopSignals, &sig);
  std::printf("\nreceived %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  node.stop();
  std::printf("stopped at block %llu\n", (unsigned long long)node.chain().height());
  return 0;
}

struct Common {
  std::string home, rpcAddr, genesisFile, source, balance = "1000000";
  uint64_t blockTime = 0, chainId = kDefaultDevChainId;
  std::size_t accounts = 10;
};

po::options_description optionsFor(Common& c) {
  po::options_description d("options");
  d.add_options()("help,h", "show help")("home", po::value(&c.home), "home directory")(
      "rpc-addr", po::value(&c.rpcAddr), "JSON-RPC listen address HOST:PORT (default 127.0.0.1:8545)")(
      "block-time", po::value(&c.blockTime), "minimum milliseconds between blocks (default 0)")(
      "chain-id", po::value(&c.chainId), "chain id of a new dev genesis (default 7357)")(
      "accounts", po::value(&c.accounts), "number of dev accounts (default 10)")(
      "balance", po::value(&c.balance), "UNIT per dev account (default 1000000)")(
      "genesis", po::value(&c.genesisFile), "genesis file for init")(
      "source", po::value(&c.source), "home directory to replay from");
  return d;
}

// Creates genesis.json, config.json and (for a generated dev genesis) dev-accounts.json.
Genesis initHome(const HomePaths& paths, const Common& c, NodeConfig& config, bool printAccounts) {
  fs::create_directories(paths.home);
  Genesis genesis;
  if (!c.genesisFile.empty()) {
    genesis = Genesis::load(c.genesisFile);
  } else {
    if (c.accounts == 0) throw std::invalid_argument("--accounts must be at least 1");
    auto accounts = devAccounts(c.accounts);
    U256 balance = parseUnits(c.balance);
    genesis = devGenesis(c.chainId, accounts, balance, nowSeconds());
    writeJsonFile(paths.devAccounts(), devAccountsJson(accounts));
    if (printAccounts) printDevAccounts(accounts, balance);
  }
  genesis.save(paths.genesis());
  config.save(paths.config());
  return genesis;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help" ||
      std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  std::string command = argv[1];
  if (command == "version" || command == "--version") {
    std::printf("treasurenetd v0.1.0\n");
    return 0;
  }
  if (command == "testnet") return runTestnetCommand(argc - 1, argv + 1);
  if (command == "validator-key") return runValidatorKeyCommand(argc - 1, argv + 1);
  Common c;
  auto desc = optionsFor(c);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc - 1, argv + 1).options(desc).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n%s", e.what(), kUsage);
    return 1;
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << desc << "\n";
    return 0;
  }
  if (c.home.empty()) {
    std::fprintf(stderr, "error: --home DIR is required\n%s", kUsage);
    return 1;
  }
  HomePaths paths{c.home};
  try {
    if (command == "dev") {
      NodeConfig config;
      Genesis genesis;
      if (fs::exists(paths.genesis())) {
        genesis = Genesis::load(paths.genesis());
        if (fs::exists(paths.config())) config = NodeConfig::load(paths.config());
        std::printf("treasurenetd dev chain (resuming %s)\n", c.home.c_str());
      } else {
        std::printf("treasurenetd dev chain (new, in %s)\n", c.home.c_str());
        genesis = initHome(paths, c, config, true);
      }
      if (!c.rpcAddr.empty()) config.rpcAddr = c.rpcAddr;
      if (vm.count("block-time")) config.blockTimeMs = c.blockTime;
      return runNode(paths, genesis, config);
    }
    if (command == "init") {
      if (fs::exists(paths.genesis())) throw std::runtime_error(c.home + " is already initialised");
      NodeConfig config;
      if (!c.rpcAddr.empty()) config.rpcAddr = c.rpcAddr;
      if (vm.count("block-time")) config.blockTimeMs = c.blockTime;
      Genesis genesis = initHome(paths, c, config, false);
      {
        // Write the genesis block now so a bad genesis fails here, not at start.
        HomePaths p = paths;
        Node node(p, genesis, config);
      }
      std::printf("initialised %s: chain id %llu, genesis written\n", c.home.c_str(),
                  (unsigned long long)genesis.chainId);
      return 0;
    }
    if (command == "start") {
      if (!fs::exists(paths.genesis()))
        throw std::runtime_error(c.home + " has no genesis.json: run treasurenetd init first");
      NodeConfig config = fs::exists(paths.config()) ? NodeConfig::load(paths.config()) : NodeConfig{};
      if (!c.rpcAddr.empty()) config.rpcAddr = c.rpcAddr;
      if (vm.count("block-time")) config.blockTimeMs = c.blockTime;
      return runNode(paths, Genesis::load(paths.genesis()), config);
    }
    if (command == "replay") {
      if (c.source.empty()) throw std::invalid_argument("--source DIR is required");
      HomePaths src{c.source};
      Genesis genesis = Genesis::load(src.genesis());
      fs::create_directories(paths.home);
      genesis.save(paths.genesis());
      uint64_t n = replayChain(src.data(), paths.data(), genesis, [](uint64_t height) {
        if (height % 1000 == 0) std::fprintf(stderr, "replayed block %llu\n", (unsigned long long)height);
      });
      std::printf("replayed %llu blocks; every state root matches\n", (unsigned long long)n);
      return 0;
    }
    std::fprintf(stderr, "error: unknown command '%s'\n%s", command.c_str(), kUsage);
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
