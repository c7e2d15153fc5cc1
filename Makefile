# The two set-up commands: `make demo` (base package only) and `make test` (everything: requirements.txt).
# Both create .venv if it is missing; pip prints each package it collects and installs (no --quiet).
PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
BASE     := $(VENV)/.installed-base
NB       := $(VENV)/.installed-notebooks
DEV      := $(VENV)/.installed-dev
ARGS     ?=
LAB_ARGS ?=

.PHONY: demo test run lab html bench clean setup browser

setup: $(DEV)

$(PY):
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip "setuptools>=77"

$(BASE): pyproject.toml setup.py | $(PY)
	@echo "==> installing esglib (library and command line) into $(VENV)"
	$(PY) -m pip install -e .
	touch $@

$(NB): pyproject.toml setup.py | $(PY)
	@echo "==> installing esglib with the notebooks extra (JupyterLab, widgets, papermill) into $(VENV)"
	$(PY) -m pip install -e ".[notebooks]"
	touch $@ $(BASE)

$(DEV): requirements.txt requirements-dev.txt pyproject.toml setup.py | $(PY)
	@echo "==> installing everything for development and tests (requirements.txt) into $(VENV)"
	$(PY) -m pip install -r requirements.txt
	touch $@ $(NB) $(BASE)

demo: $(BASE)
	$(VENV)/bin/esglib demo

test: $(DEV) browser
	$(PY) -m pytest -n 2 -q

# The browser tests need Debian's chromium + chromedriver: installed here when we are root with apt-get (best effort,
# never fatal); otherwise those tests are skipped and say why.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
	  echo "==> chromium found: the browser tests will run"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "==> installing chromium and chromedriver with apt-get for the browser tests"; \
	  (timeout 600 apt-get install -y --no-install-recommends chromium chromium-driver \
	    || (timeout 300 apt-get update && timeout 600 apt-get install -y --no-install-recommends chromium chromium-driver)) \
	    || echo "==> could not install chromium: the browser tests will be skipped"; \
	else \
	  echo "==> no chromium and not root with apt-get: the browser tests will be skipped (apt-get install chromium chromium-driver)"; \
	fi

# e.g. make run ARGS="score --year 2024"
run: $(BASE)
	$(VENV)/bin/esglib $(ARGS)

# esglib lab adds --allow-root when run as root; extra JupyterLab flags: make lab LAB_ARGS="--no-browser --port 8890"
lab: $(NB)
	$(VENV)/bin/esglib lab -- $(LAB_ARGS)

html: $(NB)
	$(VENV)/bin/esglib html

bench: $(BASE)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info
	find reports -mindepth 1 ! -name README.md -delete
