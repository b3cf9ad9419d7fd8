// Shared helpers of tn_bench: options, clocks, deterministic keys and pre-signed UNIT transfers.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "chain/genesis.hpp"
#include "chain/transaction.hpp"

namespace tnbench {

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// --key value options after the sub-command; every option must be known.
class Options {
 public:
  Options(int argc, char** argv, int first, std::map<std::string, std::string> defaults)
      : values_(std::move(defaults)) {
    for (int i = first; i < argc; ++i) {
      std::string k = argv[i];
      if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw std::invalid_argument("bad option " + k);
      k = k.substr(2);
      if (!values_.count(k)) throw std::invalid_argument("unknown option --" + k);
      values_[k] = argv[++i];
    }
  }
  std::string str(const std::string& k) const { return values_.at(k); }
  uint64_t num(const std::string& k) const { return std::stoull(values_.at(k)); }
  void print(const char* what) const {
    std::printf("%s:", what);
    for (const auto& [k, v] : values_) std::printf(" --%s %s", k.c_str(), v.c_str());
    std::printf("\n");
  }

 private:
  std::map<std::string, std::string> values_;
};

inline unsigned hardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

// Runs fn(i) for i in [0, n) on `threads` threads (setup work only, never measured).
template <class Fn>
void parallelFor(std::size_t n, unsigned threads, Fn fn) {
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t i = t; i < n; i += threads) fn(i);
    });
  for (auto& th : pool) th.join();
}

// The dev chain's deterministic keys (chain/genesis.hpp devAccounts), derived on all cores.
inline std::vector<tn::DevAccount> benchAccounts(std::size_t count) {
  std::vector<tn::DevAccount> out(count);
  parallelFor(count, hardwareThreads(), [&](std::size_t i) {
    out[i].secretKey = tn::keccak256("treasurenet dev account " + std::to_string(i));
    out[i].address = tn::addressOfSecret(out[i].secretKey);
  });
  return out;
}

// A recipient that is a fresh account (so transfers grow the state, as real payments do).
inline tn::Address recipient(std::size_t i) {
  tn::Hash32 h = tn::keccak256("tn_bench recipient " + std::to_string(i));
  return tn::Address::fromView(tn::BytesView(h.data() + 12, 20));
}

struct TransferPlan {
  uint64_t chainId = tn::kDefaultDevChainId;
  std::size_t count = 0;
  std::size_t recipients = 50'000;
  uint64_t firstNonce = 0;  // nonce of each sender's first transfer
};

// Signed raw transfers, ordered in rounds: transfer i is from sender i % S with nonce
// firstNonce + i / S, so that any window of consecutive transfers has many senders. Types rotate
// legacy (EIP-155) / EIP-2930 / EIP-1559. Fee cap 2 gwei, tip 0, value 1e12 wei.
inline std::vector<tn::Bytes> signTransfers(const std::vector<tn::DevAccount>& senders,
                                            const TransferPlan& plan) {
  std::vector<tn::Bytes> raw(plan.count);
  const std::size_t S = senders.size();
  parallelFor(plan.count, hardwareThreads(), [&](std::size_t i) {
    tn::Transaction t;
    switch (i % 3) {
      case 0: t.type = tn::Transaction::Type::Legacy; t.gasPrice = 2'000'000'000; break;
      case 1: t.type = tn::Transaction::Type::AccessList; t.gasPrice = 2'000'000'000; break;
      default:
        t.type = tn::Transaction::Type::DynamicFee;
        t.maxFeePerGas = 2'000'000'000;
        t.maxPriorityFeePerGas = 0;
    }
    t.chainId = plan.chainId;
    t.nonce = plan.firstNonce + i / S;
    t.gasLimit = 21000;
    t.to = recipient(i % plan.recipients);
    t.value = 1'000'000'000'000ull;
    t.sign(senders[i % S].secretKey);
    raw[i] = std::move(t.raw);
  });
  return raw;
}

// A field of a /proc status file in KiB ("VmHWM" = peak resident set, "VmRSS" = current).
inline long statusKiB(const char* field, const std::string& file = "/proc/self/status") {
  FILE* f = std::fopen(file.c_str(), "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  const std::size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f))
    if (!std::strncmp(line, field, n) && line[n] == ':' && std::sscanf(line + n + 1, "%ld", &kb) == 1) break;
  std::fclose(f);
  return kb;
}
inline long peakRssKiB() { return statusKiB("VmHWM"); }
inline long currentRssKiB() { return statusKiB("VmRSS"); }

int runExecutorBench(const Options& o);
int runRecoverBench(const Options& o);
int runRpcBench(const Options& o);
int runTestnetBench(const Options& o);
int runProductionBench(const Options& o);

}  // namespace tnbench
