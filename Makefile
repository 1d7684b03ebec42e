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
