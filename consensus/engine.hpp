// The consensus engine interface: something that decides the next block and commits it. The dev
// engine is a single validator; the BFT engine (Tendermint) comes behind the same interface.
#pragma once

#include <functional>

#include "chain/blockbuilder.hpp"

namespace tn {

// Called after every commit, on the engine's thread, with the committed block and receipts.
using CommitListener = std::function<void(const Block&, const std::vector<Receipt>&)>;

class Engine {
 public:
  virtual ~Engine() = default;
  virtual void start() = 0;
  // Stops after the block being committed (if any); a commit is never cut in half.
  virtual void stop() = 0;
  virtual void onCommit(CommitListener listener) = 0;
};

}  // namespace tn
