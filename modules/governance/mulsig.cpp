// MulSig (0x…1002): proposals signed by distinct FOUNDATION_MANAGERs and executed once they hold
// floor(#FM/2)+1 signatures and the confirm delay has passed since that threshold was reached
// (RULES.md §2). The public contract lets one FM execute an unsigned proposal; this one cannot.
//
// State: "mulsig/next" (next id, 8 bytes), "mulsig/p/<id>" (RLP record), "mulsig/s/<id><signer>"
// (signature time, 8 bytes), "mulsig/pending/<id>" (index of proposals awaiting execution).
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "chain/rlp.hpp"
#include "modules/catalog/catalog.hpp"
#include "modules/catalog/emit.hpp"
#include "modules/catalog/util.hpp"
#include "modules/governance/governance.hpp"
#include "modules/roles/roles.hpp"

namespace tn {

namespace {

using modutil::be64;
using modutil::constant;
using modutil::disabled;
using modutil::nonpayable;
using modutil::view;

enum class Kind : uint64_t {
  Permission = 1,      // proposeToManagePermission
  PlatformConfig = 2,  // proposeToSetPlatformConfig
  DiscountConfig = 3,  // proposeToSetDiscountConfig
  AddResource = 4,     // proposeToAddResource / proposeToAddKind
  SpendPenalty = 5,    // proposeToSpendPenaltyPool (our addition)
};
enum class Status : uint64_t { Pending = 0, Executed = 1, Deleted = 2 };

struct Proposal {
  uint64_t id = 0;
  Kind kind = Kind::Permission;
  std::string name;  // action, parameter or kind name
  Address add;       // account, producer module, or spend recipient
  std::array<U256, 6> a{};
  Address proposer;
  uint64_t createdAt = 0;
  Status status = Status::Pending;
  std::string label;  // AddResource: the unit label of an added kind
};

const Bytes kNextKey = toBytes("mulsig/next");

Bytes proposalKey(uint64_t id) { return modutil::key("mulsig/p/", {be64(id)}); }
Bytes pendingKey(uint64_t id) { return modutil::key("mulsig/pending/", {be64(id)}); }
Bytes signaturePrefix(uint64_t id) { return modutil::key("mulsig/s/", {be64(id)}); }
Bytes signatureKey(uint64_t id, const Address& a) {
  return modutil::key("mulsig/s/", {be64(id), a.view()});
}

Bytes encode(const Proposal& p) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(uint64_t(p.kind)).str(p.name).bytes(p.add.view());
  for (const U256& x : p.a) e.uint(x);
  e.bytes(p.proposer.view()).uint(p.createdAt).uint(uint64_t(p.status)).str(p.label);
  e.endList(m);
  return e.take();
}

Proposal decode(uint64_t id, BytesView raw) {
  auto it = rlp::decode(raw).items();
  if (it.size() != 13) throw std::runtime_error("corrupt proposal record");
  Proposal p;
  p.id = id;
  p.kind = Kind(it[0].toU64());
  p.name = std::string(asChars(it[1].bytes()));
  p.add = Address::fromView(it[2].bytes());
  for (std::size_t i = 0; i < 6; ++i) p.a[i] = it[3 + i].toU256();
  p.proposer = Address::fromView(it[9].bytes());
  p.createdAt = it[10].toU64();
  p.status = Status(it[11].toU64());
  p.label = std::string(asChars(it[12].bytes()));
  return p;
}

uint64_t proposalId(const abi::Value& v) {
  // Ids beyond 64 bits never exist; treat them as unknown rather than failing to decode.
  if (v.asUint() > std::numeric_limits<uint64_t>::max()) return 0;
  return v.asU64();
}

std::optional<Proposal> load(const CallContext& ctx, uint64_t id) {
  if (id == 0) return std::nullopt;
  auto raw = ctx.get(proposalKey(id));
  if (!raw) return std::nullopt;
  return decode(id, *raw);
}

Proposal loadPending(const CallContext& ctx, uint64_t id) {
  auto p = load(ctx, id);
  if (!p) throw Revert("proposal not found");
  if (p->status == Status::Executed) throw Revert("proposal already executed");
  if (p->status == Status::Deleted) throw Revert("proposal deleted");
  return *p;
}

void requireFm(const CallContext& ctx) {
  modutil::ContextReader r(ctx);
  if (!roles::has(r, roles::Role::FoundationManager, ctx.sender))
    throw Revert("only foundation manager");
}

struct SignatureState {
  uint64_t valid = 0;                  // signatures by current FOUNDATION_MANAGERs
  uint64_t threshold = 0;
  std::optional<uint64_t> reachedAt;   // block time of the threshold-th valid signature
};

// Only signatures of accounts that are FM now count, so removing an FM also removes its vote;
// the threshold time is derived from the signature times, never stored.
SignatureState signatures(const CallContext& ctx, uint64_t id) {
  modutil::ContextReader r(ctx);
  std::vector<std::pair<uint64_t, Address>> times;
  Bytes prefix = signaturePrefix(id);
  ctx.scan(prefix, [&](BytesView k, BytesView v) {
    Address signer = Address::fromView(k.subspan(prefix.size()));
    if (roles::has(r, roles::Role::FoundationManager, signer))
      times.emplace_back(modutil::readBe64(v), signer);
    return true;
  });
  std::sort(times.begin(), times.end());
  SignatureState s;
  s.valid = times.size();
  s.threshold = roles::fmThreshold(r);
  if (s.valid >= s.threshold) s.reachedAt = times[s.threshold - 1].first;
  return s;
}

uint64_t confirmDelay(const CallContext& ctx) {
  return params::load(modutil::ContextReader(ctx)).confirmDelaySeconds;
}

// ------------------------------------------------------------------------------ validation

struct PermissionAction {
  roles::Role role;
  bool add;
};

std::optional<PermissionAction> permissionAction(std::string_view name) {
  if (name == "FMA") return PermissionAction{roles::Role::FoundationManager, true};
  if (name == "FMD") return PermissionAction{roles::Role::FoundationManager, false};
  if (name == "FEEDERA") return PermissionAction{roles::Role::Feeder, true};
  if (name == "FEEDERD") return PermissionAction{roles::Role::Feeder, false};
  return std::nullopt;
}

// Checks a proposal against the current state; run at proposal and again at execution.
void validate(const CallContext& ctx, const Proposal& p) {
  modutil::ContextReader r(ctx);
  switch (p.kind) {
    case Kind::Permission: {
      auto act = permissionAction(p.name);
      if (!act) throw Revert("unknown permission action " + p.name + " (FMA, FMD, FEEDERA, FEEDERD)");
      if (p.add.isZero()) throw Revert("MulSig:zero address");
      bool member = roles::has(r, act->role, p.add);
      if (act->add && member)
        throw Revert(fmt::format("account already {}", roles::name(act->role)));
      if (!act->add && !member)
        throw Revert(fmt::format("account is not {}", roles::name(act->role)));
      if (!act->add && act->role == roles::Role::FoundationManager &&
          roles::members(r, act->role).size() == 1)
        throw Revert("cannot remove the last FOUNDATION_MANAGER");
      return;
    }
    case Kind::PlatformConfig:
      if (auto bad = params::validate(p.name, p.a[0])) throw Revert(*bad);
      return;
    case Kind::DiscountConfig:
      if (auto bad = params::validateDiscount({p.a[0], p.a[1], {p.a[2], p.a[3], p.a[4], p.a[5]}}))
        throw Revert(*bad);
      return;
    case Kind::AddResource: {
      if (auto bad = governance::checkKindName(r, p.name)) throw Revert(*bad);
      auto next = governance::nextKindAddresses(r);
      if (!next) throw Revert(fmt::format("too many asset kinds (at most {} added)", kinds::kMaxAddedKinds));
      Address data = Address::fromView(BytesView(u256ToBE32(p.a[0]).bytes).subspan(12));
      if (p.add.isZero() != data.isZero())
        throw Revert(p.add.isZero() ? "empty producer contract" : "empty production data contract");
      if (!p.add.isZero() && (p.add != next->first || data != next->second))
        throw Revert(fmt::format("resource addresses must be the next free pair {} / {}",
                                 next->first.hex(), next->second.hex()));
      return;
    }
    case Kind::SpendPenalty:
      if (p.add.isZero()) throw Revert("MulSig:zero address");
      if (p.a[0] == 0) throw Revert("amount must be positive");
      return;
  }
  throw std::logic_error("unknown proposal kind");
}

void execute(CallContext& ctx, const Proposal& p) {
  switch (p.kind) {
    case Kind::Permission: {
      auto act = *permissionAction(p.name);
      if (act.add)
        roles::grant(ctx, roles::id(act.role), p.add, kMulSigAddress);
      else
        roles::revoke(ctx, roles::id(act.role), p.add, kMulSigAddress);
      return;
    }
    case Kind::PlatformConfig: {
      U256 before = params::get(modutil::ContextReader(ctx), p.name);
      ctx.put(params::key(p.name), modutil::word(p.a[0]));
      if (p.name == "tatPaused" && before != p.a[0])
        emitAt(ctx, kTatAddress, p.a[0] != 0 ? "Paused(address)" : "Unpaused(address)",
               {kMulSigAddress});
      return;
    }
    case Kind::DiscountConfig:
      ctx.put(params::discountKey(),
              params::encodeDiscount({p.a[0], p.a[1], {p.a[2], p.a[3], p.a[4], p.a[5]}}));
      return;
    case Kind::AddResource: {
      auto next = *governance::nextKindAddresses(modutil::ContextReader(ctx));
      kinds::Kind k{p.name, true, p.a[1] != 0, next.first, next.second,
                    p.label.empty() ? "unit" : p.label};
      governance::addKind(ctx, k);
      return;
    }
    case Kind::SpendPenalty:
      ctx.ledger().transfer(ctx.state(), kPenaltyPool, p.add, p.a[0]);
      return;
  }
}

uint64_t store(CallContext& ctx, Proposal p) {
  auto raw = ctx.get(kNextKey);
  uint64_t id = raw ? modutil::readBe64(*raw) : 1;
  p.id = id;
  p.proposer = ctx.sender;
  p.createdAt = ctx.block.timestamp;
  p.status = Status::Pending;
  ctx.put(kNextKey, be64(id + 1));
  ctx.put(proposalKey(id), encode(p));
  ctx.put(pendingKey(id), Bytes{1});
  return id;
}

// Runs the common part of every propose call and returns the new id.
uint64_t propose(CallContext& ctx, const Proposal& p) {
  requireFm(ctx);
  validate(ctx, p);
  return store(ctx, p);
}

abi::Value details(const CallContext& ctx, const Proposal& p) {
  uint64_t executeTime = 0;
  if (p.status == Status::Pending) {
    SignatureState s = signatures(ctx, p.id);
    if (s.reachedAt) executeTime = *s.reachedAt + confirmDelay(ctx);
  }
  return abi::ValueList{p.name, p.add, p.a[0], p.a[1], p.a[2], p.a[3], p.a[4], p.a[5],
                        executeTime};
}

}  // namespace

