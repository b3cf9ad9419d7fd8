// Roles (0x…1000, Roles.abi.json): OpenZeppelin-style role membership. FOUNDATION_MANAGER and
// FEEDER come from genesis; afterwards every change goes through an executed MulSig proposal
// (grantRole/revokeRole called directly always revert). State: "roles/m/<role id><address>".
#pragma once

#include <string_view>
#include <vector>

#include "chain/module.hpp"

namespace tn::roles {

enum class Role { FoundationManager, Feeder, Admin };

std::string_view name(Role role);  // "FOUNDATION_MANAGER", "FEEDER", "ADMIN"
Hash32 id(Role role);              // keccak256(name), as the public contracts
Hash32 idOf(std::string_view roleName);

bool has(const StateReader& state, Role role, const Address& account);
bool hasId(const StateReader& state, const Hash32& role, const Address& account);
// Members in ascending address order.
std::vector<Address> members(const StateReader& state, Role role);
std::vector<Address> membersOf(const StateReader& state, const Hash32& role);
// Reverts "caller is not FOUNDATION_MANAGER" (etc.) unless ctx.sender holds the role.
void require(const CallContext& ctx, Role role);
// Multisig threshold: floor(#FOUNDATION_MANAGER / 2) + 1 (RULES.md §2).
uint64_t fmThreshold(const StateReader& state);

// For the MulSig module executing a proposal: grant/revoke and emit RoleGranted/RoleRevoked at
// the Roles address with `sender` as the granting account. Return false when nothing changed.
bool grant(CallContext& ctx, const Hash32& role, const Address& account, const Address& sender);
bool revoke(CallContext& ctx, const Hash32& role, const Address& account, const Address& sender);

// The role names genesis may configure (and that MulSig can manage).
const std::vector<std::string_view>& knownRoleNames();

}  // namespace tn::roles

namespace tn {

class RolesModule final : public Module {
 public:
  std::string name() const override { return "roles"; }
  Address address() const override;
  std::vector<CallDecl> calls() override;
  std::vector<EventDecl> events() override;
  // config: {"FOUNDATION_MANAGER": ["0x…", …], "FEEDER": [...], ...}
  void initGenesis(HookContext& ctx, const boost::json::value& config) override;
};

}  // namespace tn
