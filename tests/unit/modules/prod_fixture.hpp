// The production portal flow on the module test chain (harness.hpp): producer admission at
// 0x…1007, wells and their review, feeder prices and trusted data, uploads, margin and clearing,
// each as one real transaction. Account 0 is FOUNDATION_MANAGER and FEEDER (dev genesis).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "modules/governance/kinds.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/production/dates.hpp"
#include "modules/production/production.hpp"
#include "modules/registry/registry.hpp"
#include "modules/tat/tat.hpp"
#include "tests/unit/modules/harness.hpp"

namespace tn::test {

inline const Address kRegistryAddr = Address::fromU64(0x1007);
inline const Address kOracleAddr = Address::fromU64(0x1004);
inline const Address kPoolAddr = Address::fromU64(0x1008);
inline const Address kTatAddr = Address::fromU64(0x1005);
inline const U256 kE18 = U256(1'000'000'000'000'000'000ull);

inline constexpr std::string_view kCoreT = "(string,address,uint256,uint256,string)";
inline constexpr std::string_view kDataT =
    "(bytes32,uint256,address,uint256,uint256,uint256,uint256,string,uint256,uint256,uint8)";
inline const std::string kAddProducerSig = "addProducer(bytes32," + std::string(kCoreT) + ")";
inline const std::string kUpdateSig = "updateProdcuer(bytes32," + std::string(kCoreT) + ")";
inline const std::string kStatusSig = "setProducerStatus(bytes32,uint8)";
inline const std::string kUploadSig = "setProductionData(bytes32," + std::string(kDataT) + ")";
inline const std::string kTrustedSig =
    "receiveTrustedProductionData(bytes32,bytes32," + std::string(kDataT) + ")";
inline const std::string kPriceSig = "receiveAssetValue(bytes32,uint256,uint256)";
inline const std::string kClearingSig = "clearing(bytes32,uint256)";
inline const std::string kGetDataSig = "getProductionData(bytes32,uint256)";

// Status values of the public enums.
inline constexpr uint64_t kNotSet = 0, kActive = 1, kDeactive = 2;
inline constexpr uint64_t kUnaudited = 0, kFinished = 1, kFailed = 2;

inline U256 whole(uint64_t n) {  // n × 10^18: TAT or UNIT
  return U256(n) * kE18;
}
inline kinds::Kind kindNamed(std::string_view name) {
  for (const kinds::Kind& k : kinds::genesisKinds())
    if (k.name == name) return k;
  FAIL("no genesis kind " << std::string(name));
  return {};
}
inline const kinds::Kind& oilKind() {
  static const kinds::Kind k = kindNamed("OIL");
  return k;
}
inline const kinds::Kind& gasKind() {
  static const kinds::Kind k = kindNamed("GAS");
  return k;
}
inline const kinds::Kind& ethKind() {
  static const kinds::Kind k = kindNamed("ETH");
  return k;
}

// A uniqueId as the uploader makes it: the text right-padded to 32 bytes.
inline Hash32 wellId(std::string_view text) {
  Hash32 h;
  std::copy(text.begin(), text.end(), h.bytes.begin());
  return h;
}

inline abi::Value core(std::string nickname, const Address& owner, uint64_t api, uint64_t sulphur,
                       std::string account = "") {
  return abi::ValueList{std::move(nickname), owner, api, sulphur, std::move(account)};
}
// ProduceData as the uploader sends it: [id, 0, account, amount, 0, date, month, "", 0, 0, 0].
inline abi::Value upload(const Hash32& id, const U256& amount, uint64_t yymmdd, uint64_t yymm) {
  return abi::ValueList{id, 0, Address(), amount, 0, yymmdd, yymm, "", 0, 0, 0};
}
// A mined-block record as the feeder sends it (the status field is ignored).
inline abi::Value minedBlock(const Hash32& id, uint64_t number, const U256& reward,
                             const U256& price, const U256& amount, std::string miner,
                             uint64_t status = kUnaudited) {
  return abi::ValueList{id,     0,      Address(), amount, price, 0, 0, std::move(miner),
                        number, reward, status};
}

inline void requireOk(const TxResult& r) {
  REQUIRE_MESSAGE(r.success, "reverted: ", r.reason);
}
inline void checkRevert(const TxResult& r, std::string_view reason) {
  CHECK_FALSE(r.success);
  CHECK(r.reason == reason);
}

// Seconds of 00:00 UTC of 20YY-MM-DD.
inline uint64_t at(unsigned yy, unsigned mm, unsigned dd, uint64_t secondsIntoDay = 0) {
  return uint64_t(production::daysFromCivil(2000 + yy, mm, dd)) * kDay + secondsIntoDay;
}

class ProdChain : public ModuleChain {
 public:
  using ModuleChain::ModuleChain;

