#include "rpc/tn_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <stdexcept>

#include <boost/json/object.hpp>

#include "modules/catalog/catalog.hpp"
#include "modules/governance/kinds.hpp"
#include "modules/governance/params.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/production/clearing.hpp"
#include "modules/production/dates.hpp"
#include "modules/production/production.hpp"
#include "modules/registry/registry.hpp"
#include "modules/roles/roles.hpp"
#include "modules/staking/staking.hpp"
#include "modules/tat/tat.hpp"
#include "rpc/params.hpp"

namespace tn::rpc {

namespace json = boost::json;
namespace prod = tn::production;

namespace {

// ------------------------------------------------------------------------------------ formats

// Fixed-point scales of the production rules (RULES.md §1).
constexpr unsigned kVolumeDecimals = 4;   // volume × 10^4
constexpr unsigned kPriceDecimals = 4;    // USD per volume unit × 10^4
constexpr unsigned kApiDecimals = 2;      // API gravity, degrees × 100
constexpr unsigned kSulphurDecimals = 3;  // sulphur, percent × 1000

// An 18-decimal token amount (TAT, UNIT): readable, exact in the smallest unit, and as a quantity.
json::object tokenAmount(const U256& wei) {
  return {{"amount", formatUnits(wei)}, {"wei", u256ToDecimal(wei)}, {"hex", toQuantity(wei)}};
}
// A fixed-point figure of the production rules: readable and as stored.
json::object scaled(const U256& raw, unsigned decimals) {
  return {{"value", formatUnits(raw, decimals)}, {"raw", u256ToDecimal(raw)}};
}
json::value optionalScaled(const std::optional<U256>& raw, unsigned decimals) {
  if (!raw) return nullptr;
  return scaled(*raw, decimals);
}

std::string dateText(uint32_t yyyymmdd) {
  return fmt::format("{:04}-{:02}-{:02}", yyyymmdd / 10'000, yyyymmdd / 100 % 100, yyyymmdd % 100);
}
std::string monthText(uint32_t yyyymm) {
  return fmt::format("{:04}-{:02}", yyyymm / 100, yyyymm % 100);
}
// A block time: seconds and the UTC date-time. 0 (never) is null.
json::value timeJson(uint64_t unix) {
  if (unix == 0) return nullptr;
  const prod::CivilDate c = prod::civilFromDays(int64_t(unix / 86'400));
  const uint64_t s = unix % 86'400;
  return json::object{{"unix", unix},
                      {"utc", fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month,
                                          c.day, s / 3600, s / 60 % 60, s % 60)}};
}

// ------------------------------------------------------------------------------------ parsing

// Digits s[at, at+n) as a number; nullopt if any is not a digit.
std::optional<unsigned> digitsAt(std::string_view s, std::size_t at, std::size_t n) {
  unsigned v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    v = v * 10 + unsigned(s[i] - '0');
  }
  return v;
}

// "YYYY-MM" (a month of 2000–2099, the years the ABI can name) -> YYYYMM.
uint32_t parseMonthText(std::string_view s) {
  auto y = s.size() >= 7 ? digitsAt(s, 0, 4) : std::nullopt;
  auto m = s.size() >= 7 ? digitsAt(s, 5, 2) : std::nullopt;
  if (!y || !m || s[4] != '-') throw std::invalid_argument("expected YYYY-MM, got '" + std::string(s) + "'");
  if (*y < 2000 || *y > 2099) throw std::invalid_argument("year must be 2000-2099");
  if (*m < 1 || *m > 12) throw std::invalid_argument("no month " + std::to_string(*m));
  return *y * 100 + *m;
}
uint32_t month(const json::value& v) {
  const std::string s = parse::string(v);
  if (s.size() != 7) throw std::invalid_argument("expected YYYY-MM, got '" + s + "'");
  return parseMonthText(s);
}
// "YYYY-MM-DD", a real calendar day -> YYYYMMDD.
uint32_t date(const json::value& v) {
  const std::string s = parse::string(v);
  auto d = s.size() == 10 && s[7] == '-' ? digitsAt(s, 8, 2) : std::nullopt;
  if (!d) throw std::invalid_argument("expected YYYY-MM-DD, got '" + s + "'");
  const uint32_t m = parseMonthText(s.substr(0, 7));
  if (*d < 1 || *d > prod::daysInMonth(m / 100, m % 100))
    throw std::invalid_argument(s + " is not a real day");
  return m * 100 + *d;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A status given by name (any case) among `names`, where names[i] is the status with code i.
template <class E, std::size_t N>
E statusByName(const json::value& v, const std::array<std::string_view, N>& names) {
  const std::string s = parse::string(v);
  for (std::size_t i = 0; i < N; ++i)
    if (!names[i].empty() && equalsNoCase(s, names[i])) return E(i);
  std::string list;
  for (auto n : names)
    if (!n.empty()) list += (list.empty() ? "" : ", ") + std::string(n);
  throw std::invalid_argument("unknown status '" + s + "' (" + list + ")");
}

// IProducer.ProducerStatus names, by code, and how the portal calls them.
constexpr std::array<std::string_view, 3> kWellStatus = {"NotSet", "Active", "Deactive"};
constexpr std::array<std::string_view, 3> kWellReview = {"In Review", "Pass", "Not Pass"};
// IProductionData.ProduceDataStatus.
constexpr std::array<std::string_view, 3> kAuditStatus = {"UNAUDITED", "FINISHED", "FAILED"};
// Registry statuses that are stored (None never is).
constexpr std::array<std::string_view, 4> kAppStatus = {"", "Pending", "Approved", "Rejected"};
// Expense.Status.
constexpr std::array<std::string_view, 3> kMarginStatus = {"NotSet", "Normal", "Abnormal"};

// ------------------------------------------------------------------------------ head and pages

// The head's module state; -32000 when the backend has none.
struct Head {
  HeadState at;
  const ModuleRegistry& modules;
  const StateReader& state() const { return *at.state; }
  uint32_t today() const { return prod::todayOf(at.timestamp); }
};
Head headOf(const Backend& be) {
  const ModuleRegistry* modules = be.modules();
  HeadState at = be.headState();
  if (!modules || !at.state) throw RpcError(code::kServer, "module state not available on this node");
  return {std::move(at), *modules};
}

// An asset kind by name (exact, else upper-cased: "oil" is OIL).
kinds::Kind kindNamed(const StateReader& state, const std::string& name) {
  if (auto k = kinds::byName(state, name)) return *k;
  std::string upper = name;
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (auto k = kinds::byName(state, upper)) return *k;
  std::string known;
  for (const kinds::Kind& k : kinds::all(state)) known += (known.empty() ? "" : ", ") + k.name;
  throw std::invalid_argument("unknown asset kind '" + name + "' (" + known + ")");
}
auto kindParser(const StateReader& state) {
  return [&state](const json::value& v) { return kindNamed(state, parse::string(v)); };
}

struct PageOptions {
  std::size_t defaultSize, maxSize;
};
std::size_t pageLimit(const Params& p, std::size_t i, const PageOptions& o) {
  uint64_t n = p.getOr(i, parse::u64OrInteger, uint64_t(o.defaultSize));
  if (n == 0) throw p.error(i, "limit must be at least 1");
  return std::size_t(std::min<uint64_t>(n, o.maxSize));
}

// A page from `items`, fetched with limit + 1 so that the extra one tells whether more follow:
// {key: [...], nextCursor: the cursor of the last item returned, or null at the end}.
template <class T, class ToJson, class CursorOf>
json::object page(std::vector<T> items, std::size_t limit, const char* key, ToJson toJson,
                  CursorOf cursorOf) {
  const bool more = items.size() > limit;
  if (more) items.resize(limit);
  json::array a;
  for (const T& x : items) a.push_back(toJson(x));
  json::object o;
  o[key] = std::move(a);
  o["nextCursor"] = more ? json::value(cursorOf(items.back())) : json::value(nullptr);
  return o;
}

// ------------------------------------------------------------------------------ producers

json::object applicationJson(const registry::Application& a) {
  return {{"producer", a.producer.hex()},
          {"kind", a.kind},
          {"status", std::string(registry::statusName(a.status))},
          {"statusCode", uint64_t(a.status)},
          {"name", a.name},
          {"documentsHash", a.documentsHash.hex()},
          {"reason", a.reason},
          {"updatedAt", timeJson(a.updatedAt)}};
}

// Producer cursors are "0xPRODUCER/KIND": the last application of the previous page.
std::pair<Address, std::string> producerCursor(const json::value& v) {
  const std::string s = parse::string(v);
  const auto slash = s.find('/');
  if (slash == std::string::npos) throw std::invalid_argument("not a producer cursor");
  return {Address::parse(s.substr(0, slash)), s.substr(slash + 1)};
}

// ---------------------------------------------------------------------------------- wells

U256 discountOf(const StateReader& state, const kinds::Kind& kind, const prod::Well& w) {
  if (!kind.discounted) return prod::kBps;
  return params::discountFor(params::discountTable(state), w.api, w.sulphur);
}

json::object wellJson(const Head& h, const Hash32& id, const prod::Well& w) {
  const std::optional<kinds::Kind> kind = kinds::byName(h.state(), w.kind);
  const auto status = std::size_t(w.status);
  return {{"uniqueId", id.hex()},
          {"kind", w.kind},
          {"nickname", w.nickname},
          {"owner", w.owner.hex()},
          {"api", scaled(w.api, kApiDecimals)},
          {"sulphur", scaled(w.sulphur, kSulphurDecimals)},
          {"account", w.account},
          {"status", std::string(kWellStatus[status])},
          {"statusCode", uint64_t(status)},
          {"review", std::string(kWellReview[status])},
          {"validUntil", timeJson(w.validUntil)},
          {"valid", h.at.timestamp <= w.validUntil},
          {"discountBps", kind ? json::value(toU64(discountOf(h.state(), *kind, w))) : nullptr}};
}

// The well `id` and its kind, or nullopt when there is no such well.
struct WellAt {
  Hash32 id;
  prod::Well well;
  kinds::Kind kind;
};
std::optional<WellAt> loadWellAt(const StateReader& state, const Hash32& id) {
  auto w = prod::loadWell(state, id);
  if (!w) return std::nullopt;
  auto k = kinds::byName(state, w->kind);
  if (!k) throw std::runtime_error("well " + id.hex() + " names an unknown kind " + w->kind);
  return WellAt{id, std::move(*w), std::move(*k)};
}

json::object monthSummary(const prod::MonthEntry& m) {
  return {{"month", monthText(m.month)},
          {"status", std::string(kAuditStatus[std::size_t(m.record.status)])},
          {"uploaded", scaled(m.record.uploaded, kVolumeDecimals)},
          {"minted", tokenAmount(m.record.minted)}};
}

// --------------------------------------------------------------------------- production months

// What tn_getProductionMonth reports: the record as cleared, or for an open month the audit
// clearing would compute at the head (RULES.md §8) and what still stands in its way.
json::object productionMonth(const Head& h, const WellAt& at, uint32_t yyyymm) {
  const StateReader& st = h.state();
  const prod::Well& w = at.well;
  const params::Params p = params::load(st);
  const U256 discount = discountOf(st, at.kind, w);
  const std::optional<prod::MonthRecord> rec = prod::loadMonth(st, at.id, yyyymm);
  const std::vector<prod::DayAmount> days = prod::loadDays(st, at.id, yyyymm);
  const std::optional<U256> trusted = prod::loadTrusted(st, at.id, yyyymm);
  const U256 unitPrice = oracle::unitPrice(st);
  const prod::Margin margin = prod::loadMargin(st, at.kind.data, w.owner);

  json::array dayList;
  json::array priceBlockers;
  bool priced = true;
  std::optional<prod::PriceHistory> history;
  if (!days.empty()) history.emplace(st, at.kind.data, days.back().day);
  for (const prod::DayAmount& d : days) {
    json::object o{{"date", dateText(d.day)}, {"volume", scaled(d.amount, kVolumeDecimals)}};
    const std::optional<U256> price = history->priceOn(d.day, p.priceFallbackWindow);
    if (price) {
      json::object po = scaled(*price, kPriceDecimals);
      po["source"] = prod::loadPrice(st, at.kind.data, d.day) ? "fed" : "fallback";
      o["price"] = std::move(po);
      o["value"] = tokenAmount(prod::dayValue(d.amount, *price, discount));
    } else {
      priced = false;
      o["price"] = nullptr;
      o["value"] = nullptr;
      priceBlockers.push_back(json::string("price missing for " + dateText(d.day)));
    }
    dayList.push_back(std::move(o));
  }

  json::object o{{"uniqueId", at.id.hex()},
                 {"kind", at.kind.name},
                 {"owner", w.owner.hex()},
                 {"month", monthText(yyyymm)},
                 {"status", rec ? std::string(kAuditStatus[std::size_t(rec->status)]) : "NONE"},
                 {"days", std::move(dayList)},
                 {"uploaded", scaled(rec ? rec->uploaded : U256(0), kVolumeDecimals)},
                 {"trusted", optionalScaled(trusted, kVolumeDecimals)},
                 {"discountBps", toU64(discount)},
                 {"unitPrice", scaled(unitPrice, kPriceDecimals)},
                 {"margin", tokenAmount(margin.balance)},
                 {"value", nullptr},
                 {"minted", nullptr},
                 {"deviationBps", nullptr},
                 {"penalty", nullptr},
                 {"outcome", nullptr},
                 {"estimated", false},
                 {"marginRequired", nullptr},
                 {"clearedAt", nullptr}};

  if (rec && rec->status != prod::AuditStatus::Unaudited) {  // frozen: the figures of clearing
    o["value"] = tokenAmount(rec->value);
    o["minted"] = tokenAmount(rec->minted);
    o["deviationBps"] = rec->deviation;
    o["penalty"] = tokenAmount(rec->penalty);
    o["outcome"] = o["status"];
    o["clearedAt"] = timeJson(rec->clearedAt);
    o["clearable"] = false;
    o["blockers"] = json::array{};
    return o;
  }

  // Open: what clearing would find now, in the order it checks.
  json::array before;
  if (w.status != prod::WellStatus::Active) before.push_back("well not active");
  else if (h.at.timestamp > w.validUntil) before.push_back("well validity expired");
  if (!rec) before.push_back("no upload for the month");
  if (!trusted) {
    before.push_back(yyyymm >= prod::monthOfDay(h.today())
                         ? "month not over: trusted data comes after it ends"
                         : "no trusted data yet");
  }
  for (auto& b : priceBlockers) before.push_back(std::move(b));
  if (rec && priced) {
    const U256 value = prod::monthValue(days, *history, p.priceFallbackWindow, discount);
    const U256 required = prod::usdToAunit(prod::worstCasePenalty(value, p.marginRatio), unitPrice);
    o["value"] = tokenAmount(value);
    o["marginRequired"] = tokenAmount(required);
    o["estimated"] = true;
    if (trusted) {
      const prod::Audit a = prod::audit(value, rec->uploaded, *trusted, p.marginRatio);
      o["minted"] = tokenAmount(a.minted);
      o["deviationBps"] = a.deviation;
      o["penalty"] = tokenAmount(prod::usdToAunit(a.penalty, unitPrice));
      o["outcome"] = std::string(kAuditStatus[std::size_t(a.status)]);
    }
    if (margin.balance < required)
      before.push_back(json::string("insufficient margin: need " + formatUnits(required) +
                                    " UNIT, have " + formatUnits(margin.balance)));
  }
  o["clearable"] = before.empty();
  o["blockers"] = std::move(before);
  return o;
}

// ------------------------------------------------------------------------------- proposals

// A view of a module through Backend::call, encoded with the module's own call table.
struct ModuleViews {
  Backend& backend;
  const ModuleRegistry& modules;

  // The decoded outputs, or nullopt when the view reverts.
  std::optional<abi::ValueList> operator()(const Address& to, std::string_view signature,
                                           const abi::ValueList& args,
                                           const std::optional<Address>& from = {}) const {
    const abi::Selector sel = abi::selector(signature);
    const CallDecl* d = modules.findCall(to, BytesView(sel.data(), sel.size()));
    if (!d) throw std::logic_error("no call " + std::string(signature) + " at " + to.hex());
    CallRequest req;
    req.from = from;
    req.to = to;
    req.data.assign(sel.begin(), sel.end());
    append(req.data, abi::encode(d->argTypes, args));
    CallResult r = backend.call(req, BlockTag::latest());
    if (r.reverted) return std::nullopt;
    return abi::decode(d->returnTypes, r.output);
  }
};

// Proposal cursors are the last id of the previous page, in decimal.
uint64_t proposalCursor(const json::value& v) {
  const std::string s = parse::string(v);
  if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw std::invalid_argument("not a proposal cursor");
  return std::stoull(s);
}

// MulSig keeps no proposal type in its public views; the name tells it (modules/governance/mulsig.cpp).
std::string proposalType(const std::string& name) {
  if (name == "FMA" || name == "FMD" || name == "FEEDERA" || name == "FEEDERD") return "permission";
  if (name == "DiscountConfig") return "discountConfig";
  if (name == "SpendPenaltyPool") return "spendPenaltyPool";
  if (params::findSpec(name)) return "platformConfig";
  return "addResource";
}

struct Proposal {
  uint64_t id;
  abi::ValueList details;  // transactionDetails: name, address, a1..a6, executeTime
  uint64_t signatures;
  bool pending;
};

json::object proposalJson(const Proposal& p, uint64_t threshold, uint64_t now) {
  const abi::ValueList& t = p.details.at(0).asList();
  json::array args;
  for (std::size_t i = 2; i < 8; ++i) args.push_back(json::string(u256ToDecimal(t[i].asUint())));
  const uint64_t executeTime = t[8].asU64();
  return {{"id", p.id},
          {"type", proposalType(t[0].asString())},
          {"name", t[0].asString()},
          {"address", t[1].asAddress().hex()},
          {"args", std::move(args)},
          {"status", p.pending ? "pending" : "closed"},
          {"signatures", p.signatures},
          {"threshold", threshold},
          {"executeTime", timeJson(executeTime)},
          {"executable", p.pending && executeTime != 0 && now >= executeTime}};
}

}  // namespace

void addTnApi(Dispatcher& d, Backend& backend, const TnApiOptions& opt) {
  Backend* be = &backend;
  const PageOptions pages{opt.defaultPageSize, opt.maxPageSize};
  const std::string limitType =
      "Integer|Quantity (default " + std::to_string(opt.defaultPageSize) + ", at most " +
      std::to_string(opt.maxPageSize) + ")";
  const std::string cursorType = "String (nextCursor of the previous page)";
  constexpr const char* kAddress = "Address (20-byte hex)";
  constexpr const char* kWellId = "Hash (32-byte hex uniqueId)";
  constexpr const char* kKind = "String (asset kind: OIL, GAS, ETH, BTC, ...)";

  d.add({"tn_getModules",
         "Module addresses: every module by name, the asset kinds with their producer and data "
         "modules, and the fixed accounts.",
         {},
         "{modules: {name: Address}, kinds: [{name, producer, data, physical, discounted, unit}], "
         "penaltyPool, feeCollector}",
         [be](const Params&, CallContext&) -> json::value {
           Head h = headOf(*be);
           json::object modules;
           for (const auto& [name, address] : moduleDirectory(h.modules)) {
             // Reserved pairs for governance-added kinds are listed once a kind holds them.
             const bool reserved = !(address < kinds::addedProducerAddress(0));
             if (reserved && !kinds::byAddress(h.state(), address)) continue;
             modules[name] = address.hex();
           }
           json::array kindList;
           for (const kinds::Kind& k : kinds::all(h.state()))
             kindList.push_back(json::object{{"name", k.name},
                                             {"producer", k.producer.hex()},
                                             {"data", k.data.hex()},
                                             {"physical", k.physical},
                                             {"discounted", k.discounted},
                                             {"unit", k.unitLabel}});
           return json::object{{"modules", std::move(modules)},
                               {"kinds", std::move(kindList)},
                               {"penaltyPool", kPenaltyPool.hex()},
                               {"feeCollector", kFeeCollector.hex()}};
         }});

  d.add({"tn_getParams",
         "Governed parameters (RULES.md §11) as decimal strings, the OIL discount table, the UNIT "
         "price, and the FOUNDATION_MANAGER and FEEDER sets.",
         {},
         "{params: {name: String}, discount: {api, sulphur, d: [bps x4]}, unitPrice, "
         "roles: {foundationManagers, feeders, fmThreshold}}",
         [be](const Params&, CallContext&) -> json::value {
           Head h = headOf(*be);
           const StateReader& st = h.state();
           json::object values;
           for (const params::ParamSpec& s : params::specs())
             values[s.name] = u256ToDecimal(params::get(st, s.name));
           const params::DiscountTable t = params::discountTable(st);
           json::array ds;
           for (const U256& x : t.d) ds.push_back(toU64(x));
           json::object unit = scaled(oracle::unitPrice(st), kPriceDecimals);
           unit["fed"] = oracle::currencyValue(st, "UNIT").has_value();
           auto members = [&](roles::Role r) {
             json::array a;
             for (const Address& m : roles::members(st, r)) a.push_back(json::string(m.hex()));
             return a;
           };
           return json::object{
               {"params", std::move(values)},
               {"discount", json::object{{"api", scaled(t.api, kApiDecimals)},
                                         {"sulphur", scaled(t.sulphur, kSulphurDecimals)},
                                         {"d", std::move(ds)}}},
               {"unitPrice", std::move(unit)},
               {"roles", json::object{{"foundationManagers", members(roles::Role::FoundationManager)},
                                      {"feeders", members(roles::Role::Feeder)},
                                      {"fmThreshold", roles::fmThreshold(st)}}}};
         }});

  d.add({"tn_getProducer",
         "A producer's admission applications (ProducerRegistry), one per asset kind.",
         {{"address", kAddress, true}, {"kind", kKind, false}},
         "{address, applications: [{producer, kind, status, statusCode, name, documentsHash, "
         "reason, updatedAt}]}",
         [be](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           registry::ListFilter f;
           f.producer = p.get(0, parse::address);
           if (p.has(1)) f.kind = p.get(1, kindParser(h.state())).name;
           json::array apps;
           for (const registry::Application& a :  // one per kind at most
                registry::list(h.state(), f, SIZE_MAX, std::nullopt))
             apps.push_back(applicationJson(a));
           return json::object{{"address", f.producer->hex()}, {"applications", std::move(apps)}};
         }});

  d.add({"tn_listProducers",
         "Producer applications in (producer, kind) order, filtered by kind and status.",
         {{"kind", kKind, false},
          {"status", "String (Pending, Approved, Rejected)", false},
          {"cursor", cursorType, false},
          {"limit", limitType, false}},
         "{producers: [application], nextCursor: String|null}",
         [be, pages](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           registry::ListFilter f;
           if (p.has(0)) f.kind = p.get(0, kindParser(h.state())).name;
           if (p.has(1)) f.status = p.get(1, [](const json::value& v) {
             return statusByName<registry::Status>(v, kAppStatus);
           });
           std::optional<std::pair<Address, std::string>> after;
           if (p.has(2)) after = p.get(2, producerCursor);
           const std::size_t limit = pageLimit(p, 3, pages);
           return page(registry::list(h.state(), f, limit + 1, after), limit, "producers",
                       applicationJson, [](const registry::Application& a) {
                         return a.producer.hex() + "/" + a.kind;
                       });
         }});

  d.add({"tn_getWell",
         "A well (any kind) with its review status, validity, discount and month summaries "
         "(oldest first, at most " + std::to_string(opt.maxWellMonths) + ").",
         {{"uniqueId", kWellId, true}},
         "{uniqueId, kind, nickname, owner, api, sulphur, account, status, statusCode, review, "
         "validUntil, valid, discountBps, months: [{month, status, uploaded, minted}]} | null",
         [be, opt](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           auto at = loadWellAt(h.state(), p.get(0, parse::hash));
           if (!at) return nullptr;
           json::object o = wellJson(h, at->id, at->well);
           json::array months;
           for (const prod::MonthEntry& m : prod::listMonths(h.state(), at->id, opt.maxWellMonths))
             months.push_back(monthSummary(m));
           o["months"] = std::move(months);
           return o;
         }});

  d.add({"tn_listWells",
         "Wells in uniqueId order, filtered by owner, kind and status (NotSet = in review, Active "
         "= passed, Deactive = not passed).",
         {{"owner", kAddress, false},
          {"kind", kKind, false},
          {"status", "String (NotSet, Active, Deactive)", false},
          {"cursor", cursorType, false},
          {"limit", limitType, false}},
         "{wells: [well], nextCursor: String|null}",
         [be, pages](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           prod::WellFilter f;
           if (p.has(0)) f.owner = p.get(0, parse::address);
           if (p.has(1)) f.kind = p.get(1, kindParser(h.state())).name;
           if (p.has(2)) f.status = p.get(2, [](const json::value& v) {
             return statusByName<prod::WellStatus>(v, kWellStatus);
           });
           std::optional<Hash32> after;
           if (p.has(3)) after = p.get(3, parse::hash);
           const std::size_t limit = pageLimit(p, 4, pages);
           return page(
               prod::listWells(h.state(), f, limit + 1, after), limit, "wells",
               [&h](const prod::WellEntry& e) { return wellJson(h, e.id, e.well); },
               [](const prod::WellEntry& e) { return e.id.hex(); });
         }});

  d.add({"tn_getProductionMonth",
         "A physical well's month: daily uploads with the prices clearing uses, U and T, and the "
         "audit (V, M, deviation, penalty). A cleared month shows the figures of its clearing; "
         "an open one what clearing would compute now (estimated) and what blocks it.",
         {{"uniqueId", kWellId, true}, {"month", "String (YYYY-MM)", true}},
         "{uniqueId, kind, owner, month, status (NONE|UNAUDITED|FINISHED|FAILED), days: [{date, "
         "volume, price, value}], uploaded, trusted, discountBps, unitPrice, margin, value, "
         "minted, deviationBps, penalty, outcome, estimated, marginRequired, clearedAt, "
         "clearable, blockers} | null",
         [be](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           auto at = loadWellAt(h.state(), p.get(0, parse::hash));
           const uint32_t m = p.get(1, month);
           if (!at) return nullptr;
           if (!at->kind.physical)
             throw p.error(0, "a " + at->kind.name + " well is cleared per mined block, not per month");
           return productionMonth(h, *at, m);
         }});

  d.add({"tn_getPrices",
         "Daily prices fed for an asset kind over a date range (at most " +
             std::to_string(opt.maxPriceDays) + " days), and the UNIT price.",
         {{"kind", kKind, true},
          {"from", "String (YYYY-MM-DD)", true},
          {"to", "String (YYYY-MM-DD, default: the head block's date)", false}},
         "{kind, unit, from, to, prices: [{date, price: {value, raw}}], unitPrice: {value, raw, fed}}",
         [be, opt](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           const kinds::Kind k = p.get(0, kindParser(h.state()));
           const uint32_t from = p.get(1, date);
           const uint32_t to = p.getOr(2, date, h.today());
           auto dayNumber = [](uint32_t d) {
             return prod::daysFromCivil(d / 10'000, d / 100 % 100, d % 100);
           };
           if (to < from) throw p.error(2, "the range ends before it starts");
           if (dayNumber(to) - dayNumber(from) >= int64_t(opt.maxPriceDays))
             throw p.error(2, "range longer than " + std::to_string(opt.maxPriceDays) + " days");
           json::array prices;
           for (const prod::DatedPrice& dp : prod::loadPrices(h.state(), k.data, from, to))
             prices.push_back(json::object{{"date", dateText(dp.day)},
                                           {"price", scaled(dp.price, kPriceDecimals)}});
           json::object unit = scaled(oracle::unitPrice(h.state()), kPriceDecimals);
           unit["fed"] = oracle::currencyValue(h.state(), "UNIT").has_value();
           return json::object{{"kind", k.name},       {"unit", k.unitLabel},
                               {"from", dateText(from)}, {"to", dateText(to)},
                               {"prices", std::move(prices)}, {"unitPrice", std::move(unit)}};
         }});

  d.add({"tn_getMargin",
         "A producer's margin (UNIT) per asset kind: one kind, or every kind.",
         {{"owner", kAddress, true}, {"kind", kKind, false}},
         "{owner, margins: [{kind, data, balance, debt, status}]}",
         [be](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           const Address owner = p.get(0, parse::address);
           std::vector<kinds::Kind> ks;
           if (p.has(1)) ks.push_back(p.get(1, kindParser(h.state())));
           else ks = kinds::all(h.state());
           json::array margins;
           for (const kinds::Kind& k : ks) {
             const prod::Margin m = prod::loadMargin(h.state(), k.data, owner);
             margins.push_back(json::object{
                 {"kind", k.name},
                 {"data", k.data.hex()},
                 {"balance", tokenAmount(m.balance)},
                 {"debt", tokenAmount(m.debt)},
                 {"status", std::string(kMarginStatus[std::size_t(m.status())])}});
           }
           return json::object{{"owner", owner.hex()}, {"margins", std::move(margins)}};
         }});

  d.add({"tn_getShares",
         "A well's beneficiaries: holders in ascending address order with whole-percent ratios; "
         "the owner holds the rest.",
         {{"uniqueId", kWellId, true}},
         "{uniqueId, kind, owner, ownerRatio, holders: [{account, ratio}]} | null",
         [be](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           auto at = loadWellAt(h.state(), p.get(0, parse::hash));
           if (!at) return nullptr;
           json::array holders;
           U256 shared = 0;
           for (const prod::Holder& x : prod::loadHolders(h.state(), at->id)) {
             shared += x.ratio;
             holders.push_back(json::object{{"account", x.account.hex()}, {"ratio", toU64(x.ratio)}});
           }
           return json::object{{"uniqueId", at->id.hex()},
                               {"kind", at->kind.name},
                               {"owner", at->well.owner.hex()},
                               {"ownerRatio", toU64(U256(prod::kMaxPieces) - shared)},
                               {"holders", std::move(holders)}};
         }});

  d.add({"tn_listProposals",
         "MulSig proposals in id order: pending ones, or all (executed and deleted ones are "
         "\"closed\"), with signatures, threshold and execute time.",
         {{"status", "String (pending, all; default all)", false},
          {"cursor", cursorType, false},
          {"limit", limitType, false}},
         "{proposals: [{id, type, name, address, args, status, signatures, threshold, "
         "executeTime, executable}], nextCursor: String|null}",
         [be, pages](const Params& p, CallContext&) -> json::value {
           Head h = headOf(*be);
           const bool pendingOnly = p.has(0) && p.get(0, [](const json::value& v) {
             const std::string s = parse::string(v);
             if (equalsNoCase(s, "pending")) return true;
             if (equalsNoCase(s, "all")) return false;
             throw std::invalid_argument("unknown status '" + s + "' (pending, all)");
           });
           const uint64_t after = p.getOr(1, proposalCursor, uint64_t(0));
           const std::size_t limit = pageLimit(p, 2, pages);
           const ModuleViews view{*be, h.modules};
           // The pending index answers only a FOUNDATION_MANAGER (there is always one).
           std::vector<uint64_t> pending;
           const auto fms = roles::members(h.state(), roles::Role::FoundationManager);
           if (!fms.empty())
             if (auto r = view(kMulSigAddress, "getPendingProposals()", {}, fms.front()))
               for (const abi::Value& id : r->at(0).asList()) pending.push_back(id.asU64());
           std::sort(pending.begin(), pending.end());
           auto isPending = [&](uint64_t id) {
             return std::binary_search(pending.begin(), pending.end(), id);
           };
           // Proposal ids run from 1 without gaps; the first unknown one ends the list.
           std::vector<Proposal> found;
           auto next = [&](uint64_t id) -> std::optional<uint64_t> {
             if (!pendingOnly) return id + 1;
             auto it = std::upper_bound(pending.begin(), pending.end(), id);
             return it == pending.end() ? std::nullopt : std::optional<uint64_t>(*it);
           };
           for (auto id = next(after); id && found.size() <= limit; id = next(*id)) {
             auto details = view(kMulSigAddress, "transactionDetails(uint256)", {*id});
             if (!details) break;
             auto sigs = view(kMulSigAddress, "getSignatureCount(uint256)", {*id});
             found.push_back({*id, std::move(*details), sigs ? sigs->at(0).asU64() : 0,
                              isPending(*id)});
           }
           const uint64_t threshold = roles::fmThreshold(h.state());
           const uint64_t now = h.at.timestamp;
           return page(
               std::move(found), limit, "proposals",
               [&](const Proposal& x) { return proposalJson(x, threshold, now); },
               [](const Proposal& x) { return std::to_string(x.id); });
         }});

  d.add({"tn_getTatStats",
         "TAT supply, burned total, and TAT minted per production month and per emission period "
         "(" + std::to_string(tat::kEmissionPeriodBlocks) + " blocks).",
         {},
         "{supply, burned, perMonth: [{month, minted}], perPeriod: [{period, firstBlock, "
         "lastBlock, minted}], currentPeriod, block}",
         [be](const Params&, CallContext&) -> json::value {
           Head h = headOf(*be);
           const tat::Stats s = tat::stats(h.state());
           json::array months, periods;
           for (const tat::MonthMinted& m : s.perMonth)  // month 0: mined blocks (digital kinds)
             months.push_back(json::object{
                 {"month", m.month == 0 ? json::value(nullptr) : json::value(monthText(m.month))},
                 {"minted", tokenAmount(m.amount)}});
           for (const tat::PeriodMinted& x : s.perPeriod)
             periods.push_back(
                 json::object{{"period", x.period},
                              {"firstBlock", x.period * tat::kEmissionPeriodBlocks},
                              {"lastBlock", (x.period + 1) * tat::kEmissionPeriodBlocks - 1},
                              {"minted", tokenAmount(x.amount)}});
           return json::object{{"supply", tokenAmount(s.supply)},
                               {"burned", tokenAmount(s.burned)},
                               {"perMonth", std::move(months)},
                               {"perPeriod", std::move(periods)},
                               {"currentPeriod", h.at.number / tat::kEmissionPeriodBlocks},
                               {"block", h.at.number}};
         }});

  d.add({"tn_getValidators",
         "Staking validators in address order (tokens, shares, self-stake, status, jail, missed "
         "blocks in the signing window, voting power = floor(tokens / 10^18)) and the active set "
         "with the block it applies from.",
         {},
         "{validators: [{address, moniker, commissionBps, tokens, shares, selfStake, status, "
         "jailed, jailedUntil, tombstoned, missedInWindow, power, active}], active: {since, "
         "members: [{address, power}], totalPower}, block}",
         [be](const Params&, CallContext&) -> json::value {
           Head h = headOf(*be);
           const StateReader& st = h.state();
           const staking::ActiveSet set = staking::activeSet(st);
           json::array list;
           for (const staking::Validator& v : staking::validators(st)) {
             const bool active = std::any_of(set.members.begin(), set.members.end(),
                                             [&](const auto& m) { return m.first == v.address; });
             list.push_back(json::object{
                 {"address", v.address.hex()},
                 {"moniker", v.moniker},
                 {"commissionBps", v.commissionBps},
                 {"tokens", tokenAmount(v.tokens)},
                 {"shares", u256ToDecimal(v.shares)},
                 {"selfStake", tokenAmount(staking::selfStake(st, v))},
                 {"status", staking::status(st, v)},
                 {"jailed", v.jailed},
                 {"jailedUntil", v.tombstoned ? json::value("forever") : timeJson(v.jailed ? v.jailedUntil : 0)},
                 {"tombstoned", v.tombstoned},
                 {"missedInWindow", staking::missedInWindow(st, v.address)},
                 {"power", staking::votingPower(v)},
                 {"active", active}});
           }
           json::array members;
           uint64_t total = 0;
           for (const auto& [a, power] : set.members) {
             members.push_back(json::object{{"address", a.hex()}, {"power", power}});
             total += power;
           }
           return json::object{{"validators", std::move(list)},
                               {"active", json::object{{"since", set.since},
                                                       {"members", std::move(members)},
                                                       {"totalPower", total}}},
                               {"block", h.at.number}};
         }});

  d.add({"tn_getStakingParams",
         "Staking parameters (governed, RULES.md §10), the emission of the current period, the "
         "total emitted, and the staking, community pool and fee collector accounts.",
         {},
         "{params: {minSelfStake, unbondingPeriod, maxValidators, signedBlocksWindow, "
         "minSignedPerWindow, downtimeSlashBps, doubleSignSlashBps, downtimeJailSeconds, "
         "emissionInitialReward}, emission: {period, periodBlocks, rewardPerBlock, totalEmitted}, "
         "staking, communityPool: {address, balance}, feeCollector, block}",
         [be](const Params&, CallContext&) -> json::value {
           Head h = headOf(*be);
           const StateReader& st = h.state();
           const staking::Params p = staking::loadParams(st);
           const uint64_t period = staking::periodOf(h.at.number);
           const U256 pool = h.modules.ledger().balance(st, kCommunityPool);
           return json::object{
               {"params", json::object{{"minSelfStake", tokenAmount(p.minSelfStake)},
                                       {"unbondingPeriod", p.unbondingPeriod},
                                       {"maxValidators", p.maxValidators},
                                       {"signedBlocksWindow", p.signedBlocksWindow},
                                       {"minSignedPerWindow", p.minSignedPerWindow},
                                       {"downtimeSlashBps", p.downtimeSlashBps},
                                       {"doubleSignSlashBps", p.doubleSignSlashBps},
                                       {"downtimeJailSeconds", p.downtimeJailSeconds},
                                       {"emissionInitialReward", tokenAmount(p.initialReward)}}},
               {"emission", json::object{{"period", period},
                                         {"periodBlocks", tat::kEmissionPeriodBlocks},
                                         {"rewardPerBlock", tokenAmount(staking::rewardOfPeriod(st, period))},
                                         {"totalEmitted", tokenAmount(staking::totalEmitted(st))}}},
               {"staking", kStakingAddress.hex()},
               {"communityPool", json::object{{"address", kCommunityPool.hex()},
                                              {"balance", tokenAmount(pool)}}},
               {"feeCollector", kFeeCollector.hex()},
               {"block", h.at.number}};
         }});

  d.add(
      {"tn_getCommit",
       "A block's commit certificate: the precommit signatures of validators holding more than "
       "2/3 of its validator set's power, the round they were cast in and the hash they signed.",
       {{"block",
         "Quantity|Tag (latest, pending, earliest, safe, finalized)|Hash|{blockNumber}|{blockHash}",
         true}},
       "{number, hash, round, signingHash, canonical, precommits: [{validator, r, s, yParity}], "
       "raw} | null",
       [be](const Params& p, CallContext&) -> json::value {
         std::optional<CommitView> c = be->commit(p.get(0, parse::blockTag));
         if (!c) return nullptr;
         json::array precommits;
         for (const CommitView::Precommit& pc : c->precommits)
           precommits.push_back(
               json::object{{"validator", pc.validator.hex()},
                            {"r", toQuantity(pc.signature.r)},
                            {"s", toQuantity(pc.signature.s)},
                            {"yParity", toQuantity(uint64_t{pc.signature.recid})}});
         json::object out;
         out["number"] = c->number;
         out["hash"] = c->blockHash.hex();
         out["round"] = c->round;
         out["signingHash"] = c->signingHash.hex();
         out["canonical"] = c->canonical;
         out["precommits"] = std::move(precommits);
         out["raw"] = toHex(c->raw);
         return out;
       }});

  d.add(
      {"tn_getProof",
       "Merkle proofs against a block's stateRoot (docs/STATE.md, \"Proofs\"): of the account's "
       "record (its nonce and balance) and of further state keys (module state, docs/MODULES.md), "
       "each an inclusion proof with its value or, for an absent key, an exclusion proof. Only the "
       "latest block's state is kept, so the block must be the head.",
       {{"address", "Address", true},
        {"keys", "Data[] (state keys, at most 100 of at most 1024 bytes)", false},
        {"block",
         "Quantity|Tag (latest, pending, earliest, safe, finalized)|Hash|{blockNumber}|{blockHash}",
         false}},
       "{blockNumber, blockHash, stateRoot, address, nonce, balance, accountProof, stateProofs: "
       "[...]}, each proof {key, value (null: absent), leaf: {path, valueHash} | null, siblings, "
       "proof (the serialized form)}",
       [be](const Params& p, CallContext&) -> json::value {
         constexpr std::size_t kMaxKeys = 100, kMaxKeyBytes = 1024;
         const Address account = p.get(0, parse::address);
         std::vector<Bytes> keys;
         if (p.has(1)) {
           keys = p.get(1, [&](const json::value& v) {
             if (!v.is_array()) throw std::invalid_argument("expected an array of state keys");
             const json::array& a = v.as_array();
             if (a.size() > kMaxKeys)
               throw std::invalid_argument(fmt::format("{} keys, at most {}", a.size(), kMaxKeys));
             std::vector<Bytes> out;
             for (const json::value& k : a) {
               out.push_back(parse::data(k));
               if (out.back().size() > kMaxKeyBytes)
                 throw std::invalid_argument(
                     fmt::format("a key of {} bytes, at most {}", out.back().size(), kMaxKeyBytes));
             }
             return out;
           });
         }
         const BlockTag tag = p.getOr(2, parse::blockTag, BlockTag::latest());
         const StateProofView v = be->stateProof(account, keys, tag);
         auto entry = [](const StateProofView::Entry& e) {
           json::array siblings;
           for (const Hash32& h : e.proof.siblings) siblings.push_back(json::string(h.hex()));
           json::value leaf = nullptr;
           if (e.proof.leaf)
             leaf = json::object{{"path", e.proof.leaf->path.hex()},
                                 {"valueHash", e.proof.leaf->valueHash.hex()}};
           return json::object{{"key", toHex(e.key)},
                               {"value", e.value ? json::value(toHex(*e.value)) : nullptr},
                               {"leaf", std::move(leaf)},
                               {"siblings", std::move(siblings)},
                               {"proof", toHex(e.proof.serialize())}};
         };
         json::array entries;
         for (const StateProofView::Entry& e : v.entries) entries.push_back(entry(e));
         json::object out;
         out["blockNumber"] = toQuantity(v.blockNumber);
         out["blockHash"] = v.blockHash.hex();
         out["stateRoot"] = v.stateRoot.hex();
         out["address"] = account.checksumHex();
         out["nonce"] = toQuantity(v.nonce);
         out["balance"] = toQuantity(v.balance);
         out["accountProof"] = entry(v.account);
         out["stateProofs"] = std::move(entries);
         return out;
       }});

  d.add({"tn_getConsensusState",
         "The consensus engine's view: the engine (\"dev\" or \"tendermint\"), the height being "
         "decided, its round and step, the lock, the round's proposer, this node's validator "
         "address, the validator set with voting power and proposer priority, the best height "
         "peers report, what became of the transactions peers sent and of their requests, and the "
         "peer messages waiting to be handled, and the p2p host's counters.",
         {},
         "{engine, height, round, step, lockedRound, lockedBlock, validRound, proposer, self, "
         "validators: [{address, power, proposerPriority}], totalPower, bestPeerHeight, syncing, "
         "peers, peerTxs: {received, known, recovered, admitted, refused, throttled}, "
         "peerRequests: {served, unserved}, inboxBytes, p2p: {framesIn, framesOut, "
         "gossipDuplicates, handshakeFailures, bansIssued, refusedBanned, readsPaused, "
         "sendQueueBytes, queueFullCloses, queueBudgetCloses, pexRequestsIgnored, readBufferBytes, "
         "readBudgetCloses, readsThrottled, inboundThrottled}}",
         [be](const Params&, CallContext&) -> json::value { return be->consensusState(); }});
}

}  // namespace tn::rpc
