// Wells (RULES.md §4) and their shares. A well is keyed by its bytes32 uniqueId alone, so an id is
// unique across all asset kinds; the record names its kind. State (owned by the producer modules):
//   "production/well/"  ++ id(32)            -> RLP [kind, nickname, owner, api, sulphur, account,
//                                                    status, validUntil]
//   "production/share/" ++ id(32) ++ addr(20) -> ratio (whole percent, minimal big-endian)
// and the indexes that let queries list wells without scanning all of them (values are 0x01):
//   "production/ix/o/"  ++ owner(20) ++ id(32)
//   "production/ix/k/"  ++ len(1) ++ kind ++ id(32)
//   "production/ix/ks/" ++ len(1) ++ kind ++ status(1) ++ id(32)
//   "production/ix/s/"  ++ status(1) ++ id(32)
// storeWell keeps them in step with the record (owner and kind never change; status does).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chain/address.hpp"
#include "chain/module.hpp"
#include "chain/u256.hpp"

namespace tn::production {

// IProducer.ProducerStatus.
enum class WellStatus : uint8_t { NotSet = 0, Active = 1, Deactive = 2 };

struct Well {
  std::string kind;  // asset kind name, e.g. "OIL"
  std::string nickname;
  Address owner;
  U256 api = 0;         // degrees × 100 (OIL)
  U256 sulphur = 0;     // percent × 1000 (OIL)
  std::string account;  // mining account (ETH/BTC), as text
  WellStatus status = WellStatus::NotSet;
  uint64_t validUntil = 0;  // block time; clearing needs now <= validUntil
};

Bytes wellKey(const Hash32& id);
std::optional<Well> loadWell(const StateReader& state, const Hash32& id);
// Writes the record and updates the owner/kind/status indexes.
void storeWell(CallContext& ctx, const Hash32& id, const Well& well);

// Wells matching every given field, in ascending uniqueId order, at most `limit` of them and
// only ids above `after` (the last id of the previous page). Reads one index range: the owner's
// when an owner is given, else kind+status, kind or status, else all wells.
struct WellFilter {
  std::optional<Address> owner;
  std::optional<std::string> kind;
  std::optional<WellStatus> status;
};
struct WellEntry {
  Hash32 id;
  Well well;
};
std::vector<WellEntry> listWells(const StateReader& state, const WellFilter& filter,
                                 std::size_t limit, const std::optional<Hash32>& after);

// The owner holds 100 − Σ ratios implicitly; the share percentages are whole numbers.
inline constexpr uint64_t kMaxPieces = 100;

struct Holder {
  Address account;
  U256 ratio;  // percent
};
// The holders of a well in ascending address order.
std::vector<Holder> loadHolders(const StateReader& state, const Hash32& id);
std::optional<U256> holderRatio(const StateReader& state, const Hash32& id, const Address& who);
// A holder at `ratio` (kept even at 0 % until the owner deletes it).
void storeHolder(CallContext& ctx, const Hash32& id, const Address& who, const U256& ratio);
void eraseHolder(CallContext& ctx, const Hash32& id, const Address& who);

struct Payout {
  Address to;
  U256 amount;
};
// Split of a minted total (RULES.md §4): each holder in ascending address order gets
// floor(ratio × total / 100), the owner the remainder; zero payouts are left out.
std::vector<Payout> splitByShares(const Address& owner, const std::vector<Holder>& holders,
                                  const U256& total);

}  // namespace tn::production
