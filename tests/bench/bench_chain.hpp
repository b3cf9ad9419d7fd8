// Shared by the in-process benchmarks: a real ChainStore fed with pre-signed transactions, block
// by block: decode -> parallel sender recovery -> buildBlock -> commitSealed (RocksDB, synced).
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "chain/blockbuilder.hpp"
#include "chain/genesis.hpp"
#include "tests/bench/bench_util.hpp"

namespace tnbench {

using TxList = std::vector<std::shared_ptr<tn::Transaction>>;

// Wire bytes -> transactions without senders, as eth_sendRawTransaction receives them.
TxList decodeAll(const std::vector<tn::Bytes>& raw, std::size_t begin, std::size_t end);
// Recovers every sender (recoverSenders on `threads` threads, 0 = all); throws on a bad one.
void recoverAll(TxList& txs, unsigned threads);

// The genesis state of a dev chain, committed like the node does (apps/treasurenetd/node.cpp
// openOrInitChain).
void commitGenesis(tn::ChainStore& chain, const tn::Executor& executor, const tn::Genesis& genesis);

// A temporary database directory (removed by the destructor) or the given one (kept).
class BenchDir {
 public:
  BenchDir(const std::string& given, const char* tag);
  ~BenchDir();
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
  bool temporary_;
};

struct RunOptions {
  std::size_t blockTxs = 5000;
  unsigned threads = 0;   // recovery threads, 0 = all cores
  bool pipeline = false;  // recover block N+1 on another thread while block N executes/commits
};

struct RunStats {
  std::size_t txs = 0, blocks = 0;
  uint64_t gasUsed = 0;
  double total = 0;                                    // wall time of the whole run
  double decode = 0, recover = 0, execute = 0, commit = 0;  // pipelined: recover = executor's wait
  std::vector<double> blockSeconds;                         // execute + commit of each block
  void print(const char* what, bool pipeline) const;
};

// Commits `raw` (in order) in blocks of at most blockTxs; the block holding transactions
// [i, j) gets the timestamp max(time[i..j)). Throws if any transaction is dropped or fails.
RunStats runBlocks(tn::ChainStore& chain, const tn::Executor& executor,
                   const std::vector<tn::Bytes>& raw, const std::vector<uint64_t>& time,
                   const RunOptions& o);

}  // namespace tnbench
