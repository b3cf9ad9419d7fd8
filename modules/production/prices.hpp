// Feeder data (RULES.md §5): daily prices per (kind, date) and the audited ("trusted") figures:
// monthly volumes of physical wells, per-block records of digital (mining) wells. State, owned by
// the data modules (a kind's prices are keyed by its data module's address):
//   "production/price/"   ++ data(20) ++ YYYYMMDD(4)  -> price, USD per volume unit × 10^4
//   "production/trusted/" ++ id(32)   ++ YYYYMM(4)    -> audited volume × 10^4
//   "production/block/"   ++ id(32)   ++ number(32)   -> RLP [blockReward, price, amount, miner,
//                                                             status, clearedAt]
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chain/address.hpp"
#include "chain/module.hpp"
#include "chain/u256.hpp"

namespace tn::production {

// IProductionData.ProduceDataStatus, for months and mined blocks.
enum class AuditStatus : uint8_t { Unaudited = 0, Finished = 1, Failed = 2 };

// The deterministic oracle request ids that receiveAssetValue / receiveTrustedProductionData
// require are oracle::assetValueRequestId(data) and oracle::trustedDataRequestId(data, id).

std::optional<U256> loadPrice(const StateReader& state, const Address& data, uint32_t yyyymmdd);
void storePrice(CallContext& ctx, const Address& data, uint32_t yyyymmdd, const U256& price);

// The prices of a kind dated up to `lastDay` inclusive, ascending, for valuing a month.
struct DatedPrice {
  uint32_t day;  // YYYYMMDD
  U256 price;
};
class PriceHistory {
 public:
  PriceHistory(const StateReader& state, const Address& data, uint32_t lastDay);
  // The price of `day`: its own, else the floor of the mean of the `window` latest prices dated
  // before it (RULES.md §8.1); nullopt when neither exists.
  std::optional<U256> priceOn(uint32_t day, uint64_t window) const;
  std::size_t size() const { return prices_.size(); }

 private:
  std::vector<DatedPrice> prices_;
};

// The prices fed for the days from `fromDay` to `toDay` (YYYYMMDD, inclusive), ascending: one
// point read per calendar day of the range, so callers bound the range.
std::vector<DatedPrice> loadPrices(const StateReader& state, const Address& data, uint32_t fromDay,
                                   uint32_t toDay);

std::optional<U256> loadTrusted(const StateReader& state, const Hash32& id, uint32_t yyyymm);
void storeTrusted(CallContext& ctx, const Hash32& id, uint32_t yyyymm, const U256& amount);

struct MinedBlock {
  U256 blockReward, price;
  U256 amount;  // TAT wei to mint at clearing
  std::string miner;
  AuditStatus status = AuditStatus::Unaudited;
  uint64_t clearedAt = 0;
};
std::optional<MinedBlock> loadBlock(const StateReader& state, const Hash32& id, const U256& number);
void storeBlock(CallContext& ctx, const Hash32& id, const U256& number, const MinedBlock& b);
// A digital well's mined-block records, ascending by block number, at most `limit`, only numbers
// above `after`.
struct BlockEntry {
  U256 number;
  MinedBlock block;
};
std::vector<BlockEntry> listBlocks(const StateReader& state, const Hash32& id, std::size_t limit,
                                   const U256& after = 0);

}  // namespace tn::production
