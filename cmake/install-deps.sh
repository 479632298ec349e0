#!/usr/bin/env bash
# Installs every Debian 12 package needed to build and test streamchat.
# Idempotent: packages already present are skipped; works as root or through sudo.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config ccache git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl libsqlite3-dev sqlite3
  catch2 libcli11-dev libbenchmark-dev
  nodejs npm
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node and npm may come from outside Debian (nodesource, nvm, a tarball): whichever command is already
# on PATH is not installed again (nodesource's nodejs bundles npm and conflicts with Debian's npm).
# tests/conformance/run.sh checks the version (Node.js >= 18) and fails clearly if it is too old.
filtered=()
for p in "${missing[@]+"${missing[@]}"}"; do
  if [[ $p == nodejs ]] && command -v node >/dev/null 2>&1; then continue; fi
  if [[ $p == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
  filtered+=("$p")
done
missing=("${filtered[@]+"${filtered[@]}"}")

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
