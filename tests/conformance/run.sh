#!/usr/bin/env bash
# Runs the conformance suite: the official stream-chat JS client (pinned in package-lock.json)
# against freshly started streamchat-emulator processes.
#   run.sh <path of streamchat-emulator> [log dir] [path of streamchat-conformance-peer]
# The peer (built from interop_peer.cpp) is the C++ side of interop.test.mjs; without it that
# test is skipped (CTest always passes it).
# Installs node_modules with `npm ci` only when they are missing or the lockfile changed.
# Missing node/npm is a failure, not a skip: cmake/install-deps.sh installs them.
set -euo pipefail

emulator=${1:?usage: run.sh <streamchat-emulator binary> [log dir]}
log_dir=${2:-${TMPDIR:-/tmp}/streamchat-conformance}
peer=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() { echo "conformance: FAIL: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not installed (run 'bash cmake/install-deps.sh' or install Node.js >= 18)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (run 'bash cmake/install-deps.sh' or install npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major -ge 18 ]] || fail "Node.js >= 18 is required, found $(node --version)"
[[ -x $emulator ]] || fail "emulator binary not found or not executable: $emulator"
emulator=$(realpath "$emulator") # the suite runs from this directory
if [[ -n $peer ]]; then
  [[ -x $peer ]] || fail "conformance peer binary not found or not executable: $peer"
  peer=$(realpath "$peer")
fi

cd "$here"
bash "$here/npm-ci.sh" conformance

mkdir -p "$log_dir"
export STREAMCHAT_EMULATOR=$emulator
export CONFORMANCE_LOG_DIR=$log_dir
export STREAMCHAT_CONFORMANCE_PEER=$peer
echo "conformance: $(node --version), emulator $emulator, emulator logs in $log_dir"
exec timeout --kill-after=10 280 node --test --test-reporter=spec ./*.test.mjs
