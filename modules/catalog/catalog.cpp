#include "modules/catalog/catalog.hpp"

namespace tn {

std::unique_ptr<ModuleRegistry> makeStandardModules() {
  auto registry = std::make_unique<ModuleRegistry>(std::make_shared<Bank>());
  return registry;
}

std::vector<std::pair<std::string, Address>> moduleDirectory(const ModuleRegistry& registry) {
  std::vector<std::pair<std::string, Address>> out;
  for (const ModuleRegistry::Entry* e : registry.ordered())
    out.emplace_back(e->module->name(), e->module->address());
  return out;
}

}  // namespace tn
