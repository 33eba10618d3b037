"""Shared fixtures: the real MiniLM model (loaded once), a temporary embedded Qdrant store and
a temporary SQLite catalog per test, and paths to the real data in ../shared/data."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from adapters import Encoder, ModelSpec, configure_torch, load_encoder, load_model_specs
from adapters.placement import requested_dtype
from ingest import IngestReport, ingest_paths
from retrieval import Catalog, Retriever, Settings
from retrieval._edge import EdgeStore
from retrieval.index import Index
from retrieval.query import FieldMatch, SearchMode, StoreQuery
from retrieval.store import ScoredChunk, VectorStore

if TYPE_CHECKING:
    from sqlalchemy import Engine

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CARDIORAG_DATA", REPO.parent / "shared" / "data"))
MODEL_CACHE = Path("~/.cache/cardiorag/models").expanduser()
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "")
TEXTBOOK = "textbook/openstax_ap2e_cardiovascular_sections.jsonl"
# Fifteen short real OpenStax sections from the three cardiovascular chapters (31 chunks
# with MiniLM): enough to search, small enough to ingest for each test.
SMALL_TEXTBOOK_SECTIONS = (
    "m46708-s01",  # Blood Typing - Antigens, Antibodies, and Transfusion Reactions
    "m46708-s02",  # Blood Typing - The ABO Blood Group
    "m46705-s01",  # Hemostasis - Vascular Spasm
    "m46705-s04",  # Hemostasis - Fibrinolysis
    "m46701-s05",  # Leukocytes and Platelets - Platelets
    "m46676-s02",  # Heart Anatomy - Shape and Size of the Heart
    "m46661-s01",  # Cardiac Cycle - Pressures and Flow
    "m46661-s03",  # Cardiac Cycle - Heart Sounds
    "m46672-s01",  # Cardiac Physiology - Resting Cardiac Output
    "m46672-s04",  # Cardiac Physiology - Correlation Between Heart Rates and Cardiac Output
    "m46597-s02",  # Structure and Function of Blood Vessels - Arteries
    "m46597-s03",  # Structure and Function of Blood Vessels - Arterioles
    "m46635-s02",  # Blood Flow, Blood Pressure, and Resistance - Pulse
    "m46635-s03",  # Blood Flow, Blood Pressure, and Resistance - Measurement of Blood Pressure
    "m46646-s01",  # Circulatory Pathways - Pulmonary Circulation
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the real test data is missing: {SHARED_DATA} (set CARDIORAG_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def specs() -> dict[str, ModelSpec]:
    return load_model_specs()


# The dtypes every numerics-sensitive test runs in, whatever this CPU has: bf16 is emulated
# (slower, same rounding) where the CPU lacks it. CARDIORAG_DTYPE sets the rest of the suite's.
DTYPES = ("float32", "bfloat16")
SESSION_DTYPE = os.environ.get("CARDIORAG_DTYPE", "auto")


@pytest.fixture(autouse=True)
def _session_placement() -> None:
    """One torch thread and the session's dtype, also after a command run in-process set its own."""
    configure_torch(1, dtype=SESSION_DTYPE)


@contextmanager
def dtype_forced(dtype: str) -> Iterator[None]:
    """Every spec loaded meanwhile computes in `dtype` (CARDIORAG_DTYPE within the process)."""
    before = requested_dtype()
    configure_torch(1, dtype=dtype)
    try:
        yield
    finally:
        configure_torch(1, dtype=before)


@pytest.fixture(scope="session")
def minilm(specs: dict[str, ModelSpec]) -> Encoder:
    return load_encoder(specs["minilm"], cache_dir=MODEL_CACHE)


@pytest.fixture(scope="session")
def minilm_fp32(specs: dict[str, ModelSpec]) -> Encoder:
    """MiniLM in float32 on any host: the reference that other precisions are held to."""
    with dtype_forced("float32"):
        return load_encoder(specs["minilm"], cache_dir=MODEL_CACHE)


