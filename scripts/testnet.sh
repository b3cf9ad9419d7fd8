#!/usr/bin/env bash
# A local multi-validator network (docs/NETWORK.md).
#   scripts/testnet.sh start [DIR] [N]   create DIR (default ./testnet, N = 4 validators, plus
#                                        FOLLOWERS non-validator nodes, default 0) if it does not
#                                        exist, then start every DIR/node* in the background
#                                        (installs dependencies and builds first if there is no
#                                        build/bin/treasurenetd)
#   scripts/testnet.sh stop [DIR]        SIGTERM every node started from DIR and wait for it
#   scripts/testnet.sh status [DIR]      which nodes run, and their latest block
# TREASURENETD names the binary (default build/bin/treasurenetd); BASE_PORT the first port.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
dir=${2:-./testnet}
count=${3:-4}
bin=${TREASURENETD:-build/bin/treasurenetd}

# Whether PID is a live treasurenetd of HOME: a zombie (killed, not yet reaped) or a pid the
# kernel has given to another program since is not.
running() {
  local pid=$1 home=$2 state
  [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
  [ "$state" != Z ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--home $home "
}

case "$cmd" in
  start)
    if [ -z "${TREASURENETD:-}" ] && [ ! -x "$bin" ]; then
      bash scripts/setup.sh
      bash scripts/build.sh
    fi
    if [ ! -f "$dir/genesis.json" ]; then
      "$bin" testnet --validators "$count" --followers "${FOLLOWERS:-0}" --home "$dir" \
        --base-port "${BASE_PORT:-26656}"
    fi
    for home in "$dir"/node*/; do
      home=${home%/}
      if [ -f "$home/node.pid" ] && running "$(cat "$home/node.pid")" "$home"; then
        echo "$home already running (pid $(cat "$home/node.pid"))"
        continue
      fi
      nohup "$bin" start --home "$home" >"$home/node.log" 2>&1 &
      echo $! >"$home/node.pid"
      echo "started $home (pid $!, log $home/node.log)"
    done
    ;;
  stop)
    for pidfile in "$dir"/node*/node.pid; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      home=$(dirname "$pidfile")
      if running "$pid" "$home" && kill -TERM "$pid" 2>/dev/null; then
        while running "$pid" "$home"; do sleep 0.1; done
        echo "stopped $home (pid $pid)"
      fi
      rm -f "$pidfile"
    done
    ;;
  status)
    for home in "$dir"/node*/; do
      home=${home%/}
      rpc=$(sed -n 's/.*"rpcAddr":"\([^"]*\)".*/\1/p' "$home/config.json")
      state=stopped
      if [ -f "$home/node.pid" ] && running "$(cat "$home/node.pid")" "$home"; then state=running; fi
      block=$(curl -s -m 2 -H 'content-type: application/json' \
        -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' "http://$rpc" 2>/dev/null |
        sed -n 's/.*"result":"\([^"]*\)".*/\1/p' || true)
      echo "$home: $state, rpc http://$rpc, block ${block:-?}"
    done
    ;;
  *)
    echo "usage: $0 start|stop|status [DIR] [N]" >&2
    exit 1
    ;;
esac
