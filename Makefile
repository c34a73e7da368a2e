# make test   set everything up on a fresh machine, then run the tests
# make bench  set everything up, then run the main job (codeforge bench humaneval --chain 3)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?= -q
MODEL ?= Qwen/Qwen2.5-Coder-0.5B-Instruct
BENCH_ARGS ?=

.PHONY: test bench setup venv docker images browser clean

test: setup
	./scripts/run-pytest.sh $(PYTEST_ARGS)

# The main job: HumanEval with three rounds of feedback. MODEL may be a hub id or a local directory.
bench: setup
	$(VENV)/bin/codeforge bench humaneval --chain 3 --model $(MODEL) $(BENCH_ARGS)

setup: venv docker images browser

venv: $(VENV)/.installed

# CPU torch first where there is no NVIDIA GPU: an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then \
	  $(PY) -m pip install -q torch; \
	else \
	  $(PY) -m pip install -q torch==2.13.0; \
	fi
	$(PY) -m pip install -q -e '.[hf,train,metrics,serve,dev]'
	$(PY) -m pip install -q --no-deps 'codebleu==0.7.0'  # pins an older tree-sitter, runs with ours (pyproject.toml)
	touch $@

docker:
	./scripts/ensure-docker.sh

# Headless Chromium renders the report page in the report tests; with its driver, the serve tests click through
# the explorer.
browser:
	./scripts/ensure-chromium.sh

images: venv docker
	$(VENV)/bin/codeforge sandbox build all

clean:
	rm -rf $(VENV) .pytest_cache
