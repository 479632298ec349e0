#!/usr/bin/env bash
# usage: run.sh BUILD_DIR WORK_DIR CONSUMER_SRC CXX "EXTRA_FLAGS"
set -euo pipefail
build_dir=$1 work=$2 consumer=$3 cxx=$4 extra=${5:-}
rm -rf "$work"; mkdir -p "$work"
prefix="$work/prefix"

cmake --install "$build_dir" --prefix "$prefix" >/dev/null

echo "== find_package(StreamChat CONFIG REQUIRED)"
cmake -S "$consumer" -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer"

echo "== pkg-config streamchat"
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -n1)
# The .pc file carries the configure-time prefix; point it at the staging prefix.
export PKG_CONFIG_PATH="$libdir"
flags=$(pkg-config --define-variable=prefix="$prefix" --cflags --libs streamchat)
# shellcheck disable=SC2086
"$cxx" $extra "$consumer/main.cpp" -o "$work/pc-consumer" $flags
"$work/pc-consumer"
echo "package test: OK"
