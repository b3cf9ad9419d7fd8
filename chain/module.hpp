// The interface between the block executor and the native modules. A module declares its calls,
// views and events in tables; the executor routes a transaction by its `to` address and ABI
// selector and never names a concrete module.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/value.hpp>

#include "chain/abi.hpp"
#include "chain/address.hpp"
#include "chain/u256.hpp"
#include "state/overlay.hpp"

namespace tn {

// A validator that signed two different votes for one height, round and step, proven by evidence
// that consensus verified and included in the block.
struct DoubleSign {
  Address validator;
  uint64_t height = 0;  // where it equivocated
  bool operator==(const DoubleSign&) const = default;
};

struct BlockContext {
  uint64_t chainId = 0;
  uint64_t number = 0;
  uint64_t timestamp = 0;  // seconds; modules take "now" and "today" from here, never the clock
  Address proposer;
  Hash32 parentHash;
  U256 baseFee = 0;
  // Consensus facts carried in the block (Block::consensus), so that every node executes the same
  // ones: the validators whose precommits for the parent block this block includes (ascending
  // address order; nullopt on the dev chain and at height 1, where there is no commit to count),
  // and the double signs proven by the evidence it includes.
  std::optional<std::vector<Address>> parentSigners;
  std::vector<DoubleSign> doubleSigns;
};

struct Log {
  Address address;
  std::vector<Hash32> topics;
  Bytes data;
};

// A module call failed: the transaction's writes are dropped, its nonce and fee stay.
// `data` is the revert payload returned to the caller (Error(string) or empty).
struct Revert : std::runtime_error {
  Bytes data;
  explicit Revert(const std::string& reason)
      : std::runtime_error(reason), data(abi::encodeError(reason)) {}
  static Revert empty(const std::string& why) {
    Revert r(why);
    r.data.clear();
    return r;
  }
};

struct OutOfGas : std::runtime_error {
  OutOfGas() : std::runtime_error("out of gas") {}
};

// Gas schedule of module execution (docs/EXECUTION.md).
namespace gas {
inline constexpr uint64_t kTransfer = 21000;
inline constexpr uint64_t kDefaultCall = 30000;
inline constexpr uint64_t kWrite = 5000;
inline constexpr uint64_t kWriteByte = 16;
inline constexpr uint64_t kLog = 375;
inline constexpr uint64_t kLogTopic = 375;
inline constexpr uint64_t kLogByte = 8;
}  // namespace gas

class GasMeter {
 public:
  explicit GasMeter(uint64_t limit) : limit_(limit) {}
  void charge(uint64_t amount) {
    if (amount > limit_ - used_) {
      used_ = limit_;
      throw OutOfGas();
    }
    used_ += amount;
  }
  uint64_t used() const { return used_; }
  uint64_t limit() const { return limit_; }

 private:
  uint64_t limit_;
  uint64_t used_ = 0;
};

// Native UNIT accounts (nonce and balance). The executor charges fees and moves value through
// it; the bank module implements it and other modules reach it through ModuleRegistry::ledger().
class Ledger {
 public:
  virtual ~Ledger() = default;
  virtual uint64_t nonce(const StateReader& s, const Address& a) const = 0;
  virtual U256 balance(const StateReader& s, const Address& a) const = 0;
  virtual void setNonce(Overlay& s, const Address& a, uint64_t nonce) const = 0;
  // Throw Revert("insufficient balance ...") when `a` holds less than `amount`.
  virtual void debit(Overlay& s, const Address& a, const U256& amount) const = 0;
  virtual void credit(Overlay& s, const Address& a, const U256& amount) const = 0;
  // The state key of `a`'s account record: what a state proof of the account proves (tn_getProof).
  virtual Bytes accountKey(const Address& a) const = 0;

  // Nonce and balance in one read, and both set in one write: the executor's per-transaction
  // checks and gas purchase (one state read of the sender instead of three). The defaults go
  // through the calls above; a ledger that stores both in one record overrides them.
  struct AccountState {
    uint64_t nonce = 0;
    U256 balance = 0;
  };
  virtual AccountState account(const StateReader& s, const Address& a) const {
    return {nonce(s, a), balance(s, a)};
  }
  virtual void setAccount(Overlay& s, const Address& a, const AccountState& acct) const {
    const U256 current = balance(s, a);
    if (acct.balance < current) debit(s, a, current - acct.balance);
    if (acct.balance > current) credit(s, a, acct.balance - current);
    setNonce(s, a, acct.nonce);
  }
  void transfer(Overlay& s, const Address& from, const Address& to, const U256& amount) const {
    debit(s, from, amount);
    credit(s, to, amount);
  }
};

struct EventDecl {
  std::string signature;       // canonical, e.g. "Transfer(address,address,uint256)"
  std::vector<bool> indexed;   // one flag per parameter
  // Derived by ModuleRegistry::add.
  Hash32 topic0{};
  std::vector<abi::Type> types{};
};

class ModuleRegistry;

// Everything a call handler may touch. State access goes through it so that gas is metered and
// view calls cannot write.
class CallContext {
 public:
  CallContext(const BlockContext& block, const ModuleRegistry& modules, Overlay& state,
              GasMeter& gas, std::vector<Log>& logs, Address sender, Address self, U256 value,
              bool readOnly)
      : block(block), modules(modules), sender(sender), self(self), value(std::move(value)),
        readOnly(readOnly), state_(state), gas_(gas), logs_(logs) {}

