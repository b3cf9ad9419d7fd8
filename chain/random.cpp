#include "chain/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <system_error>

namespace tn {

void secureRandom(std::span<uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    // Reads of up to 256 bytes are never short once the pool is initialised; larger ones and
    // signals can cut a read short.
    const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    done += static_cast<std::size_t>(n);
  }
}

Hash32 secureRandomHash() {
  Hash32 out;
  secureRandom(std::span<uint8_t>(out.data(), out.size()));
  return out;
}

}  // namespace tn
