// tn_bench: throughput benchmarks of the Treasurenet node (docs/PERFORMANCE.md).
#include <cstdio>
#include <cstring>

#include "tests/bench/bench_util.hpp"

namespace {

constexpr const char* kUsage = R"(tn_bench - Treasurenet throughput benchmarks

  tn_bench executor [--txs 200000] [--block-txs 5000] [--senders 10000] [--recipients 50000]
                    [--threads 0] [--pipeline 0] [--dir DIR]
      pre-signed UNIT transfers -> decode -> parallel recoverSenders -> buildBlock + commitSealed
      on a real ChainStore (a temp dir unless --dir); --pipeline 1 recovers the next block on
      another thread while the current one executes, as a node's RPC threads do.
  tn_bench production [--wells 1000] [--owners 100] [--days 30] [--block-txs 5000] [--threads 0]
                      [--pipeline 0] [--dir DIR]
      the production workload through the executor, every step a signed module call: producers
      and wells registered and activated, margin prepaid; then each day the FEEDER's prices and
      one setProductionData per well (uploads/s); then the month's trusted figures and one
      clearing per well (clearings/s). OIL and GAS wells, January 2024.
  tn_bench recover [--txs 20000]
      secp256k1 sender recovery: one core, then all cores.
  tn_bench rpc --rpc 127.0.0.1:PORT [--txs 100000] [--senders 10000] [--recipients 50000]
               [--conns 4] [--batch 100] [--window 15000] [--timeout 600]
      loopback JSON-RPC load: the senders are the node's dev accounts 0..senders-1 (start the node
      with `treasurenetd init --accounts N`); reports committed tx/s from first send to last commit.
  tn_bench testnet [--validators 4] [--txs 60000] [--senders 2000] [--recipients 50000] [--batch 100]
                  [--window 1500] [--commit-delay 0] [--timeout-propose 1000] [--timeout-prevote 500]
                  [--timeout-precommit 500] [--max-txs-per-block 1500] [--mempool-max-txs 20000]
                  [--base-port 27600] [--treasurenetd PATH] [--dir DIR] [--timeout 600] [--hold 0]
      a real BFT network on loopback: `treasurenetd testnet` with these settings, the validators
      started as processes, pre-signed transfers sent in JSON-RPC batches to the nodes in turn (at
      most --window sent and not committed); reports committed tx/s, latency from submission to the
      commit of the block (p50/p95/p99), each validator's peak RSS and CPU time. --senders should be
      a multiple of batch x validators (each sender then always talks to one node). --hold S keeps
      the network up S s after the run (to attach perf).
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace tnbench;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  std::string cmd = argv[1];
  try {
    if (cmd == "executor")
      return runExecutorBench(Options(argc, argv, 2,
                                      {{"txs", "200000"}, {"block-txs", "5000"}, {"senders", "10000"},
                                       {"recipients", "50000"}, {"threads", "0"}, {"pipeline", "0"},
                                       {"dir", ""}}));
    if (cmd == "production")
      return runProductionBench(Options(argc, argv, 2,
                                        {{"wells", "1000"}, {"owners", "100"}, {"days", "30"},
                                         {"block-txs", "5000"}, {"threads", "0"}, {"pipeline", "0"},
                                         {"dir", ""}}));
    if (cmd == "recover") return runRecoverBench(Options(argc, argv, 2, {{"txs", "20000"}}));
    if (cmd == "rpc")
      return runRpcBench(Options(argc, argv, 2,
                                 {{"rpc", "127.0.0.1:8545"}, {"txs", "100000"}, {"senders", "10000"},
                                  {"recipients", "50000"}, {"conns", "4"}, {"batch", "100"},
                                  {"window", "15000"}, {"timeout", "600"}}));
    if (cmd == "testnet")
      return runTestnetBench(Options(argc, argv, 2,
                                     {{"validators", "4"}, {"txs", "60000"}, {"senders", "2000"},
                                      {"recipients", "50000"}, {"batch", "100"}, {"window", "1500"},
                                      {"commit-delay", "0"}, {"timeout-propose", "1000"},
                                      {"timeout-prevote", "500"}, {"timeout-precommit", "500"},
                                      {"max-txs-per-block", "1500"}, {"mempool-max-txs", "20000"},
                                      {"base-port", "27600"}, {"treasurenetd", ""}, {"dir", ""},
                                      {"timeout", "600"}, {"hold", "0"}}));
    std::fprintf(stderr, "unknown benchmark '%s'\n%s", cmd.c_str(), kUsage);
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
