#include "apps/treasurenetd/descriptors.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace tn {

namespace {
constexpr std::size_t kStoreOtherFiles = 64;  // WAL, MANIFEST, LOG, LOCK, CURRENT, OPTIONS, ...
constexpr std::size_t kProcessFiles = 64;
constexpr uint64_t kMaxRaise = uint64_t{1} << 20;
}  // namespace

std::size_t reservedDescriptors(std::size_t storeTableFiles, std::size_t p2pPeers) {
  return storeTableFiles + kStoreOtherFiles + p2pPeers + kProcessFiles;
}

std::size_t rpcConnectionsWithin(uint64_t limit, std::size_t wanted, std::size_t reserved) {
  const uint64_t left = limit > reserved ? limit - reserved : 0;
  return std::max<uint64_t>(kMinRpcConnections, std::min<uint64_t>(wanted, left));
}

uint64_t raiseDescriptorLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  const rlim_t target =
      r.rlim_max == RLIM_INFINITY ? kMaxRaise : std::min<rlim_t>(r.rlim_max, kMaxRaise);
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < target) {
    rlimit raised = r;
    raised.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
  }
  return r.rlim_cur == RLIM_INFINITY ? kMaxRaise : uint64_t(r.rlim_cur);
}

}  // namespace tn
