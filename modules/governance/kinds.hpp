// Asset kinds (RULES.md §2, spec/ABI.md): OIL, GAS, ETH, BTC at genesis, more added by executed
// multisig proposals. Each kind owns a pair of module addresses: producer (wells) and data
// (uploads, margin, clearing). The Governance module (0x…1001) owns the state keys
// "governance/kind/<name>" (record) and "governance/addr/<20 bytes>" (address -> name).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/address.hpp"
#include "state/overlay.hpp"

namespace tn::kinds {

struct Kind {
  std::string name;       // "OIL", "GAS", "ETH", "BTC" or a governance-added name
  bool physical = true;   // physical kinds upload daily volumes; digital ones mine blocks
  bool discounted = false;  // OIL: API/sulphur discount table applies
  Address producer, data;
  std::string unitLabel;  // "bbl", "MMBtu", ... (display only)
};

std::optional<Kind> byName(const StateReader& state, std::string_view name);
// The kind whose producer or data module sits at `producerOrData`.
std::optional<Kind> byAddress(const StateReader& state, const Address& producerOrData);
// Every kind, in ascending producer-address order (genesis kinds first, then added ones).
std::vector<Kind> all(const StateReader& state);

// Address plan: genesis kinds at 0x1010/0x1011 … 0x1040/0x1041; added kinds from 0x1050/0x1051
// in steps of 0x10, at most kMaxAddedKinds of them.
inline constexpr uint64_t kFirstAddedProducer = 0x1050;
inline constexpr uint64_t kAddressStep = 0x10;
inline constexpr std::size_t kMaxAddedKinds = 16;
// The producer address of the i-th added kind (0-based); its data module is that + 1.
inline Address addedProducerAddress(std::size_t index) {
  return Address::fromU64(kFirstAddedProducer + kAddressStep * index);
}
inline Address addedDataAddress(std::size_t index) {
  return Address::fromU64(kFirstAddedProducer + kAddressStep * index + 1);
}
// The genesis kinds with their fixed addresses.
std::vector<Kind> genesisKinds();

// State encoding (for the Governance module and tests).
Bytes kindKey(std::string_view name);
Bytes addressKey(const Address& a);
Bytes encode(const Kind& kind);
Kind decode(BytesView raw);
// Number of kinds added by governance so far.
std::size_t addedCount(const StateReader& state);

}  // namespace tn::kinds
