// Signed UNIT transfers through a real BFT network on loopback: `treasurenetd testnet` writes V
// validators, they are started as separate processes, the client pre-signs N transfers from many
// dev accounts and fires them as eth_sendRawTransaction batches spread over the V nodes' JSON-RPC
// ports, then follows node 0's newHeads subscription until all are committed. Reports committed
// tx/s (first send -> last commit), the latency of each transfer from its submission to the
// arrival of its block's header (percentiles), and each validator's peak RSS and CPU time.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "tests/bench/bench_chain.hpp"
#include "tests/bench/bench_http.hpp"
#include "tests/bench/bench_util.hpp"

using namespace tn;
namespace fs = std::filesystem;

namespace tnbench {
namespace {

// A field of /proc/PID/status in KiB.
long procStatusKiB(pid_t pid, const char* field) {
  return statusKiB(field, "/proc/" + std::to_string(pid) + "/status");
}

// user + system CPU seconds of a process (/proc/PID/stat fields 14 and 15).
double procCpuSeconds(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return -1;
  char buf[2048];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');
  if (!p) return -1;
  unsigned long ut = 0, st = 0;
  // after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return double(ut + st) / double(::sysconf(_SC_CLK_TCK));
}

// user + system CPU seconds of this process, all threads.
double selfCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  std::fflush(stdout);  // the child must not inherit buffered output
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    if (out) ::dup2(::fileno(stdout), 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  return pid;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t k = std::min(v.size() - 1, std::size_t(p / 100.0 * double(v.size())));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return v[k];
}

// The transaction hashes ("0x" + 64 hex) listed in an eth_getBlockByNumber(_, false) answer.
void blockTxHashes(const std::string& block, std::vector<std::string>& out) {
  auto p = block.find("\"transactions\":[");
  if (p == std::string::npos) return;
  p += 16;
  auto end = block.find(']', p);
  for (auto q = block.find("\"0x", p); q != std::string::npos && q < end; q = block.find("\"0x", q + 68))
    out.push_back(block.substr(q + 1, 66));
}

}  // namespace

int runTestnetBench(const Options& o) {
  const std::size_t V = o.num("validators"), N = o.num("txs"), S = o.num("senders");
  const std::size_t K = std::max<uint64_t>(1, o.num("batch")), W = o.num("window");
  const double timeout = double(o.num("timeout"));
  const unsigned basePort = unsigned(o.num("base-port"));
  o.print("testnet bench");
  if (V == 0 || N == 0 || S == 0) throw std::invalid_argument("validators, txs and senders must be > 0");

  std::string bin = o.str("treasurenetd");
  if (bin.empty()) bin = (fs::read_symlink("/proc/self/exe").parent_path() / "treasurenetd").string();
  if (!fs::exists(bin)) throw std::runtime_error("treasurenetd not found at " + bin + " (--treasurenetd PATH)");
  BenchDir dir(o.str("dir"), "tn_bench_testnet");
  const fs::path net = dir.path() / "net";

  // 1. The network: V validators, S funded dev accounts, the consensus settings given.
  {
    std::string cmd = "'" + bin + "' testnet --home '" + net.string() + "' --validators " + std::to_string(V) +
                      " --accounts " + std::to_string(S) + " --base-port " + std::to_string(basePort) +
                      " --commit-delay " + o.str("commit-delay") + " --timeout-propose " + o.str("timeout-propose") +
                      " --timeout-prevote " + o.str("timeout-prevote") + " --timeout-precommit " +
                      o.str("timeout-precommit") + " --max-txs-per-block " + o.str("max-txs-per-block") +
                      " --mempool-max-txs " + o.str("mempool-max-txs") + " > '" + (dir.path() / "testnet.log").string() +
                      "' 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("treasurenetd testnet failed: " + cmd);
  }
  std::vector<pid_t> pids;
  auto stopNodes = [&] {
    for (pid_t p : pids) ::kill(p, SIGTERM);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
    pids.clear();
  };
  auto rpcPort = [&](std::size_t i) { return uint16_t(basePort + 2 * i + 1); };
  try {
    for (std::size_t i = 0; i < V; ++i) {
      fs::path home = net / ("node" + std::to_string(i));
      pids.push_back(spawn({bin, "start", "--home", home.string()}, home / "node.log"));
    }
    std::printf("started %zu validators (pids", V);
    for (pid_t p : pids) std::printf(" %d", int(p));
    std::printf("), homes %s/nodeI, JSON-RPC 127.0.0.1:%u + 2I\n", net.c_str(), unsigned(rpcPort(0)));
    std::fflush(stdout);

    // 2. Wait until every node answers, has V-1 peers, and the chain has committed a block.
    auto t0 = Clock::now();
    std::vector<std::unique_ptr<HttpConn>> control(V);
    for (;;) {
      bool ready = true;
      for (std::size_t i = 0; i < V && ready; ++i) try {
          if (!control[i]) control[i] = std::make_unique<HttpConn>("127.0.0.1", rpcPort(i));
          uint64_t peers = resultQuantity(control[i]->post(R"({"jsonrpc":"2.0","id":1,"method":"net_peerCount","params":[]})"));
          uint64_t h = resultQuantity(control[i]->post(R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})"));
          ready = peers + 1 >= V && h >= 2;
        } catch (const std::exception&) {
          control[i].reset();
          ready = false;
        }
      if (ready) break;
      if (secondsSince(t0) > 60) throw std::runtime_error("the testnet did not come up within 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::printf("network up in %.1f s\n", secondsSince(t0));

    // 3. Pre-signed transfers: transfer i from sender i % S with nonce i / S.
    t0 = Clock::now();
    auto accounts = benchAccounts(S);
    TransferPlan plan;
    plan.count = N;
    plan.recipients = o.num("recipients");
    auto raw = signTransfers(accounts, plan);
    std::vector<std::string> hexes(N);
    std::unordered_map<std::string, std::size_t> index;
    index.reserve(N * 2);
    {
      std::vector<std::string> hashes(N);
      parallelFor(N, hardwareThreads(), [&](std::size_t i) {
        hexes[i] = toHex(raw[i]);
        hashes[i] = Transaction::decode(raw[i]).hash.hex();
      });
      for (std::size_t i = 0; i < N; ++i) index.emplace(std::move(hashes[i]), i);
    }
    raw.clear();
    raw.shrink_to_fit();
    // The server closes connections idle for 30 s, and signing a million transfers takes longer.
    for (auto& c : control)
      c = std::make_unique<HttpConn>("127.0.0.1", rpcPort(&c - control.data()));
    std::printf("setup: %zu transfers from %zu senders signed in %.1f s; batches of %zu to the %zu nodes in turn\n",
                N, S, secondsSince(t0), K, V);
    std::fflush(stdout);

    // 4. Load: batch b goes to node b % V (with S a multiple of K * V, each sender always talks to
    // the same node, so its nonces arrive in order there). At most W sent and not yet committed.
    const std::size_t batches = (N + K - 1) / K;
    std::vector<Clock::time_point> submitted(batches);
    std::vector<double> latency(N, -1);
    std::atomic<std::size_t> sent{0}, rejected{0}, committed{0};
    std::atomic<bool> stop{false};
    std::mutex errMu;
    std::string firstError;
    // Node 0 pushes each committed block's header (newHeads); its arrival is the commit time. A
    // subscription instead of polling keeps the measuring client's load off the node.
    WsConn heads("127.0.0.1", rpcPort(0));
    heads.send(R"({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]})");
    for (;;) {
      auto answer = heads.receive(10000);
      if (!answer) throw std::runtime_error("node 0 did not answer eth_subscribe");
      if (answer->find("\"result\"") != std::string::npos) break;
      if (answer->find("\"error\"") != std::string::npos)
        throw std::runtime_error("eth_subscribe: " + *answer);
    }
    uint64_t seenHeight = resultQuantity(
        control[0]->post(R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})"));
    // CPU at the first send, to report what the run itself cost (startup and signing excluded).
    std::vector<double> cpuAtStart(V);
    for (std::size_t i = 0; i < V; ++i) cpuAtStart[i] = procCpuSeconds(pids[i]);
    const double clientCpuAtStart = selfCpuSeconds();
    const auto start = Clock::now();
    Clock::time_point lastCommit = start;
    std::vector<std::thread> senders;
    for (std::size_t node = 0; node < V; ++node)
      senders.emplace_back([&, node] {
        try {
          HttpConn conn("127.0.0.1", rpcPort(node));
          std::string body;
          for (std::size_t b = node; b < batches && !stop; b += V) {
            while (sent.load() - committed.load() - rejected.load() > W && !stop)
              std::this_thread::sleep_for(std::chrono::microseconds(500));
            const std::size_t first = b * K, last = std::min(N, first + K);
            body.clear();
            body += '[';
            for (std::size_t i = first; i < last; ++i) {
              if (i > first) body += ',';
              body += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"eth_sendRawTransaction","params":[")";
              body += hexes[i];
              body += "\"]}";
            }
            body += ']';
            submitted[b] = Clock::now();
            sent += last - first;
            std::string answer = conn.post(body);
            if (std::size_t errors = countOf(answer, "\"error\"")) {
              rejected += errors;
              std::lock_guard lk(errMu);
              if (firstError.empty()) firstError = answer.substr(answer.find("\"error\""), 200);
            }
          }
        } catch (const std::exception& e) {
          std::lock_guard lk(errMu);
          if (firstError.empty()) firstError = std::string("sender: ") + e.what();
          stop = true;
        }
      });

    // 5. Follow node 0's new heads; each block's transfers are committed when its header arrives.
    uint64_t blocks = 0, busiest = 0;
    bool timedOut = false;
    std::vector<double> cpuAtLastCommit(cpuAtStart);
    std::vector<std::string> txHashes;
    while (!stop) try {
        uint64_t h = seenHeight;
        if (auto note = heads.receive(50))
          if (auto p = note->find("\"number\":\"0x"); p != std::string::npos)
            h = std::max<uint64_t>(h, std::stoull(note->substr(p + 12, 16), nullptr, 16));
        if (h > seenHeight) {
          const auto seenAt = Clock::now();
          if (committed + rejected < N) {  // CPU up to the last commit (the client stops after it)
            for (std::size_t i = 0; i < V; ++i) cpuAtLastCommit[i] = procCpuSeconds(pids[i]);
          }
          for (uint64_t n = seenHeight + 1; n <= h; ++n) {
            std::string answer = control[0]->post(R"({"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":[")" +
                                                  toQuantity(n) + R"(",false]})");
            txHashes.clear();
            blockTxHashes(answer, txHashes);
            busiest = std::max<uint64_t>(busiest, txHashes.size());
            std::size_t ours = 0;
            for (const auto& hash : txHashes)
              if (auto it = index.find(hash); it != index.end() && latency[it->second] < 0) {
                latency[it->second] =
                    std::chrono::duration<double>(seenAt - submitted[it->second / K]).count();
                ++ours;
              }
            committed += ours;
            if (ours) ++blocks;
          }
          seenHeight = h;
          lastCommit = seenAt;
        }
        if (committed + rejected >= N) break;
        if (secondsSince(start) > timeout) {
          timedOut = true;
          stop = true;
          break;
        }
      } catch (const std::exception& e) {
        std::lock_guard lk(errMu);
        if (firstError.empty()) firstError = std::string("poller: ") + e.what();
        stop = true;
      }
    for (auto& th : senders) th.join();

    // 6. Figures.
    const double total = std::chrono::duration<double>(lastCommit - start).count();
    std::vector<double> lat;
    lat.reserve(N);
    for (double l : latency)
      if (l >= 0) lat.push_back(l);
    std::printf("committed %zu of %zu transfers (%zu rejected) in %llu blocks (up to %llu per block) in %.2f s "
                "from first send to last commit: %.0f tx/s\n",
                committed.load(), N, rejected.load(), (unsigned long long)blocks, (unsigned long long)busiest, total,
                committed / total);
    if (!lat.empty()) {
      double mean = 0;
      for (double l : lat) mean += l;
      mean /= double(lat.size());
      double p50 = percentile(lat, 50), p95 = percentile(lat, 95), p99 = percentile(lat, 99);
      double mx = *std::max_element(lat.begin(), lat.end());
      std::printf("latency submission -> commit of its block: p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms, "
                  "mean %.0f ms\n",
                  1e3 * p50, 1e3 * p95, 1e3 * p99, 1e3 * mx, 1e3 * mean);
    }
    const double clientRunCpu = selfCpuSeconds() - clientCpuAtStart;
    double validatorsRunCpu = 0;
    for (std::size_t i = 0; i < V; ++i) {
      const double runCpu = cpuAtLastCommit[i] - cpuAtStart[i];
      validatorsRunCpu += runCpu;
      std::printf(
          "node%zu (pid %d): peak RSS (VmHWM) %ld MiB, RSS now %ld MiB, CPU %.1f s, of which %.1f "
          "s "
          "during the run\n",
          i, int(pids[i]), procStatusKiB(pids[i], "VmHWM") / 1024,
          procStatusKiB(pids[i], "VmRSS") / 1024, procCpuSeconds(pids[i]), runCpu);
    }
    std::printf("client: peak RSS %ld MiB, CPU %.1f s (signing included), %.1f s during the run\n",
                peakRssKiB() / 1024, selfCpuSeconds(), clientRunCpu);
    if (committed)
      std::printf(
          "CPU per committed transfer during the run: %.0f us per validator (%.0f us for all %zu), "
          "client %.0f us; machine load %.2f cores\n",
          1e6 * validatorsRunCpu / double(V * committed),
          1e6 * validatorsRunCpu / double(committed), V, 1e6 * clientRunCpu / double(committed),
          (validatorsRunCpu + clientRunCpu) / total);
    if (!firstError.empty()) std::printf("first error: %s\n", firstError.c_str());
    if (timedOut) std::printf("TIMEOUT after %.0f s\n", timeout);
    std::fflush(stdout);
    if (o.num("hold")) {
      std::printf("holding the network for %llu s\n", (unsigned long long)o.num("hold"));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(o.num("hold")));
    }
    stopNodes();
    return (timedOut || rejected || committed < N) ? 1 : 0;
  } catch (...) {
    stopNodes();
    throw;
  }
}

}  // namespace tnbench
