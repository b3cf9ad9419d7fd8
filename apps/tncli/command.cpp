#include "apps/tncli/command.hpp"

#include <cstdlib>
#include <iostream>

#include <boost/json/serialize.hpp>

#include "apps/tncli/keyring.hpp"

namespace tn::cli {

namespace po = boost::program_options;
namespace json = boost::json;

po::options_description globalOptions() {
  po::options_description d("global options");
  d.add_options()
      ("rpc", po::value<std::string>(), "node JSON-RPC URL")
      ("keystore", po::value<std::string>(), "keystore directory")
      ("password-file", po::value<std::string>(), "file whose first line is the password")
      ("json", po::bool_switch(), "JSON output")
      ("timeout", po::value<unsigned>(), "per-request timeout in seconds")
      ("help,h", po::bool_switch(), "show help");
  return d;
}

void addGasOptions(po::options_description& d) {
  d.add_options()
      ("gas", po::value<uint64_t>(), "gas limit (default: eth_estimateGas)")
      ("max-fee", po::value<std::string>(), "max fee per gas in gwei (default 2 x base fee + tip)")
      ("tip", po::value<std::string>(), "priority fee per gas in gwei (default from the node)");
}

void addFeeOptions(po::options_description& d) {
  addGasOptions(d);
  d.add_options()
      ("nonce", po::value<uint64_t>(), "nonce (default: the sender's pending count)")
      ("wait", po::bool_switch(), "wait for the receipt and print it")
      ("wait-timeout", po::value<unsigned>()->default_value(120), "seconds to wait for the receipt");
}

void applyFeeOptions(const po::variables_map& vm, SendRequest& req) {
  if (vm.count("gas")) req.gas = vm["gas"].as<uint64_t>();
  if (vm.count("nonce")) req.nonce = vm["nonce"].as<uint64_t>();
  if (vm.count("max-fee")) req.maxFee = parseGwei(vm["max-fee"].as<std::string>());
  if (vm.count("tip")) req.tip = parseGwei(vm["tip"].as<std::string>());
}

Parsed parseCommand(const std::vector<std::string>& tokens, const po::options_description& own,
                    const std::string& synopsis) {
  po::options_description all;
  all.add(globalOptions()).add(own);
  po::options_description hidden;
  hidden.add_options()("args", po::value<std::vector<std::string>>()->composing(), "");
  po::options_description parseable;
  parseable.add(all).add(hidden);
  po::positional_options_description pos;
  pos.add("args", -1);
  // No short options or guessing: "-5" must stay a positional (a negative int argument) and an
  // abbreviated option must not silently mean another one.
  int style = po::command_line_style::allow_long | po::command_line_style::long_allow_adjacent |
              po::command_line_style::long_allow_next;
  Parsed p;
  std::vector<std::string> withHelp;
  for (const std::string& t : tokens) withHelp.push_back(t == "-h" ? "--help" : t);
  po::store(po::command_line_parser(withHelp).options(parseable).positional(pos).style(style).run(),
            p.vm);
  po::notify(p.vm);
  if (p.vm["help"].as<bool>()) {
    std::cout << "usage: tncli " << synopsis << "\n\n" << all;
    std::exit(kExitOk);
  }
  if (p.vm.count("args")) p.args = p.vm["args"].as<std::vector<std::string>>();
  return p;
}

Globals resolveGlobals(const po::variables_map& vm) {
  Globals g;
  if (vm.count("rpc")) g.rpcUrl = vm["rpc"].as<std::string>();
  else if (const char* env = std::getenv("TN_RPC"); env && *env) g.rpcUrl = env;
  g.keystoreDir = vm.count("keystore") ? vm["keystore"].as<std::string>() : defaultKeystoreDir();
  if (vm.count("password-file")) g.passwordFile = vm["password-file"].as<std::string>();
  g.json = vm["json"].as<bool>();
  if (vm.count("timeout")) {
    unsigned s = vm["timeout"].as<unsigned>();
    if (s == 0) throw UsageError("--timeout must be at least 1 second");
    g.timeout = std::chrono::seconds(s);
  }
  return g;
}

void expectArgs(const Parsed& p, std::size_t n, const std::string& what) {
  if (p.args.size() != n)
    throw UsageError("expected " + what + (p.args.size() > n ? " (too many arguments)" : ""));
}

std::string need(const po::variables_map& vm, const char* opt) {
  if (!vm.count(opt)) throw UsageError(std::string("--") + opt + " is required");
  return vm[opt].as<std::string>();
}

U256 parseUnitAmount(const std::string& text, const char* what) {
  try {
    return parseUnits(text, 18);
  } catch (const std::exception&) {
    throw UsageError(std::string(what) + " '" + text + "' is not a UNIT amount (e.g. 1.5)");
  }
}

void printJson(const json::value& v) { std::cout << json::serialize(v) << "\n"; }

int reportReceipt(const Globals& g, const ReceiptSummary& r, json::object* sent) {
  if (g.json) {
    if (sent) {
      (*sent)["receipt"] = receiptJson(r);
      printJson(*sent);
    } else {
      printJson(receiptJson(r));
    }
  } else {
    printReceipt(std::cout, r);
  }
  if (!r.success) {
    std::cout.flush();
    std::cerr << "tncli: transaction " << r.hash.hex() << " failed: " << r.revertReason.value_or("")
              << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int sendAndReport(const Globals& g, const po::variables_map& vm, SendRequest req,
                  const KeyEntry& key) {
  applyFeeOptions(vm, req);

  RpcClient rpc(g.rpcUrl, g.timeout);
  Transaction tx = buildTransaction(rpc, req);
  Keyring kr(g.keystoreDir);
  Hash32 secret = kr.unlock(key, obtainPassword(g.passwordFile, false, key.address.checksumHex()));
  tx = signAndSend(rpc, std::move(tx), secret);

  json::object out = sentJson(tx);
  if (!g.json) printSent(std::cout, tx);
  if (!vm["wait"].as<bool>()) {
    if (g.json) printJson(out);
    return kExitOk;
  }
  auto timeout = std::chrono::seconds(vm["wait-timeout"].as<unsigned>());
  return reportReceipt(g, summarizeReceipt(rpc, waitForReceipt(rpc, tx.hash, timeout)), &out);
}

}  // namespace tn::cli
