// (a) Signed UNIT transfers committed per second through the executor, and (c) the secp256k1
// sender-recovery rate. Everything runs in-process on a real ChainStore (RocksDB, synced commits).
#include "modules/catalog/catalog.hpp"
#include "tests/bench/bench_chain.hpp"

using namespace tn;

namespace tnbench {

int runExecutorBench(const Options& o) {
  const std::size_t N = o.num("txs"), B = o.num("block-txs"), S = o.num("senders");
  RunOptions ro;
  ro.blockTxs = B;
  ro.threads = unsigned(o.num("threads"));
  ro.pipeline = o.num("pipeline") != 0;
  o.print("executor bench");
  if (B == 0 || S == 0 || N == 0) throw std::invalid_argument("txs, block-txs and senders must be > 0");
  BenchDir dir(o.str("dir"), "tn_bench_exec");

  auto t0 = Clock::now();
  auto accounts = benchAccounts(S);
  Genesis genesis = devGenesis(kDefaultDevChainId, accounts, parseUnits("1000000"), 1'700'000'000);
  TransferPlan plan;
  plan.count = N;
  plan.recipients = o.num("recipients");
  auto raw = signTransfers(accounts, plan);
  // The pre-signed input is held in memory for the whole run: report the node-side growth too.
  const long inputRssKiB = currentRssKiB();
  std::printf("setup: %zu senders, %zu transfers signed in %.1f s (bench RSS with the signed input %ld MiB)\n",
              S, N, secondsSince(t0), inputRssKiB / 1024);
  // Block i (from 1) has timestamp genesis + i, as before.
  std::vector<uint64_t> time(N);
  for (std::size_t i = 0; i < N; ++i) time[i] = genesis.timestamp + 1 + i / B;

  auto modules = makeStandardModules();
  ChainParams params = genesis.params();
  params.feeCollector = kFeeCollector;
  params.blockGasLimit = std::max<uint64_t>(params.blockGasLimit, B * 21000);
  Executor executor(*modules, params);
  {
    ChainStore chain(dir.path());
    commitGenesis(chain, executor, genesis);
    RunStats st = runBlocks(chain, executor, raw, time, ro);

    // Every transfer is in and the state adds up: each sender's nonce, sampled recipients.
    if (st.txs != N || chain.height() != st.blocks) throw std::runtime_error("not every transfer committed");
    auto state = chain.state();
    const Ledger& ledger = executor.modules().ledger();
    for (std::size_t s = 0; s < S; s += std::max<std::size_t>(1, S / 50)) {
      uint64_t want = N / S + (s < N % S ? 1 : 0);
      if (ledger.nonce(*state, accounts[s].address) != want)
        throw std::runtime_error("sender " + std::to_string(s) + " nonce mismatch");
    }
    for (std::size_t r = 0; r < std::min<std::size_t>(plan.recipients, 50); ++r) {
      uint64_t transfers = N / plan.recipients + (r < N % plan.recipients ? 1 : 0);
      if (ledger.balance(*state, recipient(r)) != U256(transfers) * 1'000'000'000'000ull)
        throw std::runtime_error("recipient " + std::to_string(r) + " balance mismatch");
    }

    st.print("transfers", ro.pipeline);
    std::printf("  per block of %zu: execute %.1f ms, commit %.1f ms; state root %s\n", B,
                1000 * st.execute / st.blocks, 1000 * st.commit / st.blocks, chain.stateRoot().hex().c_str());
    const long peak = peakRssKiB();
    std::printf("  state: %zu accounts; peak RSS %ld MiB (%ld MiB above the signed input)\n",
                S + std::min<std::size_t>(N, plan.recipients) + 1, peak / 1024, (peak - inputRssKiB) / 1024);
  }
  return 0;
}

int runRecoverBench(const Options& o) {
  const std::size_t N = o.num("txs");
  o.print("recover bench");
  auto accounts = benchAccounts(std::min<std::size_t>(N, 1000));
  TransferPlan plan;
  plan.count = N;
  auto raw = signTransfers(accounts, plan);

  TxList txs = decodeAll(raw, 0, N);
  auto t = Clock::now();
  for (auto& tx : txs) tx->recoverSender();
  double single = secondsSince(t);
  std::printf("one core, Transaction::recoverSender: %zu in %.2f s = %.0f recoveries/s (%.1f us each)\n", N,
              single, N / single, 1e6 * single / N);

  txs = decodeAll(raw, 0, N);
  t = Clock::now();
  recoverAll(txs, 1);
  double one = secondsSince(t);
  std::printf("recoverSenders(threads=1): %.0f recoveries/s\n", N / one);

  txs = decodeAll(raw, 0, N);
  t = Clock::now();
  recoverAll(txs, 0);
  double all = secondsSince(t);
  std::printf("recoverSenders(threads=0, %u hardware threads): %.0f recoveries/s\n", hardwareThreads(), N / all);

  t = Clock::now();
  TxList again = decodeAll(raw, 0, N);
  double dec = secondsSince(t);
  std::printf("decode only (one core): %.0f tx/s\n", N / dec);
  return 0;
}

}  // namespace tnbench
