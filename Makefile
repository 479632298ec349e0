# Entry points on a fresh Debian 12 machine:
#   make test   install missing packages, configure the dev preset (ASan+UBSan, -Werror), build, run every test
#   make demo   install missing packages, build the release preset's streamchat-demo and run it: an in-process
#               emulator seeded with 5,000 channels, then first page, profiles, paging past the 1,000-offset cap,
#               channel switches and a send, each timed, with a summary next to the scale-plan targets
#   make loadtest ARGS='--users 5000 --duration 60 --rate 1000'
#               build the release preset's streamchat-loadtest and streamchat-emulator and run the load
#               test: the emulator as a child process, every simulated user with its own client and
#               WebSocket; exits non-zero when a message was lost or duplicated
#   make bench  configure the release preset (benchmarks on), build them, run them all and print one
#               table of figures and ratios at the end (fails when any benchmark failed)
JOBS ?= $(shell nproc)

.PHONY: all deps test build release demo bench loadtest clean

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

# Every benchmark runs even when one fails; the failures are listed under the closing table
# (tests/bench/summary.sh) and fail the target. Runs, sizes and flags are the README's. Each
# binary appends its headline figures to BENCH_SUMMARY (tests/bench/summary.hpp).
BENCH_DIR ?= build/release
BENCH_SUMMARY = $(BENCH_DIR)/bench-summary.tsv
BENCH_FAILED = $(BENCH_DIR)/bench-failed.txt
BENCH_BIN = $(BENCH_DIR)/tests/bench

bench: export STREAMCHAT_BENCH_SUMMARY = $(abspath $(BENCH_SUMMARY))
bench: deps
	cmake --preset release -B $(BENCH_DIR)
	cmake --build $(BENCH_DIR) -j $(JOBS) --target bench_codec bench_http_pool bench_emulator bench_many_clients bench_events bench_memory bench_list
	: > $(BENCH_SUMMARY); : > $(BENCH_FAILED)
	bash tests/bench/js_peer_deps.sh || echo "tests/bench/js_peer_deps.sh: the JS peer is not installed (exit $$?)" >> $(BENCH_FAILED)
	$(BENCH_BIN)/bench_codec || echo "bench_codec (exit $$?)" >> $(BENCH_FAILED)
	$(BENCH_BIN)/bench_http_pool || echo "bench_http_pool (exit $$?)" >> $(BENCH_FAILED)
	$(BENCH_BIN)/bench_emulator || echo "bench_emulator (exit $$?)" >> $(BENCH_FAILED)
	$(BENCH_BIN)/bench_events || echo "bench_events (exit $$?)" >> $(BENCH_FAILED)
	$(BENCH_BIN)/bench_many_clients --clients 1000 || echo "bench_many_clients --clients 1000 (exit $$?)" >> $(BENCH_FAILED)
	$(BENCH_BIN)/bench_memory || echo "bench_memory (exit $$?)" >> $(BENCH_FAILED)
	$(BENCH_BIN)/bench_list --channels 5000 --runs 50 || echo "bench_list --channels 5000 --runs 50 (exit $$?)" >> $(BENCH_FAILED)
	STREAMCHAT_BENCH_JS=0 $(BENCH_BIN)/bench_list --channels 100000 --runs 5 || echo "bench_list --channels 100000 --runs 5 (exit $$?)" >> $(BENCH_FAILED)
	bash tests/bench/summary.sh $(BENCH_SUMMARY) $(BENCH_FAILED)

ARGS ?= --users 5000 --duration 60 --rate 1000
loadtest: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target streamchat-loadtest streamchat-emulator
	build/release/tools/streamchat-loadtest/streamchat-loadtest $(ARGS)

clean:
	rm -rf build
