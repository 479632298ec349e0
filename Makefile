# Entry points on a fresh Debian 12 machine:
#   make test   install missing packages, configure the dev preset (ASan+UBSan, -Werror), build, run every test
#   make demo   install missing packages, build the release preset's streamchat-demo and run it: an in-process
#               emulator seeded with 5,000 channels, then first page, profiles, paging past the 1,000-offset cap,
#               channel switches and a send, each timed, with a summary next to the scale-plan targets
#   make bench  configure the release preset (benchmarks on), build them, run them and print the tables
JOBS ?= $(shell nproc)

.PHONY: all deps test build release demo bench clean

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

demo: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target streamchat-demo
	build/release/examples/streamchat-demo

bench: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target bench_codec bench_http_pool bench_emulator bench_many_clients bench_events bench_memory bench_list
	build/release/tests/bench/bench_codec
	build/release/tests/bench/bench_http_pool
	build/release/tests/bench/bench_emulator
	build/release/tests/bench/bench_events
	build/release/tests/bench/bench_many_clients
	build/release/tests/bench/bench_memory
	build/release/tests/bench/bench_list

clean:
	rm -rf build
