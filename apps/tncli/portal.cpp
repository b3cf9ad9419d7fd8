#include "apps/tncli/portal.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "chain/u256.hpp"

namespace tn::cli {
namespace {

namespace po = boost::program_options;
namespace json = boost::json;

// Fixed-point scales of RULES.md §1.
constexpr unsigned kVolumeDecimals = 4;
constexpr unsigned kPriceDecimals = 4;
constexpr unsigned kApiDecimals = 2;
constexpr unsigned kSulphurDecimals = 3;
constexpr unsigned kTokenDecimals = 18;
constexpr uint64_t kUploadGasLimit = 500'000;

// ProduceData as the public ABI carries it; only some fields mean something per call.
constexpr std::string_view kDataTuple =
    "(bytes32,uint256,address,uint256,uint256,uint256,uint256,string,uint256,uint256,uint8)";
constexpr std::string_view kCoreTuple = "(string,address,uint256,uint256,string)";

// ---- parsing human input ----------------------------------------------------------------------

U256 parseScaled(const std::string& text, unsigned decimals, const std::string& what) {
  try {
    return parseUnits(text, decimals);
  } catch (const std::exception&) {
    throw UsageError(what + " '" + text + "' is not a non-negative decimal with at most " +
                     std::to_string(decimals) + " decimals");
  }
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "2026-11-03" or "261103" → 261103 (the ABI's YYMMDD; the modules check the calendar).
uint64_t parseDay(const std::string& text) {
  std::string s = text;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-' && s.rfind("20", 0) == 0)
    s = s.substr(2, 2) + s.substr(5, 2) + s.substr(8, 2);
  if (s.size() != 6 || !allDigits(s))
    throw UsageError("date '" + text + "' is not YYYY-MM-DD (2000-2099) or YYMMDD");
  return std::stoull(s);
}

// "2026-11" or "2611" → 2611.
uint64_t parseMonth(const std::string& text) {
  std::string s = text;
  if (s.size() == 7 && s[4] == '-' && s.rfind("20", 0) == 0) s = s.substr(2, 2) + s.substr(5, 2);
  if (s.size() != 4 || !allDigits(s))
    throw UsageError("month '" + text + "' is not YYYY-MM (2000-2099) or YYMM");
  return std::stoull(s);
}

// A well id: 32 bytes of hex, or any other text, whose Keccak-256 is the id (so that a well can
// be named "north-field-7" on the command line and by everyone who knows the name).
Hash32 parseWellId(const std::string& text) {
  if (text.size() == 66 && text.rfind("0x", 0) == 0) {
    try {
      return Hash32::fromHex(text);
    } catch (const std::invalid_argument&) {
    }
  }
  if (text.empty()) throw UsageError("--well must not be empty");
  return keccak256(std::string_view(text));
}

std::string upper(std::string s) {
  for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A string inside a tuple's text form: JSON-quoted so commas and brackets stay inside it.
std::string quoted(const std::string& s) { return json::serialize(json::string(s)); }

std::string dataTuple(const Hash32& id, const U256& amount, uint64_t day, uint64_t month) {
  return "(" + id.hex() + ",0,0x0000000000000000000000000000000000000000," + u256ToDecimal(amount) +
         ",0," + std::to_string(day) + "," + std::to_string(month) + ",\"\",0,0,0)";
}

// A JSON string's text (streaming a json::string would print it quoted).
std::string text(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

// ---- one portal invocation ----------------------------------------------------------------------

class Portal {
 public:
  Portal(const std::vector<std::string>& tokens, po::options_description own,
         const std::string& synopsis, std::size_t positionals, bool sends)
      : sends_(sends) {
    if (sends) {
      own.add_options()("from", po::value<std::string>(), "sender key (address or name)");
      addGasOptions(own);
      own.add_options()("wait-timeout", po::value<unsigned>()->default_value(120),
                        "seconds to wait for each receipt");
    }
    parsed_ = parseCommand(tokens, own, synopsis);
    g_ = resolveGlobals(parsed_.vm);
    expectArgs(parsed_, positionals,
               positionals ? std::to_string(positionals) + " argument(s), see --help"
                           : "no positional arguments");
    keyring_.emplace(g_.keystoreDir);
    rpc_.emplace(g_.rpcUrl, g_.timeout);
  }

  const po::variables_map& vm() const { return parsed_.vm; }
  const std::vector<std::string>& args() const { return parsed_.args; }
  std::string opt(const char* name) const { return need(parsed_.vm, name); }
  bool has(const char* name) const { return parsed_.vm.count(name) > 0; }
  RpcClient& rpc() { return *rpc_; }
  const Globals& globals() const { return g_; }
  Address address(const std::string& nameOrAddress) { return keyring_->resolveAddress(nameOrAddress); }

  // tn_getModules, read once.
  const json::object& directory() {
    if (!directory_) directory_ = rpc().call("tn_getModules").as_object();
    return *directory_;
  }
  Address module(const std::string& name) {
    const auto& m = directory().at("modules").as_object();
    auto it = m.find(name);
    if (it == m.end()) throw NodeError("the node has no module '" + name + "'");
    return Address::parse(std::string(it->value().as_string()));
  }
  // The producer or data module of an asset kind.
  Address kindModule(const std::string& kind, const char* which) {
    std::string known;
    for (const auto& k : directory().at("kinds").as_array()) {
      std::string name(text(k.at("name")));
      if (name == upper(kind)) return Address::parse(std::string(k.at(which).as_string()));
      known += (known.empty() ? "" : ", ") + name;
    }
    throw UsageError("unknown asset kind '" + kind + "' (the node has " + known + ")");
  }
  // The well's record from tn_getWell; NodeError when there is none.
  json::object well(const Hash32& id) {
    json::value w = rpc().call("tn_getWell", {id.hex()});
    if (w.is_null()) throw NodeError("no well " + id.hex() + " on the chain");
    return w.as_object();
  }
  Address wellModule(const Hash32& id, const char* which) {
    return kindModule(std::string(well(id).at("kind").as_string()), which);
  }
  Hash32 view32(const Address& to, const std::string& sigText, const std::vector<std::string>& args) {
    Bytes out = ethCall(rpc(), to, encodeCall(abi::parseSignature(sigText), args));
    if (out.size() != 32) throw NodeError(sigText + " answered " + toHex(out));
    return Hash32::fromView(out);
  }

  // Sends one call from --from and waits for its receipt; prints it (revert reasons as such).
  int send(const Address& to, const std::string& sigText, const std::vector<std::string>& args,
           const U256& value = 0) {
    SendRequest req = request(to, sigText, args, value);
    Transaction tx = signAndSend(rpc(), buildTransaction(rpc(), req), secret());
    json::object out = sentJson(tx);
    if (!g_.json) printSent(std::cout, tx);
    return reportReceipt(g_, summarizeReceipt(rpc(), waitForReceipt(rpc(), tx.hash, waitTimeout())),
                         &out);
  }

  SendRequest request(const Address& to, const std::string& sigText,
                      const std::vector<std::string>& args, const U256& value = 0) {
    SendRequest req;
    req.from = key().address;
    req.to = to;
    req.value = value;
    req.data = encodeCall(abi::parseSignature(sigText), args);
    applyFeeOptions(parsed_.vm, req);
    return req;
  }
  const KeyEntry& key() {
    if (!key_) key_ = keyring_->resolve(opt("from"));
    return *key_;
  }
  const Hash32& secret() {
    if (!secret_)
      secret_ = keyring_->unlock(key(), obtainPassword(g_.passwordFile, false, key().address.checksumHex()));
    return *secret_;
  }
  std::chrono::seconds waitTimeout() const {
    return std::chrono::seconds(parsed_.vm["wait-timeout"].as<unsigned>());
  }

 private:
  bool sends_;
  Parsed parsed_;
  Globals g_;
  std::optional<Keyring> keyring_;
  std::optional<RpcClient> rpc_;
  std::optional<json::object> directory_;
  std::optional<KeyEntry> key_;
  std::optional<Hash32> secret_;
};

po::options_description options() { return po::options_description("options"); }

// ---- producers and wells --------------------------------------------------------------------------

int registerProducer(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("kind", po::value<std::string>(), "asset kind (OIL, GAS, ETH, BTC, ...)")
      ("name", po::value<std::string>(), "producer name")
      ("documents", po::value<std::string>(),
       "qualification documents: a file (its Keccak-256 is stored) or a 0x 32-byte hash");
  Portal p(t, d, "register --from A --kind OIL --name NAME --documents FILE|HASH", 0, true);
  std::string docs = p.opt("documents");
  Hash32 hash;
  if (docs.size() == 66 && docs.rfind("0x", 0) == 0) {
    hash = Hash32::fromHex(docs);
  } else {
    std::ifstream in(docs, std::ios::binary);
    if (!in) throw UsageError("cannot read the documents file " + docs);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hash = keccak256(std::string_view(content));
  }
  return p.send(p.module("registry"), "registerProducer(string,string,bytes32)",
                {upper(p.opt("kind")), p.opt("name"), hash.hex()});
}

int approveProducer(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("producer", po::value<std::string>(), "the applicant (address or name)")
      ("kind", po::value<std::string>(), "asset kind")
      ("reject", po::value<std::string>(), "reject with this reason instead of approving");
  Portal p(t, d, "approve --from FM --producer A --kind OIL [--reject REASON]", 0, true);
  const std::string producer = p.address(p.opt("producer")).hex(), kind = upper(p.opt("kind"));
  if (p.has("reject"))
    return p.send(p.module("registry"), "rejectProducer(address,string,string)",
                  {producer, kind, p.opt("reject")});
  return p.send(p.module("registry"), "approveProducer(address,string)", {producer, kind});
}

int addWell(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("kind", po::value<std::string>(), "asset kind")
      ("well", po::value<std::string>(), "well id: 0x 32-byte hex, or a name hashed with Keccak-256")
      ("nickname", po::value<std::string>(), "display name")
      ("api", po::value<std::string>()->default_value("0"), "API gravity in degrees (OIL), e.g. 31.10")
      ("sulphur", po::value<std::string>()->default_value("0"), "sulphur in percent (OIL), e.g. 0.50")
      ("account", po::value<std::string>()->default_value(""), "mining account (ETH/BTC)")
      ("update", po::bool_switch(), "update an existing well (sends it back to review)");
  Portal p(t, d,
           "add-well --from A --kind OIL --well ID --nickname N [--api 31.10 --sulphur 0.50] "
           "[--account ACC] [--update]",
           0, true);
  const Hash32 id = parseWellId(p.opt("well"));
  const std::string core = "(" + quoted(p.opt("nickname")) + "," + p.key().address.hex() + "," +
                           u256ToDecimal(parseScaled(p.opt("api"), kApiDecimals, "--api")) + "," +
                           u256ToDecimal(parseScaled(p.opt("sulphur"), kSulphurDecimals, "--sulphur")) +
                           "," + quoted(p.opt("account")) + ")";
  const bool update = p.vm()["update"].as<bool>();
  if (!p.globals().json) std::cout << "well " << id.hex() << "\n";
  return p.send(p.kindModule(p.opt("kind"), "producer"),
                std::string(update ? "updateProdcuer" : "addProducer") + "(bytes32," +
                    std::string(kCoreTuple) + ")",
                {id.hex(), core});
}

int reviewWell(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("well", po::value<std::string>(), "well id or name")
      ("pass", po::bool_switch(), "activate the well (Active)")
      ("fail", po::bool_switch(), "refuse the well (Deactive)");
  Portal p(t, d, "review --from FM --well ID --pass|--fail", 0, true);
  const bool pass = p.vm()["pass"].as<bool>(), fail = p.vm()["fail"].as<bool>();
  if (pass == fail) throw UsageError("give exactly one of --pass and --fail");
  const Hash32 id = parseWellId(p.opt("well"));
  return p.send(p.wellModule(id, "producer"), "setProducerStatus(bytes32,uint8)",
                {id.hex(), pass ? "1" : "2"});
}

int holders(const std::vector<std::string>& t, const std::string& action) {
  auto d = options();
  d.add_options()("well", po::value<std::string>(), "well id or name")
      ("holder", po::value<std::vector<std::string>>()->composing(),
       "set: ADDRESS:PERCENT (repeat); delete: ADDRESS")
      ("to", po::value<std::string>(), "split: the new holder")
      ("percent", po::value<std::string>(), "split: whole percents moved to --to");
  const bool sends = action != "list";
  Portal p(t, d,
           "holders set --from OWNER --well ID --holder ADDR:PCT...\n"
           "       tncli holders split --from HOLDER --well ID --to ADDR --percent N\n"
           "       tncli holders delete --from OWNER --well ID --holder ADDR\n"
           "       tncli holders list --well ID",
           0, sends);
  const Hash32 id = parseWellId(p.opt("well"));
  if (action == "list") {
    json::value s = p.rpc().call("tn_getShares", {id.hex()});
    if (s.is_null()) throw NodeError("no well " + id.hex());
    if (p.globals().json) {
      printJson(s);
      return kExitOk;
    }
    std::cout << "owner   " << text(s.at("owner")) << "  " << json::serialize(s.at("ownerRatio"))
              << " %\n";
    for (const auto& h : s.at("holders").as_array())
      std::cout << "holder  " << text(h.at("account")) << "  " << json::serialize(h.at("ratio"))
                << " %\n";
    return kExitOk;
  }
  const Address producer = p.wellModule(id, "producer");
  std::vector<std::string> list;
  if (p.has("holder")) list = p.vm()["holder"].as<std::vector<std::string>>();
  if (action == "set") {
    std::string addrs = "[", ratios = "[";
    for (const std::string& h : list) {
      auto colon = h.rfind(':');
      if (colon == std::string::npos) throw UsageError("--holder " + h + " is not ADDRESS:PERCENT");
      addrs += (addrs.size() > 1 ? "," : "") + p.address(h.substr(0, colon)).hex();
      ratios += (ratios.size() > 1 ? "," : "") + h.substr(colon + 1);
    }
    return p.send(producer, "setHolders(bytes32,address[],uint256[])",
                  {id.hex(), addrs + "]", ratios + "]"});
  }
  if (action == "split")
    return p.send(producer, "splitHolder(bytes32,address,uint256)",
                  {id.hex(), p.address(p.opt("to")).hex(), p.opt("percent")});
  if (list.size() != 1) throw UsageError("holders delete takes one --holder");
  return p.send(producer, "deleteHolder(bytes32,address)", {id.hex(), p.address(list[0]).hex()});
}

// ---- feeder -----------------------------------------------------------------------------------

int feedPrice(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("kind", po::value<std::string>(), "asset kind, or UNIT for the UNIT price")
      ("date", po::value<std::string>(), "day the price is for (YYYY-MM-DD); not for UNIT")
      ("price", po::value<std::string>(), "USD per volume unit (or per UNIT), e.g. 75.20");
  Portal p(t, d, "feed-price --from FEEDER --kind OIL --date 2026-11-03 --price 75.20", 0, true);
  const U256 price = parseScaled(p.opt("price"), kPriceDecimals, "--price");
  if (upper(p.opt("kind")) == "UNIT")
    return p.send(p.module("oracle"), "setCurrencyValue(bytes32,uint256)",
                  {keccak256(std::string_view("UNIT")).hex(), u256ToDecimal(price)});
  const Address data = p.kindModule(p.opt("kind"), "data");
  const Hash32 req = p.view32(data, "getAssetValueRequestID()", {});
  return p.send(data, "receiveAssetValue(bytes32,uint256,uint256)",
                {req.hex(), std::to_string(parseDay(p.opt("date"))), u256ToDecimal(price)});
}

int feedTrusted(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("well", po::value<std::string>(), "well id or name")
      ("month", po::value<std::string>(), "audited month (YYYY-MM)")
      ("amount", po::value<std::string>(), "official production volume of the month, e.g. 2880");
  Portal p(t, d, "feed-trusted --from FEEDER --well ID --month 2026-10 --amount VOLUME", 0, true);
  const Hash32 id = parseWellId(p.opt("well"));
  const Address data = p.wellModule(id, "data");
  const Hash32 req = p.view32(data, "getTDRequestID(bytes32)", {id.hex()});
  const U256 amount = parseScaled(p.opt("amount"), kVolumeDecimals, "--amount");
  return p.send(data, "receiveTrustedProductionData(bytes32,bytes32," + std::string(kDataTuple) + ")",
                {req.hex(), id.hex(), dataTuple(id, amount, 0, parseMonth(p.opt("month")))});
}

// ---- producer's month -----------------------------------------------------------------------------

struct UploadLine {
  std::size_t line;
  uint64_t day;
  U256 amount;
};

std::vector<UploadLine> readCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read " + path);
  std::vector<UploadLine> out;
  std::string text;
  for (std::size_t n = 1; std::getline(in, text); ++n) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty() || text[0] == '#') continue;
    auto comma = text.find(',');
    if (comma == std::string::npos)
      throw UsageError(path + ":" + std::to_string(n) + ": '" + text + "' is not date,amount");
    std::string date = text.substr(0, comma), amount = text.substr(comma + 1);
    if (out.empty() && !date.empty() && std::isalpha(static_cast<unsigned char>(date[0])))
      continue;  // a header line such as "date,amount"
    try {
      out.push_back({n, parseDay(date), parseScaled(amount, kVolumeDecimals, "amount")});
    } catch (const UsageError& e) {
      throw UsageError(path + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  if (out.empty()) throw UsageError(path + " holds no date,amount lines");
  return out;
}

int upload(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("well", po::value<std::string>(), "well id or name")
      ("date", po::value<std::string>(), "production day (YYYY-MM-DD)")
      ("amount", po::value<std::string>(), "volume produced that day, e.g. 96.5")
      ("csv", po::value<std::string>(), "file of date,amount lines: one upload each");
  Portal p(t, d,
           "upload --from OWNER --well ID (--date 2026-11-03 --amount 96.5 | --csv FILE)", 0, true);
  const Hash32 id = parseWellId(p.opt("well"));
  const Address data = p.wellModule(id, "data");
  const std::string sig = "setProductionData(bytes32," + std::string(kDataTuple) + ")";
  auto args = [&](const UploadLine& u) {
    return std::vector<std::string>{id.hex(), dataTuple(id, u.amount, u.day, u.day / 100)};
  };
  if (!p.has("csv")) {
    UploadLine u{0, parseDay(p.opt("date")), parseScaled(p.opt("amount"), kVolumeDecimals, "--amount")};
    return p.send(data, sig, args(u));
  }
  if (p.has("date") || p.has("amount")) throw UsageError("--csv goes without --date and --amount");
  const std::vector<UploadLine> lines = readCsv(p.opt("csv"));

  // All transactions go out back to back with consecutive nonces, then the receipts are read: a
  // month of uploads takes a block or two instead of one block per line.
  // A fixed gas limit (only the gas used is paid): estimating line one would fail the whole file
  // when that line is the one that reverts, and later days may cost more than the first.
  SendRequest first = p.request(data, sig, args(lines[0]));
  const uint64_t gas = first.gas.value_or(kUploadGasLimit);
  first.gas = gas;
  Transaction tx0 = buildTransaction(p.rpc(), first);
  std::vector<std::pair<const UploadLine*, Transaction>> sent;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SendRequest req = p.request(data, sig, args(lines[i]));
    req.nonce = tx0.nonce + sent.size();
    req.gas = gas;
    req.maxFee = tx0.maxFeePerGas;
    req.tip = tx0.maxPriorityFeePerGas;
    try {
      sent.emplace_back(&lines[i], signAndSend(p.rpc(), buildTransaction(p.rpc(), req), p.secret()));
    } catch (const NodeError& e) {
      ++failed;
      std::cout << "line " << lines[i].line << ": " << e.what() << "\n";
    }
  }
  json::array results;
  for (auto& [line, tx] : sent) {
    ReceiptSummary r = summarizeReceipt(p.rpc(), waitForReceipt(p.rpc(), tx.hash, p.waitTimeout()));
    const std::string day = "20" + std::to_string(line->day / 10000) + "-" +
                            std::to_string(line->day / 100 % 100 + 100).substr(1) + "-" +
                            std::to_string(line->day % 100 + 100).substr(1);
    if (!r.success) ++failed;
    results.push_back({{"line", line->line}, {"date", day}, {"tx", tx.hash.hex()},
                       {"block", r.block}, {"success", r.success},
                       {"revertReason", r.revertReason ? json::value(*r.revertReason) : nullptr}});
    if (!p.globals().json)
      std::cout << "line " << line->line << "  " << day << "  " << formatUnits(line->amount, kVolumeDecimals)
                << "  " << (r.success ? "ok, block " + std::to_string(r.block)
                                      : r.revertReason.value_or("failed"))
                << "\n";
  }
  if (p.globals().json) printJson({{"uploads", results}, {"failed", failed}});
  else std::cout << lines.size() - failed << " of " << lines.size() << " uploads committed\n";
  return failed ? kExitFailure : kExitOk;
}

int margin(const std::vector<std::string>& t, bool deposit) {
  auto d = options();
  d.add_options()("kind", po::value<std::string>(), "asset kind")
      ("value", po::value<std::string>(), "UNIT, e.g. 500");
  Portal p(t, d, std::string(deposit ? "deposit" : "withdraw") + " --from OWNER --kind OIL --value UNIT",
           0, true);
  const Address data = p.kindModule(p.opt("kind"), "data");
  const U256 value = parseUnitAmount(p.opt("value"), "--value");
  if (deposit) return p.send(data, "prepay()", {}, value);
  return p.send(data, "withdraw(uint256)", {u256ToDecimal(value)});
}

int clear(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("well", po::value<std::string>(), "well id or name")
      ("month", po::value<std::string>(), "physical kinds: the month to audit and mint (YYYY-MM)")
      ("block", po::value<std::string>(), "digital kinds: the mined block number");
  Portal p(t, d, "clear --from OWNER --well ID (--month 2026-10 | --block N)", 0, true);
  const Hash32 id = parseWellId(p.opt("well"));
  if (p.has("month") == p.has("block")) throw UsageError("give exactly one of --month and --block");
  const std::string ref = p.has("month") ? std::to_string(parseMonth(p.opt("month"))) : p.opt("block");
  return p.send(p.wellModule(id, "data"), "clearing(bytes32,uint256)", {id.hex(), ref});
}

// ---- TAT and governance -------------------------------------------------------------------------------

int transferTat(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("to", po::value<std::string>(), "recipient (address or name)")
      ("amount", po::value<std::string>(), "TAT, e.g. 12.5");
  Portal p(t, d, "transfer-tat --from A --to B --amount TAT", 0, true);
  return p.send(p.module("tat"), "transfer(address,uint256)",
                {p.address(p.opt("to")).hex(),
                 u256ToDecimal(parseScaled(p.opt("amount"), kTokenDecimals, "--amount"))});
}

int tatBalance(const std::vector<std::string>& t) {
  Portal p(t, options(), "tat-balance <address|name>", 1, false);
  const Address who = p.address(p.args()[0]);
  Bytes out = ethCall(p.rpc(), p.module("tat"), encodeCall(abi::parseSignature("balanceOf(address)"), {who.hex()}));
  if (out.size() != 32) throw NodeError("balanceOf answered " + toHex(out));
  const U256 wei = u256FromBE(out);
  if (p.globals().json) printJson({{"address", who.checksumHex()}, {"tat", formatUnits(wei)}, {"wei", u256ToDecimal(wei)}});
  else std::cout << formatUnits(wei) << " TAT (" << u256ToDecimal(wei) << " wei)\n";
  return kExitOk;
}

int bid(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("amount", po::value<std::string>(), "TAT to burn for bonus stake (at least 1)");
  Portal p(t, d, "bid --from A --amount TAT", 0, true);
  return p.send(p.module("bid"), "bidTAT(uint256)",
                {u256ToDecimal(parseScaled(p.opt("amount"), kTokenDecimals, "--amount"))});
}

// ---- validators (staking) ----------------------------------------------------------------------

// The staking entry of `who` from tn_getValidators; NodeError when it is not a validator.
json::object validatorEntry(Portal& p, const Address& who) {
  const json::value all = p.rpc().call("tn_getValidators");
  for (const auto& v : all.at("validators").as_array())
    if (Address::parse(std::string(v.at("address").as_string())) == who) return v.as_object();
  throw NodeError("no validator " + who.checksumHex());
}

void printValidator(const json::object& v) {
  std::cout << text(v.at("address")) << "  " << text(v.at("moniker")) << "\n"
            << "  status      " << text(v.at("status"))
            << (v.at("active").as_bool() ? " (in the active set)" : "") << "\n  power       "
            << json::serialize(v.at("power")) << "\n  tokens      "
            << text(v.at("tokens").at("amount")) << " UNIT (self-stake "
            << text(v.at("selfStake").at("amount")) << ")"
            << "\n  commission  " << json::serialize(v.at("commissionBps")) << " bps"
            << "\n  missed      " << json::serialize(v.at("missedInWindow"))
            << " blocks in the window\n";
  if (v.at("jailed").as_bool())
    std::cout << "  jailed until "
              << (v.at("jailedUntil").is_string() ? text(v.at("jailedUntil"))
                                                  : text(v.at("jailedUntil").at("utc")))
              << "\n";
}

int validator(const std::vector<std::string>& t, const std::string& action) {
  auto d = options();
  d.add_options()("moniker", po::value<std::string>(),
                  "create/edit: the validator's name (1-64 bytes)")(
      "commission-bps", po::value<std::string>(),
      "create/edit: commission in basis points (0-10000)")(
      "self-stake", po::value<std::string>(),
      "create: UNIT bonded by the operator (at least minSelfStake)");
  const bool sends = action != "show" && action != "list";
  Portal p(
      t, d,
      "validator create --from KEY --moniker M --commission-bps 1000 --self-stake UNIT\n"
      "       tncli validator edit --from KEY --moniker M --commission-bps N\n"
      "       tncli validator unjail --from KEY\n"
      "       tncli validator show <address|name>\n"
      "       tncli validator list\n"
      "KEY is the validator's own key: its address is the validator's, and its consensus key's\n"
      "(treasurenetd validator-key writes it; import it with tncli keys import).",
      action == "show" ? 1 : 0, sends);
  if (action == "list") {
    json::value all = p.rpc().call("tn_getValidators");
    if (p.globals().json) {
      printJson(all);
      return kExitOk;
    }
    for (const auto& v : all.at("validators").as_array()) printValidator(v.as_object());
    std::cout << "active set since block " << json::serialize(all.at("active").at("since"))
              << ", total power " << json::serialize(all.at("active").at("totalPower")) << "\n";
    return kExitOk;
  }
  if (action == "show") {
    json::object v = validatorEntry(p, p.address(p.args()[0]));
    if (p.globals().json)
      printJson(v);
    else
      printValidator(v);
    return kExitOk;
  }
  const Address staking = p.module("staking");
  if (action == "unjail") return p.send(staking, "unjail()", {});
  const std::string moniker = p.opt("moniker"), bps = p.opt("commission-bps");
  if (action == "edit") return p.send(staking, "editValidator(string,uint256)", {moniker, bps});
  return p.send(staking, "createValidator(string,uint256)", {moniker, bps},
                parseUnitAmount(p.opt("self-stake"), "--self-stake"));
}

int delegation(const std::vector<std::string>& t, const std::string& action) {
  auto d = options();
  d.add_options()("validator", po::value<std::string>(), "the validator (address or name)")(
      "value", po::value<std::string>(), "delegate: UNIT to bond")(
      "amount", po::value<std::string>(),
      "undelegate: UNIT to unbond (paid after the unbonding period)");
  Portal p(t, d,
           "delegate --from A --validator V --value UNIT\n"
           "       tncli undelegate --from A --validator V --amount UNIT\n"
           "       tncli withdraw-rewards --from A --validator V",
           0, true);
  const Address staking = p.module("staking");
  const std::string v = p.address(p.opt("validator")).hex();
  if (action == "delegate")
    return p.send(staking, "delegate(address)", {v}, parseUnitAmount(p.opt("value"), "--value"));
  if (action == "undelegate")
    return p.send(staking, "undelegate(address,uint256)",
                  {v, u256ToDecimal(parseUnitAmount(p.opt("amount"), "--amount"))});
  return p.send(staking, "withdrawRewards(address)", {v});
}

int propose(const std::vector<std::string>& t) {
  Portal p(t, options(),
           "propose --from FM <what> args...\n"
           "  permission ROLE-ACTION ADDRESS   e.g. FEEDER-add 0x…   (proposeToManagePermission)\n"
           "  config NAME VALUE                 a platform parameter (proposeToSetPlatformConfig)\n"
           "  discount A0 S0 D0 D1 D2 D3        the OIL discount table (proposeToSetDiscountConfig)\n"
           "  kind NAME DISCOUNTED UNIT         a new physical asset kind (proposeToAddKind)\n"
           "  spend ADDRESS UNIT                from the penalty pool (proposeToSpendPenaltyPool)",
           0, true);
  (void)p;
  throw UsageError("propose needs <what>: permission, config, discount, kind or spend");
}

int proposeWhat(const std::vector<std::string>& t, const std::string& what) {
  static const std::map<std::string, std::pair<std::string, std::size_t>> kSigs = {
      {"permission", {"proposeToManagePermission(string,address)", 2}},
      {"config", {"proposeToSetPlatformConfig(string,uint256)", 2}},
      {"discount", {"proposeToSetDiscountConfig(uint256,uint256,uint256,uint256,uint256,uint256)", 6}},
      {"kind", {"proposeToAddKind(string,bool,string)", 3}},
      {"spend", {"proposeToSpendPenaltyPool(address,uint256)", 2}},
  };
  const auto& [sig, n] = kSigs.at(what);
  Portal p(t, options(), "propose " + what + " --from FM args... (see tncli propose --help)", n, true);
  std::vector<std::string> args = p.args();
  if (what == "permission") args[1] = p.address(args[1]).hex();
  if (what == "spend") {
    args[0] = p.address(args[0]).hex();
    args[1] = u256ToDecimal(parseUnitAmount(args[1], "amount"));
  }
  if (what == "kind") args[0] = upper(args[0]);
  int rc = p.send(p.module("mulsig"), sig, args);
  if (rc == kExitOk && !p.globals().json)
    std::cout << "pending proposals: tncli proposals --pending\n";
  return rc;
}

int proposalAction(const std::vector<std::string>& t, bool execute) {
  Portal p(t, options(), std::string(execute ? "execute" : "sign") + " --from FM <proposal-id>", 1, true);
  return p.send(p.module("mulsig"), execute ? "executeProposal(uint256)" : "signTransaction(uint256)",
                {p.args()[0]});
}

int proposals(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("pending", po::bool_switch(), "only proposals not yet executed or deleted");
  Portal p(t, d, "proposals [--pending]", 0, false);
  json::value r = p.rpc().call("tn_listProposals", {p.vm()["pending"].as<bool>() ? "pending" : "all"});
  if (p.globals().json) {
    printJson(r);
    return kExitOk;
  }
  for (const auto& v : r.at("proposals").as_array()) {
    const auto& o = v.as_object();
    std::cout << "#" << json::serialize(o.at("id")) << "  " << text(o.at("name")) << "  "
              << text(o.at("address")) << "  " << text(o.at("status")) << "  signatures "
              << json::serialize(o.at("signatures")) << "/" << json::serialize(o.at("threshold"))
              << (o.at("executable").as_bool() ? "  executable" : "") << "\n";
  }
  return kExitOk;
}

// ---- status -----------------------------------------------------------------------------------

std::string amountText(const json::value& v) {
  if (v.is_null()) return "-";
  const auto& o = v.as_object();
  if (auto it = o.find("amount"); it != o.end()) return std::string(it->value().as_string());
  if (auto it = o.find("value"); it != o.end()) return std::string(it->value().as_string());
  return json::serialize(v);
}

int status(const std::vector<std::string>& t) {
  auto d = options();
  d.add_options()("well", po::value<std::string>(), "well id or name")
      ("month", po::value<std::string>(), "one month in detail (YYYY-MM)");
  Portal p(t, d, "status --well ID [--month YYYY-MM]", 0, false);
  const Hash32 id = parseWellId(p.opt("well"));
  json::object w = p.well(id);
  if (p.has("month")) {
    const uint64_t m = parseMonth(p.opt("month"));
    const std::string month = "20" + std::to_string(m / 100) + "-" + std::to_string(m % 100 + 100).substr(1);
    json::value r = p.rpc().call("tn_getProductionMonth", {id.hex(), month});
    if (p.globals().json) {
      printJson(r);
      return kExitOk;
    }
    if (r.is_null()) throw NodeError("no well " + id.hex());
    const auto& o = r.as_object();
    std::cout << "month " << text(o.at("month")) << "  status " << text(o.at("status"))
              << (o.at("estimated").as_bool() ? "  (figures estimated: not cleared yet)" : "") << "\n"
              << "  days uploaded  " << o.at("days").as_array().size() << "\n"
              << "  uploaded U     " << amountText(o.at("uploaded")) << "\n"
              << "  trusted T      " << amountText(o.at("trusted")) << "\n"
              << "  value V (TAT)  " << amountText(o.at("value")) << "\n"
              << "  minted M (TAT) " << amountText(o.at("minted")) << "\n"
              << "  deviation bps  " << json::serialize(o.at("deviationBps")) << "\n"
              << "  penalty        " << amountText(o.at("penalty")) << "\n"
              << "  margin         " << amountText(o.at("margin")) << "\n";
    for (const auto& b : o.at("blockers").as_array()) std::cout << "  blocked: " << text(b) << "\n";
    return kExitOk;
  }
  if (p.globals().json) {
    printJson(w);
    return kExitOk;
  }
  std::cout << "well     " << text(w.at("uniqueId")) << "  " << text(w.at("nickname")) << "\n"
            << "kind     " << text(w.at("kind")) << "   owner " << text(w.at("owner")) << "\n"
            << "review   " << text(w.at("review")) << " (" << text(w.at("status")) << ")"
            << "   valid " << (w.at("valid").as_bool() ? "yes" : "no") << "\n";
  for (const auto& v : w.at("months").as_array()) {
    const auto& m = v.as_object();
    std::cout << "  " << text(m.at("month")) << "  " << text(m.at("status"))
              << "  uploaded " << amountText(m.at("uploaded")) << "  minted " << amountText(m.at("minted"))
              << " TAT\n";
  }
  return kExitOk;
}

}  // namespace

const std::map<std::string, Command>& portalCommands() {
  static const std::map<std::string, Command> kCommands = {
      {"register", registerProducer},
      {"approve", approveProducer},
      {"add-well", addWell},
      {"review", reviewWell},
      {"feed-price", feedPrice},
      {"feed-trusted", feedTrusted},
      {"upload", upload},
      {"deposit", [](const auto& t) { return margin(t, true); }},
      {"withdraw", [](const auto& t) { return margin(t, false); }},
      {"clear", clear},
      {"holders set", [](const auto& t) { return holders(t, "set"); }},
      {"holders split", [](const auto& t) { return holders(t, "split"); }},
      {"holders delete", [](const auto& t) { return holders(t, "delete"); }},
      {"holders list", [](const auto& t) { return holders(t, "list"); }},
      {"transfer-tat", transferTat},
      {"tat-balance", tatBalance},
      {"bid", bid},
      {"validator create", [](const auto& t) { return validator(t, "create"); }},
      {"validator edit", [](const auto& t) { return validator(t, "edit"); }},
      {"validator unjail", [](const auto& t) { return validator(t, "unjail"); }},
      {"validator show", [](const auto& t) { return validator(t, "show"); }},
      {"validator list", [](const auto& t) { return validator(t, "list"); }},
      {"delegate", [](const auto& t) { return delegation(t, "delegate"); }},
      {"undelegate", [](const auto& t) { return delegation(t, "undelegate"); }},
      {"withdraw-rewards", [](const auto& t) { return delegation(t, "withdraw-rewards"); }},
      {"propose", propose},
      {"propose permission", [](const auto& t) { return proposeWhat(t, "permission"); }},
      {"propose config", [](const auto& t) { return proposeWhat(t, "config"); }},
      {"propose discount", [](const auto& t) { return proposeWhat(t, "discount"); }},
      {"propose kind", [](const auto& t) { return proposeWhat(t, "kind"); }},
      {"propose spend", [](const auto& t) { return proposeWhat(t, "spend"); }},
      {"sign", [](const auto& t) { return proposalAction(t, false); }},
      {"execute", [](const auto& t) { return proposalAction(t, true); }},
      {"proposals", proposals},
      {"status", status},
  };
  return kCommands;
}

bool isPortalGroup(const std::string& word) {
  return word == "holders" || word == "propose" || word == "validator";
}

const char* const kPortalUsage =
    R"USAGE(production portal (amounts in human units; each command sends one transaction from
--from, waits for its receipt and prints revert reasons as "reverted: <reason>"):
  register --kind OIL --name N --documents FILE|HASH     apply as a producer of a kind
  approve --producer A --kind OIL [--reject REASON]      FOUNDATION_MANAGER: admit or reject
  add-well --kind OIL --well ID --nickname N --api 31.10 --sulphur 0.50 [--account ACC] [--update]
  review --well ID --pass|--fail                         FOUNDATION_MANAGER: pass the well's review
  feed-price --kind OIL --date 2026-11-03 --price 75.20  FEEDER: a day's price (--kind UNIT: UNIT's)
  upload --well ID --date 2026-11-03 --amount 96.5       the owner's daily production
  upload --well ID --csv FILE                            one upload per date,amount line
  feed-trusted --well ID --month 2026-10 --amount 2880   FEEDER: the audited monthly figure
  deposit|withdraw --kind OIL --value UNIT               the owner's margin
  clear --well ID --month 2026-10 | --block N            audit and mint TAT
  holders set|split|delete|list --well ID ...            the well's beneficiaries
  transfer-tat --to B --amount TAT                       send TAT
  tat-balance <address|name>                             TAT held
  bid --amount TAT                                       burn TAT for bonus stake
  propose permission|config|discount|kind|spend ARGS     FOUNDATION_MANAGER: a multisig proposal
  sign <id> | execute <id> | proposals [--pending]       multisig signatures and execution
  status --well ID [--month 2026-10]                     a well and its months
A well ID is 0x + 32 bytes of hex or any name (its Keccak-256 is the id).

validators (staking; the validator's commands are sent from its own key):
  validator create --moniker M --commission-bps 1000 --self-stake UNIT   become a validator
  validator edit --moniker M --commission-bps N          change name and commission
  validator unjail                                       after a downtime jail has ended
  validator show <address|name> | validator list         status, power, stake, missed blocks, jail
  delegate --validator V --value UNIT                    bond UNIT to a validator
  undelegate --validator V --amount UNIT                 unbond (paid after the unbonding period)
  withdraw-rewards --validator V                         claim rewards (and commission, for its operator)
)USAGE";

}  // namespace tn::cli
