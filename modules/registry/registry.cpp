#include "modules/registry/registry.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "chain/rlp.hpp"
#include "modules/catalog/catalog.hpp"
#include "modules/catalog/util.hpp"
#include "modules/governance/kinds.hpp"
#include "modules/roles/roles.hpp"

namespace tn::registry {

namespace {

constexpr std::string_view kAppPrefix = "registry/app/";
constexpr std::string_view kByKindPrefix = "registry/ik/";
constexpr std::string_view kByStatusPrefix = "registry/is/";
constexpr std::string_view kByStatusKindPrefix = "registry/isk/";

constexpr std::size_t kMaxName = 128;
constexpr std::size_t kMaxReason = 256;

Bytes statusPart(Status s) { return Bytes{uint8_t(s)}; }
// Length-prefixed, so that a kind's range never contains a longer kind with the same start.
Bytes kindPart(std::string_view kind) {
  Bytes out{uint8_t(kind.size())};
  append(out, asBytes(kind));
  return out;
}

Bytes appKey(const Address& producer, std::string_view kind) {
  return modutil::key(kAppPrefix, {producer.view(), asBytes(kind)});
}

// The index entries an application has in its current status.
std::vector<Bytes> indexKeys(const Application& a) {
  return {modutil::key(kByKindPrefix, {kindPart(a.kind), a.producer.view()}),
          modutil::key(kByStatusPrefix, {statusPart(a.status), a.producer.view(), asBytes(a.kind)}),
          modutil::key(kByStatusKindPrefix,
                       {statusPart(a.status), kindPart(a.kind), a.producer.view()})};
}

Bytes encode(const Application& a) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(uint64_t(a.status)).str(a.name).bytes(a.documentsHash.view()).str(a.reason).uint(a.updatedAt);
  e.endList(m);
  return e.take();
}

Application decode(const Address& producer, std::string_view kind, BytesView raw) {
  auto it = rlp::decode(raw).items();
  if (it.size() != 5) throw std::runtime_error("corrupt producer application record");
  uint64_t status = it[0].toU64();
  if (status < 1 || status > 3) throw std::runtime_error("corrupt producer application status");
  Application a;
  a.producer = producer;
  a.kind = std::string(kind);
  a.status = Status(status);
  a.name = std::string(asChars(it[1].bytes()));
  a.documentsHash = Hash32::fromView(it[2].bytes());
  a.reason = std::string(asChars(it[3].bytes()));
  a.updatedAt = it[4].toU64();
  return a;
}

// Writes `next` over `previous` (nullopt: a first application), keeping the indexes in step.
void store(CallContext& ctx, const std::optional<Application>& previous, const Application& next) {
  std::vector<Bytes> before = previous ? indexKeys(*previous) : std::vector<Bytes>{};
  std::vector<Bytes> after = indexKeys(next);
  for (const Bytes& k : before)
    if (std::find(after.begin(), after.end(), k) == after.end()) ctx.erase(k);
  for (const Bytes& k : after)
    if (std::find(before.begin(), before.end(), k) == before.end()) ctx.put(k, Bytes{});
  ctx.put(appKey(next.producer, next.kind), encode(next));
}

// How the keys of one index range end: which of (producer, kind) follow the range prefix.
enum class Tail { ProducerKind, Kind, Producer };

}  // namespace

std::string_view statusName(Status s) {
  switch (s) {
    case Status::None: return "None";
    case Status::Pending: return "Pending";
    case Status::Approved: return "Approved";
    case Status::Rejected: return "Rejected";
  }
  return "";
}

std::optional<Application> load(const StateReader& state, const Address& producer,
                                std::string_view kind) {
  auto raw = state.get(appKey(producer, kind));
  if (!raw) return std::nullopt;
  return decode(producer, kind, *raw);
}

bool isApproved(const StateReader& state, const Address& producer, std::string_view kind) {
  auto a = load(state, producer, kind);
  return a && a->status == Status::Approved;
}

std::vector<Application> list(const StateReader& state, const ListFilter& filter,
                              std::size_t limit,
                              const std::optional<std::pair<Address, std::string>>& after) {
  std::vector<Application> out;
  // None is never stored, and kind names are at most 32 bytes.
  if (limit == 0 || filter.status == Status::None || (filter.kind && filter.kind->size() > 32))
    return out;
  auto accept = [&](const Address& producer, const std::string& kind) {
    if (after && std::tie(producer, kind) <= std::tie(after->first, after->second)) return true;
    auto a = load(state, producer, kind);
    if (!a || (filter.status && a->status != *filter.status)) return true;
    out.push_back(std::move(*a));
    return out.size() < limit;
  };
  if (filter.producer && filter.kind) {
    accept(*filter.producer, *filter.kind);
    return out;
  }

  // Pick the one key range that holds exactly the filtered applications, in (producer, kind) order.
  Bytes prefix;
  Tail tail;
  const Bytes status = filter.status ? statusPart(*filter.status) : Bytes{};
  if (filter.producer) {
    prefix = filter.status ? modutil::key(kByStatusPrefix, {status, filter.producer->view()})
                           : modutil::key(kAppPrefix, {filter.producer->view()});
    tail = Tail::Kind;
  } else if (filter.kind) {
    prefix = filter.status ? modutil::key(kByStatusKindPrefix, {status, kindPart(*filter.kind)})
                           : modutil::key(kByKindPrefix, {kindPart(*filter.kind)});
    tail = Tail::Producer;
  } else {
    prefix = filter.status ? modutil::key(kByStatusPrefix, {status}) : toBytes(kAppPrefix);
    tail = Tail::ProducerKind;
  }
  state.scan(prefix, [&](BytesView k, BytesView) {
    BytesView rest = k.subspan(prefix.size());
    switch (tail) {
      case Tail::Kind: return accept(*filter.producer, std::string(asChars(rest)));
      case Tail::Producer: return accept(Address::fromView(rest), *filter.kind);
      case Tail::ProducerKind:
        return accept(Address::fromView(rest.subspan(0, 20)), std::string(asChars(rest.subspan(20))));
    }
    return false;
  });
  return out;
}

}  // namespace tn::registry

