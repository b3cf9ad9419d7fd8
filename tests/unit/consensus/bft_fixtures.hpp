// Shared by the Tendermint unit tests and the simulation: validator keys, a committee of
// validators with given powers, and a small application whose values are text.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "consensus/tendermint.hpp"

namespace tn::bft::test {

inline constexpr uint64_t kChainId = 7;

// A deterministic secp256k1 key for validator i.
inline Hash32 validatorKey(uint32_t i) {
  return keccak256("bft test validator " + std::to_string(i));
}

// Validators 0..n-1 with the given powers; keys[i] signs for addresses[i].
struct Committee {
  std::vector<Hash32> keys;
  std::vector<Address> addresses;
  std::vector<uint64_t> powers;
  ValidatorSet set;

  explicit Committee(std::vector<uint64_t> powerOf) : powers(std::move(powerOf)) {
    std::vector<Validator> members;
    for (uint32_t i = 0; i < powers.size(); ++i) {
      keys.push_back(validatorKey(i));
      addresses.push_back(addressOfSecret(keys.back()));
      members.push_back(Validator{addresses.back(), powers[i], 0});
    }
    set = ValidatorSet(members);
  }
  std::size_t size() const { return keys.size(); }
  int indexOf(const Address& a) const {
    auto it = std::find(addresses.begin(), addresses.end(), a);
    return it == addresses.end() ? -1 : int(it - addresses.begin());
  }
  // The validator set of `height` when `set` is the set of height 1 (one increment per height).
  ValidatorSet setAt(uint64_t height) const {
    return height <= 1 ? set : set.incremented(static_cast<uint32_t>(height - 1));
  }
};

// Values are text "h=<height> <rest>"; id = keccak256(text); valid iff the value names the
// height, does not start its rest with "bad", and is not listed in `rejected`.
class TextApp : public Application {
 public:
  explicit TextApp(std::string tag = "") : tag_(std::move(tag)) {}

  Hash32 valueId(BytesView payload) override { return keccak256(payload); }
  Bytes getValue(uint64_t height) override {
    return toBytes("h=" + std::to_string(height) + " " + tag_ + "#" + std::to_string(next_++));
  }
  bool validValue(uint64_t height, const Value& v) override {
    ++validCalls;
    if (rejected.count(v.id)) return false;
    const std::string prefix = "h=" + std::to_string(height) + " ";
    std::string_view text = asChars(v.payload);
    return text.starts_with(prefix) && !text.substr(prefix.size()).starts_with("bad");
  }

  std::set<Hash32> rejected;
  std::size_t validCalls = 0;

 private:
  std::string tag_;
  uint64_t next_ = 0;
};

// A value with the given text for `height`.
inline Value textValue(uint64_t height, std::string_view text) {
  Bytes payload = toBytes("h=" + std::to_string(height) + " " + std::string(text));
  Hash32 id = keccak256(payload);
  return Value{id, std::move(payload)};
}

}  // namespace tn::bft::test

// Readable enums in doctest's failure messages.
namespace doctest {
template <>
struct StringMaker<tn::bft::Accept> {
  static String convert(tn::bft::Accept a) { return std::string(tn::bft::name(a)).c_str(); }
};
template <>
struct StringMaker<tn::bft::Step> {
  static String convert(tn::bft::Step s) { return std::string(tn::bft::name(s)).c_str(); }
};
template <>
struct StringMaker<tn::Hash32> {
  static String convert(const tn::Hash32& h) { return h.hex().c_str(); }
};
template <>
struct StringMaker<std::optional<tn::Hash32>> {
  static String convert(const std::optional<tn::Hash32>& h) { return h ? h->hex().c_str() : "nil"; }
};
template <>
struct StringMaker<tn::Address> {
  static String convert(const tn::Address& a) { return a.hex().c_str(); }
};
template <>
struct StringMaker<tn::bft::MsgType> {
  static String convert(tn::bft::MsgType t) { return std::string(tn::bft::name(t)).c_str(); }
};
}  // namespace doctest
