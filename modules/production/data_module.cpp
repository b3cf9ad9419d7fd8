// The XxxData ABI (spec/abi/OilData.abi.json, EthData.abi.json): prices and trusted data from
// the FEEDER (RULES.md §5), the owner's daily uploads (§6), margin (§7) and clearing (§8).
#include "modules/production/data_module.hpp"

#include <fmt/format.h>

#include "modules/governance/params.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/production/clearing.hpp"
#include "modules/production/common.hpp"
#include "modules/production/dates.hpp"
#include "modules/production/margin.hpp"
#include "modules/production/prices.hpp"
#include "modules/production/production.hpp"
#include "modules/production/uploads.hpp"
#include "modules/roles/roles.hpp"
#include "modules/tat/tat.hpp"

namespace tn::production {

namespace {

constexpr std::string_view kProduceData =
    "(bytes32,uint256,address,uint256,uint256,uint256,uint256,string,uint256,uint256,uint8)";
constexpr std::string_view kReceiveAssetValue = "ReceiveAssetValue(string,uint256,uint256)";
constexpr std::string_view kTrustedData = "TrustedProductionData(string,bytes32,uint256,uint256)";
constexpr std::string_view kTrustedDigital =
    "TrustedDigitalProductionData(string,bytes32,uint256,uint256,uint256,uint256,string)";
constexpr std::string_view kProducerData =
    "ProducerProductionData(string,bytes32,uint256,uint256,uint256,uint256)";
constexpr std::string_view kVerified = "VerifiedProduction(bytes32,uint256,uint256)";
constexpr std::string_view kClearingReward = "ClearingReward(string,bytes32,uint256,uint256)";
constexpr std::string_view kClearingPenalty =
    "ClearingPenalty(string,bytes32,uint256,uint256,uint256)";

// ProduceData field positions (spec/abi/REFERENCE.md §2.1).
enum Field : std::size_t {
  kUniqueId,
  kCounterId,
  kAccount,
  kAmount,
  kPrice,
  kDate,
  kMonth,
  kMiner,
  kBlockNumber,
  kBlockReward,
  kStatus
};

// The ProduceData argument; solc rejects a status above FAILED while decoding.
const abi::ValueList& produceData(const abi::Value& v) {
  const abi::ValueList& d = v.asList();
  enumArg(d[kStatus], uint8_t(AuditStatus::Failed));
  return d;
}

struct ProduceTuple {
  Hash32 id{};
  Address account;
  U256 amount = 0, price = 0, date = 0, month = 0;
  std::string miner;
  U256 blockNumber = 0, blockReward = 0;
  AuditStatus status = AuditStatus::Unaudited;
  abi::Value value() const {
    return abi::ValueList{id,    0,     account,     amount,      price,           date,
                          month, miner, blockNumber, blockReward, uint64_t(status)};
  }
};

std::string monthName(uint32_t yyyymm) {
  return monthText(edgeMonth(yyyymm));
}

// Mints `total` split by shares (RULES.md §4) and reports it; `ref` is the month (YYMM) or the
// block number the reward is for. Each payout goes through the uniqueId overload so that TAT
// reports Transfer and TATHistory, as the public clearing does through TAT.mint.
void mintShares(CallContext& ctx, const kinds::Kind& kind, const Hash32& id, const Well& well,
                const U256& total, uint32_t tatMonth, const U256& ref) {
  for (const Payout& p : splitByShares(well.owner, loadHolders(ctx.state(), id), total))
    tat::mintFromClearing(ctx, p.to, p.amount, tatMonth, id);
  emitEvent(ctx, kClearingReward, {kind.name, id, ref, total});
}

}  // namespace

std::optional<U256> effectivePrice(const StateReader& state, const Address& data,
                                   uint32_t yyyymmdd) {
  return PriceHistory(state, data, yyyymmdd)
      .priceOn(yyyymmdd, params::load(state).priceFallbackWindow);
}

kinds::Kind DataModule::kindOf(CallContext& ctx) const {
  kinds::Kind k = kindAt(ctx);
  if (k.physical == digitalAbi_)
    throw Revert(fmt::format("asset kind {} does not fit this module's ABI", k.name));
  return k;
}

CallHandler DataModule::bind(Member m) const {
  return [this, m](CallContext& ctx, const abi::ValueList& a) { return (this->*m)(ctx, a); };
}

// ------------------------------------------------------------------------------ feeder data

abi::ValueList DataModule::receiveAssetValue(CallContext& ctx, const abi::ValueList& a) const {
  const kinds::Kind kind = kindOf(ctx);
  roles::require(ctx, roles::Role::Feeder);
  if (a[0].asBytes32() != oracle::assetValueRequestId(ctx.self))
    throw Revert("invalid oracle request id");
  const uint32_t day = requirePastDay(ctx, a[1].asUint());
  const U256& price = a[2].asUint();
  if (price == 0) throw Revert("price must be positive");
  storePrice(ctx, ctx.self, day, price);
  emitEvent(ctx, kReceiveAssetValue, {kind.name, edgeDay(day), price});
  return {price};
}

abi::ValueList DataModule::getAssetValue(CallContext& ctx, const abi::ValueList& a) const {
  kindOf(ctx);
  const std::optional<uint32_t> day = parseDay(a[0].asUint());
  if (!day) throw Revert(fmt::format("date {} is not a real day", dayText(a[0].asUint())));
  return {effectivePrice(ctx.state(), ctx.self, *day).value_or(0)};
}

abi::ValueList DataModule::receiveTrusted(CallContext& ctx, const abi::ValueList& a) const {
  const kinds::Kind kind = kindOf(ctx);
  const abi::ValueList& d = produceData(a[2]);
  roles::require(ctx, roles::Role::Feeder);
  const Hash32 id = a[1].asBytes32();
  if (a[0].asBytes32() != oracle::trustedDataRequestId(ctx.self, id))
    throw Revert("invalid oracle request id");
  const Well well = requireWell(ctx, id, kind);
  if (kind.physical) {
    const uint32_t month = requireMonth(d[kMonth].asUint());
    if (month >= monthOfDay(todayOf(ctx.block.timestamp)))
      throw Revert(fmt::format("month {} is not over", monthName(month)));
    requireMonthOpen(ctx.state(), id, month);
    storeTrusted(ctx, id, month, d[kAmount].asUint());
    emitEvent(ctx, kTrustedData, {kind.name, id, edgeMonth(month), d[kAmount].asUint()});
    return {};
  }
  const U256& number = d[kBlockNumber].asUint();
  if (number == 0) throw Revert("block number cant be zero");
  if (d[kBlockReward].asUint() == 0) throw Revert("block reward cant be zero");
  if (d[kMiner].asString() != well.account) throw Revert("miner is not the well's mining account");
  if (loadBlock(ctx.state(), id, number))
    throw Revert(fmt::format("block {} already recorded", u256ToDecimal(number)));
  MinedBlock b;  // the status never comes from the payload
  b.blockReward = d[kBlockReward].asUint();
  b.price = d[kPrice].asUint();
  b.amount = d[kAmount].asUint();
  b.miner = d[kMiner].asString();
  storeBlock(ctx, id, number, b);
  emitEvent(ctx, kTrustedDigital,
            {kind.name, id, number, b.blockReward, b.price, b.amount, b.miner});
  return {};
}

// ----------------------------------------------------------------------------------- uploads

abi::ValueList DataModule::setProductionData(CallContext& ctx, const abi::ValueList& a) const {
  const kinds::Kind kind = kindOf(ctx);
  const abi::ValueList& d = produceData(a[1]);
  if (!kind.physical) throw Revert("digital wells take no production uploads");
  const Hash32 id = a[0].asBytes32();
  const Well well = requireOwnedWell(ctx, id, kind);
  if (well.status != WellStatus::Active) throw Revert("well not active");
  const U256& amount = d[kAmount].asUint();
  if (amount == 0) throw Revert("zero production amount");
  const uint32_t day = requirePastDay(ctx, d[kDate].asUint());
  const uint32_t month = requireMonth(d[kMonth].asUint());
  if (month != monthOfDay(day))
    throw Revert(fmt::format("month {} is not the month of date {}", monthName(month),
                             dayText(edgeDay(day))));
  requireMonthOpen(ctx.state(), id, month);
  if (loadDay(ctx.state(), id, day))
    throw Revert(fmt::format("duplicate upload for {}", dayText(edgeDay(day))));
  storeDay(ctx, id, day, amount);
  MonthRecord m = loadMonth(ctx.state(), id, month).value_or(MonthRecord{});
  m.uploaded += amount;
  storeMonth(ctx, id, month, m);
  // `price` reports the day's fed price (USD × 10^4, 0 if none yet): value is set at clearing.
  const U256 price = loadPrice(ctx.state(), ctx.self, day).value_or(0);
  emitEvent(ctx, kProducerData, {kind.name, id, edgeMonth(month), edgeDay(day), amount, price});
  return {};
}

abi::ValueList DataModule::getProductionData(CallContext& ctx, const abi::ValueList& a) const {
  const kinds::Kind kind = kindOf(ctx);
  const Hash32 id = a[0].asBytes32();
  const std::optional<Well> well = wellOfKind(ctx.state(), id, kind);
  ProduceTuple t;
  if (!well) return {t.value()};
  t.id = id;
  t.account = well->owner;
  if (!kind.physical) {  // the mined block `a[1]`
    const std::optional<MinedBlock> b = loadBlock(ctx.state(), id, a[1].asUint());
    if (!b) return {ProduceTuple{}.value()};
    t.amount = b->amount;
    t.price = b->price;
    t.miner = b->miner;
    t.blockNumber = a[1].asUint();
    t.blockReward = b->blockReward;
    t.status = b->status;
    return {t.value()};
  }
  const std::optional<uint32_t> month = parseMonth(a[1].asUint());
  const std::optional<MonthRecord> m = month ? loadMonth(ctx.state(), id, *month) : std::nullopt;
  if (!m) return {ProduceTuple{}.value()};
  const std::vector<DayAmount> days = loadDays(ctx.state(), id, *month);
  t.amount = m->uploaded;
  t.price = m->value;  // TAT wei, set by clearing
  t.date = days.empty() ? 0 : edgeDay(days.back().day);
  t.month = edgeMonth(*month);
  t.status = m->status;
  return {t.value()};
}

// ------------------------------------------------------------------------------------ margin

abi::ValueList DataModule::prepay(CallContext& ctx, const abi::ValueList&) const {
  kindOf(ctx);
  if (ctx.value == 0) throw Revert("payment must be bigger than zero");
  deposit(ctx, ctx.sender, ctx.value);
  return {true};
}

abi::ValueList DataModule::withdraw(CallContext& ctx, const abi::ValueList& a) const {
  kindOf(ctx);
  if (ctx.value != 0) throw Revert("withdraw takes no value");
  if (a[0].asUint() == 0) throw Revert("zero amount");
  production::withdraw(ctx, ctx.sender, a[0].asUint());
  return {true};
}

abi::ValueList DataModule::marginOf(CallContext& ctx, const abi::ValueList& a) const {
  kindOf(ctx);
  const Margin m = loadMargin(ctx.state(), ctx.self, a[0].asAddress());
  return {m.balance, uint64_t(m.status())};
}

// ---------------------------------------------------------------------------------- clearing

abi::ValueList DataModule::clearing(CallContext& ctx, const abi::ValueList& a) const {
  const kinds::Kind kind = kindOf(ctx);
  const Hash32 id = a[0].asBytes32();
  const Well well = requireOwnedWell(ctx, id, kind);
  if (well.status != WellStatus::Active) throw Revert("well not active");
  if (ctx.block.timestamp > well.validUntil)
    throw Revert(fmt::format("well validity expired at {}", well.validUntil));
  if (kind.physical)
    clearMonth(ctx, kind, id, well, a[1].asUint());
  else
    clearBlock(ctx, kind, id, well, a[1].asUint());
  return {};
}

void DataModule::clearMonth(CallContext& ctx, const kinds::Kind& kind, const Hash32& id,
                            const Well& well, const U256& yymm) const {
  const uint32_t month = requireMonth(yymm);
  std::optional<MonthRecord> rec = loadMonth(ctx.state(), id, month);
  if (!rec) throw Revert(fmt::format("no upload for month {}", monthName(month)));
  requireMonthOpen(ctx.state(), id, month);
  const std::optional<U256> trusted = loadTrusted(ctx.state(), id, month);
  if (!trusted) throw Revert(fmt::format("no trusted data for month {}", monthName(month)));

  // 1-3: value each day at its own (or fallback) price with the well's discount, then audit.
  const params::Params p = params::load(ctx.state());
  const U256 discount =
      kind.discounted ? params::discountFor(p.discount, well.api, well.sulphur) : U256(kBps);
  const std::vector<DayAmount> days = loadDays(ctx.state(), id, month);
  const PriceHistory prices(ctx.state(), ctx.self, days.back().day);
  const U256 value = monthValue(days, prices, p.priceFallbackWindow, discount);
  const Audit audited = audit(value, rec->uploaded, *trusted, p.marginRatio);

  // 4: the margin must cover the worst case before anything moves (RULES.md §7).
  const U256 unitPrice = oracle::unitPrice(ctx.state());
  const U256 need = usdToAunit(worstCasePenalty(value, p.marginRatio), unitPrice);
  if (loadMargin(ctx.state(), ctx.self, well.owner).balance < need)
    throw Revert(fmt::format("insufficient margin: need {} aunit", u256ToDecimal(need)));
  const U256 penalty = usdToAunit(audited.penalty, unitPrice);

  rec->status = audited.status;
  rec->value = value;
  rec->minted = audited.minted;
  rec->deviation = audited.deviation;
  rec->penalty = penalty;
  rec->clearedAt = ctx.block.timestamp;
  storeMonth(ctx, id, month, *rec);

  emitEvent(ctx, kVerified, {id, yymm, *trusted});
  if (audited.status == AuditStatus::Failed) {
    if (penalty > 0) chargePenalty(ctx, well.owner, penalty);
    emitEvent(ctx, kClearingPenalty, {kind.name, id, yymm, penalty, audited.deviation});
  }
  // 5: mint M split by shares; the month is frozen from here on.
  mintShares(ctx, kind, id, well, audited.minted, month, yymm);
}

void DataModule::clearBlock(CallContext& ctx, const kinds::Kind& kind, const Hash32& id,
                            const Well& well, const U256& number) const {
  std::optional<MinedBlock> b = loadBlock(ctx.state(), id, number);
  if (!b) throw Revert(fmt::format("no trusted record for block {}", u256ToDecimal(number)));
  if (b->status != AuditStatus::Unaudited)
    throw Revert(fmt::format("block {} already cleared", u256ToDecimal(number)));
  b->status = AuditStatus::Finished;
  b->clearedAt = ctx.block.timestamp;
  storeBlock(ctx, id, number, *b);
  emitEvent(ctx, kVerified, {id, number, b->amount});
  mintShares(ctx, kind, id, well, b->amount, 0, number);
}

// ------------------------------------------------------------------------------------- table

std::vector<CallDecl> DataModule::calls() {
  const std::string data(kProduceData);
  std::vector<CallDecl> c;
  c.push_back(viewCall("FEEDER()", "bytes32", constantHandler(roleId("FEEDER"))));
  c.push_back(
      viewCall("FOUNDATION_MANAGER()", "bytes32", constantHandler(roleId("FOUNDATION_MANAGER"))));
  c.push_back(viewCall("getAssetValueRequestID()", "bytes32",
                       [this](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                         kindOf(ctx);
                         return {oracle::assetValueRequestId(ctx.self)};
                       }));
  c.push_back(viewCall("getTDRequestID(bytes32)", "bytes32",
                       [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                         kindOf(ctx);
                         return {oracle::trustedDataRequestId(ctx.self, a[0].asBytes32())};
                       }));
  c.push_back(txCall("receiveAssetValue(bytes32,uint256,uint256)", "uint256",
                     bind(&DataModule::receiveAssetValue)));
  // Nonpayable in the public ABI although it only reads.
  c.push_back(txCall("getAssetValue(uint256)", "uint256", bind(&DataModule::getAssetValue)));
  c.push_back(txCall("receiveTrustedProductionData(bytes32,bytes32," + data + ")", "",
                     bind(&DataModule::receiveTrusted)));
  c.push_back(
      txCall("setProductionData(bytes32," + data + ")", "", bind(&DataModule::setProductionData)));
  CallDecl get =
      viewCall("getProductionData(bytes32,uint256)", data, bind(&DataModule::getProductionData));
  if (digitalAbi_) get.mutability = Mutability::NonPayable;  // EthData/BtcData quirk
  c.push_back(std::move(get));
  c.push_back(txCall("clearing(bytes32,uint256)", "", bind(&DataModule::clearing)));
  c.push_back(callDecl("prepay()", "bool", Mutability::Payable, bind(&DataModule::prepay)));
  c.push_back(
      callDecl("withdraw(uint256)", "bool", Mutability::Payable, bind(&DataModule::withdraw)));
  c.push_back(viewCall("marginOf(address)", "uint256,uint8", bind(&DataModule::marginOf)));

  // Oracle request bookkeeping: ids are deterministic here, so there is nothing to register or
  // cancel; the producer-contract-only entries stay closed to every caller.
  const auto producerOnly = [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
    kindAt(ctx);
    throw Revert("only producer contract allowed");
  };
  c.push_back(txCall("registerTrustedDataRequest(bytes32)", "bytes32", producerOnly));
  c.push_back(txCall("cancelTrustedDataRequest(bytes32)", "bool", producerOnly));
  c.push_back(txCall("registerAssetValueRequest()", "bytes32",
                     [this](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                       kindOf(ctx);
                       throw Revert("already registered: see getAssetValueRequestID()");
                     }));
  c.push_back(txCall("cancelAssetValueRequest()", "bool",
                     disabledHandler("oracle request ids are deterministic")));
  c.push_back(txCall("reward(bytes32,address[],uint256[])", "uint256",
                     disabledHandler("TAT is minted only by clearing")));
  c.push_back(txCall("initialize(string,address,address,address,address,address)", "",
                     alreadyInitializedHandler()));
  return c;
}

std::vector<EventDecl> DataModule::events() {
  std::vector<EventDecl> e;
  for (std::string_view sig :
       {std::string_view("CancleAssetValueRequest(string,bytes32)"),
        std::string_view("CancleTrustedDataRequest(string,bytes32,bytes32)"), kClearingPenalty,
        kClearingReward, std::string_view("ExpenseHistory(uint256,address,uint8,string,uint256)"),
        std::string_view("Initialized(uint8)"), kProducerData, kReceiveAssetValue,
        std::string_view("RegisterAssetValueRequest(string,bytes32)"),
        std::string_view("RegisterTrustedDataRequest(string,bytes32,bytes32)"),
        std::string_view("Request(bytes32,address,bytes4,uint256)"), kTrustedData, kVerified})
    e.push_back(plainEvent(sig));
  if (digitalAbi_) e.push_back(plainEvent(kTrustedDigital));
  return e;
}

}  // namespace tn::production
