// What every tncli command shares: the error kinds that pick the exit status, and the global
// settings (node URL, keystore, password source, output mode).
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace tn::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;    // bad options or arguments, missing key, wrong password
inline constexpr int kExitFailure = 2;  // the node is unreachable or refused, or the tx failed

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Globals {
  std::string rpcUrl = "http://127.0.0.1:8545";
  std::string keystoreDir;                  // resolved: --keystore, TN_KEYSTORE or the default
  std::optional<std::string> passwordFile;  // --password-file
  bool json = false;                        // machine-readable output on stdout
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  // per JSON-RPC call
};

}  // namespace tn::cli
