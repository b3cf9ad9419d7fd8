// (b) Committed transfers per second through JSON-RPC: a loopback client that pre-signs N UNIT
// transfers from many funded accounts, fires them as eth_sendRawTransaction batches over
// keep-alive HTTP/1.1 connections, and waits until all are committed.
#include <atomic>
#include <mutex>
#include <optional>

#include "tests/bench/bench_http.hpp"
#include "tests/bench/bench_util.hpp"

using namespace tn;

namespace tnbench {

int runRpcBench(const Options& o) {
  const std::string url = o.str("rpc");
  auto colon = url.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--rpc HOST:PORT");
  const std::string host = url.substr(0, colon);
  const uint16_t port = uint16_t(std::stoul(url.substr(colon + 1)));
  const std::size_t N = o.num("txs"), S = o.num("senders"), K = std::max<uint64_t>(1, o.num("batch"));
  const std::size_t C = std::max<uint64_t>(1, o.num("conns")), W = o.num("window");
  const double timeout = double(o.num("timeout"));
  o.print("rpc bench");

  HttpConn control(host, port);
  uint64_t chainId = resultQuantity(control.post(R"({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]})"));
  uint64_t startHeight = resultQuantity(control.post(R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})"));

  auto t0 = Clock::now();
  auto accounts = benchAccounts(S);
  // The senders are the chain's funded dev accounts: all must be at the same nonce.
  uint64_t firstNonce = 0;
  for (std::size_t i = 0; i < S; i += 500) {
    std::string body = "[";
    for (std::size_t j = i; j < std::min(S, i + 500); ++j)
      body += (j > i ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(j) +
              R"(,"method":"eth_getTransactionCount","params":[")" + accounts[j].address.hex() + R"(","latest"]})";
    std::string answer = control.post(body + "]");
    if (answer.find("\"error\"") != std::string::npos) throw std::runtime_error("nonce query failed: " + answer.substr(0, 300));
    for (std::size_t p = answer.find("\"result\""), j = i; p != std::string::npos; p = answer.find("\"result\"", p + 1), ++j) {
      uint64_t n = std::stoull(answer.substr(answer.find("0x", p) + 2), nullptr, 16);
      if (i == 0 && j == 0) firstNonce = n;
      else if (n != firstNonce)
        throw std::runtime_error("bench senders are not at one nonce (is --senders more than the funded accounts?)");
    }
  }
  TransferPlan plan;
  plan.chainId = chainId;
  plan.count = N;
  plan.firstNonce = firstNonce;
  plan.recipients = o.num("recipients");
  auto raw = signTransfers(accounts, plan);
  std::vector<std::string> hexes(N);
  parallelFor(N, hardwareThreads(), [&](std::size_t i) { hexes[i] = toHex(raw[i]); });
  raw.clear();
  raw.shrink_to_fit();
  std::printf("setup: chain %llu at block %llu, %zu senders at nonce %llu, %zu transfers signed in %.1f s\n",
              (unsigned long long)chainId, (unsigned long long)startHeight, S, (unsigned long long)firstNonce, N,
              secondsSince(t0));
  std::fflush(stdout);

  std::atomic<std::size_t> nextBatch{0}, sent{0}, rejected{0}, committed{0};
  std::atomic<bool> stop{false};
  std::mutex errMu;
  std::string firstError;
  std::size_t batches = (N + K - 1) / K;
  auto start = Clock::now();
  Clock::time_point lastCommit = start, sendDone = start;
  std::mutex doneMu;

  std::vector<std::thread> senders;
  for (std::size_t c = 0; c < C; ++c)
    senders.emplace_back([&] {
      try {
        HttpConn conn(host, port);
        std::string body;
        for (;;) {
          std::size_t b = nextBatch.fetch_add(1);
          if (b >= batches || stop) break;
          // Keep at most `window` transfers in the node's pool (its mempoolMaxTxs bounds it).
          while (W && sent.load() - committed.load() - rejected.load() > W && !stop)
            std::this_thread::sleep_for(std::chrono::microseconds(500));
          std::size_t first = b * K, last = std::min(N, first + K);
          body.clear();
          if (K > 1) body += '[';
          for (std::size_t i = first; i < last; ++i) {
            if (i > first) body += ',';
            body += R"({"jsonrpc":"2.0","id":)";
            body += std::to_string(i);
            body += R"(,"method":"eth_sendRawTransaction","params":[")";
            body += hexes[i];
            body += "\"]}";
          }
          if (K > 1) body += ']';
          sent += last - first;
          std::string answer = conn.post(body);
          std::size_t errors = countOf(answer, "\"error\"");
          if (errors) {
            rejected += errors;
            std::lock_guard lk(errMu);
            if (firstError.empty()) {
              auto p = answer.find("\"error\"");
              firstError = answer.substr(p, 200);
            }
          }
        }
        std::lock_guard lk(doneMu);
        sendDone = std::max(sendDone, Clock::now());
      } catch (const std::exception& e) {
        std::lock_guard lk(errMu);
        if (firstError.empty()) firstError = e.what();
        stop = true;
      }
    });

  // The poller counts committed transfers block by block, on a fresh connection: the node closes
  // keep-alive connections that idled through the (long) signing above.
  uint64_t seenHeight = startHeight, blocks = 0;
  bool timedOut = false;
  std::optional<HttpConn> poll;
  try {
    poll.emplace(host, port);
  } catch (...) {
    stop = true;
    for (auto& t : senders) t.join();
    throw;
  }
  while (!stop) try {
    uint64_t h = resultQuantity(poll->post(R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})"));
    if (h > seenHeight) {
      auto seenAt = Clock::now();
      std::string body = "[";
      for (uint64_t n = seenHeight + 1; n <= h; ++n)
        body += (n > seenHeight + 1 ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(n) +
                R"(,"method":"eth_getBlockTransactionCountByNumber","params":[")" + toQuantity(n) + "\"]}";
      std::string answer = poll->post(body + "]");
      for (auto p = answer.find("\"result\""); p != std::string::npos; p = answer.find("\"result\"", p + 1))
        committed += std::stoull(answer.substr(answer.find("0x", p) + 2), nullptr, 16);
      blocks += h - seenHeight;
      seenHeight = h;
      lastCommit = seenAt;
    }
    if (committed + rejected >= N) break;
    if (secondsSince(start) > timeout) {
      timedOut = true;
      stop = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  } catch (const std::exception& e) {
    std::lock_guard lk(errMu);
    if (firstError.empty()) firstError = std::string("poller: ") + e.what();
    stop = true;
  }
  for (auto& t : senders) t.join();

  double total = std::chrono::duration<double>(lastCommit - start).count();
  double sendSecs = std::chrono::duration<double>(sendDone - start).count();
  std::printf("sent %zu transfers in %.2f s (%.0f tx/s accepted), %zu rejected\n", sent.load(), sendSecs,
              sent.load() / sendSecs, rejected.load());
  std::printf("committed %zu transfers in %llu blocks (%.0f per block) in %.2f s from first send to last commit: "
              "%.0f tx/s\n",
              committed.load(), (unsigned long long)blocks, blocks ? double(committed) / blocks : 0.0, total,
              committed / total);
  if (!firstError.empty()) std::printf("first error: %s\n", firstError.c_str());
  if (timedOut) std::printf("TIMEOUT after %.0f s\n", timeout);
  std::printf("client peak RSS %ld MiB\n", peakRssKiB() / 1024);
  return (timedOut || rejected || committed < N) ? 1 : 0;
}

}  // namespace tnbench
