#include "modules/catalog/catalog.hpp"

#include "modules/bid/bid.hpp"
#include "modules/governance/governance.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/production/production.hpp"
#include "modules/registry/registry.hpp"
#include "modules/roles/roles.hpp"
#include "modules/staking/staking.hpp"
#include "modules/tat/tat.hpp"

namespace tn {

std::unique_ptr<ModuleRegistry> makeStandardModules() {
  auto registry = std::make_unique<ModuleRegistry>(std::make_shared<Bank>());
  // Governance side (0x…1000 – 0x…1007). Genesis hands each its section by name(): "roles",
  // "governance", "mulsig", "parameterinfo", "oracle", "tat", "bid", "registry".
  registry->add(std::make_shared<RolesModule>());
  registry->add(std::make_shared<GovernanceModule>());
  registry->add(std::make_shared<MulSigModule>());
  registry->add(std::make_shared<ParameterInfoModule>());
  registry->add(std::make_shared<OracleModule>());
  registry->add(std::make_shared<TatModule>());
  registry->add(std::make_shared<BidModule>());
  registry->add(std::make_shared<ProducerRegistryModule>());
  registry->add(std::make_shared<StakingModule>());  // 0x…100B, genesis section "staking"
  addProductionModules(*registry);
  return registry;
}

std::vector<std::pair<std::string, Address>> moduleDirectory(const ModuleRegistry& registry) {
  std::vector<std::pair<std::string, Address>> out;
  for (const ModuleRegistry::Entry* e : registry.ordered())
    out.emplace_back(e->module->name(), e->module->address());
  return out;
}

}  // namespace tn
