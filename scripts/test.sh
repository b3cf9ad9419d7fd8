#!/usr/bin/env bash
# README's test command: installs dependencies, builds, and runs every test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The optimised build: the node, tncli and the process tests (integration on loopback, crash
# recovery, ethers.js end-to-end). The unit tests are built once, in the sanitized build below.
bash scripts/build.sh -DTN_UNIT_TESTS=OFF
if [ -f tests/e2e/package-lock.json ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
# Every layer's unit tests under AddressSanitizer + UndefinedBehaviorSanitizer: the store, the
# state tree and its proofs, the parsers of untrusted input (RLP, transactions, votes, p2p frames,
# HTTP and WebSocket), the modules, the mempool, the executor, the chain store, the p2p host, the
# BFT engine and the JSON-RPC server with their threads. Libraries at -O1, test code at -O0, no
# debug info, to keep CI well inside its time; see docs/TESTING.md.
# CMAKE_BUILD_TYPE=None: a type without flags of its own, so -O1 is all there is (an empty type
# would become the default RelWithDebInfo, -O2 -g, which doubles the compile time).
cmake -S . -B build-sanitize -G Ninja -DTN_SANITIZE=ON -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1 >/dev/null
ninja -C build-sanitize -j"$(nproc)" unit_tests
(cd build-sanitize && ctest --output-on-failure --timeout 900 -R '^unit_')
cd build
ctest --output-on-failure --timeout 900 -j1
