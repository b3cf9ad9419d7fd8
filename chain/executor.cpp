#include "chain/executor.hpp"

#include <fmt/format.h>

namespace tn {

namespace {

// Ethereum's calldata cost, also charged for eth_call and estimates.
uint64_t calldataGas(BytesView data) {
  uint64_t g = 0;
  for (uint8_t b : data) g += b ? 16 : 4;
  return g;
}

std::string describe(const Transaction& tx) { return tx.hash.hex(); }

}  // namespace

Executor::Outcome Executor::runMessage(Overlay& txState, const BlockContext& block,
                                       const Address& from, const std::optional<Address>& to,
                                       const U256& value, BytesView data, uint64_t gasAvailable,
                                       std::vector<Log>& logs, bool readOnlyViews) const {
  GasMeter gas(gasAvailable);
  Overlay scratch(txState);
  std::vector<Log> callLogs;
  try {
    if (!to) throw Revert::empty("contract creation is not supported");
    if (value > 0) modules_.ledger().transfer(scratch, from, *to, value);
    const ModuleRegistry::Entry* entry = modules_.find(*to);
    Bytes output;
    if (entry) {
      if (data.empty()) {
        if (!entry->module->acceptsPlainTransfers())
          throw Revert::empty(entry->module->name() + " does not accept plain transfers");
      } else {
        const CallDecl* call = modules_.findCall(*to, data);
        if (!call) throw Revert::empty("unknown function selector");
        if (value > 0 && call->mutability != Mutability::Payable)
          throw Revert::empty("value sent to a non-payable function");
        gas.charge(call->gas);
        abi::ValueList args;
        try {
          args = abi::decode(call->argTypes, data.subspan(4));
        } catch (const abi::Error& e) {
          throw Revert::empty(std::string("malformed calldata: ") + e.what());
        }
        bool readOnly = readOnlyViews && call->mutability == Mutability::View;
        CallContext ctx(block, modules_, scratch, gas, callLogs, from, *to, value, readOnly);
        abi::ValueList ret = call->handler(ctx, args);
        output = abi::encode(call->returnTypes, ret);
      }
    }
    scratch.commitInto(txState);
    for (Log& l : callLogs) logs.push_back(std::move(l));
    return {true, std::move(output), {}, gas.used()};
  } catch (const Revert& r) {
    return {false, r.data, r.what(), gas.used()};
  } catch (const OutOfGas&) {
    return {false, {}, "out of gas", gasAvailable};
  } catch (const std::overflow_error& e) {
    std::string reason = std::string("arithmetic overflow: ") + e.what();
    return {false, abi::encodeError(reason), reason, gas.used()};
  } catch (const std::range_error& e) {
    std::string reason = std::string("arithmetic underflow: ") + e.what();
    return {false, abi::encodeError(reason), reason, gas.used()};
  } catch (const abi::Error& e) {
    std::string reason = std::string("abi error: ") + e.what();
    return {false, abi::encodeError(reason), reason, gas.used()};
  }
}

void Executor::runHooks(Overlay& state, const BlockContext& block, bool begin,
                        std::vector<Log>& logs) const {
  for (const ModuleRegistry::Entry* e : modules_.ordered()) {
    HookContext ctx{block, modules_, state, logs};
    if (begin)
      e->module->beginBlock(ctx);
    else
      e->module->endBlock(ctx);
  }
}

BlockExecution Executor::executeBlock(const StateReader& base, const BlockContext& block,
                                      const std::vector<std::shared_ptr<const Transaction>>& txs,
                                      bool dropInvalid) const {
  BlockExecution out;
  Overlay blockState(base);
  runHooks(blockState, block, true, out.blockLogs);
  const Ledger& ledger = modules_.ledger();
  out.receipts.reserve(txs.size());
  out.included.reserve(txs.size());

  for (const auto& txp : txs) {
    const Transaction& tx = *txp;
    auto reject = [&](const std::string& why) {
      if (!dropInvalid)
        throw std::runtime_error("invalid transaction " + describe(tx) + " in block: " + why);
      out.dropped.emplace_back(txp, why);
    };
    if (!tx.sender) {
      reject("sender not recovered");
      continue;
    }
    const Address& from = *tx.sender;
    uint64_t intrinsic = tx.intrinsicGas();
    if (tx.chainId != params_.chainId) {
      reject("wrong chain id");
      continue;
    }
    if (tx.gasLimit < intrinsic) {
      reject("intrinsic gas too low");
      continue;
    }
    if (tx.gasLimit > params_.blockGasLimit - out.gasUsed) {
      reject(std::string(kBlockFull));
      continue;
    }
    if (tx.feeCap() < block.baseFee || tx.tipCap() > tx.feeCap()) {
      reject("fee cap below base fee");
      continue;
    }
    // The sender's account is read once for both checks and written once for the gas purchase.
    Ledger::AccountState acct = ledger.account(blockState, from);
    if (tx.nonce != acct.nonce) {
      reject(fmt::format("nonce mismatch: account {}, tx {}", acct.nonce, tx.nonce));
      continue;
    }
    U256 price = tx.effectiveGasPrice(block.baseFee);
    U256 upfront = U256(tx.gasLimit) * price;
    if (acct.balance < upfront + tx.value) {
      reject("insufficient funds for gas * price + value");
      continue;
    }

    // Buying gas and the nonce bump survive a failed call.
    acct.balance -= upfront;
    acct.nonce += 1;
    ledger.setAccount(blockState, from, acct);

    Receipt r;
    r.txHash = tx.hash;
    r.type = uint8_t(tx.type);
    r.from = from;
    r.to = tx.to;
    r.effectiveGasPrice = price;
    Outcome o;
    if (tx.to && !modules_.find(*tx.to) && tx.value > 0) {
      // Plain transfer between accounts: no scratch overlay needed on this hot path.
      ledger.transfer(blockState, from, *tx.to, tx.value);
      o = {true, {}, {}, 0};
    } else if (tx.to && !modules_.find(*tx.to)) {
      o = {true, {}, {}, 0};
    } else {
      o = runMessage(blockState, block, from, tx.to, tx.value, tx.data, tx.gasLimit - intrinsic,
                     r.logs, false);
    }
    r.success = o.success;
    r.gasUsed = intrinsic + o.gasUsed;
    r.output = std::move(o.output);
    r.revertReason = std::move(o.reason);

    U256 refund = U256(tx.gasLimit - r.gasUsed) * price;
    if (refund > 0) ledger.credit(blockState, from, refund);
    ledger.credit(blockState, params_.feeCollector, U256(r.gasUsed) * price);

    out.gasUsed += r.gasUsed;
    r.cumulativeGasUsed = out.gasUsed;
    for (const Log& l : r.logs) bloomAddLog(r.bloom, l);
    for (std::size_t i = 0; i < r.bloom.bytes.size(); ++i) out.bloom.bytes[i] |= r.bloom.bytes[i];
    out.receipts.push_back(std::move(r));
    out.included.push_back(txp);
  }

  runHooks(blockState, block, false, out.blockLogs);
  for (const Log& l : out.blockLogs) bloomAddLog(out.bloom, l);
  out.changes = blockState.writes();
  return out;
}

CallResult Executor::call(const StateReader& base, const BlockContext& block,
                          const CallRequest& req) const {
  Overlay state(base);
  Address from = req.from.value_or(Address());
  uint64_t intrinsic = gas::kTransfer + calldataGas(req.data);
  uint64_t limit = req.gas.value_or(params_.blockGasLimit);
  CallResult res;
  if (limit < intrinsic) {
    res.revertReason = "intrinsic gas too low";
    res.output = abi::encodeError(res.revertReason);
    return res;
  }
  std::vector<Log> logs;
  Outcome o = runMessage(state, block, from, req.to, req.value, req.data, limit - intrinsic, logs,
                         true);
  res.success = o.success;
  res.output = std::move(o.output);
  res.revertReason = std::move(o.reason);
  res.gasUsed = intrinsic + o.gasUsed;
  res.logs = std::move(logs);
  return res;
}

uint64_t Executor::estimateGas(const StateReader& base, const BlockContext& block,
                               const CallRequest& req) const {
  CallRequest r = req;
  r.gas = req.gas.value_or(params_.blockGasLimit);
  CallResult res = call(base, block, r);
  if (!res.success) {
    Revert rv(res.revertReason);
    rv.data = res.output;
    throw rv;
  }
  // Gas use does not depend on the limit, so the measured amount is exact.
  return res.gasUsed;
}

void Executor::initGenesis(Overlay& state, const BlockContext& block,
                           const boost::json::value& modulesConfig) const {
  std::vector<Log> logs;
  for (const ModuleRegistry::Entry* e : modules_.ordered()) {
    HookContext ctx{block, modules_, state, logs};
    const boost::json::value* cfg = nullptr;
    if (modulesConfig.is_object()) cfg = modulesConfig.as_object().if_contains(e->module->name());
    e->module->initGenesis(ctx, cfg ? *cfg : boost::json::value());
  }
}

}  // namespace tn
