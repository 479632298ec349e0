# Two entry points on a fresh Debian 12 machine:
#   make test   install missing packages, configure the dev preset (ASan+UBSan, -Werror), build, run every test
#   make demo   (arrives with the demo issue)
#   make bench  configure the release preset (benchmarks on), build them, run them and print the tables
JOBS ?= $(shell nproc)

.PHONY: all deps test build release bench clean

all: build

deps:
	bash cmake/install-deps.sh

build: deps
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)

test: build
	ctest --preset dev -j $(JOBS)

release: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

bench: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target bench_codec bench_http_pool bench_emulator
	build/release/tests/bench/bench_codec
	build/release/tests/bench/bench_http_pool
	build/release/tests/bench/bench_emulator

clean:
	rm -rf build
