// tncli's Production Portal commands: producer admission, wells and their review, feeder prices
// and audited figures, daily uploads, margin, clearing, shares, TAT transfers and bids,
// governance proposals, and `status`; and the validators' staking commands. Sending commands build module calls from human units, send
// them from one key and wait for the receipts; reading ones use the node's tn_ methods.
#pragma once

#include <map>
#include <string>

#include "apps/tncli/command.hpp"

namespace tn::cli {

// By name; two-word commands as "holders set".
const std::map<std::string, Command>& portalCommands();
// Command words that take a second word ("holders").
bool isPortalGroup(const std::string& word);
// The portal section of `tncli --help`.
extern const char* const kPortalUsage;

}  // namespace tn::cli
