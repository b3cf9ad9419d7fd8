// Governance-side modules: Governance (0x…1001, asset kinds), MulSig (0x…1002, proposals) and
// ParameterInfo (0x…1003, parameters and the discount table). Reads go through kinds.hpp and
// params.hpp; every write happens when MulSig executes a proposal (RULES.md §2, §11).
#pragma once

#include <optional>

#include "chain/module.hpp"
#include "modules/governance/kinds.hpp"
#include "modules/governance/params.hpp"

namespace tn::governance {

// Registers a new asset kind and emits AddTreasure at the Governance address. The caller has
// validated name uniqueness, the address pair and the kind limit.
void addKind(CallContext& ctx, const kinds::Kind& kind);
// The producer/data pair the next governance-added kind receives, or nullopt at the limit.
std::optional<std::pair<Address, Address>> nextKindAddresses(const StateReader& state);
// Reason a proposed kind name is unacceptable (empty, bad characters, taken), or nullopt.
std::optional<std::string> checkKindName(const StateReader& state, std::string_view name);

}  // namespace tn::governance

namespace tn {

class GovernanceModule final : public Module {
 public:
  std::string name() const override { return "governance"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // Writes the genesis kinds OIL, GAS, ETH, BTC (no configuration is read).
  void initGenesis(HookContext& ctx, const boost::json::value& config) override;
};

class ParameterInfoModule final : public Module {
 public:
  std::string name() const override { return "parameterinfo"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // config (all optional): {"marginRatio": 100, ..., "discount": {"api": 3110, "sulphur": 500,
  // "d": [9000, 8500, 8000, 7500]}}; numbers or decimal strings; validated like proposals.
  void initGenesis(HookContext& ctx, const boost::json::value& config) override;
};

class MulSigModule final : public Module {
 public:
  std::string name() const override { return "mulsig"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
};

}  // namespace tn
