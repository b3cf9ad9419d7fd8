// tncli: the Treasurenet command-line wallet. Keys live in a v3 keystore directory; everything
// else goes through the node's JSON-RPC. Exit status: 0 ok, 1 usage, 2 node or transaction failure.
#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <cryptopp/osrng.h>

#include "apps/tncli/cli.hpp"
#include "apps/tncli/command.hpp"
#include "apps/tncli/keyring.hpp"
#include "apps/tncli/portal.hpp"
#include "apps/tncli/rpc_client.hpp"
#include "apps/tncli/wallet.hpp"
#include "chain/abi_text.hpp"
#include "chain/keystore.hpp"

namespace tn::cli {
namespace {

namespace po = boost::program_options;
namespace json = boost::json;

constexpr const char* kUsage = R"USAGE(usage: tncli [global options] <command> [options] [args]

commands:
  keys create [--name N] [--light-kdf]        create a new key in the keystore
  keys import <hex-secret> | --file F         import a secret key (hex)
  keys list                                   list keys (0x and treasurenet1 forms)
  keys show <address|name>                    show one key
  balance <address|name>                      balance in UNIT and aunit
  send --from A --to B --value UNIT           send UNIT (EIP-1559 transaction)
  call --to A --sig "f(types)(outs)" args...  eth_call a view and decode its outputs
  tx --from A --to B --sig "f(types)" args... send a signed call transaction
  tx <txhash>                                 show a transaction receipt
  receipt <txhash>   (alias tx-receipt)       show a transaction receipt

global options:
  --rpc URL             node JSON-RPC endpoint (env TN_RPC, default http://127.0.0.1:8545)
  --keystore DIR        keystore directory (env TN_KEYSTORE, default ~/.treasurenet/keystore)
  --password-file F     read the key password from the first line of F (else env TN_PASSWORD,
                        else it is asked for on the terminal)
  --json                machine-readable JSON output
  --timeout SECONDS     per-request timeout (default 30)

'tncli <command> --help' shows the command's options.
exit status: 0 success, 1 usage error, 2 node or transaction failure (a failed receipt included)
)USAGE";

// Global options that take a value: the pre-scan must skip their values to find the command.
const std::map<std::string, bool> kGlobalTakesValue = {
    {"rpc", true}, {"keystore", true}, {"password-file", true}, {"timeout", true},
    {"json", false}, {"help", false}};


json::object keyJson(const KeyEntry& e) {
  json::object o;
  if (!e.name.empty()) o["name"] = e.name;
  o["address"] = e.address.checksumHex();
  o["bech32"] = e.address.bech32();
  o["file"] = e.file.string();
  return o;
}

void printKey(const KeyEntry& e) {
  if (!e.name.empty()) std::cout << "name     " << e.name << "\n";
  std::cout << "address  " << e.address.checksumHex() << "\n"
            << "bech32   " << e.address.bech32() << "\n"
            << "file     " << e.file.string() << "\n";
}

// --- keys --------------------------------------------------------------------------------------

int storeKey(const Globals& g, const Hash32& secret, const po::variables_map& vm, const char* verb) {
  Keyring kr(g.keystoreDir);
  std::string name = vm.count("name") ? vm["name"].as<std::string>() : "";
  if (!name.empty() && !isValidKeyName(name))
    throw UsageError("bad key name '" + name +
                     "': use letters, digits, '_', '-', '.'; start with a letter; not 0x…");
  if (!name.empty() && kr.names().count(name))
    throw UsageError("the name '" + name + "' is already used");
  if (kr.find(addressOfSecret(secret)))
    throw UsageError("a key for " + addressOfSecret(secret).checksumHex() + " is already in " +
                     g.keystoreDir);
  std::string password = obtainPassword(g.passwordFile, true, "the new key");
  KeyEntry e = kr.store(secret, password, name, vm["light-kdf"].as<bool>());
  if (g.json) {
    printJson(keyJson(e));
  } else {
    std::cout << verb << " key\n";
    printKey(e);
  }
  return kExitOk;
}

po::options_description storeOptions() {
  po::options_description d("options");
  d.add_options()
      ("name", po::value<std::string>(), "a name to refer to the key by")
      ("light-kdf", po::bool_switch(), "cheap scrypt (n=4096): for tests and throwaway keys only");
  return d;
}

int keysCreate(const std::vector<std::string>& tokens) {
  Parsed p = parseCommand(tokens, storeOptions(), "keys create [--name N] [--light-kdf]");
  Globals g = resolveGlobals(p.vm);
  expectArgs(p, 0, "no arguments");
  CryptoPP::AutoSeededRandomPool rng;
  Hash32 secret;
  do rng.GenerateBlock(secret.data(), secret.size());
  while (!isValidSecretKey(secret));
  return storeKey(g, secret, p.vm, "created");
}

int keysImport(const std::vector<std::string>& tokens) {
  po::options_description d = storeOptions();
  d.add_options()("file", po::value<std::string>(), "read the hex secret from this file");
  Parsed p = parseCommand(tokens, d, "keys import <hex-secret> | --file F [--name N]");
  Globals g = resolveGlobals(p.vm);
  std::string hex;
  if (p.vm.count("file")) {
    expectArgs(p, 0, "either <hex-secret> or --file, not both");
    std::ifstream in(p.vm["file"].as<std::string>());
    if (!in || !std::getline(in, hex)) throw UsageError("cannot read " + p.vm["file"].as<std::string>());
  } else {
    expectArgs(p, 1, "<hex-secret> or --file F");
    hex = p.args[0];
  }
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.erase(0, 1);
  Hash32 secret;
  try {
    secret = Hash32::fromHex(hex);
  } catch (const std::invalid_argument&) {
    throw UsageError("the secret must be 32 bytes of hex (64 digits, 0x optional)");
  }
  if (!isValidSecretKey(secret)) throw UsageError("not a valid secp256k1 secret key");
  return storeKey(g, secret, p.vm, "imported");
}

int keysList(const std::vector<std::string>& tokens) {
  Parsed p = parseCommand(tokens, po::options_description("options"), "keys list");
  Globals g = resolveGlobals(p.vm);
  expectArgs(p, 0, "no arguments");
  std::vector<KeyEntry> keys = Keyring(g.keystoreDir).list();
  if (g.json) {
    json::array a;
    for (const KeyEntry& e : keys) a.push_back(keyJson(e));
    printJson(a);
    return kExitOk;
  }
  if (keys.empty()) {
    std::cout << "no keys in " << g.keystoreDir << "\n";
    return kExitOk;
  }
  std::size_t width = 4;
  for (const KeyEntry& e : keys) width = std::max(width, e.name.size());
  for (const KeyEntry& e : keys) {
    std::string name = e.name.empty() ? "-" : e.name;
    std::cout << name << std::string(width - name.size() + 2, ' ') << e.address.checksumHex()
              << "  " << e.address.bech32() << "\n";
  }
  return kExitOk;
}

int keysShow(const std::vector<std::string>& tokens) {
  Parsed p = parseCommand(tokens, po::options_description("options"), "keys show <address|name>");
  Globals g = resolveGlobals(p.vm);
  expectArgs(p, 1, "<address|name>");
  KeyEntry e = Keyring(g.keystoreDir).resolve(p.args[0]);
  if (g.json) printJson(keyJson(e));
  else printKey(e);
  return kExitOk;
}

// --- chain -------------------------------------------------------------------------------------

int balance(const std::vector<std::string>& tokens) {
  po::options_description d("options");
  d.add_options()("block", po::value<std::string>()->default_value("latest"), "block tag or number");
  Parsed p = parseCommand(tokens, d, "balance <address|name> [--block TAG]");
  Globals g = resolveGlobals(p.vm);
  expectArgs(p, 1, "<address|name>");
  Address a = Keyring(g.keystoreDir).resolveAddress(p.args[0]);
  RpcClient rpc(g.rpcUrl, g.timeout);
  json::value v = rpc.call("eth_getBalance", {a.hex(), p.vm["block"].as<std::string>()});
  U256 wei;
  try {
    wei = quantityToU256(v.is_string() ? std::string_view(v.as_string()) : "");
  } catch (const std::invalid_argument&) {
    throw NodeError("node sent a malformed balance: " + json::serialize(v));
  }
  if (g.json) {
    printJson(json::object{{"address", a.checksumHex()},
                           {"balance", formatUnits(wei)},
                           {"aunit", u256ToDecimal(wei)}});
  } else {
    std::cout << formatUnits(wei) << " UNIT (" << u256ToDecimal(wei) << " aunit)\n";
  }
  return kExitOk;
}

int send(const std::vector<std::string>& tokens) {
  po::options_description d("options");
  d.add_options()
      ("from", po::value<std::string>(), "sender key (address or name)")
      ("to", po::value<std::string>(), "recipient (address or name)")
      ("value", po::value<std::string>(), "amount in UNIT, e.g. 1.5");
  addFeeOptions(d);
  Parsed p = parseCommand(tokens, d, "send --from A --to B --value UNIT [fee options] [--wait]");
  Globals g = resolveGlobals(p.vm);
  expectArgs(p, 0, "no positional arguments (use --from/--to/--value)");
  Keyring kr(g.keystoreDir);
  KeyEntry key = kr.resolve(need(p.vm, "from"));
  SendRequest req;
  req.from = key.address;
  req.to = kr.resolveAddress(need(p.vm, "to"));
  req.value = parseUnitAmount(need(p.vm, "value"), "--value");
  return sendAndReport(g, p.vm, std::move(req), key);
}

abi::FunctionSig parseSig(const std::string& text) {
  try {
    return abi::parseSignature(text);
  } catch (const abi::Error& e) {
    throw UsageError(std::string("--sig: ") + e.what());
  }
}

// Top-level address arguments may name a key ("alice"), as --from and --to can.
std::vector<std::string> resolveNamedArgs(const abi::FunctionSig& sig, std::vector<std::string> args,
                                          const Keyring& kr) {
  auto names = kr.names();
  for (std::size_t i = 0; i < args.size() && i < sig.inputs.size(); ++i) {
    if (sig.inputs[i].kind != abi::Type::Kind::Address) continue;
    if (auto it = names.find(args[i]); it != names.end()) args[i] = it->second.checksumHex();
  }
  return args;
}

// Prints the receipt of `hashText`; exit status 2 for an unknown, pending or failed transaction.
int showReceipt(const Globals& g, const std::string& hashText) {
  Hash32 hash;
  try {
    hash = Hash32::fromHex(hashText);
  } catch (const std::invalid_argument&) {
    throw UsageError("'" + hashText + "' is not a transaction hash (32 bytes of hex)");
  }
  RpcClient rpc(g.rpcUrl, g.timeout);
  auto raw = fetchReceipt(rpc, hash);
  if (!raw) throw NodeError("no receipt for " + hash.hex() + " (unknown transaction, or still pending)");
  return reportReceipt(g, summarizeReceipt(rpc, *raw));
}

int txCommand(const std::vector<std::string>& tokens) {
  po::options_description d("options");
  d.add_options()
      ("from", po::value<std::string>(), "sender key (address or name)")
      ("to", po::value<std::string>(), "module or account address (or name)")
      ("sig", po::value<std::string>(), "function signature, e.g. \"transfer(address,uint256)\"")
      ("value", po::value<std::string>(), "UNIT to send along (default 0)");
  addFeeOptions(d);
  Parsed p = parseCommand(tokens, d,
                          "tx --from A --to B --sig \"f(types)\" [args...] [--value UNIT]\n"
                          "       tncli tx <txhash>   (shows the receipt)");
  Globals g = resolveGlobals(p.vm);
  // `tx <txhash>` alone shows the receipt; the sending form always has --sig.
  if (!p.vm.count("sig") && !p.vm.count("from") && !p.vm.count("to") && p.args.size() == 1 &&
      p.args[0].size() == 66 && p.args[0].rfind("0x", 0) == 0)
    return showReceipt(g, p.args[0]);
  abi::FunctionSig sig = parseSig(need(p.vm, "sig"));
  Keyring kr(g.keystoreDir);
  KeyEntry key = kr.resolve(need(p.vm, "from"));
  SendRequest req;
  req.from = key.address;
  req.to = kr.resolveAddress(need(p.vm, "to"));
  req.data = encodeCall(sig, resolveNamedArgs(sig, p.args, kr));
  if (p.vm.count("value")) req.value = parseUnitAmount(p.vm["value"].as<std::string>(), "--value");
  return sendAndReport(g, p.vm, std::move(req), key);
}

int call(const std::vector<std::string>& tokens) {
  po::options_description d("options");
  d.add_options()
      ("to", po::value<std::string>(), "module or account address (or name)")
      ("sig", po::value<std::string>(), "signature with outputs, e.g. \"balanceOf(address)(uint256)\"")
      ("from", po::value<std::string>(), "msg.sender for the call (address or name)")
      ("value", po::value<std::string>(), "UNIT sent with the call")
      ("block", po::value<std::string>()->default_value("latest"), "block tag or number");
  Parsed p = parseCommand(tokens, d, "call --to A --sig \"f(types)(outputs)\" [args...]");
  Globals g = resolveGlobals(p.vm);
  abi::FunctionSig sig = parseSig(need(p.vm, "sig"));
  Keyring kr(g.keystoreDir);
  Address to = kr.resolveAddress(need(p.vm, "to"));
  std::optional<Address> from;
  if (p.vm.count("from")) from = kr.resolveAddress(p.vm["from"].as<std::string>());
  U256 value = p.vm.count("value") ? parseUnitAmount(p.vm["value"].as<std::string>(), "--value") : 0;
  Bytes data = encodeCall(sig, resolveNamedArgs(sig, p.args, kr));

  RpcClient rpc(g.rpcUrl, g.timeout);
  Bytes result = ethCall(rpc, to, data, from, value, p.vm["block"].as<std::string>());
  if (!sig.hasOutputs) {
    if (g.json) printJson(json::object{{"raw", toHex(result)}});
    else std::cout << toHex(result) << "\n";
    return kExitOk;
  }
  abi::ValueList values;
  try {
    values = abi::decode(sig.outputs, result);
  } catch (const abi::Error& e) {
    std::string types;
    for (const abi::Type& t : sig.outputs) types += (types.empty() ? "" : ",") + t.canonical();
    throw NodeError("cannot decode the result " + toHex(result) + " as (" + types + "): " + e.what());
  }
  if (g.json) {
    json::array a;
    for (std::size_t i = 0; i < values.size(); ++i) a.push_back(abi::toJson(sig.outputs[i], values[i]));
    printJson(json::object{{"result", std::move(a)}, {"raw", toHex(result)}});
  } else {
    for (std::size_t i = 0; i < values.size(); ++i)
      std::cout << abi::formatText(sig.outputs[i], values[i]) << "\n";
  }
  return kExitOk;
}

int receipt(const std::vector<std::string>& tokens) {
  Parsed p = parseCommand(tokens, po::options_description("options"), "receipt <txhash>");
  Globals g = resolveGlobals(p.vm);
  expectArgs(p, 1, "<txhash>");
  return showReceipt(g, p.args[0]);
}

int run(const std::vector<std::string>& argv) {
  // Split off the command word(s): the first token that is neither a global option nor the
  // value of one. Global options may appear before or after the command.
  std::vector<std::string> rest, words;
  std::size_t i = 0;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help") {
      rest.push_back(a);
      continue;
    }
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2, a.find('=') == std::string::npos ? std::string::npos
                                                                       : a.find('=') - 2);
      auto it = kGlobalTakesValue.find(name);
      if (it == kGlobalTakesValue.end())
        throw UsageError("unknown option " + a + " before the command (see tncli --help)");
      rest.push_back(a);
      if (it->second && a.find('=') == std::string::npos) {
        if (i + 1 >= argv.size()) throw UsageError("option " + a + " needs a value");
        rest.push_back(argv[++i]);
      }
      continue;
    }
    words.push_back(a);
    if ((a == "keys" || isPortalGroup(a)) && i + 1 < argv.size() && argv[i + 1].rfind("-", 0) != 0 &&
        (a == "keys" || portalCommands().count(a + " " + argv[i + 1])))
      words.push_back(argv[++i]);
    ++i;
    break;
  }
  rest.insert(rest.end(), argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());

  if (words.empty()) {
    bool help = std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
                std::find(rest.begin(), rest.end(), "-h") != rest.end();
    (help ? std::cout : std::cerr) << kUsage << "\n" << kPortalUsage;
    return help ? kExitOk : kExitUsage;
  }
  static const std::map<std::string, Command> kCommands = {
      {"keys create", keysCreate}, {"keys import", keysImport}, {"keys list", keysList},
      {"keys show", keysShow},     {"balance", balance},        {"send", send},
      {"call", call},              {"tx", txCommand},           {"receipt", receipt},
      {"tx-receipt", receipt},
  };
  std::string name = words[0] + (words.size() > 1 ? " " + words[1] : "");
  auto it = kCommands.find(name);
  if (it == kCommands.end()) {
    if (auto portal = portalCommands().find(name); portal != portalCommands().end())
      return portal->second(rest);
    if (words[0] == "holders")
      throw UsageError("holders needs a command: set, split, delete or list");
    if (words[0] == "keys")
      throw UsageError(words.size() > 1 ? "unknown keys command '" + words[1] + "' (create, import, list, show)"
                                        : "keys needs a command: create, import, list or show");
    throw UsageError("unknown command '" + words[0] + "' (see tncli --help)");
  }
  return it->second(rest);
}

}  // namespace
}  // namespace tn::cli

int main(int argc, char** argv) {
  using namespace tn::cli;
  auto fail = [](int code, const std::string& msg) {
    std::cout.flush();
    std::cerr << "tncli: " << msg << "\n";
    return code;
  };
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    return fail(kExitUsage, e.what());
  } catch (const boost::program_options::error& e) {
    return fail(kExitUsage, std::string(e.what()) + " (see --help)");
  } catch (const tn::KeystoreError& e) {
    return fail(kExitUsage, e.what());
  } catch (const NodeError& e) {
    return fail(kExitFailure, e.what());
  } catch (const tn::abi::Error& e) {
    return fail(kExitUsage, e.what());
  } catch (const std::invalid_argument& e) {
    return fail(kExitUsage, e.what());
  } catch (const std::exception& e) {
    return fail(kExitFailure, e.what());
  }
}
