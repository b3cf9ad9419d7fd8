#include "chain/genesis.hpp"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

namespace tn {

namespace json = boost::json;

static uint64_t numberField(const json::object& o, std::string_view key, uint64_t fallback) {
  const json::value* v = o.if_contains(key);
  if (!v) return fallback;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return uint64_t(v->as_int64());
  if (v->is_string()) {
    std::string_view s = v->as_string();
    return s.starts_with("0x") ? quantityToU64(s) : toU64(u256FromDecimal(s));
  }
  throw std::invalid_argument("genesis field " + std::string(key) + " must be a number");
}

static U256 amountField(const json::value& v, std::string_view what) {
  if (v.is_string()) {
    std::string_view s = v.as_string();
    return s.starts_with("0x") ? quantityToU256(s) : u256FromDecimal(s);
  }
  if (v.is_uint64()) return U256(v.as_uint64());
  if (v.is_int64() && v.as_int64() >= 0) return U256(uint64_t(v.as_int64()));
  throw std::invalid_argument("genesis " + std::string(what) + " must be a decimal string");
}

Genesis Genesis::fromJson(const json::value& v) {
  if (!v.is_object()) throw std::invalid_argument("genesis must be a JSON object");
  const json::object& o = v.as_object();
  Genesis g;
  g.chainId = numberField(o, "chainId", 0);
  if (g.chainId == 0) throw std::invalid_argument("genesis chainId is missing or zero");
  g.timestamp = numberField(o, "timestamp", 0);
  g.gasLimit = numberField(o, "gasLimit", g.gasLimit);
  if (const json::value* b = o.if_contains("baseFeePerGas")) g.baseFeePerGas = amountField(*b, "baseFeePerGas");
  if (const json::value* a = o.if_contains("alloc")) {
    if (!a->is_object()) throw std::invalid_argument("genesis alloc must be an object");
    for (const auto& [addr, acct] : a->as_object()) {
      GenesisAccount ga;
      ga.address = Address::parse(addr);
      if (!acct.is_object() || !acct.as_object().contains("balance"))
        throw std::invalid_argument("genesis alloc entry " + std::string(addr) + " needs a balance");
      ga.balance = amountField(acct.at("balance"), "balance");
      g.alloc.push_back(ga);
    }
  }
  if (const json::value* m = o.if_contains("modules")) g.modules = *m;
  else g.modules = json::object();
  return g;
}

json::value Genesis::toJson() const {
  json::object o;
  o["chainId"] = chainId;
  o["timestamp"] = timestamp;
  o["gasLimit"] = gasLimit;
  o["baseFeePerGas"] = u256ToDecimal(baseFeePerGas);
  json::object a;
  for (const auto& acct : alloc) {
    json::object e;
    e["balance"] = u256ToDecimal(acct.balance);
    a[acct.address.checksumHex()] = std::move(e);
  }
  o["alloc"] = std::move(a);
  o["modules"] = modules.is_null() ? json::value(json::object()) : modules;
  return o;
}

Genesis Genesis::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("cannot read genesis file " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) throw std::invalid_argument("genesis file " + file.string() + " is not JSON: " + ec.message());
  return fromJson(v);
}

void Genesis::save(const std::filesystem::path& file) const {
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  out << json::serialize(toJson()) << "\n";
}

ChainParams Genesis::params() const {
  ChainParams p;
  p.chainId = chainId;
  p.blockGasLimit = gasLimit;
  p.baseFee = baseFeePerGas;
  return p;
}

BlockContext Genesis::context() const {
  BlockContext c;
  c.chainId = chainId;
  c.number = 0;
  c.timestamp = timestamp;
  c.baseFee = baseFeePerGas;
  return c;
}

std::vector<DevAccount> devAccounts(std::size_t count) {
  std::vector<DevAccount> out;
  for (std::size_t i = 0; i < count; ++i) {
    DevAccount a;
    a.secretKey = keccak256("treasurenet dev account " + std::to_string(i));
    a.address = addressOfSecret(a.secretKey);
    if (i == 0) a.roles = {"FOUNDATION_MANAGER", "FEEDER"};
    out.push_back(std::move(a));
  }
  return out;
}

Genesis devGenesis(uint64_t chainId, const std::vector<DevAccount>& accounts, const U256& balanceEach,
                   uint64_t timestamp) {
  for (uint64_t id : kPublicChainIds)
    if (chainId == id)
      throw std::invalid_argument("chain id " + std::to_string(chainId) +
                                  " belongs to a public Treasurenet network");
  Genesis g;
  g.chainId = chainId;
  g.timestamp = timestamp;
  json::object roles;
  json::array fms, feeders;
  for (const auto& a : accounts) {
    g.alloc.push_back({a.address, balanceEach});
    for (const auto& r : a.roles) {
      if (r == "FOUNDATION_MANAGER") fms.push_back(json::string(a.address.checksumHex()));
      if (r == "FEEDER") feeders.push_back(json::string(a.address.checksumHex()));
    }
  }
  roles["FOUNDATION_MANAGER"] = std::move(fms);
  roles["FEEDER"] = std::move(feeders);
  json::object modules;
  modules["roles"] = std::move(roles);
  g.modules = std::move(modules);
  return g;
}

json::value devAccountsJson(const std::vector<DevAccount>& accounts) {
  json::array arr;
  for (const auto& a : accounts) {
    json::object o;
    o["address"] = a.address.checksumHex();
    o["privateKey"] = a.secretKey.hex();
    json::array roles;
    for (const auto& r : a.roles) roles.push_back(json::string(r));
    o["roles"] = std::move(roles);
    arr.push_back(std::move(o));
  }
  return arr;
}

}  // namespace tn
