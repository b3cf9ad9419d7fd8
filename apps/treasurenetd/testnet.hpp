// `treasurenetd testnet`: writes a local network of validators, and `treasurenetd validator-key`
// (see docs/NETWORK.md).
#pragma once

namespace tn {

// argv[0] is "testnet". Returns the process exit code.
int runTestnetCommand(int argc, char** argv);
// argv[0] is "validator-key": writes HOME/validator_key.json for a node that is to become a
// validator. Returns the process exit code.
int runValidatorKeyCommand(int argc, char** argv);

}  // namespace tn
