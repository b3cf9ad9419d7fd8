// File descriptors: the store, the p2p host and the RPC server share the process's limit, and
// running out breaks more than the part that ran out (RocksDB cannot open a table file or start
// a new one, the host cannot take back a validator that reconnects). See docs/OPERATOR.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tn {

// Descriptors kept for everything but RPC connections: the store's open table files
// (`storeTableFiles`) and its logs, manifest and lock; one per p2p peer; the process's own
// (stdio, epoll, event and timer descriptors, listening sockets, the signing log).
std::size_t reservedDescriptors(std::size_t storeTableFiles, std::size_t p2pPeers);

// The RPC connections to allow under a limit of `limit` descriptors: `wanted`, cut to what the
// reserve leaves, but never below kMinRpcConnections (the node must stay reachable; it warns).
inline constexpr std::size_t kMinRpcConnections = 16;
std::size_t rpcConnectionsWithin(uint64_t limit, std::size_t wanted, std::size_t reserved);

// Raises the soft RLIMIT_NOFILE to the hard limit (at most 2^20, the kernel's usual nr_open) and
// returns the soft limit in force afterwards. Never lowers it.
uint64_t raiseDescriptorLimit();

}  // namespace tn
