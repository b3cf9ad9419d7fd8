#include "modules/roles/roles.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "modules/catalog/catalog.hpp"
#include "modules/catalog/emit.hpp"
#include "modules/catalog/util.hpp"

namespace tn::roles {

namespace {

constexpr std::string_view kMemberPrefix = "roles/m/";
const Bytes kPresent{1};

Bytes memberKey(const Hash32& role, const Address& a) {
  return modutil::key(kMemberPrefix, {role.view(), a.view()});
}
Bytes rolePrefix(const Hash32& role) { return modutil::key(kMemberPrefix, {role.view()}); }

std::vector<Address> scanMembers(const Hash32& role,
                                 const std::function<void(BytesView, const ScanFn&)>& scan) {
  std::vector<Address> out;
  Bytes prefix = rolePrefix(role);
  scan(prefix, [&](BytesView k, BytesView) {
    out.push_back(Address::fromView(k.subspan(prefix.size())));
    return true;
  });
  return out;
}

}  // namespace

std::string_view name(Role role) {
  switch (role) {
    case Role::FoundationManager: return "FOUNDATION_MANAGER";
    case Role::Feeder: return "FEEDER";
    case Role::Admin: return "ADMIN";
  }
  return "";
}

Hash32 idOf(std::string_view roleName) { return keccak256(roleName); }
Hash32 id(Role role) { return idOf(name(role)); }

const std::vector<std::string_view>& knownRoleNames() {
  static const std::vector<std::string_view> names = {
      "ADMIN", "FOUNDATION_MANAGER", "FEEDER", "AUCTION_MANAGER", "CROSSCHAIN_SENDER",
      "TCASH_MINTER", "TCASH_BURNER"};
  return names;
}

bool hasId(const StateReader& state, const Hash32& role, const Address& account) {
  return state.get(memberKey(role, account)).has_value();
}
bool has(const StateReader& state, Role role, const Address& account) {
  return hasId(state, id(role), account);
}

std::vector<Address> membersOf(const StateReader& state, const Hash32& role) {
  return scanMembers(role, [&](BytesView p, const ScanFn& fn) { state.scan(p, fn); });
}
std::vector<Address> members(const StateReader& state, Role role) {
  return membersOf(state, id(role));
}

void require(const CallContext& ctx, Role role) {
  if (!ctx.get(memberKey(id(role), ctx.sender)))
    throw Revert(fmt::format("caller is not {}", name(role)));
}

uint64_t fmThreshold(const StateReader& state) {
  return members(state, Role::FoundationManager).size() / 2 + 1;
}

bool grant(CallContext& ctx, const Hash32& role, const Address& account, const Address& sender) {
  if (ctx.get(memberKey(role, account))) return false;
  ctx.put(memberKey(role, account), kPresent);
  emitAt(ctx, kRolesAddress, "RoleGranted(bytes32,address,address)", {role, account, sender});
  return true;
}

bool revoke(CallContext& ctx, const Hash32& role, const Address& account, const Address& sender) {
  if (!ctx.get(memberKey(role, account))) return false;
  ctx.erase(memberKey(role, account));
  emitAt(ctx, kRolesAddress, "RoleRevoked(bytes32,address,address)", {role, account, sender});
  return true;
}

}  // namespace tn::roles

