# Set-up and everyday commands. Every target is idempotent: the virtual environment is
# made once and reinstalled only when pyproject.toml changes.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HASH   := $(shell sha1sum pyproject.toml | cut -c1-10)
STAMP  := $(VENV)/.installed-$(HASH)
HOST   ?= 127.0.0.1
PORT   ?= 5006
# parallel test workers (CI has 2 cores)
JOBS   ?= 2

.PHONY: install demo lint test chromium bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU build of PyTorch first: an unpinned torch pulls gigabytes of CUDA packages
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test,readers]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it through executable_path)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

demo: install
	$(VENV)/bin/mmme demo
	$(VENV)/bin/panel serve dashboards/explorer.py --address $(HOST) --port $(PORT) \
	  --allow-websocket-origin=$(HOST):$(PORT) --allow-websocket-origin=localhost:$(PORT)

# the layer contract (import-linter, docs/architecture.md) and ruff
lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .

# unit, doctest (Examples sections, on the demo), browser and notebook tests
test: install chromium lint
	$(VENV)/bin/mmme demo
	$(PY) -m pytest -n $(JOBS) --dist loadfile --durations=20 --doctest-modules --nbmake mmme_analysis tests notebooks

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
