#!/usr/bin/env bash
# Installs the build and test dependencies from Debian 12 packages (run as root). Idempotent.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache curl
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  librocksdb-dev libsecp256k1-dev libcrypto++-dev libfmt-dev doctest-dev
)
# The end-to-end tests run ethers.js on Node.js; take Debian's unless one is installed already.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "== dependencies present"
