#!/usr/bin/env bash
# Walks the Production Portal flow on a running dev chain with tncli, using the dev accounts of
# TN_HOME/dev-accounts.json: account 0 is FOUNDATION_MANAGER and FEEDER, account 1 the producer.
# Environment: TN_RPC (node URL), TN_HOME (the dev chain's home).
set -euo pipefail
cd "$(dirname "$0")/.."
cli() { "${TN_BIN:-build/bin}/tncli" --rpc "$TN_RPC" "$@"; }
accounts="$TN_HOME/dev-accounts.json"
key() { sed -n 's/.*"privateKey":"\(0x[0-9a-f]*\)".*/\1/p' <<<"$(tr '}' '\n' <"$accounts" | sed -n "$(($1 + 1))p")"; }
addr() { sed -n 's/.*"address":"\(0x[0-9a-fA-F]*\)".*/\1/p' <<<"$(tr '}' '\n' <"$accounts" | sed -n "$(($1 + 1))p")"; }

export TN_KEYSTORE="$TN_HOME/keystore" TN_PASSWORD=dev
for i in 0 1 2; do
  cli keys list 2>/dev/null | grep -qi "$(addr $i)" || cli keys import "$(key $i)" --light-kdf >/dev/null
done
foundation=$(addr 0) producer=$(addr 1) holder=$(addr 2)

echo "== UNIT transfer: foundation -> producer"
cli send --from "$foundation" --to "$producer" --value 10 --wait
cli balance "$producer"
