# Set-up and everyday commands. `make demo` and `make test` work on a fresh Debian
# machine: they install missing packages (as root) or print the apt-get line.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

# Debian packages needed to build, test and run lambdahat (python3-pandas: the tests
# read the CSV files as pandas does).
PACKAGES := cmake make g++ libxsimd-dev libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev \
  python3-pandas openmpi-bin libopenmpi-dev pkgconf
# Optional: the OpenBLAS peer of the matmul benchmark.
BENCH_PACKAGES := libopenblas-dev
# The PyTorch comparison (make compare): OpenBLAS under Debian's PyTorch (without it
# libblas.so.3 is the reference BLAS and the peer runs up to 20x slower).
COMPARE_PACKAGES := libopenblas-dev python3-torch
# The fuzzing run (make fuzz): clang with libFuzzer and OpenMP.
FUZZ_PACKAGES := clang libclang-rt-dev libomp-dev
FUZZ_SECONDS ?= 60
# The report check (make report-check): Debian's Chromium, headless.
REPORT_PACKAGES := chromium

.PHONY: all setup configure build test demo bench compare fuzz report-check clean

all: build

# Installs missing Debian packages when run as root; otherwise prints the command.
setup:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(PACKAGES) $(EXTRA_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "Installing:$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	    else \
	      echo "Missing Debian packages. Install them with:"; \
	      echo "  sudo apt-get install -y$$missing"; \
	      exit 1; \
	    fi; \
	  fi; \
	fi

configure: setup
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@echo "Programs are in $(BUILD_DIR)/bin"

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The seed study at the quick scale (a few minutes on two cores), then the report.
DEMO_DIR ?= results/paper-quick
demo: build
	$(BUILD_DIR)/bin/lambdahat paper --quick --out $(DEMO_DIR)
	@echo ""
	@echo "The report: $(abspath $(DEMO_DIR))/index.html"
	@echo "Tables and summaries: $(abspath $(DEMO_DIR))/*/*.csv and $(abspath $(DEMO_DIR))/*/summary.json"

# The quick report rendered in headless Chromium at a desktop and a phone width:
# every figure loads, and nothing is wider than the page (tools/check_report.sh).
REPORT_DIR ?= $(BUILD_DIR)/report-check
report-check:
	$(MAKE) build EXTRA_PACKAGES="$(REPORT_PACKAGES)"
	$(BUILD_DIR)/bin/lambdahat paper --quick --out $(REPORT_DIR)
	tools/check_report.sh $(REPORT_DIR)/index.html

bench:
	$(MAKE) build EXTRA_PACKAGES="$(BENCH_PACKAGES)"
	$(BUILD_DIR)/bin/bench_matmul
	$(BUILD_DIR)/bin/bench_elementwise

# lambdahat against PyTorch on the same workloads (benchmarks/README.md), then the
# command's own loop against the bare sampler.
compare:
	$(MAKE) build EXTRA_PACKAGES="$(COMPARE_PACKAGES)"
	python3 benchmarks/compare.py --build $(BUILD_DIR)
	python3 benchmarks/command_step.py --build $(BUILD_DIR)

# The checkpoint load path under libFuzzer for FUZZ_SECONDS, from the committed corpus.
fuzz:
	$(MAKE) setup EXTRA_PACKAGES="$(FUZZ_PACKAGES)"
	CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLAMBDAHAT_FUZZ=ON \
	  -DLAMBDAHAT_BUILD_TESTS=OFF -DLAMBDAHAT_BUILD_BENCHMARKS=OFF -DLAMBDAHAT_BUILD_EXAMPLES=OFF -DLAMBDAHAT_BUILD_CLI=OFF
	cmake --build build-fuzz -j $(JOBS) --target fuzz_safetensors
	rm -rf build-fuzz/corpus && cp -r tests/data/safetensors_corpus build-fuzz/corpus
	./build-fuzz/bin/fuzz_safetensors -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus

clean:
	rm -rf $(BUILD_DIR)
