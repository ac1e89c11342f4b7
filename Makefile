# prisim top-level commands. See README.md.
#   make sim       build everything, run the regression scenarios, print summaries
#   make test      build everything, run the whole test suite (CTest)
#   make bench     host cost: wall time, raw events, allocations, RSS per fault (JSON)
#   make bench-ir  host cost in instructions under valgrind/callgrind (JSON)
#   make soak      randomized soak of the exit-status promise: MINUTES=N SEED=S [JOBS=J]
#   make sweep     parameter sweep for queue sizing: GRID='KEY=VALUES ...' [SCENARIO=F SEEDS=N
#                  TARGET='EXPR' SET='KEY=VALUE ...' OUT=DIR JOBS=J] (docs/sweep.md)
#   make report    one self-contained HTML page of a run or a sweep: [IN=DIR (default sweep-out)]
#                  [OUT=FILE (default IN/report.html)] (docs/sweep.md, "HTML report")
#   make lint      Verilator lint of the RTL
#   make asan      unit and system tests (soak included) under ASan + UBSan, leaks fatal
#   make fuzz      build the libFuzzer targets with clang, run each FUZZ_SECONDS (tb/fuzz)
#   make deps      check (and, as root, install) the Debian packages

BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
MINUTES ?= 10
SEED    ?=
CMAKE_FLAGS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= fault_write queue_records mmio scenario vectors
SCENARIO ?=
GRID    ?= sw.driver.pq_log2sz=3..9 device.pri_capacity=8,32
SET     ?= device.pages=64
SEEDS   ?= 3
TARGET  ?=
OUT     ?= sweep-out
IN      ?= sweep-out
# scripts/sweep.py needs python3-matplotlib and python3-tqdm, scripts/report.py
# python3-matplotlib: Debian's interpreter.
SWEEP_PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)

.PHONY: all deps configure build sim test bench bench-ir soak sweep report lint asan fuzz docs clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

sim: build
	@scripts/sim.sh $(BUILD)/prisim scenarios out

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@python3 scripts/bench.py --build $(BUILD) --out

bench-ir: build
	@python3 scripts/bench.py --build $(BUILD) --ir --out

# SEED empty: soak.py takes one from the clock and prints it for replay.
soak: build
	@python3 scripts/soak.py --prisim $(BUILD)/prisim --minutes $(MINUTES) --jobs $(JOBS) \
		$(if $(SEED),--seed $(SEED)) --report $(BUILD)/soak.json

# GRID, SET: space-separated KEY=VALUES; TARGET: one expression.
sweep: build
	@$(SWEEP_PYTHON) scripts/sweep.py $(SCENARIO) --prisim $(BUILD)/prisim -o $(OUT) -j $(JOBS) \
		--seeds $(SEEDS) $(foreach g,$(GRID),--grid $(g)) $(foreach s,$(SET),--set $(s)) \
		$(if $(TARGET),--target '$(TARGET)')

# IN: a run or sweep directory; OUT, only when given, the page (else IN/report.html).
report:
	@$(SWEEP_PYTHON) scripts/report.py $(IN) $(if $(filter command line environment,$(origin OUT)),-o $(OUT))

lint: deps
	verilator --lint-only -Wall rtl/pq_writer.sv
	verilator --lint-only -Wall rtl/prg_tracker.sv
	verilator --lint-only -Wall rtl/iotlb.sv

asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DPRISIM_SANITIZE=ON -DPRISIM_RTL_ASSERT=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -R '^(unit|system)\.'

fuzz:
	@scripts/deps.sh fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISIM_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target prisim_fuzzers
	@for t in $(FUZZ_TARGETS); do \
	  tb/fuzz/run.sh $(FUZZ_BUILD)/tb/fuzz/fuzz_$$t $$t $(FUZZ_SECONDS) $(FUZZ_BUILD)/fuzz-work/$$t || exit 1; \
	done

docs: build
	$(BUILD)/prisim --list-params > docs/scenario-keys.md

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(FUZZ_BUILD) out
