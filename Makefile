# Two entry points for a newcomer on a fresh Debian machine:
#   make demo   runs DED end to end on an embedded default (tiny local models, CPU)
#   make test   lint + types + the test suite
# Both create .venv/ in the repo root and install everything they need.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The CPU test environment (DESIGN.md): LLaMA-Factory 0.9.5 imports torchaudio and
# torchvision at start-up, and this trio is a matched set.
TORCH_SET := torch==2.11.0 torchvision==0.26.0 torchaudio==2.11.0
EXTRAS := train,eval,hf,analysis,ray,dev
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha256sum | cut -c1-12)

.PHONY: all test lint typecheck pytest demo sysdeps venv bench clean

all: test

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_SET)
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]' $(TORCH_SET)
	rm -f $(VENV)/.installed-*
	touch $@

# Debian packages the sandbox uses; installed only when we are root and they are missing.
sysdeps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  for p in bubblewrap libseccomp2 util-linux; do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  fi; \
	fi

lint: venv
	$(BIN)/ruff check ded_plugins ded_plugins_autoload.py tests benchmarks evals
	$(BIN)/ruff format --check ded_plugins ded_plugins_autoload.py tests benchmarks evals

typecheck: venv
	$(BIN)/mypy

pytest: venv sysdeps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: venv sysdeps
	$(BIN)/ded demo

# each benchmark runs ours and a named baseline on the same input and prints the ratio last
bench: venv sysdeps
	$(BIN)/python benchmarks/bench_curation_scale.py
	$(BIN)/python benchmarks/bench_diversity.py
	$(BIN)/python benchmarks/bench_math_grading.py
	$(BIN)/python benchmarks/bench_pool.py
	$(BIN)/python benchmarks/bench_bootstrap.py
	$(BIN)/python benchmarks/bench_ray.py
	$(BIN)/python benchmarks/bench_sandbox.py
	$(BIN)/python benchmarks/bench_token_entropy.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
