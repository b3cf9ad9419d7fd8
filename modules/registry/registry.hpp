// ProducerRegistry (0x…1007, our addition, spec/ABI.md): producer admission per asset kind
// (RULES.md §3). Only an Approved producer of a kind may add wells of that kind.
// State prefix "registry/"; an index by status and kind backs tn_listProducers:
//   "registry/app/" ++ producer(20) ++ kind            -> RLP [status, name, documentsHash,
//                                                          reason, updatedAt]
//   "registry/ik/" ++ len(kind) ++ kind ++ producer(20) -> empty (index: by kind)
//   "registry/is/" ++ status ++ producer(20) ++ kind    -> empty (index: by status)
//   "registry/isk/" ++ status ++ len(kind) ++ kind ++ producer(20) -> empty (by status and kind)
// (len(kind) is one byte: kind names are at most 32 bytes.) Every filter of list() maps to one
// key range, so listing never walks the applications it does not return, except those before
// the cursor inside that range.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/module.hpp"

namespace tn::registry {

enum class Status : uint8_t { None = 0, Pending = 1, Approved = 2, Rejected = 3 };
std::string_view statusName(Status s);  // "None", "Pending", "Approved", "Rejected"

struct Application {
  Address producer;
  std::string kind;
  Status status = Status::None;
  std::string name;
  Hash32 documentsHash{};
  std::string reason;
  uint64_t updatedAt = 0;  // block time of the last change
};

std::optional<Application> load(const StateReader& state, const Address& producer,
                                std::string_view kind);
bool isApproved(const StateReader& state, const Address& producer, std::string_view kind);

// Applications in (producer, kind) order, optionally filtered; at most `limit` starting after
// the cursor (producer, kind) when given. Scans only the filtered index range.
struct ListFilter {
  std::optional<Address> producer;
  std::optional<std::string> kind;
  std::optional<Status> status;
};
std::vector<Application> list(const StateReader& state, const ListFilter& filter,
                              std::size_t limit,
                              const std::optional<std::pair<Address, std::string>>& after);

}  // namespace tn::registry

namespace tn {

class ProducerRegistryModule final : public Module {
 public:
  std::string name() const override { return "registry"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
};

}  // namespace tn
