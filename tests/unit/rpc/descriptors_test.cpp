// The node's file descriptor budget (apps/treasurenetd/descriptors.hpp): the soft limit is raised
// to the hard one, and RPC connections get what the store and the p2p host leave.
#include "apps/treasurenetd/descriptors.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>

namespace tn {

TEST_CASE("descriptors: RPC connections get what the store and the peers leave, at least 16") {
  const std::size_t reserved = reservedDescriptors(512, 50);
  CHECK(reserved == 512 + 64 + 50 + 64);
  CHECK(rpcConnectionsWithin(1 << 20, 1000, reserved) == 1000);  // plenty
  CHECK(rpcConnectionsWithin(1024, 1000, reserved) ==
        1024 - reserved);  // Debian's default soft limit
  CHECK(rpcConnectionsWithin(700, 1000, reserved) ==
        kMinRpcConnections);  // even the reserve does not fit
  CHECK(rpcConnectionsWithin(1 << 20, 5, reserved) == kMinRpcConnections);
}

TEST_CASE("descriptors: the soft limit is raised to the hard one") {
  rlimit original{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &original) == 0);
  REQUIRE(original.rlim_max > 256);
  rlimit low = original;
  low.rlim_cur = 256;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  const uint64_t raised = raiseDescriptorLimit();
  rlimit now{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &now) == 0);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &original) == 0);
  CHECK(raised == uint64_t(now.rlim_cur));
  CHECK(raised > 256);
  if (original.rlim_max != RLIM_INFINITY && original.rlim_max <= (rlim_t(1) << 20))
    CHECK(raised == uint64_t(original.rlim_max));
}

}  // namespace tn
