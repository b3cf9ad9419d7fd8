// Unpredictable bytes for keys, handshake challenges and signing blinding.
#pragma once

#include <cstdint>
#include <span>

#include "state/bytes.hpp"

namespace tn {

// Fills `out` from the kernel's CSPRNG through getrandom(2). It needs no file descriptor, so it
// keeps working when a node under a connection flood has run out of them (reading /dev/urandom
// then fails). Throws std::system_error if the kernel refuses.
void secureRandom(std::span<uint8_t> out);
Hash32 secureRandomHash();

}  // namespace tn
