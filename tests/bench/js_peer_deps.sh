#!/usr/bin/env bash
# Installs the JS peer of the benchmarks (the stream-chat client pinned in
# tests/conformance/package-lock.json) through the conformance suite's own installer, so the two
# never install at once or twice. Nothing to do with STREAMCHAT_BENCH_JS=0 (the benchmarks skip
# the peer).
set -euo pipefail

[[ ${STREAMCHAT_BENCH_JS:-} == 0 ]] && exit 0
exec bash "$(dirname "${BASH_SOURCE[0]}")/../conformance/npm-ci.sh" js_peer_deps