namespace tn {

using modutil::nonpayable;
using modutil::view;
using registry::Application;
using registry::Status;

Address ProducerRegistryModule::address() const { return kProducerRegistryAddress; }

namespace {

// The Pending application an FM decides on.
Application pendingApplication(CallContext& ctx, const Address& producer, const std::string& kind) {
  roles::require(ctx, roles::Role::FoundationManager);
  auto a = registry::load(ctx.state(), producer, kind);
  if (!a) throw Revert(fmt::format("no application of {} for {}", producer.checksumHex(), kind));
  if (a->status != Status::Pending)
    throw Revert(fmt::format("application of {} for {} is {}, not Pending", producer.checksumHex(),
                             kind, registry::statusName(a->status)));
  return *a;
}

// Moves a Pending application to Approved or Rejected.
void decide(CallContext& ctx, const Application& pending, Status status, std::string reason) {
  Application next = pending;
  next.status = status;
  next.reason = std::move(reason);
  next.updatedAt = ctx.block.timestamp;
  registry::store(ctx, pending, next);
}

abi::ValueList registerProducer(CallContext& ctx, const abi::ValueList& a) {
  const std::string& kind = a[0].asString();
  const std::string& name = a[1].asString();
  if (!kinds::byName(ctx.state(), kind))
    throw Revert(fmt::format("unknown asset kind \"{}\"", kind));
  if (name.empty()) throw Revert("empty producer name");
  if (name.size() > registry::kMaxName)
    throw Revert(fmt::format("producer name longer than {} bytes", registry::kMaxName));
  Hash32 documents = a[2].asBytes32();
  if (documents.isZero()) throw Revert("empty documents hash");
  auto previous = registry::load(ctx.state(), ctx.sender, kind);
  if (previous && previous->status == Status::Approved)
    throw Revert(fmt::format("producer already approved for {}", kind));
  // New, a resubmission after a rejection, or an amendment while still Pending.
  Application next{ctx.sender, kind, Status::Pending, name, documents, "", ctx.block.timestamp};
  registry::store(ctx, previous, next);
  ctx.emit(ctx.modules.event(kProducerRegistryAddress,
                             "ProducerRegistered(address,string,string,bytes32)"),
           {ctx.sender, kind, name, documents});
  return {};
}

}  // namespace

std::vector<CallDecl> ProducerRegistryModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(nonpayable("registerProducer(string,string,bytes32)", "", registerProducer));
  c.push_back(nonpayable(
      "approveProducer(address,string)", "",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Application pending = pendingApplication(ctx, a[0].asAddress(), a[1].asString());
        decide(ctx, pending, Status::Approved, "");
        ctx.emit(ctx.modules.event(kProducerRegistryAddress, "ProducerApproved(address,string)"),
                 {pending.producer, pending.kind});
        return {};
      }));
  c.push_back(nonpayable(
      "rejectProducer(address,string,string)", "",
      [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Application pending = pendingApplication(ctx, a[0].asAddress(), a[1].asString());
        const std::string& reason = a[2].asString();
        if (reason.empty()) throw Revert("empty rejection reason");
        if (reason.size() > registry::kMaxReason)
          throw Revert(fmt::format("rejection reason longer than {} bytes", registry::kMaxReason));
        decide(ctx, pending, Status::Rejected, reason);
        ctx.emit(ctx.modules.event(kProducerRegistryAddress,
                                   "ProducerRejected(address,string,string)"),
                 {pending.producer, pending.kind, reason});
        return {};
      }));
  c.push_back(view("getProducerApplication(address,string)", "uint8,string,bytes32,string,uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     Application app = registry::load(ctx.state(), a[0].asAddress(), a[1].asString())
                                           .value_or(Application{});
                     return {uint64_t(app.status), app.name, app.documentsHash, app.reason,
                             app.updatedAt};
                   }));
  return c;
}

std::vector<EventDecl> ProducerRegistryModule::events() {
  using modutil::event;
  return {event("ProducerRegistered(address,string,string,bytes32)", {true, false, false, false}),
          event("ProducerApproved(address,string)", {true, false}),
          event("ProducerRejected(address,string,string)", {true, false, false})};
}

}  // namespace tn
