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

# ---- The Production Portal flow (RULES.md §3-§8), last calendar month: the modules' "today" is
# the block time, so a month that is over may be uploaded, audited and cleared.
rpc() { curl -s -X POST -H 'content-type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$TN_RPC"; }
first_of_month=$(date -u +%Y-%m-01)
month=$(date -u -d "$first_of_month -1 month" +%Y-%m)
days=$(date -u -d "$first_of_month -1 day" +%d)
well="demo-well-$(date -u +%s)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo
echo "== 1. producer admission: $producer applies for OIL, the foundation approves"
if rpc tn_getProducer "[\"$producer\",\"OIL\"]" | grep -q '"status":"Approved"'; then
  echo "already an approved OIL producer"
else
  echo "Demo Oil Co. qualification documents" >"$work/documents.txt"
  cli register --from "$producer" --kind OIL --name "Demo Oil Co." --documents "$work/documents.txt"
  cli approve --from "$foundation" --producer "$producer" --kind OIL
fi

echo
echo "== 2. a well (API 35.00, sulphur 0.40 %: discount tier d0 = 90 %) and its review"
cli add-well --from "$producer" --kind OIL --well "$well" --nickname "Demo well $month" --api 35.00 --sulphur 0.40
cli review --from "$foundation" --well "$well" --pass
cli holders set --from "$producer" --well "$well" --holder "$holder:20"
cli holders list --well "$well"

echo
echo "== 3. daily OIL prices and daily uploads for $month ($days days)"
for d in $(seq 1 "$days"); do
  day=$(printf '%s-%02d' "$month" "$d")
  price=$(awk -v d="$d" 'BEGIN { printf "%.2f", 74 + (d % 5) * 0.6 }')
  cli feed-price --from "$foundation" --kind OIL --date "$day" --price "$price" >/dev/null
done
echo "fed $days prices (74.00 to 76.40 USD/bbl)"
awk -v m="$month" -v n="$days" 'BEGIN { print "date,amount"; for (d = 1; d <= n; d++) printf "%s-%02d,%.1f\n", m, d, 95 + (d * 7) % 11 }' >"$work/production.csv"
cli upload --from "$producer" --well "$well" --csv "$work/production.csv" | tail -n 1
uploaded=$(awk -F, 'NR > 1 { s += $2 } END { printf "%.1f", s }' "$work/production.csv")
echo "uploaded U = $uploaded bbl"

echo
echo "== 4. margin: enough UNIT to cover the worst-case penalty (1 % of the month's value)"
cli deposit --from "$producer" --kind OIL --value 2500 | tail -n 1

echo
echo "== 5. the audited figure (4 % below the upload) and clearing"
trusted=$(awk -v u="$uploaded" 'BEGIN { printf "%.4f", u * 0.96 }')
cli feed-trusted --from "$foundation" --well "$well" --month "$month" --amount "$trusted" | tail -n 1
echo "trusted T = $trusted bbl: deviation about 4.2 %, within 10 %: the month FINISHES, no penalty, M = V x T / U"
cli clear --from "$producer" --well "$well" --month "$month"

echo
echo "== result"
cli status --well "$well" --month "$month"
cli status --well "$well"
echo "TAT minted to the producer (80 %) and the holder (20 %):"
echo "  producer $(cli tat-balance "$producer")"
echo "  holder   $(cli tat-balance "$holder")"
echo "margin left: $(rpc tn_getMargin "[\"$producer\",\"OIL\"]" | sed -n 's/.*"balance":{"amount":"\([^"]*\)".*/\1/p') UNIT"
echo "== portal demo done"

