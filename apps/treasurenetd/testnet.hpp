// `treasurenetd testnet`: writes a local network of validators (see docs/NETWORK.md).
#pragma once

namespace tn {

// argv[0] is "testnet". Returns the process exit code.
int runTestnetCommand(int argc, char** argv);

}  // namespace tn
