// Deterministic mutation of valid encodings, for the tests that feed untrusted-input parsers
// (RLP, transactions, blocks, consensus messages, JSON-RPC) what a broken or hostile peer could
// send. A fixed seed gives the same inputs on every machine: std::mt19937_64's output is fixed by
// the standard, and only its raw output is used (the std distributions are not portable).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <stdexcept>
#include <typeinfo>
#include <vector>

#include "chain/abi.hpp"
#include "chain/rlp.hpp"
#include "chain/transaction.hpp"

namespace tn::test {

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  // 1 to 4 random edits of `in`. Bytes that are RLP prefix boundaries are favoured, since a
  // length that points past the input or a list that claims more items is what breaks parsers.
  std::vector<uint8_t> mutate(std::span<const uint8_t> in) {
    std::vector<uint8_t> out(in.begin(), in.end());
    const uint64_t edits = 1 + below(4);
    for (uint64_t e = 0; e < edits; ++e) edit(out);
    return out;
  }

 private:
  static constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xb9,
                                             0xbf, 0xc0, 0xc1, 0xf7, 0xf8, 0xf9, 0xfe, 0xff};

  void edit(std::vector<uint8_t>& out) {
    const uint64_t pos = below(out.size() + 1);  // == size(): at the end
    switch (below(8)) {
      case 0:  // flip one bit
        if (pos < out.size()) out[pos] ^= uint8_t(1u << below(8));
        break;
      case 1:  // a random byte
        if (pos < out.size()) out[pos] = uint8_t(rng_());
        break;
      case 2:  // a byte that means something to RLP
        if (pos < out.size()) out[pos] = kInteresting[below(sizeof kInteresting)];
        break;
      case 3:  // insert a byte
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos), uint8_t(rng_()));
        break;
      case 4:  // delete up to 8 bytes
        if (pos < out.size())
          out.erase(out.begin() + static_cast<std::ptrdiff_t>(pos),
                    out.begin() + static_cast<std::ptrdiff_t>(
                                      std::min<uint64_t>(out.size(), pos + 1 + below(8))));
        break;
      case 5:  // truncate
        out.resize(pos);
        break;
      case 6: {  // repeat a slice (a list that seems to hold more items)
        if (out.empty()) break;
        const uint64_t from = below(out.size());
        const uint64_t len = 1 + below(std::min<uint64_t>(64, out.size() - from));
        std::vector<uint8_t> slice(out.begin() + static_cast<std::ptrdiff_t>(from),
                                   out.begin() + static_cast<std::ptrdiff_t>(from + len));
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos), slice.begin(), slice.end());
        break;
      }
      default:  // add or subtract a little (a length off by one, a counter at its limit)
        if (pos < out.size()) out[pos] = uint8_t(out[pos] + (below(2) ? 1 : 0xff));
        break;
    }
  }

  std::mt19937_64 rng_;
};

struct FuzzTally {
  int parsed = 0, rejected = 0;
};

// Feeds `rounds` mutations of every seed (each seed must parse) to `parse`, which checks what it
// parsed. A parse error (rlp::Error, TxError, abi::Error, std::invalid_argument: what the engine
// and the p2p host turn into a punishment of the peer) is a rejection; any other exception fails
// the test case. Mutations that happen to give the seed back are skipped.
inline FuzzTally fuzz(const std::vector<std::vector<uint8_t>>& seeds, int rounds, uint64_t seed,
                      const std::function<void(const std::vector<uint8_t>&)>& parse) {
  auto parses = [&](const std::vector<uint8_t>& input) {
    try {
      parse(input);
      return true;
    } catch (const rlp::Error&) {
    } catch (const TxError&) {
    } catch (const abi::Error&) {
    } catch (const std::invalid_argument&) {
    } catch (const std::exception& e) {
      FAIL("unexpected ", typeid(e).name(), " (", e.what(), ") for input ", toHex(input));
    }
    return false;
  };
  Mutator m(seed);
  FuzzTally t;
  for (const auto& valid : seeds) {
    REQUIRE(parses(valid));
    for (int i = 0; i < rounds; ++i) {
      std::vector<uint8_t> input = m.mutate(valid);
      if (input == valid) continue;
      (parses(input) ? t.parsed : t.rejected)++;
    }
  }
  return t;
}

}  // namespace tn::test
