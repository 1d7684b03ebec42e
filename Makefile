# The two commands a new user needs:
#   make run    install what is missing, build, run the main job
#   make test   install what is missing, build, run every test
# Others: make bench, make fuzz, make torture, make asan, make tsan, make clang, make format,
# make deps.

PRESET ?= default
BUILD_DIR := build/$(PRESET)

.PHONY: all deps deps-dev configure build run test bench fuzz fuzz-build torture asan tsan clang format clean

all: build

deps:
	@.ci/install-deps

deps-dev:
	@.ci/install-deps --dev

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET)

run: build
	@echo "Starting canceld on $$($(BUILD_DIR)/daemon/canceld --print-endpoint)"
	@echo "Try it from another terminal:"
	@echo "  $(BUILD_DIR)/client/cancelctl run --name demo -l team=a -- sleep 600 &"
	@echo "  $(BUILD_DIR)/client/cancelctl list"
	@echo "  $(BUILD_DIR)/client/cancelctl cancel <ID> --message 'just trying'"
	@echo "The library's tour: $(BUILD_DIR)/lib/examples/cancelable_tour. Ctrl-C stops the daemon."
	@exec $(BUILD_DIR)/daemon/canceld

# The tests, then the fuzz targets over their seeds plus 10,000 inputs each.
test: build fuzz-build
	@ctest --preset $(PRESET)
	@ctest --preset fuzz

# The libFuzzer targets of the decoding code (their own clang preset).
fuzz-build: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz

# Each fuzz target for FUZZ_RUNS (default 1,000,000) inputs; see docs/FUZZING.md.
FUZZ_RUNS ?= 1000000
fuzz: fuzz-build
	@for t in session request text; do \
	  tests/fuzz/run_fuzz.sh build/fuzz/tests/fuzz/$${t}_fuzz tests/fuzz/corpus/$$t $(FUZZ_RUNS) || exit 1; \
	done

# canceld killed with SIGKILL at random moments under load, TORTURE_CYCLES
# times (default 200), checking what it acknowledged after each restart.
TORTURE_CYCLES ?= 200
torture: build
	@$(BUILD_DIR)/tests/torture/crash_torture --cycles $(TORTURE_CYCLES)

bench: build
	@$(BUILD_DIR)/tests/bench/bench_driver --write docs/BENCHMARKS.md --command "make bench"

# Sanitizer and static-analysis builds (need `make deps-dev` for clang).
asan: deps-dev
	@$(MAKE) --no-print-directory test PRESET=asan

tsan: deps-dev
	@$(MAKE) --no-print-directory test PRESET=tsan

clang: deps-dev
	@$(MAKE) --no-print-directory build PRESET=clang

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	@rm -rf build
