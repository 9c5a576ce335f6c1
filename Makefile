# The commands we actually run.  PYTHON defaults to the python on PATH.
PYTHON ?= python

.PHONY: build test test-all example lint format bench asan clean

build:  ## build the C core in place, warnings as errors
	WHYALIVE_WERROR=1 $(PYTHON) setup.py -q build_ext --inplace

test: build  ## the test suite on $(PYTHON)
	PYTHONPATH=src $(PYTHON) -m pytest

test-all:  ## what CI runs: every CPython 3.10+ under pyenv, from a clean install
	.ci/run

example: build
	PYTHONPATH=src $(PYTHON) examples/widget_leak.py

lint:
	$(PYTHON) -m ruff check src tests benchmarks examples
	$(PYTHON) -m ruff format --check src tests benchmarks examples

format:
	$(PYTHON) -m ruff format src tests benchmarks examples
	clang-format -i src/whyalive/_core/*.c src/whyalive/_core/*.h

bench: build  ## speed and memory, as ratios to gc.collect()
	PYTHONPATH=src $(PYTHON) benchmarks/bench_explain.py

asan:  ## the suite under AddressSanitizer and UndefinedBehaviorSanitizer
	rm -rf build && WHYALIVE_ASAN=1 $(PYTHON) setup.py -q build_ext --inplace
	PYTHONPATH=src LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	PYTHONMALLOC=malloc $(PYTHON) -m pytest -x -q
	rm -rf build && $(PYTHON) setup.py -q build_ext --inplace

clean:
	rm -rf build src/whyalive/*.so src/*.egg-info
