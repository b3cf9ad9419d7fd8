#include "modules/catalog/util.hpp"

#include "modules/catalog/catalog.hpp"

namespace tn::modutil {

std::vector<CallDecl> ownableCalls(const std::string& initializeSig) {
  std::vector<CallDecl> out;
  out.push_back(constant("owner()", "address", kMulSigAddress));
  out.push_back(disabled("transferOwnership(address)", "", "Ownable: caller is not the owner"));
  out.push_back(disabled("renounceOwnership()", "", "Ownable: caller is not the owner"));
  out.push_back(disabled(initializeSig, "", "Initializable: contract is already initialized"));
  return out;
}

std::vector<EventDecl> ownableEvents() {
  return {event("Initialized(uint8)", {false}),
          event("OwnershipTransferred(address,address)", {true, true})};
}

}  // namespace tn::modutil
