# The README's two commands, plus helpers.
#   make demo    set-up, release build, the quickstart end to end on the embedded defaults
#   make check   set-up, debug build with ASan + UBSan, every test
#   make fuzz    libFuzzer targets built with clang (build/fuzz)
#   make bench   the benchmarks in bench/ against their peers (release build)
JOBS ?= $(shell nproc)
DEBUG_DIR := build/debug
RELEASE_DIR := build/release
FUZZ_DIR := build/fuzz

.PHONY: all setup debug release demo check fuzz bench install format clean
all: release

setup:
	@scripts/setup

debug:
	@cmake -S . -B $(DEBUG_DIR) -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON >/dev/null
	@cmake --build $(DEBUG_DIR) -j $(JOBS)

release:
	@cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF -DCAIRN_SANITIZE=OFF >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS)

demo: setup release
	@scripts/demo $(RELEASE_DIR)/cairn

check: setup debug
	@cd $(DEBUG_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS)

fuzz: setup
	@CC=clang cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Debug -DCAIRN_FUZZ=ON \
	    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
	    -DCAIRN_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS)
	@echo "fuzz targets in $(FUZZ_DIR)/tests/fuzz; run e.g. $(FUZZ_DIR)/tests/fuzz/fuzz_csv tests/fuzz/corpus/csv"

bench: setup release
	@bench/run-all $(RELEASE_DIR)

install: release
	@cmake --install $(RELEASE_DIR)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf build
