// A chain in memory for module tests: the standard module set from the catalog, the dev genesis
// (account 0 is FOUNDATION_MANAGER and FEEDER), real signed transactions through the real
// executor, one block per send(). Time is block time and moves only when a test moves it.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "chain/executor.hpp"
#include "chain/genesis.hpp"
#include "chain/transaction.hpp"
#include "modules/catalog/catalog.hpp"

namespace tn::test {

// 2024-01-01T00:00:00Z: a Monday, far from any month edge surprises in the default tests.
inline constexpr uint64_t kJan2024 = 1'704'067'200;
inline constexpr uint64_t kDay = 86'400;

struct TxResult {
  bool success = false;
  std::string reason;  // revert reason, empty on success
  std::vector<Log> logs;
  uint64_t gasUsed = 0;
};

class ModuleChain {
 public:
  // `modulesConfig` replaces the dev genesis's module sections that it names (e.g. "roles").
  explicit ModuleChain(uint64_t startTime = kJan2024, std::size_t accounts = 10,
                       const boost::json::object& modulesConfig = {})
      : accounts_(devAccounts(accounts)),
        genesis_(devGenesis(kChainId, accounts_, parseUnits("1000000", 18), startTime)),
        registry_(makeStandardModules()) {
    for (const auto& [name, section] : modulesConfig) genesis_.modules.as_object()[name] = section;
    executor_ = std::make_unique<Executor>(*registry_, genesis_.params());
    block_ = genesis_.context();
    for (const auto& a : genesis_.alloc) registry_->ledger().credit(state_, a.address, a.balance);
    executor_->initGenesis(state_, block_, genesis_.modules);
    block_.number = 1;
  }

  const Address& addr(std::size_t i) const { return accounts_.at(i).address; }
  const ModuleRegistry& modules() const { return *registry_; }
  Overlay& state() { return state_; }
  const BlockContext& block() const { return block_; }
  uint64_t now() const { return block_.timestamp; }
  void advance(uint64_t seconds) { block_.timestamp += seconds; }
  void setTime(uint64_t timestamp) { block_.timestamp = timestamp; }
  void setHeight(uint64_t number) { block_.number = number; }
  U256 balance(const Address& a) const { return registry_->ledger().balance(state_, a); }
  // The context of the next block, for tests that set consensus facts (proposer, parentSigners,
  // doubleSigns); they stay set until changed.
  BlockContext& context() { return block_; }

  // Executes one block without transactions (begin/end-block hooks only) and keeps its writes.
  void mine() {
    BlockExecution e = executor_->executeBlock(state_, block_, {}, false);
    for (auto& [k, v] : e.changes) {
      if (v)
        state_.put(k, *v);
      else
        state_.erase(k);
    }
    ++block_.number;
  }

  // Signs and executes one transaction (an empty signature sends a plain transfer) from account `from` in its own block and keeps its writes.
  TxResult send(std::size_t from, const Address& to, std::string_view signature,
                const abi::ValueList& args = {}, const U256& value = 0, uint64_t gas = 3'000'000) {
    const Address& sender = addr(from);
    Transaction t;
    t.type = Transaction::Type::DynamicFee;
    t.chainId = kChainId;
    t.nonce = registry_->ledger().nonce(state_, sender);
    t.maxFeePerGas = genesis_.baseFeePerGas;
    t.maxPriorityFeePerGas = 0;
    t.gasLimit = gas;
    t.to = to;
    t.value = value;
    if (!signature.empty()) t.data = calldata(to, signature, args);  // empty: plain transfer
    t.sign(accounts_.at(from).secretKey);
    auto tx = std::make_shared<const Transaction>(std::move(t));
    BlockExecution e = executor_->executeBlock(state_, block_, {tx}, false);
    for (auto& [k, v] : e.changes) {
      if (v)
        state_.put(k, *v);
      else
        state_.erase(k);
    }
    ++block_.number;
    REQUIRE(e.receipts.size() == 1);
    const Receipt& r = e.receipts[0];
    return {r.success, r.revertReason, r.logs, r.gasUsed};
  }

  // eth_call of a view or call (nothing is kept); throws Revert with the reason when it reverts.
  abi::ValueList call(const Address& to, std::string_view signature, const abi::ValueList& args = {},
                      std::optional<Address> from = std::nullopt) const {
    CallRequest req;
    req.from = from;
    req.to = to;
    req.data = calldata(to, signature, args);
    CallResult r = executor_->call(state_, block_, req);
    if (!r.success) throw Revert(r.revertReason);
    return abi::decode(decl(to, signature).returnTypes, r.output);
  }

  // Events `signature` emitted by `emitter` among `logs`, decoded (indexed and data parameters in
  // declaration order).
  std::vector<abi::ValueList> events(const std::vector<Log>& logs, const Address& emitter,
                                     std::string_view signature) const {
    const EventDecl& ev = registry_->event(emitter, signature);
    std::vector<abi::ValueList> out;
    for (const Log& log : logs) {
      if (log.address != emitter || log.topics.empty() || log.topics[0] != ev.topic0) continue;
      std::vector<abi::Type> dataTypes;
      for (std::size_t i = 0; i < ev.types.size(); ++i)
        if (!ev.indexed[i]) dataTypes.push_back(ev.types[i]);
      abi::ValueList data = abi::decode(dataTypes, log.data);
      abi::ValueList all;
      std::size_t topic = 1, next = 0;
      for (std::size_t i = 0; i < ev.types.size(); ++i) {
        if (ev.indexed[i]) {
          // Indexed static values are their 32-byte encoding; dynamic ones only a hash (kept raw).
          const Hash32& t = log.topics.at(topic++);
          if (ev.types[i].isDynamic())
            all.push_back(abi::Value(t));
          else
            all.push_back(abi::decode({ev.types[i]}, BytesView(t.bytes.data(), 32)).at(0));
        } else {
          all.push_back(data.at(next++));
        }
      }
      out.push_back(std::move(all));
    }
    return out;
  }

  static constexpr uint64_t kChainId = 7357;

 private:
  const CallDecl& decl(const Address& to, std::string_view signature) const {
    const ModuleRegistry::Entry* e = registry_->find(to);
    REQUIRE_MESSAGE(e != nullptr, "no module at ", to.checksumHex());
    auto sel = abi::selector(signature);
    const CallDecl* d = registry_->findCall(to, BytesView(sel.data(), sel.size()));
    REQUIRE_MESSAGE(d != nullptr, "no call ", std::string(signature), " at ", to.checksumHex());
    return *d;
  }
  Bytes calldata(const Address& to, std::string_view signature, const abi::ValueList& args) const {
    const CallDecl& d = decl(to, signature);
    Bytes out(d.selector.begin(), d.selector.end());
    append(out, abi::encode(d.argTypes, args));
    return out;
  }

  std::vector<DevAccount> accounts_;
  Genesis genesis_;
  std::unique_ptr<ModuleRegistry> registry_;
  std::unique_ptr<Executor> executor_;
  EmptyState empty_;
  Overlay state_{empty_};
  BlockContext block_;
};

}  // namespace tn::test
