#!/usr/bin/env bash
# Installs the JS peer of the benchmarks (the stream-chat client pinned in
# tests/conformance/package-lock.json) the way tests/conformance/run.sh does: `npm ci` only when
# node_modules is missing or the lockfile changed, under the same lock and stamp, so the two never
# install at once or twice. Nothing to do with STREAMCHAT_BENCH_JS=0 (the benchmarks skip the peer).
set -euo pipefail

[[ ${STREAMCHAT_BENCH_JS:-} == 0 ]] && exit 0
cd "$(dirname "${BASH_SOURCE[0]}")/../conformance"
fail() { echo "js_peer_deps: FAIL: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || fail "node is not installed (run 'bash cmake/install-deps.sh')"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (run 'bash cmake/install-deps.sh')"
exec 9<package-lock.json
flock -w 240 9 || fail "timed out waiting for another npm ci to finish"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.conformance-lock.sha256
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "js_peer_deps: npm ci in tests/conformance (node $(node --version), npm $(npm --version))"
  npm ci --no-audit --no-fund --ignore-scripts || fail "npm ci failed (is the npm registry reachable?)"
  echo "$want" > "$stamp"
fi
