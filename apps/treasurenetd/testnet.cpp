#include "apps/treasurenetd/testnet.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/treasurenetd/node.hpp"
#include "chain/random.hpp"
#include "consensus/p2p/validator_node.hpp"

namespace tn {

namespace po = boost::program_options;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kTestnetUsage = R"(Usage:
  treasurenetd testnet --home DIR [--validators N] [--base-port P] [--chain-id N] [--accounts N]
                       [--balance UNIT] [--commit-delay MS] [--followers K]
                       [--timeout-propose MS] [--timeout-prevote MS] [--timeout-precommit MS]
                       [--timeout-delta MS] [--max-txs-per-block N] [--mempool-max-txs N]

Writes a local network of N validators with equal power (default 4): DIR/genesis.json (the
validators, funded dev accounts as on the dev chain), DIR/dev-accounts.json and one home
DIR/nodeI per validator with its config.json (p2p on 127.0.0.1:P+2I, JSON-RPC on
127.0.0.1:P+2I+1, every other validator as a persistent peer), node_key.json and
validator_key.json. With --followers K, homes DIR/nodeN .. DIR/node(N+K-1) are written the same
way but without validator_key.json: they follow the chain (block sync, gossip) without voting,
and list every validator as a persistent peer. The timeouts (base of each step; the delta is
added per round) and the block/pool sizes go to config.json. Run each with
`treasurenetd start --home DIR/nodeI` (scripts/testnet.sh).
)";

// A secp256k1 secret from the kernel's CSPRNG.
Hash32 randomSecretKey() {
  for (;;) {
    Hash32 key = secureRandomHash();
    if (isValidSecretKey(key)) return key;
  }
}

void writeJson(const fs::path& file, const json::value& v) {
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  out << json::serialize(v) << "\n";
}

// A key file: created with mode 0600 (never readable by others, not even for a moment), never
// over an existing file, and on disk before the command reports it written.
void writeSecretJson(const fs::path& file, const json::value& v) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  const std::string text = json::serialize(v) + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += std::size_t(n);
  }
  const bool ok = done == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    fs::remove(file);
    throw std::runtime_error("cannot write " + file.string());
  }
}

json::object validatorKeyJson(const Hash32& key) {
  return json::object{{"address", addressOfSecret(key).checksumHex()}, {"privateKey", key.hex()}};
}

json::value readJson(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

}  // namespace

