// The genesis file: chain id, initial balances, block parameters and each module's initial
// configuration (roles, parameters, asset kinds). Dev chains generate one with funded accounts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "chain/executor.hpp"

namespace tn {

// Public Treasurenet chain ids that a dev chain must never use.
inline constexpr uint64_t kPublicChainIds[] = {5002, 5005, 5570};
inline constexpr uint64_t kDefaultDevChainId = 7357;

struct GenesisAccount {
  Address address;
  U256 balance = 0;
};

struct Genesis {
  uint64_t chainId = kDefaultDevChainId;
  uint64_t timestamp = 0;
  uint64_t gasLimit = 60'000'000;
  U256 baseFeePerGas = 1'000'000'000;
  std::vector<GenesisAccount> alloc;
  boost::json::value modules;  // object: module name -> its configuration

  static Genesis fromJson(const boost::json::value& v);  // throws std::invalid_argument
  boost::json::value toJson() const;
  static Genesis load(const std::filesystem::path& file);
  void save(const std::filesystem::path& file) const;

  ChainParams params() const;
  // The genesis state and header (number 0). The state root is filled by the caller's tree.
  BlockContext context() const;
};

struct DevAccount {
  Address address;
  Hash32 secretKey;
  std::vector<std::string> roles;
};

// Deterministic dev keys: secret i = keccak256("treasurenet dev account " + i).
std::vector<DevAccount> devAccounts(std::size_t count);
// A dev genesis: each account funded with `balanceEach`; the first one is FOUNDATION_MANAGER and
// FEEDER (module configuration names it in the roles section).
Genesis devGenesis(uint64_t chainId, const std::vector<DevAccount>& accounts, const U256& balanceEach,
                   uint64_t timestamp);
boost::json::value devAccountsJson(const std::vector<DevAccount>& accounts);

}  // namespace tn
