#!/usr/bin/env bash
# README's run command: installs dependencies, builds, starts a single-validator dev chain and
# walks the Production Portal flow on it (scripts/demo.sh), then keeps the chain running until
# Ctrl-C. Environment: TN_HOME (default ./.devchain; the chain resumes there), TN_RPC_ADDR
# (default 127.0.0.1:8545), TN_BLOCK_TIME (ms, default 1000), TN_FRESH=1 to start from genesis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh

home=${TN_HOME:-$PWD/.devchain}
addr=${TN_RPC_ADDR:-127.0.0.1:8545}
[[ ${TN_FRESH:-0} == 1 ]] && rm -rf "$home"

build/bin/treasurenetd dev --home "$home" --rpc-addr "$addr" --block-time "${TN_BLOCK_TIME:-1000}" &
node=$!
stop() { kill -TERM "$node" 2>/dev/null || true; wait "$node" || true; }
trap stop INT TERM

for _ in $(seq 100); do
  curl -sf -o /dev/null -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}' "http://$addr" && break
  kill -0 "$node" 2>/dev/null || { echo "treasurenetd exited"; exit 1; }
  sleep 0.1
done

TN_RPC="http://$addr" TN_HOME="$home" bash scripts/demo.sh || echo "== demo failed (the chain keeps running)"
echo "== dev chain running at http://$addr (accounts in $home/dev-accounts.json); Ctrl-C stops it"
wait "$node"
