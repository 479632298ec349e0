#!/usr/bin/env bash
# Installs the npm packages pinned in tests/conformance/package-lock.json (the official stream-chat
# client, the spec validator) with `npm ci`, only when node_modules is missing or the lockfile
# changed since the last install (a stamp in node_modules says which). One install at a time, even
# when several build trees (the conformance suite, the benchmarks' JS peer) ask at once.
#   npm-ci.sh [name to prefix messages with]
set -euo pipefail

who=${1:-npm-ci}
cd "$(dirname "${BASH_SOURCE[0]}")"
fail() { echo "$who: FAIL: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || fail "node is not installed (run 'bash cmake/install-deps.sh' or install Node.js >= 18)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (run 'bash cmake/install-deps.sh' or install npm)"
exec 9<package-lock.json
flock -w 240 9 || fail "timed out waiting for another npm ci to finish"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.conformance-lock.sha256
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "$who: npm ci in tests/conformance (node $(node --version), npm $(npm --version))"
  npm ci --no-audit --no-fund --ignore-scripts || fail "npm ci failed (is the npm registry reachable?)"
  echo "$want" > "$stamp"
fi
