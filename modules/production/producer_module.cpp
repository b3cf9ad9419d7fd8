// The XxxProducer ABI (spec/abi/OilProducer.abi.json; the four are identical): wells, their
// review and validity (RULES.md §4), and their shares. Wells live under one key space for all
// kinds; a producer module answers only for wells of its own kind.
#include "modules/production/producer_module.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "modules/catalog/catalog.hpp"
#include "modules/governance/params.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/production/common.hpp"
#include "modules/production/prices.hpp"
#include "modules/registry/registry.hpp"
#include "modules/roles/roles.hpp"

namespace tn::production {

namespace {

constexpr std::string_view kAddProducer =
    "AddProducer(bytes32,(string,address,uint256,uint256,string))";
constexpr std::string_view kUpdateProducer =
    "UpdateProducer(bytes32,(string,address,uint256,uint256,string),(string,address,uint256,"
    "uint256,string))";
constexpr std::string_view kSetProducerStatus = "SetProducerStatus(bytes32,bytes32,uint8)";
constexpr std::string_view kSetHolder = "SetHolder(bytes32,address,uint256,uint256,uint256)";
constexpr std::string_view kSplitHolder = "SplitHolder(bytes32,address,address,uint256)";
constexpr std::string_view kDeleteHolder = "DeleteHolder(bytes32,address)";
constexpr std::string_view kRegisterTrustedRequest =
    "RegisterTrustedDataRequest(string,bytes32,bytes32)";

abi::Value coreValue(const Well& w) {
  return abi::ValueList{w.nickname, w.owner, w.api, w.sulphur, w.account};
}

// The ProducerCore of an addProducer/updateProdcuer call, validated for the kind (RULES.md §4).
Well coreFields(const abi::Value& core, const kinds::Kind& kind) {
  const abi::ValueList& c = core.asList();
  Well w;
  w.kind = kind.name;
  w.nickname = c[0].asString();
  w.owner = c[1].asAddress();
  w.api = c[2].asUint();
  w.sulphur = c[3].asUint();
  w.account = c[4].asString();
  if (w.owner.isZero()) throw Revert("zero owner address");
  if (w.nickname.empty()) throw Revert("empty nickname");
  if (kind.discounted && (w.api == 0 || w.sulphur == 0))
    throw Revert("API and sulphur must be non-zero");
  if (!kind.physical && w.account.empty()) throw Revert("empty mining account");
  return w;
}

uint64_t maxHolders(const StateReader& state) {
  return params::load(state).maxHolders;
}

U256 totalShared(const std::vector<Holder>& holders) {
  U256 total = 0;
  for (const Holder& h : holders) total += h.ratio;
  return total;
}

// ------------------------------------------------------------------------------------ wells

abi::ValueList addProducer(CallContext& ctx, const abi::ValueList& a) {
  const kinds::Kind kind = kindAt(ctx);
  const Hash32 id = a[0].asBytes32();
  if (id.isZero()) throw Revert("zero uniqueId");
  if (loadWell(ctx.state(), id)) throw Revert("well already exists");
  Well w = coreFields(a[1], kind);
  if (ctx.sender != w.owner) throw Revert("caller must be the well owner");
  if (!registry::isApproved(ctx.state(), ctx.sender, kind.name))
    throw Revert(fmt::format("producer not approved for {}", kind.name));
  storeWell(ctx, id, w);
  emitEvent(ctx, kAddProducer, {id, coreValue(w)});
  return {};
}

abi::ValueList setProducerStatus(CallContext& ctx, const abi::ValueList& a) {
  const kinds::Kind kind = kindAt(ctx);
  const auto status = WellStatus(enumArg(a[1], uint8_t(WellStatus::Deactive)));
  roles::require(ctx, roles::Role::FoundationManager);
  const Hash32 id = a[0].asBytes32();
  Well w = requireWell(ctx, id, kind);
  if (status == WellStatus::NotSet) throw Revert("invalid status");
  // Only a review (NotSet -> Active) extends validity; re-activating a Deactive well does not.
  if (status == WellStatus::Active && w.status == WellStatus::NotSet) {
    const U256 from = std::max(w.validUntil, ctx.block.timestamp);
    w.validUntil = toU64(from + params::load(ctx.state()).wellValiditySeconds);
  }
  w.status = status;
  storeWell(ctx, id, w);
  const Hash32 requestId = oracle::trustedDataRequestId(kind.data, id);
  if (status == WellStatus::Active)
    ctx.emitAt(kind.data, ctx.modules.event(kind.data, kRegisterTrustedRequest),
               {kind.name, id, requestId});
  emitEvent(ctx, kSetProducerStatus, {id, requestId, uint64_t(status)});
  return {};
}

abi::ValueList updateProducer(CallContext& ctx, const abi::ValueList& a) {
  const kinds::Kind kind = kindAt(ctx);
  const Hash32 id = a[0].asBytes32();
  const Well old = requireOwnedWell(ctx, id, kind);
  Well w = coreFields(a[1], kind);
  if (w.owner != old.owner) throw Revert("owner change not allowed");
  w.status = WellStatus::NotSet;  // back to review (also the annual API/sulphur review)
  w.validUntil = old.validUntil;
  storeWell(ctx, id, w);
  emitEvent(ctx, kUpdateProducer, {id, coreValue(old), coreValue(w)});
  return {};
}

// ----------------------------------------------------------------------------------- shares

abi::ValueList setHolders(CallContext& ctx, const abi::ValueList& a) {
  const kinds::Kind kind = kindAt(ctx);
  const Hash32 id = a[0].asBytes32();
  const Well w = requireOwnedWell(ctx, id, kind);
  const abi::ValueList& addrs = a[1].asList();
  const abi::ValueList& ratios = a[2].asList();
  if (addrs.size() != ratios.size()) throw Revert("holders and ratios must have same length");
  std::map<Address, U256> after;
  for (const Holder& h : loadHolders(ctx.state(), id)) after[h.account] = h.ratio;
  std::set<Address> seen;
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    const Address& who = addrs[i].asAddress();
    const U256& ratio = ratios[i].asUint();
    if (who.isZero()) throw Revert("zero holder address");
    if (who == w.owner) throw Revert("the owner is not a holder");
    if (!seen.insert(who).second) throw Revert("duplicate holder " + who.checksumHex());
    if (ratio > kMaxPieces) throw Revert("ratio exceeds 100");
    after[who] = ratio;  // ratios are absolute
  }
  const uint64_t limit = maxHolders(ctx.state());
  if (after.size() > limit) throw Revert(fmt::format("more than {} holders", limit));
  U256 total = 0;
  for (const auto& [who, ratio] : after) total += ratio;
  if (total > kMaxPieces) throw Revert("total ratio exceeds 100");
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    storeHolder(ctx, id, addrs[i].asAddress(), ratios[i].asUint());
    emitEvent(ctx, kSetHolder,
              {id, addrs[i].asAddress(), ratios[i].asUint(), uint64_t(after.size()), total});
  }
  return {};
}