Address MulSigModule::address() const { return kMulSigAddress; }

std::vector<CallDecl> MulSigModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(constant("FOUNDATION_MANAGER()", "bytes32", roles::id(roles::Role::FoundationManager)));
  c.push_back(constant("FEEDER()", "bytes32", roles::id(roles::Role::Feeder)));

  c.push_back(nonpayable(
      "proposeToManagePermission(string,address)", "bool",
      [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Proposal p;
        p.kind = Kind::Permission;
        p.name = a[0].asString();
        p.add = a[1].asAddress();
        uint64_t id = propose(ctx, p);
        ctx.emit(ctx.modules.event(address(), "ManagePermission(uint256,address,string,address)"),
                 {id, ctx.sender, p.name, p.add});
        return {true};
      }));
  c.push_back(nonpayable(
      "proposeToSetPlatformConfig(string,uint256)", "bool",
      [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Proposal p;
        p.kind = Kind::PlatformConfig;
        p.name = a[0].asString();
        p.a[0] = a[1].asUint();
        uint64_t id = propose(ctx, p);
        ctx.emit(ctx.modules.event(address(), "SetPlatformConfig(uint256,address,string,uint256)"),
                 {id, ctx.sender, p.name, p.a[0]});
        return {true};
      }));
  c.push_back(nonpayable(
      "proposeToSetDiscountConfig(uint256,uint256,uint256,uint256,uint256,uint256)", "bool",
      [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Proposal p;
        p.kind = Kind::DiscountConfig;
        p.name = "DiscountConfig";
        for (std::size_t i = 0; i < 6; ++i) p.a[i] = a[i].asUint();
        uint64_t id = propose(ctx, p);
        abi::Value config = abi::ValueList{p.a[0], p.a[1],
                                           abi::ValueList{p.a[2], p.a[3], p.a[4], p.a[5]}};
        ctx.emit(ctx.modules.event(address(),
                                   "SetDiscountConfig(uint256,address,(uint256,uint256,uint256[4]))"),
                 {id, ctx.sender, config});
        return {true};
      }));
  auto addResource = [this](CallContext& ctx, std::string name, const Address& producer,
                            const Address& data, bool discounted, std::string label) {
    Proposal p;
    p.kind = Kind::AddResource;
    p.name = std::move(name);
    p.add = producer;
    p.a[0] = u256FromBE(data.view());
    p.a[1] = discounted ? 1 : 0;
    p.label = std::move(label);
    uint64_t id = propose(ctx, p);
    ctx.emit(ctx.modules.event(address(), "AddResource(uint256,address,string,address,address)"),
             {id, ctx.sender, p.name, producer, data});
  };
  c.push_back(nonpayable("proposeToAddResource(string,address,address)", "bool",
                         [addResource](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           addResource(ctx, a[0].asString(), a[1].asAddress(), a[2].asAddress(),
                                       false, "");
                           return {true};
                         }));
  // Our addition: a physical kind with the OIL discount flag and a unit label; addresses are
  // assigned at execution (the next free pair from 0x…1050).
  c.push_back(nonpayable("proposeToAddKind(string,bool,string)", "bool",
                         [addResource](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           if (a[2].asString().size() > 32) throw Revert("unit label longer than 32 bytes");
                           addResource(ctx, a[0].asString(), Address(), Address(), a[1].asBool(),
                                       a[2].asString());
                           return {true};
                         }));
  // Our addition: spending the penalty pool (0x…1008) to `to`.
  c.push_back(nonpayable(
      "proposeToSpendPenaltyPool(address,uint256)", "bool",
      [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        Proposal p;
        p.kind = Kind::SpendPenalty;
        p.name = "SpendPenaltyPool";
        p.add = a[0].asAddress();
        p.a[0] = a[1].asUint();
        uint64_t id = propose(ctx, p);
        ctx.emit(ctx.modules.event(address(), "SpendPenaltyPool(uint256,address,address,uint256)"),
                 {id, ctx.sender, p.add, p.a[0]});
        return {true};
      }));
  c.push_back(disabled("proposeToRegisterDApp(string,string,address)", "bool",
                       "disabled: DApp connections are not part of this chain"));
  c.push_back(disabled(
      "proposeToSetCrosschainToken(string,address,address,uint256,address,address,uint256,uint256,uint256)",
      "bool", "disabled: cross-chain tokens are not part of this chain"));

  c.push_back(nonpayable(
      "signTransaction(uint256)", "bool",
      [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        requireFm(ctx);
        Proposal p = loadPending(ctx, proposalId(a[0]));
        if (ctx.get(signatureKey(p.id, ctx.sender))) throw Revert("already signed");
        ctx.put(signatureKey(p.id, ctx.sender), be64(ctx.block.timestamp));
        ctx.emit(ctx.modules.event(address(), "ProposalSigned(uint256,address)"),
                 {p.id, ctx.sender});
        return {true};
      }));
  c.push_back(nonpayable(
      "executeProposal(uint256)", "bool",
      [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        requireFm(ctx);
        Proposal p = loadPending(ctx, proposalId(a[0]));
        SignatureState s = signatures(ctx, p.id);
        if (!s.reachedAt)
          throw Revert(fmt::format("not enough signatures: have {}, need {}", s.valid, s.threshold));
        uint64_t executeTime = *s.reachedAt + confirmDelay(ctx);
        if (ctx.block.timestamp < executeTime)
          throw Revert(fmt::format("executeTime not meet: executable at {}", executeTime));
        validate(ctx, p);  // the state may have moved since the proposal was made
        p.status = Status::Executed;
        ctx.put(proposalKey(p.id), encode(p));
        ctx.erase(pendingKey(p.id));
        execute(ctx, p);
        ctx.emit(ctx.modules.event(address(), "ProposalExecuted(uint256)"), {p.id});
        return {true};
      }));
  c.push_back(nonpayable(
      "deleteProposals(uint256)", "",
      [this](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
        requireFm(ctx);
        Proposal p = loadPending(ctx, proposalId(a[0]));
        p.status = Status::Deleted;
        ctx.put(proposalKey(p.id), encode(p));
        ctx.erase(pendingKey(p.id));
        ctx.emit(ctx.modules.event(address(), "ProposalDeleted(uint256,address)"),
                 {p.id, ctx.sender});
        return {};
      }));

  c.push_back(view("getPendingProposals()", "uint256[]",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     requireFm(ctx);
                     abi::ValueList ids;
                     Bytes prefix = toBytes("mulsig/pending/");
                     ctx.scan(prefix, [&](BytesView k, BytesView) {
                       ids.emplace_back(modutil::readBe64(k.subspan(prefix.size())));
                       return true;
                     });
                     return {abi::Value(std::move(ids))};
                   }));
  c.push_back(view("transactionDetails(uint256)",
                   "(string,address,uint256,uint256,uint256,uint256,uint256,uint256,uint256)",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     auto p = load(ctx, proposalId(a[0]));
                     if (!p) throw Revert("proposal not found");
                     return {details(ctx, *p)};
                   }));
  c.push_back(view("getSignatureCount(uint256)", "uint8",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     uint64_t id = proposalId(a[0]);
                     uint64_t n = id == 0 ? 0 : signatures(ctx, id).valid;
                     return {std::min<uint64_t>(n, 255)};
                   }));
  c.push_back(view("hasAlreadySigned(uint256,address)", "bool",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     uint64_t id = proposalId(a[0]);
                     return {id != 0 && ctx.get(signatureKey(id, a[1].asAddress())).has_value()};
                   }));
  c.push_back(view("getCurrentValues()", "address,address,address,address,address,uint256",
                   [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                     return {Address(), kGovernanceAddress, kRolesAddress, kParameterInfoAddress,
                             Address(), confirmDelay(ctx)};
                   }));
  modutil::appendCalls(c, modutil::ownableCalls("initialize(address,address,address,address,address,uint256)"));
  return c;
}

std::vector<EventDecl> MulSigModule::events() {
  using modutil::event;
  auto e = modutil::ownableEvents();
  e.push_back(event("AddResource(uint256,address,string,address,address)", {false, false, false, false, false}));
  e.push_back(event("ManagePermission(uint256,address,string,address)", {false, false, false, false}));
  e.push_back(event("ProposalExecuted(uint256)", {false}));
  e.push_back(event("ProposalSigned(uint256,address)", {false, false}));
  e.push_back(event("RegisterDApp(uint256,address,string,string,address)", {false, false, false, false, false}));
  e.push_back(event("SetCrosschainTokenProposed(uint256,address,string)", {false, false, false}));
  e.push_back(event("SetDiscountConfig(uint256,address,(uint256,uint256,uint256[4]))", {false, false, false}));
  e.push_back(event("SetPlatformConfig(uint256,address,string,uint256)", {false, false, false, false}));
  // Our additions.
  e.push_back(event("SpendPenaltyPool(uint256,address,address,uint256)", {false, false, false, false}));
  e.push_back(event("ProposalDeleted(uint256,address)", {false, false}));
  return e;
}

}  // namespace tn
