#include "modules/production/production.hpp"

#include <fmt/format.h>

#include "modules/governance/kinds.hpp"
#include "modules/production/data_module.hpp"
#include "modules/production/producer_module.hpp"

namespace tn {

void addProductionModules(ModuleRegistry& registry) {
  using production::DataModule;
  using production::ProducerModule;
  for (const kinds::Kind& k : kinds::genesisKinds()) {
    std::string lower;
    for (char ch : k.name) lower.push_back(char(ch - 'A' + 'a'));
    registry.add(std::make_shared<ProducerModule>(k.producer, lower + "producer"));
    registry.add(std::make_shared<DataModule>(k.data, lower + "data", !k.physical));
  }
  // Reserved pairs for kinds governance may add (physical, OilData ABI); inert until added.
  for (std::size_t i = 0; i < kinds::kMaxAddedKinds; ++i) {
    const Address producer = kinds::addedProducerAddress(i), data = kinds::addedDataAddress(i);
    registry.add(std::make_shared<ProducerModule>(producer, fmt::format("producer{}", i + 1)));
    registry.add(std::make_shared<DataModule>(data, fmt::format("data{}", i + 1), false));
  }
}

}  // namespace tn