abi::ValueList splitHolder(CallContext& ctx, const abi::ValueList& a) {
  const kinds::Kind kind = kindAt(ctx);
  const Hash32 id = a[0].asBytes32();
  const Well w = requireWell(ctx, id, kind);
  const Address& to = a[1].asAddress();
  const U256& ratio = a[2].asUint();
  const Address& from = ctx.sender;
  const std::optional<U256> fromRatio = holderRatio(ctx.state(), id, from);
  if (!fromRatio) throw Revert("not a share holder");
  if (to.isZero()) throw Revert("receiver must not be zero address");
  if (to == w.owner) throw Revert("receiver must not be the owner");
  if (to == from) throw Revert("cannot split to itself");
  if (ratio == 0) throw Revert("zero ratio");
  if (ratio > *fromRatio) throw Revert("sender's ratio not enough");
  const std::optional<U256> toRatio = holderRatio(ctx.state(), id, to);
  const uint64_t limit = maxHolders(ctx.state());
  if (!toRatio && loadHolders(ctx.state(), id).size() + 1 > limit)
    throw Revert(fmt::format("more than {} holders", limit));
  const U256 newFrom = *fromRatio - ratio;
  const U256 newTo = toRatio.value_or(0) + ratio;
  storeHolder(ctx, id, from, newFrom);
  storeHolder(ctx, id, to, newTo);
  emitEvent(ctx, kSplitHolder, {id, from, to, ratio});
  return {newFrom, newTo};
}

