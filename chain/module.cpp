#include "chain/module.hpp"

#include <algorithm>
#include <stdexcept>

namespace tn {

static uint32_t selectorKey(const abi::Selector& s) {
  return uint32_t(s[0]) << 24 | uint32_t(s[1]) << 16 | uint32_t(s[2]) << 8 | s[3];
}

// The parameter list inside "name(...)" of a canonical signature.
static std::string_view paramsOf(std::string_view signature) {
  auto open = signature.find('(');
  if (open == std::string_view::npos || signature.back() != ')')
    throw std::logic_error("malformed signature: " + std::string(signature));
  return signature.substr(open + 1, signature.size() - open - 2);
}

void ModuleRegistry::add(std::shared_ptr<Module> module) {
  Address address = module->address();
  if (byAddress_.count(address))
    throw std::logic_error("two modules at address " + address.hex());
  Entry entry;
  entry.module = module;
  for (CallDecl& call : module->calls()) {
    call.selector = abi::selector(call.signature);
    call.argTypes = abi::Type::parseList(paramsOf(call.signature));
    call.returnTypes = abi::Type::parseList(call.returns);
    auto [it, inserted] = entry.calls.emplace(selectorKey(call.selector), std::move(call));
    if (!inserted)
      throw std::logic_error("selector clash in module " + module->name() + ": " +
                             it->second.signature);
  }
  for (EventDecl& event : module->events()) {
    event.topic0 = abi::eventTopic(event.signature);
    event.types = abi::Type::parseList(paramsOf(event.signature));
    if (event.indexed.size() != event.types.size())
      throw std::logic_error("event " + event.signature + " needs one indexed flag per parameter");
    std::string signature = event.signature;
    entry.events.emplace(std::move(signature), std::move(event));
  }
  byAddress_.emplace(address, std::move(entry));
  ordered_.clear();
  for (auto& [addr, e] : byAddress_) ordered_.push_back(&e);
  std::sort(ordered_.begin(), ordered_.end(),
            [](const Entry* a, const Entry* b) { return a->module->address() < b->module->address(); });
}

const ModuleRegistry::Entry* ModuleRegistry::find(const Address& address) const {
  auto it = byAddress_.find(address);
  return it == byAddress_.end() ? nullptr : &it->second;
}

const CallDecl* ModuleRegistry::findCall(const Address& address, BytesView calldata) const {
  const Entry* e = find(address);
  if (!e || calldata.size() < 4) return nullptr;
  abi::Selector s{calldata[0], calldata[1], calldata[2], calldata[3]};
  auto it = e->calls.find(selectorKey(s));
  return it == e->calls.end() ? nullptr : &it->second;
}

const EventDecl& ModuleRegistry::event(const Address& address, std::string_view signature) const {
  const Entry* e = find(address);
  if (e) {
    auto it = e->events.find(std::string(signature));
    if (it != e->events.end()) return it->second;
  }
  throw std::logic_error("undeclared event " + std::string(signature) + " at " + address.hex());
}

Log makeLog(const Address& emitter, const EventDecl& event, const abi::ValueList& args) {
  if (args.size() != event.types.size())
    throw std::logic_error("event " + event.signature + " emitted with wrong argument count");
  Log log;
  log.address = emitter;
  log.topics.push_back(event.topic0);
  std::vector<abi::Type> dataTypes;
  abi::ValueList dataValues;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!event.indexed[i]) {
      dataTypes.push_back(event.types[i]);
      dataValues.push_back(args[i]);
      continue;
    }
    const abi::Type& t = event.types[i];
    if (t.kind == abi::Type::Kind::String) {
      log.topics.push_back(keccak256(args[i].asString()));
    } else if (t.kind == abi::Type::Kind::Bytes) {
      log.topics.push_back(keccak256(args[i].asBytes()));
    } else if (t.isDynamic() || t.kind == abi::Type::Kind::Tuple || t.kind == abi::Type::Kind::Array) {
      // Solidity hashes the in-place encoding of indexed reference types; tables avoid these.
      log.topics.push_back(keccak256(abi::encode({t}, {args[i]})));
    } else {
      log.topics.push_back(Hash32::fromView(abi::encode({t}, {args[i]})));
    }
  }
  log.data = abi::encode(dataTypes, dataValues);
  return log;
}

void CallContext::put(BytesView key, BytesView value) {
  if (readOnly) throw Revert::empty("state change in a read-only call");
  gas_.charge(gas::kWrite + gas::kWriteByte * (key.size() + value.size()));
  state_.put(key, value);
}

void CallContext::erase(BytesView key) {
  if (readOnly) throw Revert::empty("state change in a read-only call");
  gas_.charge(gas::kWrite);
  state_.erase(key);
}

void CallContext::emitAt(const Address& emitter, const EventDecl& event, const abi::ValueList& args) {
  if (readOnly) throw Revert::empty("event in a read-only call");
  Log log = makeLog(emitter, event, args);
  gas_.charge(gas::kLog + gas::kLogTopic * log.topics.size() + gas::kLogByte * log.data.size());
  logs_.push_back(std::move(log));
}

const Ledger& CallContext::ledger() const { return modules.ledger(); }

}  // namespace tn
