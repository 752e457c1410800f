# The two set-up commands of the README, each working on a fresh machine:
#   make app   — start the app on the bundled sample street office
#   make test  — run the whole test suite (browser tests included when Chromium is there)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: app test lint bench chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,lkh]"
	touch $(STAMP)

app: $(STAMP)
	$(BIN)/streamlit run streamlit_app.py

# Debian's Chromium drives the end-to-end tests (Playwright never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; \
	  else echo "chromium not installed: browser tests will be skipped (apt-get install chromium)"; fi; }

test: $(STAMP) chromium
	GRIDMAP_BROWSER_TESTS=$${GRIDMAP_BROWSER_TESTS:-1} $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_count.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_coldstart.py