abi::ValueList deleteHolder(CallContext& ctx, const abi::ValueList& a) {
  const kinds::Kind kind = kindAt(ctx);
  const Hash32 id = a[0].asBytes32();
  const Well w = requireOwnedWell(ctx, id, kind);
  const Address& who = a[1].asAddress();
  const std::optional<U256> ratio = holderRatio(ctx.state(), id, who);
  if (!ratio) throw Revert("not a share holder");
  if (*ratio != 0) throw Revert("holder must have zero share");
  eraseHolder(ctx, id, who);
  emitEvent(ctx, kDeleteHolder, {id, who});
  return {};
}

// ------------------------------------------------------------------------------------ views

// A view over the well named by the first argument: `f(ctx, args, id, well-or-nullopt)`, where a
// well of another kind counts as absent.
template <class F>
CallHandler wellView(F f) {
  return [f](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
    const kinds::Kind kind = kindAt(ctx);
    const Hash32 id = a[0].asBytes32();
    return f(ctx, a, id, wellOfKind(ctx.state(), id, kind));
  };
}
using MaybeWell = std::optional<Well>;

std::vector<Holder> holdersOf(CallContext& ctx, const Hash32& id, const MaybeWell& w) {
  return w ? loadHolders(ctx.state(), id) : std::vector<Holder>{};
}

}  // namespace

