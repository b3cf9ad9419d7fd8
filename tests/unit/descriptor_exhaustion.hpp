// Runs a loopback listener out of file descriptors, for the tests of its accept loop's error path.
#pragma once

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

namespace tn::test {

struct DescriptorExhaustion {
  bool limitsSet = false;  // the soft limit was lowered and restored
  // The clients that connected: accepted before the descriptors ran out, or waiting in the
  // listen backlog, where every accept() fails with EMFILE.
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> clients;
  bool ranOut = false;  // a client's socket could not be had: the descriptors did run out
  long long cpuMicrosWhileOut = 0;  // this process's CPU over `idle` with the descriptors out
};

// Lowers this process's soft descriptor limit to what is open plus 16, connects up to 64 clients
// to 127.0.0.1:`port` on `io`, measures the process's CPU over `idle`, then restores the limit.
// Uses no doctest macro while the descriptors are out (doctest's message scopes and the
// sanitizers' memory probes need descriptors): the caller checks the result.
inline DescriptorExhaustion exhaustDescriptors(boost::asio::io_context& io, uint16_t port,
                                               std::chrono::milliseconds idle) {
  DescriptorExhaustion out;
  rlimit original{};
  if (getrlimit(RLIMIT_NOFILE, &original) != 0) return out;
  std::size_t open = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++open;
  }
  rlimit tight = original;
  tight.rlim_cur = open + 16;
  if (setrlimit(RLIMIT_NOFILE, &tight) != 0) return out;
  const boost::asio::ip::tcp::endpoint listener(boost::asio::ip::make_address("127.0.0.1"), port);
  for (int i = 0; i < 64 && !out.ranOut; ++i) {
    auto s = std::make_unique<boost::asio::ip::tcp::socket>(io);
    boost::system::error_code ec;
    s->connect(listener, ec);
    if (ec)
      out.ranOut = true;
    else
      out.clients.push_back(std::move(s));
  }
  auto cpuMicros = [] {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1'000'000ll + r.ru_utime.tv_usec +
           r.ru_stime.tv_usec;
  };
  const long long before = cpuMicros();
  std::this_thread::sleep_for(idle);
  out.cpuMicrosWhileOut = cpuMicros() - before;
  out.limitsSet = setrlimit(RLIMIT_NOFILE, &original) == 0;
  return out;
}

}  // namespace tn::test
