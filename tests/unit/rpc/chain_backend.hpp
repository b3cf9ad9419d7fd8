// The fake backend with a module test chain behind it, for the tn_ methods: the head state is the
// chain's state, and calls (module views) run on it through a real executor.
#pragma once

#include <memory>

#include "chain/executor.hpp"
#include "tests/unit/modules/harness.hpp"
#include "tests/unit/rpc/fake_backend.hpp"

namespace tn::rpc::test {

class ChainBackend : public FakeBackend {
 public:
  explicit ChainBackend(tn::test::ModuleChain& chain)
      : chain_(chain), executor_(chain.modules(), ChainParams{tn::test::ModuleChain::kChainId}) {}

  HeadState headState() const override {
    // Not owned: the chain outlives every request.
    std::shared_ptr<const StateReader> state(&chain_.state(), [](const StateReader*) {});
    return {std::move(state), chain_.block().number - 1, chain_.now()};
  }
  const ModuleRegistry* modules() const override { return &chain_.modules(); }
  rpc::CallResult call(const rpc::CallRequest& req, const BlockTag&) const override {
    tn::CallRequest c;
    c.from = req.from;
    c.to = req.to;
    c.data = req.data;
    tn::CallResult r = executor_.call(chain_.state(), chain_.block(), c);
    return {r.output, !r.success, r.revertReason, r.gasUsed};
  }

 private:
  tn::test::ModuleChain& chain_;
  Executor executor_;
};

}  // namespace tn::rpc::test