std::vector<CallDecl> ProducerModule::calls() {
  const std::string core = "(string,address,uint256,uint256,string)";
  std::vector<CallDecl> c;
  c.push_back(
      viewCall("FOUNDATION_MANAGER()", "bytes32", constantHandler(roleId("FOUNDATION_MANAGER"))));
  c.push_back(viewCall("MAX_PIECES()", "uint256", constantHandler(kMaxPieces)));
  c.push_back(viewCall("maxShares()", "uint256", constantHandler(kMaxPieces)));
  c.push_back(viewCall("MAX_HOLDERS()", "uint256",
                       [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                         return {maxHolders(ctx.state())};
                       }));
  c.push_back(viewCall("getMulSigContract()", "address", constantHandler(kMulSigAddress)));

  c.push_back(txCall("addProducer(bytes32," + core + ")", "", addProducer));
  c.push_back(txCall("setProducerStatus(bytes32,uint8)", "", setProducerStatus));
  c.push_back(txCall("updateProdcuer(bytes32," + core + ")", "", updateProducer));
  c.push_back(txCall("setHolders(bytes32,address[],uint256[])", "", setHolders));
  c.push_back(txCall("splitHolder(bytes32,address,uint256)", "uint256,uint256", splitHolder));
  c.push_back(txCall("deleteHolder(bytes32,address)", "", deleteHolder));

  c.push_back(
      viewCall("getProducer(bytes32)", "uint8," + core,
               wellView([](CallContext&, const abi::ValueList&, const Hash32&,
                           const MaybeWell& w) -> abi::ValueList {
                 const Well none;
                 return {uint64_t(w ? w->status : WellStatus::NotSet), coreValue(w ? *w : none)};
               })));
  c.push_back(viewCall("producerStatus(bytes32)", "uint8",
                       wellView([](CallContext&, const abi::ValueList&, const Hash32&,
                                   const MaybeWell& w) -> abi::ValueList {
                         return {uint64_t(w ? w->status : WellStatus::NotSet)};
                       })));
  c.push_back(viewCall(
      "getWellValidity(bytes32)", "uint256",
      wellView([](CallContext&, const abi::ValueList&, const Hash32&,
                  const MaybeWell& w) -> abi::ValueList { return {w ? w->validUntil : 0}; })));
  c.push_back(viewCall("isProducerOwner(bytes32,address)", "bool",
                       wellView([](CallContext&, const abi::ValueList& a, const Hash32&,
                                   const MaybeWell& w) -> abi::ValueList {
                         return {w && w->owner == a[1].asAddress()};
                       })));
  // holder(): index is the position in ascending address order; flag 1 = Holder.
  c.push_back(viewCall("holder(bytes32,address)", "(uint256,uint256,uint8)",
                       wellView([](CallContext& ctx, const abi::ValueList& a, const Hash32& id,
                                   const MaybeWell& w) -> abi::ValueList {
                         const auto hs = holdersOf(ctx, id, w);
                         auto it = std::find_if(hs.begin(), hs.end(), [&](const Holder& h) {
                           return h.account == a[1].asAddress();
                         });
                         if (it == hs.end()) return {abi::ValueList{0, 0, 0}};
                         return {abi::ValueList{uint64_t(it - hs.begin()), it->ratio, 1}};
                       })));
  c.push_back(viewCall("isHolder(bytes32,address)", "bool",
                       wellView([](CallContext& ctx, const abi::ValueList& a, const Hash32& id,
                                   const MaybeWell& w) -> abi::ValueList {
                         return {w && holderRatio(ctx.state(), id, a[1].asAddress()).has_value()};
                       })));
  c.push_back(viewCall("totalHolders(bytes32)", "uint256",
                       wellView([](CallContext& ctx, const abi::ValueList&, const Hash32& id,
                                   const MaybeWell& w) -> abi::ValueList {
                         return {uint64_t(holdersOf(ctx, id, w).size())};
                       })));
  c.push_back(viewCall("totalShared(bytes32)", "uint256",
                       wellView([](CallContext& ctx, const abi::ValueList&, const Hash32& id,
                                   const MaybeWell& w) -> abi::ValueList {
                         return {totalShared(holdersOf(ctx, id, w))};
                       })));
  c.push_back(viewCall("calculateRewards(bytes32,uint256)", "address[],uint256[]",
                       wellView([](CallContext& ctx, const abi::ValueList& a, const Hash32& id,
                                   const MaybeWell& w) -> abi::ValueList {
                         if (!w) throw Revert("well not found");
                         abi::ValueList to, amounts;
                         for (const Payout& p :
                              splitByShares(w->owner, holdersOf(ctx, id, w), a[1].asUint())) {
                           to.push_back(p.to);
                           amounts.push_back(p.amount);
                         }
                         return {to, amounts};
                       })));

  // DApp links and the MulSig pointer are not part of this node's rules: no dapp is ever
  // registered, and the MulSig address is fixed.
  c.push_back(viewCall("getDAppPayee(bytes32)", "address",
                       [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                         kindAt(ctx);
                         throw Revert("dapp with this dappId not registered yet");
                       }));
  c.push_back(txCall("link(bytes32[],bytes32,bytes32)", "",
                     [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                       kindAt(ctx);
                       if (a[0].asList().empty()) throw Revert("at least 1 uniqueId is required");
                       throw Revert("dapp with this id not found");
                     }));
  c.push_back(txCall("registerDAppConnect(string,address)", "bytes32",
                     disabledHandler("dapp registration is not supported")));
  c.push_back(txCall("setMulSigContract(address)", "",
                     [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                       kindAt(ctx);
                       roles::require(ctx, roles::Role::FoundationManager);
                       disabled("the MulSig address is fixed");
                     }));
  c.push_back(txCall("initialize(address,address,string,address,string[],address[])", "",
                     alreadyInitializedHandler()));
  return c;
}

std::vector<EventDecl> ProducerModule::events() {
  std::vector<EventDecl> e;
  for (std::string_view sig :
       {kAddProducer, kDeleteHolder, std::string_view("Initialized(uint8)"),
        std::string_view("Link(bytes32,bytes32[],uint256[],string[],bytes32)"),
        std::string_view("RegisterDAppConnect(string,address,bytes32)"), kSetHolder,
        kSetProducerStatus, kSplitHolder, kUpdateProducer})
    e.push_back(plainEvent(sig));
  e.push_back(eventDecl("MulSigContractUpdated(address,address)", {true, true}));
  return e;
}

}  // namespace tn::production
