# Two commands on a fresh machine:  make course   and   make test
# Each creates .venv if missing and installs what it needs first.
#
# PyTorch: TORCH_SPEC picks the build. The default, torch==2.13.0, is the CPU wheel this course is
# tested with. On a CUDA machine use e.g. `make course TORCH_SPEC=torch` (PyPI's CUDA build), or
# preinstall your own build in .venv; elsewhere `pip install torch --index-url
# https://download.pytorch.org/whl/cpu` gives a small CPU build.

PYTHON ?= python3
VENV ?= .venv
PROFILE ?= fast
TORCH_SPEC ?= torch==2.13.0
NOTEBOOKS ?=
PYTEST_ARGS ?=
# pytest-xdist processes; each test file runs whole in one of them (--dist loadfile: a lesson's notebook runs once). 0: one process.
TEST_WORKERS ?= 2
BIN := $(VENV)/bin
STAMP := $(VENV)/.ftcourse-installed

# Offline-first: the shared data folder beside this checkout is used when it exists.
ifneq ($(wildcard ../shared/data),)
export FTCOURSE_DATA_DIR ?= $(abspath ../shared/data)
endif
export PYTHONUNBUFFERED = 1
export MPLBACKEND = Agg

.PHONY: setup course test exercises lab lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ftcourse)" >/dev/null
	touch $(STAMP)

course: setup
	$(BIN)/ftcourse run --profile $(PROFILE) $(NOTEBOOKS)

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

exercises: setup
	$(BIN)/ftcourse exercises

lab: setup
	$(BIN)/jupyter lab --notebook-dir=.

lint: setup
	$(BIN)/ruff check ftcourse tests bench
	$(BIN)/ruff format --check ftcourse tests bench

clean:
	rm -rf build outputs .pytest_cache