  const BlockContext& block;
  const ModuleRegistry& modules;
  const Address sender;  // msg.sender
  const Address self;    // the module's address
  const U256 value;      // msg.value, already credited to `self`
  const bool readOnly;

  std::optional<Bytes> get(BytesView key) const { return state_.get(key); }
  void scan(BytesView prefix, const ScanFn& fn) const { state_.scan(prefix, fn); }
  void put(BytesView key, BytesView value);
  void erase(BytesView key);
  // Emits `event` with all its parameters in declaration order; indexed ones become topics.
  void emit(const EventDecl& event, const abi::ValueList& args) { emitAt(self, event, args); }
  // Emits under another module's address, as a Solidity call into that contract would (TAT's
  // Transfer during a clearing, say). `event` is that module's declaration.
  void emitAt(const Address& emitter, const EventDecl& event, const abi::ValueList& args);
  void chargeGas(uint64_t amount) { gas_.charge(amount); }

  Overlay& state() { return state_; }
  const Ledger& ledger() const;

 private:
  Overlay& state_;
  GasMeter& gas_;
  std::vector<Log>& logs_;
};

enum class Mutability { View, NonPayable, Payable };

using CallHandler = std::function<abi::ValueList(CallContext&, const abi::ValueList& args)>;

struct CallDecl {
  std::string signature;  // canonical, e.g. "transfer(address,uint256)"
  std::string returns;    // comma-separated canonical return types, e.g. "bool"
  Mutability mutability = Mutability::NonPayable;
  CallHandler handler;
  uint64_t gas = gas::kDefaultCall;  // base gas charged before the handler runs
  // Derived by ModuleRegistry::add.
  abi::Selector selector{};
  std::vector<abi::Type> argTypes{};
  std::vector<abi::Type> returnTypes{};
};

// Context of begin/end-block hooks and genesis: state writes, events under the module's address.
struct HookContext {
  const BlockContext& block;
  const ModuleRegistry& modules;
  Overlay& state;
  std::vector<Log>& logs;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string name() const = 0;
  virtual Address address() const = 0;
  virtual std::vector<CallDecl> calls() = 0;
  virtual std::vector<EventDecl> events() { return {}; }
  // A plain value transfer with empty calldata (Solidity's receive()).
  virtual bool acceptsPlainTransfers() const { return false; }
  // `config` is this module's section of the genesis file (null when absent).
  virtual void initGenesis(HookContext&, const boost::json::value& config) { (void)config; }
  virtual void beginBlock(HookContext&) {}
  virtual void endBlock(HookContext&) {}
};

// The composed module set. Selectors and types are computed once when a module is added.
class ModuleRegistry {
 public:
  explicit ModuleRegistry(std::shared_ptr<const Ledger> ledger) : ledger_(std::move(ledger)) {}

  // Throws std::logic_error on a duplicate address or selector clash within a module.
  void add(std::shared_ptr<Module> module);

  struct Entry {
    std::shared_ptr<Module> module;
    std::unordered_map<uint32_t, CallDecl> calls;  // by selector as a big-endian integer
    std::unordered_map<std::string, EventDecl> events;  // by signature
  };
  const Entry* find(const Address& address) const;
  const CallDecl* findCall(const Address& address, BytesView calldata) const;
  // The declared event `signature` of the module at `address`; throws std::logic_error if absent.
  const EventDecl& event(const Address& address, std::string_view signature) const;
  // Modules in ascending address order (deterministic hook order).
  const std::vector<const Entry*>& ordered() const { return ordered_; }
  const Ledger& ledger() const { return *ledger_; }
  template <class M>
  M* get(const Address& address) const {
    const Entry* e = find(address);
    return e ? dynamic_cast<M*>(e->module.get()) : nullptr;
  }

 private:
  std::shared_ptr<const Ledger> ledger_;
  std::unordered_map<Address, Entry> byAddress_;
  std::vector<const Entry*> ordered_;
};

// Encodes an event's topics and data from its declaration (used by CallContext::emit).
Log makeLog(const Address& emitter, const EventDecl& event, const abi::ValueList& args);

}  // namespace tn