@pytest.fixture(params=DTYPES)
def each_dtype(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once per dtype, with that dtype forced while it runs."""
    with dtype_forced(request.param):
        yield request.param


@pytest.fixture
def minilm_each(each_dtype: str, specs: dict[str, ModelSpec]) -> Encoder:
    """MiniLM computing in float32, then in bfloat16 (one test run each)."""
    return load_encoder(specs["minilm"], cache_dir=MODEL_CACHE)


@contextmanager
def throwaway_sql_url(sqlite_file: Path) -> Iterator[str]:
    """A SQLite file, or a fresh PostgreSQL database when TEST_POSTGRES_URL is set.

    The variable names a server and a role that may create databases, e.g.
    `postgresql+psycopg://cardiorag:cardiorag@127.0.0.1/postgres` (`.ci/run` sets it), and the
    suites that touch the catalog then run against PostgreSQL, one database per test.
    """
    if not POSTGRES_ADMIN_URL:
        yield f"sqlite:///{sqlite_file}"
        return
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cardiorag_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def drop_database(admin: Engine, name: str) -> None:
    """Drop a test database even while an autovacuum worker is in it.

    WITH (FORCE) ends the test's leftover sessions, but PostgreSQL before 16 refuses to end an
    autovacuum worker for a role without pg_signal_backend (InsufficientPrivilege); a plain DROP
    cancels autovacuum itself, so it is the fallback.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    with admin.connect() as connection:
        try:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except ProgrammingError:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture
def sql_url(tmp_path: Path) -> Iterator[str]:
    """The test's catalog database: SQLite in tmp_path, or PostgreSQL (see throwaway_sql_url)."""
    with throwaway_sql_url(tmp_path / "catalog.db") as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, sql_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "cardiorag", model_cache_dir=MODEL_CACHE, sql_url=sql_url)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EdgeStore]:
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
def encoder_loader(minilm: Encoder):
    """What `ingest_paths` calls to get an encoder; loads each spec once per process."""

    def load(spec: ModelSpec) -> Encoder:
        return load_encoder(spec, cache_dir=MODEL_CACHE)

    return load


def ingest_with_minilm(
    paths: Sequence[Path],
    store: VectorStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
    corpus: str = "cardiology",
    settings: Settings | None = None,
) -> IngestReport:
    """Ingest `paths` into `corpus` with the real MiniLM (under `settings`, if given)."""
    return ingest_paths(
        list(paths),
        corpus=corpus,
        models=[specs["minilm"]],
        index=Index(catalog, store, settings),
        load_encoder=encoder_loader,
    )


def write_textbook_sections(
    shared_data: Path, folder: Path, ids: Sequence[str] = SMALL_TEXTBOOK_SECTIONS
) -> Path:
    """The real textbook records with these ids, as a JSONL file in `folder`."""
    wanted = set(ids)
    lines = (shared_data / TEXTBOOK).read_text(encoding="utf-8").splitlines()
    chosen = [line for line in lines if json.loads(line)["id"] in wanted]
    if len(chosen) != len(wanted):
        pytest.fail(f"{shared_data / TEXTBOOK} lacks some of the sections {sorted(wanted)}")
    path = folder / "textbook.jsonl"
    path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def textbook_corpus(
    tmp_path: Path,
    shared_data: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
) -> str:
    """The small textbook corpus, ingested with MiniLM into `store` and `catalog`; its name."""
    source = write_textbook_sections(shared_data, tmp_path)
    report = ingest_with_minilm([source], store, catalog, specs, encoder_loader)
    assert report.ok and report.added == len(SMALL_TEXTBOOK_SECTIONS), report.failed
    return "cardiology"


@pytest.fixture
def textbook_retriever(
    textbook_corpus: str, settings: Settings, store: EdgeStore, catalog: Catalog
) -> Iterator[Retriever]:
    """A Retriever over the small textbook corpus (MiniLM, the test's store and catalog)."""
    with Retriever(textbook_corpus, "minilm", settings=settings, store=store, catalog=catalog) as r:
        yield r


def search_dense(
    store: VectorStore, name: str, vector: Sequence[float], k: int, doc_types: Sequence[str] = ()
) -> list[ScoredChunk]:
    """A dense query, optionally restricted to some doc types."""
    conditions = (FieldMatch("doc_type", tuple(doc_types)),) if doc_types else ()
    query = StoreQuery(SearchMode.DENSE, k, dense=list(vector), conditions=conditions)
    return store.search(name, query)


TINY_BEIR_QUERIES = 10
TINY_BEIR_DOCUMENTS = 15


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_tiny_beir(shared_data: Path, folder: Path) -> Path:
    """A BEIR folder of ten real openstax_glossary queries over fifteen real sections."""
    source = shared_data / "eval" / "openstax_glossary"
    header, *pairs = _lines(source / "qrels" / "test.tsv")
    chosen: dict[str, list[str]] = {}
    for pair in pairs:
        query_id = pair.split("\t")[0]
        if query_id in chosen or len(chosen) < TINY_BEIR_QUERIES:
            chosen.setdefault(query_id, []).append(pair)
    relevant = {pair.split("\t")[1] for lines in chosen.values() for pair in lines}
    corpus = _lines(source / "corpus.jsonl")
    documents = [line for line in corpus if json.loads(line)["_id"] in relevant]
    documents += [line for line in corpus if json.loads(line)["_id"] not in relevant][
        : max(TINY_BEIR_DOCUMENTS - len(documents), 0)
    ]
    queries = [
        line for line in _lines(source / "queries.jsonl") if json.loads(line)["_id"] in chosen
    ]
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("\n".join(documents) + "\n", encoding="utf-8")
    (folder / "queries.jsonl").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text(
        "\n".join([header, *(pair for lines in chosen.values() for pair in lines)]) + "\n",
        encoding="utf-8",
    )
    return folder
