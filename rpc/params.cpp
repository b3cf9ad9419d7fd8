#include "rpc/params.hpp"

#include <limits>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

namespace tn::rpc::parse {

namespace json = boost::json;

namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

std::string_view str(const json::value& v, std::string_view what) {
  if (!v.is_string()) fail(std::string(what) + " must be a string");
  return v.get_string();
}

// Data and hashes are 0x-prefixed (fromHex alone would accept bare hex).
std::string_view hexString(const json::value& v) {
  std::string_view s = str(v, "hex data");
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    fail("hex string without 0x prefix");
  return s;
}

// Runs `parser` on a member of an object, naming the member in the error.
template <class F>
auto field(const json::object& o, std::string_view name, F&& parser)
    -> std::optional<decltype(parser(std::declval<const json::value&>()))> {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  try {
    return parser(it->value());
  } catch (const std::exception& e) {
    fail("field '" + std::string(name) + "': " + e.what());
  }
}

const json::object& object(const json::value& v, std::string_view what) {
  if (!v.is_object()) fail(std::string(what) + " must be an object");
  return v.get_object();
}

std::vector<AccessListEntry> accessList(const json::value& v) {
  if (!v.is_array()) fail("access list must be an array");
  std::vector<AccessListEntry> out;
  for (const auto& item : v.get_array()) {
    const auto& o = object(item, "access list entry");
    AccessListEntry e;
    auto a = field(o, "address", address);
    if (!a) fail("access list entry without address");
    e.address = *a;
    if (auto keys = o.find("storageKeys"); keys != o.end() && !keys->value().is_null()) {
      if (!keys->value().is_array()) fail("storageKeys must be an array");
      for (const auto& k : keys->value().get_array()) e.storageKeys.push_back(hash(k));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

U256 quantity(const json::value& v) { return quantityToU256(str(v, "quantity")); }

uint64_t u64(const json::value& v) {
  U256 q = quantity(v);
  if (q > std::numeric_limits<uint64_t>::max()) fail("quantity exceeds 64 bits");
  return static_cast<uint64_t>(q);
}

uint64_t u64OrInteger(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64()) {
    if (v.get_int64() < 0) fail("negative number");
    return static_cast<uint64_t>(v.get_int64());
  }
  return u64(v);
}

Bytes data(const json::value& v) { return fromHex(hexString(v)); }

Address address(const json::value& v) { return Address::parse(str(v, "address")); }

Hash32 hash(const json::value& v) {
  Bytes b = fromHex(hexString(v));
  if (b.size() != 32) fail("hash must be 32 bytes, got " + std::to_string(b.size()));
  return Hash32::fromView(b);
}

bool boolean(const json::value& v) {
  if (!v.is_bool()) fail("must be true or false");
  return v.get_bool();
}

std::string string(const json::value& v) { return std::string(str(v, "value")); }

BlockTag blockNumber(const json::value& v) {
  using Kind = BlockTag::Kind;
  std::string_view s = str(v, "block number or tag");
  if (s == "latest") return BlockTag::latest();
  if (s == "pending") return BlockTag::pending();
  if (s == "earliest") return {Kind::Earliest, 0, {}};
  if (s == "safe") return {Kind::Safe, 0, {}};
  if (s == "finalized") return {Kind::Finalized, 0, {}};
  try {
    return BlockTag::at(u64(v));
  } catch (const std::exception& e) {
    fail(std::string("block number or tag expected (") + e.what() + ")");
  }
}

BlockTag blockTag(const json::value& v) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    auto number = field(o, "blockNumber", blockNumber);
    auto h = field(o, "blockHash", hash);
    if (number.has_value() == h.has_value())
      fail("block object needs exactly one of blockNumber and blockHash");
    return h ? BlockTag::byHash(*h) : *number;
  }
  if (v.is_string() && v.get_string().size() == 66) return BlockTag::byHash(hash(v));
  return blockNumber(v);
}

CallRequest callRequest(const json::value& v) {
  const auto& o = object(v, "call");
  CallRequest r;
  r.from = field(o, "from", address);
  r.to = field(o, "to", address);
  r.gas = field(o, "gas", u64);
  r.gasPrice = field(o, "gasPrice", quantity);
  r.maxFeePerGas = field(o, "maxFeePerGas", quantity);
  r.maxPriorityFeePerGas = field(o, "maxPriorityFeePerGas", quantity);
  if (r.gasPrice && (r.maxFeePerGas || r.maxPriorityFeePerGas))
    fail("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
  r.value = field(o, "value", quantity);
  r.nonce = field(o, "nonce", u64);
  auto input = field(o, "input", data);
  auto d = field(o, "data", data);
  if (input && d && *input != *d) fail("both \"data\" and \"input\" are set and not equal");
  if (input) r.data = std::move(*input);
  else if (d) r.data = std::move(*d);
  if (auto al = field(o, "accessList", accessList)) r.accessList = std::move(*al);
  return r;
}

LogCriteria logCriteria(const json::value& v) {
  const auto& o = object(v, "filter");
  LogCriteria c;
  if (auto it = o.find("address"); it != o.end() && !it->value().is_null()) {
    try {
      if (it->value().is_array()) {
        for (const auto& a : it->value().get_array()) c.addresses.push_back(address(a));
      } else {
        c.addresses.push_back(address(it->value()));
      }
    } catch (const std::exception& e) {
      fail(std::string("field 'address': ") + e.what());
    }
  }
  if (auto it = o.find("topics"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) fail("field 'topics': must be an array");
    const auto& positions = it->value().get_array();
    if (positions.size() > 4) fail("field 'topics': at most 4 topic positions");
    try {
      for (const auto& pos : positions) {
        std::vector<Hash32> set;
        if (pos.is_array()) {
          for (const auto& t : pos.get_array()) {
            if (t.is_null()) {  // a null inside an OR-set matches anything, as in geth
              set.clear();
              break;
            }
            set.push_back(hash(t));
          }
        } else if (!pos.is_null()) {
          set.push_back(hash(pos));
        }
        c.topics.push_back(std::move(set));
      }
    } catch (const std::exception& e) {
      fail(std::string("field 'topics': ") + e.what());
    }
  }
  return c;
}

LogFilter logFilter(const json::value& v) {
  const auto& o = object(v, "filter");
  LogFilter f;
  f.criteria = logCriteria(v);
  f.blockHash = field(o, "blockHash", hash);
  auto from = field(o, "fromBlock", blockNumber);
  auto to = field(o, "toBlock", blockNumber);
  if (f.blockHash && (from || to))
    fail("cannot specify both blockHash and fromBlock/toBlock, choose one or the other");
  if (from) f.fromBlock = *from;
  if (to) f.toBlock = *to;
  return f;
}

}  // namespace tn::rpc::parse