int runTestnetCommand(int argc, char** argv) {
  std::string home, balance = "1000000";
  std::size_t validators = 4, accounts = 10, followers = 0;
  unsigned basePort = 26656;
  uint64_t chainId = kDefaultDevChainId, commitDelayMs = 1000;
  uint64_t timeoutProposeMs = 3000, timeoutPrevoteMs = 1000, timeoutPrecommitMs = 1000, timeoutDeltaMs = 500;
  uint64_t maxTxsPerBlock = 0, mempoolMaxTxs = 0;  // 0: the node's defaults
  po::options_description d("testnet options");
  d.add_options()("help,h", "show help")("home", po::value(&home), "output directory")(
      "validators", po::value(&validators), "number of validators (default 4)")(
      "base-port", po::value(&basePort), "first port (default 26656)")(
      "chain-id", po::value(&chainId), "chain id (default 7357)")(
      "accounts", po::value(&accounts), "funded dev accounts (default 10)")(
      "balance", po::value(&balance), "UNIT per dev account (default 1000000)")(
      "commit-delay", po::value(&commitDelayMs), "milliseconds between blocks (default 1000)")(
      "followers", po::value(&followers), "non-validator nodes after the validators (default 0)")(
      "timeout-propose", po::value(&timeoutProposeMs), "propose timeout of round 0, ms (default 3000)")(
      "timeout-prevote", po::value(&timeoutPrevoteMs), "prevote timeout of round 0, ms (default 1000)")(
      "timeout-precommit", po::value(&timeoutPrecommitMs), "precommit timeout of round 0, ms (default 1000)")(
      "timeout-delta", po::value(&timeoutDeltaMs), "added to each timeout per round, ms (default 500)")(
      "max-txs-per-block", po::value(&maxTxsPerBlock), "transactions per proposed block (default: the node's, 10000)")(
      "mempool-max-txs", po::value(&mempoolMaxTxs), "transactions the pool holds (default: the node's, 20000)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n%s", e.what(), kTestnetUsage);
    return 1;
  }
  if (vm.count("help")) {
    std::cout << kTestnetUsage << "\n" << d << "\n";
    return 0;
  }
  try {
    if (home.empty()) throw std::invalid_argument("--home DIR is required");
    if (validators < 1 || validators > 100) throw std::invalid_argument("--validators must be 1 to 100");
    if (accounts == 0) throw std::invalid_argument("--accounts must be at least 1");
    if (followers > 100) throw std::invalid_argument("--followers must be 0 to 100");
    if (basePort == 0 || basePort + 2 * (validators + followers) > 65535)
      throw std::invalid_argument("--base-port out of range");
    if (fs::exists(home) && !fs::is_empty(home)) throw std::runtime_error(home + " exists and is not empty");
    fs::create_directories(home);

    auto devs = devAccounts(accounts);
    Genesis genesis = devGenesis(chainId, devs, parseUnits(balance),
                                 uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()));
    std::vector<Hash32> validatorKeys, nodeKeys;
    json::array validatorList;
    for (std::size_t i = 0; i < validators + followers; ++i) nodeKeys.push_back(randomSecretKey());
    // Each validator is funded and bonds kSelfStakeUnits UNIT at genesis (the staking module's
    // active set, which consensus follows); "validators" lists the same set for the network id.
    constexpr uint64_t kSelfStakeUnits = 1000;
    const U256 oneUnit = parseUnits("1");
    json::array stakingValidators;
    for (std::size_t i = 0; i < validators; ++i) {
      validatorKeys.push_back(randomSecretKey());
      const Address a = addressOfSecret(validatorKeys[i]);
      genesis.alloc.push_back({a, oneUnit * (10 * kSelfStakeUnits)});
      validatorList.push_back(json::object{{"address", a.checksumHex()},
                                           {"power", kSelfStakeUnits},
                                           {"name", "node" + std::to_string(i)}});
      stakingValidators.push_back(json::object{{"address", a.checksumHex()},
                                               {"selfStake", u256ToDecimal(oneUnit * kSelfStakeUnits)},
                                               {"moniker", "node" + std::to_string(i)},
                                               {"commissionBps", 1000}});
    }
    genesis.modules.as_object()["staking"] = json::object{{"validators", std::move(stakingValidators)}};
    json::value genesisJson = genesis.toJson();
    genesisJson.as_object()["validators"] = std::move(validatorList);
    writeJson(fs::path(home) / "genesis.json", genesisJson);
    writeJson(fs::path(home) / "dev-accounts.json", devAccountsJson(devs));

    auto p2pPort = [&](std::size_t i) { return basePort + 2 * unsigned(i); };
    for (std::size_t i = 0; i < validators + followers; ++i) {
      const bool isValidator = i < validators;
      HomePaths paths{fs::path(home) / ("node" + std::to_string(i))};
      fs::create_directories(paths.home);
      writeJson(paths.genesis(), genesisJson);
      writeJson(paths.devAccounts(), devAccountsJson(devs));
      NodeConfig config;
      config.rpcAddr = "127.0.0.1:" + std::to_string(p2pPort(i) + 1);
      if (mempoolMaxTxs) config.mempoolMaxTxs = mempoolMaxTxs;
      config.save(paths.config());
      json::value cfg = readJson(paths.config());
      json::array peers;
      for (std::size_t j = 0; j < validators; ++j)
        if (j != i)
          peers.push_back(json::string(toHex(net::nodeIdOf(nodeKeys[j]), false) + "@127.0.0.1:" +
                                       std::to_string(p2pPort(j))));
      cfg.as_object()["p2p"] = json::object{{"listenAddr", "127.0.0.1:" + std::to_string(p2pPort(i))},
                                            {"persistentPeers", std::move(peers)},
                                            {"maxInbound", 40},
                                            {"maxOutbound", 10},
                                            {"pex", true},
                                            {"banSeconds", 60}};
      cfg.as_object()["consensus"] = json::object{{"commitDelayMs", commitDelayMs},
                                                  {"timeoutProposeMs", timeoutProposeMs},
                                                  {"timeoutProposeDeltaMs", timeoutDeltaMs},
                                                  {"timeoutPrevoteMs", timeoutPrevoteMs},
                                                  {"timeoutPrevoteDeltaMs", timeoutDeltaMs},
                                                  {"timeoutPrecommitMs", timeoutPrecommitMs},
                                                  {"timeoutPrecommitDeltaMs", timeoutDeltaMs}};
      if (maxTxsPerBlock) cfg.as_object()["maxTxsPerBlock"] = maxTxsPerBlock;
      writeJson(paths.config(), cfg);
      net::NetworkedHomeFiles files{paths.home};
      writeSecretJson(files.nodeKey(),
                      json::object{{"nodeId", toHex(net::nodeIdOf(nodeKeys[i]), false)},
                                   {"privateKey", nodeKeys[i].hex()}});
      if (!isValidator) {
        std::printf("node%zu: home %s, p2p 127.0.0.1:%u, JSON-RPC http://127.0.0.1:%u, follower (no validator key)\n",
                    i, paths.home.string().c_str(), p2pPort(i), p2pPort(i) + 1);
        continue;
      }
      writeSecretJson(files.validatorKey(), validatorKeyJson(validatorKeys[i]));
      std::printf("node%zu: home %s, p2p 127.0.0.1:%u, JSON-RPC http://127.0.0.1:%u, validator %s\n", i,
                  paths.home.string().c_str(), p2pPort(i), p2pPort(i) + 1,
                  addressOfSecret(validatorKeys[i]).checksumHex().c_str());
    }
    std::printf("testnet of %zu validators and %zu followers (chain id %llu) written to %s\n", validators,
                followers, (unsigned long long)chainId, home.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

int runValidatorKeyCommand(int argc, char** argv) {
  constexpr const char* kUsage = R"(Usage:
  treasurenetd validator-key --home DIR

Writes DIR/validator_key.json, a new secp256k1 key from /dev/urandom (mode 0600), and prints its
address. A node started with it votes once staking makes that address an active validator: fund
the address, import the key into a wallet and send createValidator from it (docs/NETWORK.md,
"Becoming a validator"). An existing key file is never replaced: a validator's key and its signing
log (DIR/consensus/signlog.wal) belong together.
)";
  std::string home;
  po::options_description d("validator-key options");
  d.add_options()("help,h", "show help")("home", po::value(&home), "the node's home directory");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n%s", e.what(), kUsage);
    return 1;
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << d << "\n";
    return 0;
  }
  if (home.empty()) {
    std::fprintf(stderr, "error: --home DIR is required\n%s", kUsage);
    return 1;
  }
  try {
    const fs::path file = net::NetworkedHomeFiles{home}.validatorKey();
    if (fs::exists(file))
      throw std::runtime_error(file.string() + " exists: a validator key is never replaced");
    fs::create_directories(home);
    const Hash32 key = randomSecretKey();
    writeSecretJson(file, validatorKeyJson(key));
    std::printf("validator key %s written to %s\n", addressOfSecret(key).checksumHex().c_str(),
                file.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

}  // namespace tn
