"""Shared fixtures: the real MiniLM model (loaded once), a temporary embedded Qdrant store and a
temporary catalog per test, corpus templates built once per session, and the real data.

Two parametrizations are added here rather than in each test:
- a test marked `numerics` runs once per dtype in DTYPES: its models load in that dtype
  (`each_dtype`, passed to every load and to the Settings it builds);
- a test of the catalog suites (tests/retrieval, tests/ingest) that uses a catalog runs once on
  SQLite and once on PostgreSQL (where TEST_POSTGRES_URL names a server).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters import Encoder, ModelSpec, configure_torch, load_model_specs
from retrieval import Catalog, Retriever, Settings
from retrieval.store._edge import EdgeStore
from tests.support.corpora import (
    CorpusTemplate,
    ingest_with_minilm,
    load_cached,
    loader_in,
    write_textbook_sections,
)
from tests.support.databases import (
    CATALOG_SUITES,
    NO_POSTGRES,
    POSTGRES_ADMIN_URL,
    SQL_BACKENDS,
    throwaway_sql_url,
)
from tests.support.dtypes import DTYPES, SESSION_DTYPE
from tests.support.paths import MODEL_CACHE, REPO, SHARED_DATA

TEXTBOOK_CORPUS = "cardiology"
# The loggers a command run in-process configures (`configure_logging`) for the whole process.
CONFIGURED_LOGGERS = ("adapters", "retrieval", "ingest", "benchmarks", "ui", "pypdf")
# Fixtures whose store and catalog are copies of a template: `store` and `sql_url` seed
# themselves from the template when the test asks for one of these.
SEEDED_BY = {"textbook_corpus": "textbook_template"}


def pytest_report_header() -> list[str]:
    backends = ", ".join(SQL_BACKENDS) + ("" if POSTGRES_ADMIN_URL else f" ({NO_POSTGRES})")
    return [
        f"dtypes: `numerics` tests in {' and '.join(DTYPES)}, the rest in {SESSION_DTYPE}",
        f"catalog backends: {backends}",
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("numerics"):
        metafunc.parametrize("each_dtype", DTYPES, indirect=True)
    suite = metafunc.definition.path.relative_to(REPO).as_posix()
    if "sql_backend" in metafunc.fixturenames and suite.startswith(CATALOG_SUITES):
        metafunc.parametrize("sql_backend", SQL_BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def each_dtype(request: pytest.FixtureRequest) -> str:
    """The dtype this test's models compute in, with one torch thread.

    A test marked `numerics` gets each of DTYPES in turn; the others get the session's
    (CARDIORAG_DTYPE, `auto` by default). The fixtures below load in it and build their
    Settings with it; a test that loads a model itself passes `in_dtype(each_dtype)`.
    """
    configure_torch(1)  # also after a command run in-process set its own
    return getattr(request, "param", SESSION_DTYPE)


@pytest.fixture(autouse=True)
def _loggers_restored() -> Iterator[None]:
    """Our loggers (and pypdf's) as they were before the test: a CLI command run in-process
    sets their handlers, levels and propagation, which would hide records from later tests'
    caplog."""
    loggers = [logging.getLogger(name) for name in CONFIGURED_LOGGERS]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the real test data is missing: {SHARED_DATA} (set CARDIORAG_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def specs() -> dict[str, ModelSpec]:
    return load_model_specs()


@pytest.fixture(scope="session")
def minilm(specs: dict[str, ModelSpec]) -> Encoder:
    """MiniLM in the session's dtype."""
    return load_cached(specs["minilm"])


@pytest.fixture(scope="session")
def minilm_fp32(specs: dict[str, ModelSpec]) -> Encoder:
    """MiniLM in float32 on any host: the reference that other precisions are held to."""
    return load_cached(specs["minilm"], "float32")


@pytest.fixture
def minilm_each(each_dtype: str, specs: dict[str, ModelSpec]) -> Encoder:
    """MiniLM computing in the test's dtype (in both, one run each, for `numerics` tests),
    checked to compute in it."""
    return load_cached(specs["minilm"], each_dtype)


def _template(request: pytest.FixtureRequest) -> CorpusTemplate | None:
    """The corpus template this test's store and catalog start from, if it asks for one."""
    wanted = [name for name in SEEDED_BY if name in request.fixturenames]
    return request.getfixturevalue(SEEDED_BY[wanted[0]]) if wanted else None


@pytest.fixture
def sql_backend(request: pytest.FixtureRequest) -> str:
    """SQLite, or the backend this run of a catalog-suite test was given."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def sql_url(
    tmp_path: Path, sql_backend: str, each_dtype: str, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The test's catalog database: SQLite in tmp_path, or a PostgreSQL database of its own."""
    template = _template(request)
    seed = template.catalog_url(sql_backend, each_dtype) if template is not None else None
    with throwaway_sql_url(tmp_path / "catalog.db", sql_backend, template=seed) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, sql_url: str, each_dtype: str) -> Settings:
    """Settings over the test's catalog whose models compute in the test's dtype."""
    return Settings(
        data_dir=tmp_path / "cardiorag", model_cache_dir=MODEL_CACHE, sql_url=sql_url,
        dtype=each_dtype,
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path, each_dtype: str, request: pytest.FixtureRequest) -> Iterator[EdgeStore]:
    """An embedded store in tmp_path: empty, or a copy of the template the test asks for."""
    template = _template(request)
    if template is not None:  # then the test has a catalog too, and so a backend
        backend = request.getfixturevalue("sql_backend")
        template.copy_store(backend, each_dtype, tmp_path / "qdrant")
    edge = EdgeStore(tmp_path / "qdrant")
    yield edge
    edge.close()


@pytest.fixture
def catalog(sql_url: str) -> Iterator[Catalog]:
    cat = Catalog(sql_url)
    cat.create_schema()
    yield cat
    cat.close()


@pytest.fixture
def encoder_loader(each_dtype: str) -> Callable[[ModelSpec], Encoder]:
    """What `ingest_paths` calls to get an encoder: each spec once per process, in the test's
    dtype."""
    return loader_in(each_dtype)


@pytest.fixture(scope="session")
def textbook_template(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, specs: dict[str, ModelSpec]
) -> Iterator[CorpusTemplate]:
    """The small textbook corpus (15 sections, 31 chunks), ingested with MiniLM once per
    catalog backend and dtype."""
    root = tmp_path_factory.mktemp("textbook-template")
    source = write_textbook_sections(shared_data, root)
    template = CorpusTemplate(
        root / "builds",
        lambda index, dtype: ingest_with_minilm(
            [source], index.store, index.catalog, specs, loader_in(dtype)
        ),
    )
    yield template
    template.close()


@pytest.fixture
def textbook_corpus(store: EdgeStore, catalog: Catalog) -> str:
    """The small textbook corpus in the test's `store` and `catalog` (copies of the template,
    see SEEDED_BY); its name."""
    assert len(catalog.list_documents(TEXTBOOK_CORPUS)) == 15
    return TEXTBOOK_CORPUS


@pytest.fixture
def textbook_retriever(
    textbook_corpus: str, settings: Settings, store: EdgeStore, catalog: Catalog
) -> Iterator[Retriever]:
    """A Retriever over the small textbook corpus (MiniLM, the test's store and catalog)."""
    with Retriever(textbook_corpus, "minilm", settings=settings, store=store, catalog=catalog) as r:
        yield r