  // registerProducer by `who`, approveProducer by the FM.
  void admit(std::size_t who, const kinds::Kind& k) {
    requireOk(
        send(who, kRegistryAddr, "registerProducer(string,string,bytes32)",
             {k.name, "producer " + std::to_string(who), keccak256(std::string_view("docs"))}));
    requireOk(send(0, kRegistryAddr, "approveProducer(address,string)", {addr(who), k.name}));
  }
  TxResult addWell(std::size_t who, const kinds::Kind& k, const Hash32& id, uint64_t api = 3500,
                   uint64_t sulphur = 400, std::string account = "") {
    return send(who, k.producer, kAddProducerSig,
                {id, core("well " + std::to_string(who), addr(who), api, sulphur, account)});
  }
  TxResult setStatus(const kinds::Kind& k, const Hash32& id, uint64_t status,
                     std::size_t from = 0) {
    return send(from, k.producer, kStatusSig, {id, status});
  }
  // Admission (once per owner and kind) and a new well, in review (NotSet).
  Hash32 reviewWell(std::size_t who, const kinds::Kind& k, std::string_view name,
                    uint64_t api = 3500, uint64_t sulphur = 400, std::string account = "") {
    if (!registry::isApproved(state(), addr(who), k.name)) admit(who, k);
    const Hash32 id = wellId(name);
    requireOk(addWell(who, k, id, api, sulphur, std::move(account)));
    return id;
  }
  // The same, activated by the FM.
  Hash32 activeWell(std::size_t who, const kinds::Kind& k, std::string_view name,
                    uint64_t api = 3500, uint64_t sulphur = 400, std::string account = "") {
    const Hash32 id = reviewWell(who, k, name, api, sulphur, std::move(account));
    requireOk(setStatus(k, id, kActive));
    return id;
  }

  TxResult feedPrice(const kinds::Kind& k, uint64_t yymmdd, const U256& price) {
    return send(0, k.data, kPriceSig, {oracle::assetValueRequestId(k.data), yymmdd, price});
  }
  TxResult put(std::size_t who, const kinds::Kind& k, const Hash32& id, const U256& amount,
               uint64_t yymmdd, uint64_t yymm = 0) {
    return send(who, k.data, kUploadSig,
                {id, upload(id, amount, yymmdd, yymm ? yymm : yymmdd / 100)});
  }
  TxResult trusted(const kinds::Kind& k, const Hash32& id, uint64_t yymm, const U256& amount,
                   std::size_t from = 0) {
    abi::ValueList d{id, 0, Address(), amount, 0, 0, yymm, "", 0, 0, 0};
    return send(from, k.data, kTrustedSig, {oracle::trustedDataRequestId(k.data, id), id, d});
  }
  TxResult prepay(std::size_t who, const kinds::Kind& k, const U256& value) {
    return send(who, k.data, "prepay()", {}, value);
  }
  TxResult clear(std::size_t who, const kinds::Kind& k, const Hash32& id, uint64_t monthOrBlock) {
    return send(who, k.data, kClearingSig, {id, monthOrBlock});
  }

  // The smallest month there is: `amount` uploaded on 2024-01-02, that day's price fed unless
  // `price` is 0, then (at 2024-02-02) the trusted January figure unless absent and a prepay of
  // `margin` unless 0. Wells must be active before 2024-01-02.
  void januaryDay(std::size_t who, const kinds::Kind& k, const Hash32& id, const U256& amount,
                  const U256& price, std::optional<U256> trustedAmount, const U256& margin) {
    setTime(at(24, 1, 2, 43'200));
    if (price > 0) requireOk(feedPrice(k, 240102, price));
    requireOk(put(who, k, id, amount, 240102));
    setTime(at(24, 2, 2));
    if (trustedAmount) requireOk(trusted(k, id, 2401, *trustedAmount));
    if (margin > 0) requireOk(prepay(who, k, margin));
  }

  // Runs `fn(ctx)` as module `self` over the chain's state: for state that only an executed
  // governance proposal (or a record from an older version) can create.
  template <class F>
  void asModule(const Address& self, F fn) {
    GasMeter meter(100'000'000);
    std::vector<Log> logs;
    CallContext ctx(block(), modules(), state(), meter, logs, Address(), self, 0, false);
    fn(ctx);
  }

  U256 tatOf(std::size_t who) { return tat::balanceOf(state(), addr(who)); }
  production::Margin margin(std::size_t who, const kinds::Kind& k) {
    return production::loadMargin(state(), k.data, addr(who));
  }
  production::MonthRecord month(const Hash32& id, uint32_t yyyymm) {
    auto m = production::loadMonth(state(), id, yyyymm);
    REQUIRE(m.has_value());
    return *m;
  }
  production::Well well(const Hash32& id) {
    auto w = production::loadWell(state(), id);
    REQUIRE(w.has_value());
    return *w;
  }
};

}  // namespace tn::test
