# The two commands a new user needs:
#   make run    install what is missing, build, run the main job
#   make test   install what is missing, build, run every test
# Others: make bench, make asan, make tsan, make clang, make format, make deps.

PRESET ?= default
BUILD_DIR := build/$(PRESET)

.PHONY: all deps deps-dev configure build run test bench asan tsan clang format clean

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

test: build
	@ctest --preset $(PRESET)

bench: build
	@$(BUILD_DIR)/tests/bench/lib_bench --benchmark_counters_tabular=true
	@$(BUILD_DIR)/tests/bench/deadline_bench --pending 1000000 --samples 10000
	@$(BUILD_DIR)/tests/bench/canceld_bench --samples 2000 --ops 20000
	@$(BUILD_DIR)/tests/bench/scale_bench --operations 100000
	@$(BUILD_DIR)/tests/bench/scale_bench --operations 1000000

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
