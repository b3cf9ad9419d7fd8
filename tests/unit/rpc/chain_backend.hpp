// The fake backend with a module test chain behind it, for the tn_ methods: the head state is the
// chain's state, and calls (module views) run on it through a real executor.
#pragma once

#include <memory>

#include "chain/executor.hpp"
#include "state/smt.hpp"
#include "state/store.hpp"
#include "tests/unit/modules/harness.hpp"
#include "tests/unit/rpc/fake_backend.hpp"
#include "tests/unit/state/helpers.hpp"

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
  // tn_getProof over a real state tree of the whole module state (the test chain keeps its
  // state in an overlay, without a store): built in a scratch database for each call.
  StateProofView stateProof(const Address& account, const std::vector<Bytes>& keys,
                            const BlockTag&) const override {
    tn::test::TempDir dir;
    Store store(dir.path());
    StateTree tree(store);
    StateTree::Update update = tree.prepare(chain_.state().writes());
    Store::Batch batch = store.batch();
    tree.stage(update, batch);
    store.write(batch);
    tree.committed(std::move(update));
    StateProofView out;
    out.blockNumber = chain_.block().number - 1;
    out.stateRoot = tree.root();
    const Ledger& ledger = chain_.modules().ledger();
    out.nonce = ledger.nonce(chain_.state(), account);
    out.balance = ledger.balance(chain_.state(), account);
    auto entry = [&](Bytes key) {
      std::optional<Bytes> value = chain_.state().get(key);
      StateTree::Proof proof = tree.prove(key);
      return StateProofView::Entry{std::move(key), std::move(value), std::move(proof)};
    };
    out.account = entry(ledger.accountKey(account));
    for (const Bytes& k : keys) out.entries.push_back(entry(k));
    return out;
  }
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
