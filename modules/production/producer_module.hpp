// The producer (well) module of an asset kind, at the kind's producer address, with the public
// XxxProducer ABI (the four are identical): wells (RULES.md §4), their review and validity, and
// their shares. One class serves every kind; it learns its kind from the governance kind table.
#pragma once

#include <string>

#include "chain/module.hpp"

namespace tn::production {

class ProducerModule final : public Module {
 public:
  ProducerModule(Address address, std::string name) : address_(address), name_(std::move(name)) {}

  std::string name() const override { return name_; }
  Address address() const override { return address_; }
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;

 private:
  Address address_;
  std::string name_;
};

}  // namespace tn::production
