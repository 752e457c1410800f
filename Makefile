# The two set-up commands of the README, each working on a fresh machine:
#   make app   — start the app on the bundled sample street office
#   make test  — run the whole test suite (browser tests included when Chromium is there)
#   make postgis — a throw-away PostgreSQL + PostGIS for the PostGIS store's tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: app test lint bench chromium postgis postgis-stop

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,lkh]"
	touch $(STAMP)

# PORT=8600 make app (or make app PORT=8600) serves on another port.
PORT ?= 8501
app: $(STAMP)
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT)

# Debian's Chromium drives the end-to-end tests (Playwright never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; \
	  else echo "chromium not installed: browser tests will be skipped (apt-get install chromium)"; fi; }

# The PostGIS store's tests run on the throw-away cluster of `make postgis` when it can be
# started (root installs Debian's packages); otherwise they are skipped with a message.
test: $(STAMP) chromium
	-@$(MAKE) -s postgis
	GRIDMAP_BROWSER_TESTS=$${GRIDMAP_BROWSER_TESTS:-1} \
	GRIDMAP_TEST_POSTGRES=$${GRIDMAP_TEST_POSTGRES:-$$(cat .postgis/url 2>/dev/null)} \
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_count.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_coldstart.py

# A throw-away PostgreSQL cluster with PostGIS for the store's tests, in .postgis/ (unix
# socket only, no TCP port; fsync off: test data only). Debian's packages are installed
# when missing and we are root. Prints the URL to export:
#   export GRIDMAP_TEST_POSTGRES=$$(cat .postgis/url)
PG_VERSION ?= 15
PG_BIN     ?= /usr/lib/postgresql/$(PG_VERSION)/bin
PG_DIR     := $(CURDIR)/.postgis
PG_AS      := $(if $(filter 0,$(shell id -u)),runuser -u postgres --,)
postgis:
	@test -e /usr/share/postgresql/$(PG_VERSION)/extension/postgis.control || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends postgresql-$(PG_VERSION) \
	    postgresql-$(PG_VERSION)-postgis-3; \
	  else echo "PostGIS not installed (apt-get install postgresql-$(PG_VERSION)-postgis-3):" \
	    "the PostGIS store tests will be skipped"; exit 1; fi; }
	@mkdir -p $(PG_DIR)
	@if [ "$$(id -u)" = 0 ]; then chown postgres $(PG_DIR); fi
	@test -e $(PG_DIR)/data/PG_VERSION || $(PG_AS) $(PG_BIN)/initdb -D $(PG_DIR)/data \
	  -A trust -U gridmap -E UTF8 --locale=C.UTF-8 >/dev/null
	@$(PG_AS) $(PG_BIN)/pg_ctl -D $(PG_DIR)/data status >/dev/null 2>&1 || \
	  $(PG_AS) $(PG_BIN)/pg_ctl -D $(PG_DIR)/data -l $(PG_DIR)/log -w start -o \
	  "-k $(PG_DIR) -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
	   -c full_page_writes=off -c max_connections=60" >/dev/null
	@$(PG_BIN)/psql -h $(PG_DIR) -U gridmap -d postgres -Atqc \
	  "SELECT 1 FROM pg_database WHERE datname = 'gridmap_test'" | grep -q 1 || \
	  $(PG_BIN)/createdb -h $(PG_DIR) -U gridmap gridmap_test
	@$(PG_BIN)/psql -h $(PG_DIR) -U gridmap -d gridmap_test -qc \
	  "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
	@echo "postgresql://gridmap@/gridmap_test?host=$(PG_DIR)" > $(PG_DIR)/url
	@echo "PostGIS ready: export GRIDMAP_TEST_POSTGRES=$$(cat $(PG_DIR)/url)"

postgis-stop:
	@$(PG_AS) $(PG_BIN)/pg_ctl -D $(PG_DIR)/data -m fast stop
