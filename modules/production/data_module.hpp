// The production-data module of an asset kind, at the kind's data address, with the public
// XxxData ABI: feeder prices and trusted data (RULES.md §5), uploads (§6), margin (§7) and
// clearing (§8). OIL/GAS and governance-added kinds use the OilData ABI; ETH/BTC the EthData ABI
// (one more event, getProductionData nonpayable), chosen by `digitalAbi`.
#pragma once

#include <string>

#include "chain/module.hpp"
#include "modules/governance/kinds.hpp"
#include "modules/production/wells.hpp"

namespace tn::production {

class DataModule final : public Module {
 public:
  DataModule(Address address, std::string name, bool digitalAbi)
      : address_(address), name_(std::move(name)), digitalAbi_(digitalAbi) {}

  std::string name() const override { return name_; }
  Address address() const override { return address_; }
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // receive(): plain UNIT transfers succeed and credit no margin (as the public contracts).
  bool acceptsPlainTransfers() const override { return true; }

 private:
  // The kind served here; a kind whose nature does not fit this module's ABI is refused.
  kinds::Kind kindOf(CallContext& ctx) const;

  abi::ValueList receiveAssetValue(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList getAssetValue(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList receiveTrusted(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList setProductionData(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList getProductionData(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList prepay(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList withdraw(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList marginOf(CallContext& ctx, const abi::ValueList& a) const;
  abi::ValueList clearing(CallContext& ctx, const abi::ValueList& a) const;
  void clearMonth(CallContext& ctx, const kinds::Kind& kind, const Hash32& id, const Well& well,
                  const U256& yymm) const;
  void clearBlock(CallContext& ctx, const kinds::Kind& kind, const Hash32& id, const Well& well,
                  const U256& number) const;

  // A table entry whose handler is one of the members above.
  using Member = abi::ValueList (DataModule::*)(CallContext&, const abi::ValueList&) const;
  CallHandler bind(Member m) const;

  Address address_;
  std::string name_;
  bool digitalAbi_;
};

}  // namespace tn::production