namespace tn {

using modutil::constant;
using modutil::nonpayable;
using modutil::view;

Address RolesModule::address() const { return kRolesAddress; }

namespace {

// Role administration as wired by the public Roles.initialize.
Hash32 roleAdmin(const Hash32& role) {
  if (role == roles::idOf("AUCTION_MANAGER")) return roles::id(roles::Role::FoundationManager);
  for (std::string_view n : roles::knownRoleNames())
    if (role == roles::idOf(n)) return roles::id(roles::Role::Admin);
  return Hash32{};  // DEFAULT_ADMIN_ROLE
}

// Direct grant/revoke: the admin of every role is, in the end, the MulSig module, which holds no
// key; so these always fail with OpenZeppelin's message (RULES.md §2: roles change by multisig).
[[noreturn]] void missingAdmin(const CallContext& ctx) {
  throw Revert(fmt::format("AccessControl: account {} is missing role {}", ctx.sender.hex(),
                           roles::id(roles::Role::Admin).hex()));
}

}  // namespace

std::vector<CallDecl> RolesModule::calls() {
  std::vector<CallDecl> c;
  c.push_back(constant("ADMIN()", "bytes32", roles::idOf("ADMIN")));
  c.push_back(constant("get_ADMIN()", "bytes32", roles::idOf("ADMIN")));
  c.push_back(constant("FOUNDATION_MANAGER()", "bytes32", roles::idOf("FOUNDATION_MANAGER")));
  c.push_back(constant("FEEDER()", "bytes32", roles::idOf("FEEDER")));
  c.push_back(constant("AUCTION_MANAGER()", "bytes32", roles::idOf("AUCTION_MANAGER")));
  c.push_back(constant("get_AUCTION_MANAGER()", "bytes32", roles::idOf("AUCTION_MANAGER")));
  c.push_back(constant("CROSSCHAIN_SENDER()", "bytes32", roles::idOf("CROSSCHAIN_SENDER")));
  c.push_back(constant("TCASH_MINTER()", "bytes32", roles::idOf("TCASH_MINTER")));
  c.push_back(constant("TCASH_BURNER()", "bytes32", roles::idOf("TCASH_BURNER")));
  c.push_back(constant("DEFAULT_ADMIN_ROLE()", "bytes32", Hash32{}));

  c.push_back(view("hasRole(bytes32,address)", "bool",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return {roles::hasId(ctx.state(), a[0].asBytes32(), a[1].asAddress())};
                   }));
  c.push_back(view("getRoleAdmin(bytes32)", "bytes32",
                   [](CallContext&, const abi::ValueList& a) -> abi::ValueList {
                     return {roleAdmin(a[0].asBytes32())};
                   }));
  c.push_back(view("getRoleMemberCount(bytes32)", "uint256",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     return {uint64_t(roles::membersOf(ctx.state(), a[0].asBytes32()).size())};
                   }));
  c.push_back(view("getRoleMember(bytes32,uint256)", "address",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     auto m = roles::membersOf(ctx.state(), a[0].asBytes32());
                     // Solidity's out-of-bounds array access: Panic(0x32).
                     if (a[1].asUint() >= m.size())
                       throw Revert::empty("getRoleMember: index out of bounds");
                     return {m[toU64(a[1].asUint())]};
                   }));
  c.push_back(view("getRoleMemberArray(bytes32)", "address[]",
                   [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                     abi::ValueList out;
                     for (const Address& m : roles::membersOf(ctx.state(), a[0].asBytes32()))
                       out.emplace_back(m);
                     return {abi::Value(std::move(out))};
                   }));
  c.push_back(view("supportsInterface(bytes4)", "bool",
                   [](CallContext&, const abi::ValueList& a) -> abi::ValueList {
                     const Bytes& id = a[0].asBytes();
                     // IERC165, IAccessControl, IAccessControlEnumerable.
                     static const Bytes kIds[] = {{0x01, 0xff, 0xc9, 0xa7},
                                                  {0x79, 0x65, 0xdb, 0x0b},
                                                  {0x5a, 0x05, 0x18, 0x0f}};
                     for (const Bytes& k : kIds)
                       if (id == k) return {true};
                     return {false};
                   }));
  c.push_back(nonpayable("grantRole(bytes32,address)", "",
                         [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                           missingAdmin(ctx);
                         }));
  c.push_back(nonpayable("revokeRole(bytes32,address)", "",
                         [](CallContext& ctx, const abi::ValueList&) -> abi::ValueList {
                           missingAdmin(ctx);
                         }));
  c.push_back(nonpayable("renounceRole(bytes32,address)", "",
                         [](CallContext& ctx, const abi::ValueList& a) -> abi::ValueList {
                           if (a[1].asAddress() != ctx.sender)
                             throw Revert("AccessControl: can only renounce roles for self");
                           // Renouncing would change the FM count (and so the threshold)
                           // outside multisig governance.
                           throw Revert("disabled: roles change only through MulSig proposals");
                         }));
  modutil::appendCalls(
      c, modutil::ownableCalls("initialize(address,address[],address[],address[],address[],address[])"));
  return c;
}

std::vector<EventDecl> RolesModule::events() {
  auto e = modutil::ownableEvents();
  e.push_back(modutil::event("RoleAdminChanged(bytes32,bytes32,bytes32)", {true, true, true}));
  e.push_back(modutil::event("RoleGranted(bytes32,address,address)", {true, true, true}));
  e.push_back(modutil::event("RoleRevoked(bytes32,address,address)", {true, true, true}));
  return e;
}

void RolesModule::initGenesis(HookContext& ctx, const boost::json::value& config) {
  const Bytes present{1};
  auto put = [&](const Hash32& role, const Address& a) {
    ctx.state.put(modutil::key("roles/m/", {role.view(), a.view()}), present);
  };
  // As the public Roles.initialize: the multisig holds ADMIN.
  put(roles::id(roles::Role::Admin), kMulSigAddress);
  if (config.is_null()) return;
  if (!config.is_object()) throw std::invalid_argument("genesis roles: expected an object");
  for (const auto& [roleName, list] : config.as_object()) {
    const auto& known = roles::knownRoleNames();
    if (std::find(known.begin(), known.end(), std::string_view(roleName)) == known.end() ||
        roleName == "ADMIN")
      throw std::invalid_argument("genesis roles: unknown role " + std::string(roleName));
    if (!list.is_array())
      throw std::invalid_argument("genesis roles: " + std::string(roleName) + " must be a list");
    for (const auto& v : list.as_array()) {
      if (!v.is_string())
        throw std::invalid_argument("genesis roles: addresses must be strings");
      Address a = Address::parse(v.as_string());
      if (a.isZero()) throw std::invalid_argument("genesis roles: zero address");
      put(roles::idOf(roleName), a);
    }
  }
}

}  // namespace tn
