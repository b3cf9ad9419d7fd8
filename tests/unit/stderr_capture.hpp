// Captures stderr for a test (tests of the I/O threads' catch-alls).
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

namespace tn::test {

// The RPC and p2p I/O threads catch what a handler throws and print it ("rpc: unexpected exception
// in io thread"), so the node survives, and a test would not notice. This sends stderr to a file
// while it lives, so a test can look; what it caught is copied to the real stderr at the end.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()) {
    REQUIRE(file_ != nullptr);
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    REQUIRE(saved_ >= 0);
    REQUIRE(::dup2(::fileno(file_), STDERR_FILENO) >= 0);
  }
  ~StderrCapture() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    const std::string text = captured();
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fclose(file_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string captured() const {
    std::fflush(stderr);
    std::string text;
    std::array<char, 4096> chunk;
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(::fileno(file_), chunk.data(), chunk.size(), at);
      if (n <= 0) return text;
      text.append(chunk.data(), static_cast<std::size_t>(n));
      at += n;
    }
  }

 private:
  std::FILE* file_;
  int saved_ = -1;
};

}  // namespace tn::test
