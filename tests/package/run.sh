#!/usr/bin/env bash
# usage: run.sh BUILD_DIR WORK_DIR CONSUMER_SRC CXX "EXTRA_FLAGS"
set -euo pipefail
build_dir=$1 work=$2 consumer=$3 cxx=$4 extra=${5:-}
rm -rf "$work"; mkdir -p "$work"
prefix="$work/prefix"

cmake --install "$build_dir" --prefix "$prefix" >/dev/null

# configure NAME PREFIX [CMAKE_ARGS...]: configures the consumer project into $work/NAME.
# --no-warn-unused-cli: CMAKE_DISABLE_FIND_PACKAGE_SQLite3 is meant to stay unused.
configure() {
  local name=$1 at=$2; shift 2
  cmake -S "$consumer" -B "$work/$name" -G Ninja -DCMAKE_BUILD_TYPE=Debug --no-warn-unused-cli \
        -DCMAKE_PREFIX_PATH="$at" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" "$@"
}

# build NAME: builds $work/NAME, showing the compiler's output only when it fails.
build() {
  cmake --build "$work/$1" >"$work/$1.log" 2>&1 || { cat "$work/$1.log" >&2; return 1; }
}

# The SDK-only consumers talk to the installed streamchat-emulator, run as a separate process on a
# free port (--port 0; it prints the URL it listens on). timeout bounds its life if this script hangs
# and passes SIGTERM on. --foreground: timeout then signals only the emulator; without it, it also
# signals its whole process group, so the emulator got SIGTERM twice, and the second one could
# land after its handler was gone (exit 143, a flaky failure).
emulator_bin="$prefix/bin/streamchat-emulator"
[[ -x $emulator_bin ]] || { echo "not installed: $emulator_bin" >&2; exit 1; }
timeout --foreground --kill-after=10 600 "$emulator_bin" --port 0 --api-key package-key --api-secret package-secret \
        >"$work/emulator.log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 200); do
  url=$(sed -n 's/^streamchat-emulator listening on \(http:[^ ]*\).*/\1/p' "$work/emulator.log")
  [[ -n $url ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || break # exited early
  sleep 0.1
done
[[ -n $url ]] || { echo "streamchat-emulator did not start:" >&2; cat "$work/emulator.log" >&2; exit 1; }
sdk_args=("$url" package-key package-secret)

echo "== find_package(StreamChat CONFIG REQUIRED): SDK only, SQLite3 lookups disabled"
# Any find_package(SQLite3), even a quiet one, now fails or finds nothing; the consumer checks it.
configure sdk "$prefix" -DCMAKE_DISABLE_FIND_PACKAGE_SQLite3=ON >/dev/null
build sdk
"$work/sdk/consumer" "${sdk_args[@]}"

echo "== find_package(StreamChat CONFIG REQUIRED COMPONENTS emulator)"
configure emulator "$prefix" -DCONSUMER_EMULATOR=ON >/dev/null
build emulator
"$work/emulator/consumer"

echo "== SDK-only install (--component streamchat): the emulator component is reported missing"
sdk_prefix="$work/sdk-prefix"
cmake --install "$build_dir" --prefix "$sdk_prefix" --component streamchat >/dev/null
configure sdk-only "$sdk_prefix" -DCMAKE_DISABLE_FIND_PACKAGE_SQLite3=ON >/dev/null
if configure missing "$sdk_prefix" -DCONSUMER_EMULATOR=ON >"$work/missing.log" 2>&1; then
  echo "configured although the emulator component is not installed" >&2; exit 1
fi
grep -q "emulator: not installed" "$work/missing.log" || { cat "$work/missing.log" >&2; exit 1; }

echo "== pkg-config streamchat"
pcdir=$(dirname "$(find "$prefix" -name streamchat.pc | head -n1)")
# The .pc files carry the configure-time prefix; point them at the staging prefix.
export PKG_CONFIG_PATH="$pcdir"
flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs streamchat)
[[ $flags != *sqlite* ]] || { echo "streamchat.pc pulls in SQLite: $flags" >&2; exit 1; }
# shellcheck disable=SC2086
"$cxx" $extra "$consumer/main.cpp" -o "$work/pc-consumer" $flags
"$work/pc-consumer" "${sdk_args[@]}"

echo "== pkg-config streamchat-emulator"
flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs streamchat-emulator)
# shellcheck disable=SC2086
"$cxx" $extra "$consumer/emulator_main.cpp" -o "$work/pc-emulator-consumer" $flags
"$work/pc-emulator-consumer"

# The emulator binary exits 0 after SIGTERM; anything else is a failure of the installed tool.
trap - EXIT
kill -TERM "$emulator_pid"
status=0; wait "$emulator_pid" || status=$?
[[ $status -eq 0 ]] || { echo "streamchat-emulator exited with $status:" >&2; cat "$work/emulator.log" >&2; exit 1; }
echo "package test: OK"
