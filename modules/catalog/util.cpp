#include "modules/catalog/util.hpp"

#include <stdexcept>

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

U256 jsonU256(const boost::json::value& v, std::string_view what) {
  if (v.is_uint64()) return U256(v.as_uint64());
  if (v.is_int64() && v.as_int64() >= 0) return U256(uint64_t(v.as_int64()));
  if (v.is_string()) return u256FromDecimal(std::string_view(v.as_string()));
  throw std::invalid_argument(std::string(what) + " must be a non-negative integer or decimal string");
}

}  // namespace tn::modutil
