// The plumbing every tncli command shares: parsing a command's tokens together with the global
// options, the resolved global settings, argument checks, fee options and JSON output.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <boost/program_options.hpp>

#include "apps/tncli/cli.hpp"
#include "apps/tncli/keyring.hpp"
#include "apps/tncli/wallet.hpp"

namespace tn::cli {

// A command gets the tokens after its name (global options included) and returns the exit status.
using Command = std::function<int(const std::vector<std::string>&)>;

struct Parsed {
  boost::program_options::variables_map vm;
  std::vector<std::string> args;  // positionals after the command
};

boost::program_options::options_description globalOptions();
// --gas, --max-fee, --tip: what every sending command takes.
void addGasOptions(boost::program_options::options_description& d);
// addGasOptions plus --nonce, --wait and --wait-timeout (send, tx).
void addFeeOptions(boost::program_options::options_description& d);
// Copies the gas, fee and nonce options that were given into `req`.
void applyFeeOptions(const boost::program_options::variables_map& vm, SendRequest& req);

// Parses the tokens left after the command word(s) against global + command options; --help
// prints "usage: tncli <synopsis>" and the options, and exits 0.
Parsed parseCommand(const std::vector<std::string>& tokens,
                    const boost::program_options::options_description& own,
                    const std::string& synopsis);
Globals resolveGlobals(const boost::program_options::variables_map& vm);

void expectArgs(const Parsed& p, std::size_t n, const std::string& what);
// The string value of --opt; UsageError when it was not given.
std::string need(const boost::program_options::variables_map& vm, const char* opt);
U256 parseUnitAmount(const std::string& text, const char* what);
void printJson(const boost::json::value& v);

// Prints a receipt (into `sent` under "receipt" for --json, when given) and returns the exit
// status: 2 with "tncli: transaction … failed: reverted: <reason>" on stderr for a failure.
int reportReceipt(const Globals& g, const ReceiptSummary& r, boost::json::object* sent = nullptr);
// Fills fees and nonce (applyFeeOptions), signs with `key`, sends, and with --wait waits for the
// receipt and reports it: the tail of every sending command.
int sendAndReport(const Globals& g, const boost::program_options::variables_map& vm,
                  SendRequest req, const KeyEntry& key);

}  // namespace tn::cli
