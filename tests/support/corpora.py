"""Real corpora the tests search: small slices of ../shared/data, written, ingested with the
real MiniLM, and kept as templates that each test gets a copy of."""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

import pytest

from adapters import Encoder, ModelSpec, load_encoder
from ingest import IngestOptions, IngestReport, ingest_paths
from retrieval import Catalog, Settings
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from retrieval.store.interface import ScoredChunk, VectorStore
from retrieval.store.query import FieldMatch, SearchMode, StoreQuery
from tests.support.databases import throwaway_sql_url
from tests.support.dtypes import SESSION_DTYPE, computing_in, in_dtype
from tests.support.paths import MODEL_CACHE, TEXTBOOK

# Fifteen short real OpenStax sections from the three cardiovascular chapters (31 chunks
# with MiniLM): enough to search, small enough to ingest in a few seconds.
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
SPARSE_BLOCK = 1 << 16  # bytes read at a time by `copy_sparse`
TINY_BEIR_QUERIES = 10
TINY_BEIR_DOCUMENTS = 15


def load_cached(spec: ModelSpec, dtype: str = SESSION_DTYPE) -> Encoder:
    """What `ingest_paths` calls to get an encoder: each spec loads once per process and dtype,
    checked to compute in `dtype`."""
    return computing_in(load_encoder(spec, cache_dir=MODEL_CACHE, placement=in_dtype(dtype)), dtype)


def loader_in(dtype: str) -> Callable[[ModelSpec], Encoder]:
    """`load_cached` in `dtype`, for `ingest_paths(load_encoder=...)`."""
    return functools.partial(load_cached, dtype=dtype)


def ingest_with_minilm(
    paths: Sequence[Path],
    store: VectorStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader: Callable[[ModelSpec], Encoder] = load_cached,
    corpus: str = "cardiology",
    settings: Settings | None = None,
) -> IngestReport:
    """Ingest `paths` into `corpus` with the real MiniLM (under `settings`, if given)."""
    return ingest_paths(
        list(paths),
        IngestOptions(corpus=corpus, models=[specs["minilm"]]),
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


def search_dense(
    store: VectorStore, name: str, vector: Sequence[float], k: int, doc_types: Sequence[str] = ()
) -> list[ScoredChunk]:
    """A dense query, optionally restricted to some doc types."""
    conditions = (FieldMatch("doc_type", tuple(doc_types)),) if doc_types else ()
    query = StoreQuery(SearchMode.DENSE, k, dense=list(vector), conditions=conditions)
    return store.search(name, query)


def copy_sparse(source: str, target: str) -> None:
    """Copy a file, leaving its runs of zeros as holes.

    Qdrant Edge preallocates its segment files sparse: the small textbook store takes 0.6 MB on
    disk but 129 MB to `shutil.copy2`, which writes the holes out as zeros. Hand-written: the
    standard library has no sparse copy, and `cp --sparse` is GNU's alone.
    """
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while block := reader.read(SPARSE_BLOCK):
            if block.count(0) == len(block):
                writer.seek(len(block), os.SEEK_CUR)
            else:
                writer.write(block)
        writer.truncate()
    shutil.copystat(source, target)


class CorpusTemplate:
    """A corpus ingested once per catalog backend and dtype; tests get copies of it.

    `build` ingests it into an index in a dtype (its models computing in that dtype).

    Each build is a data dir as `Settings` lays one out (`catalog.db` or a PostgreSQL template
    database, and `qdrant/`). A copy costs a file copy (or PostgreSQL's CREATE DATABASE ...
    TEMPLATE) instead of an ingest with the real model.
    """

    def __init__(self, root: Path, build: Callable[[Index, str], IngestReport]) -> None:
        self._root = root
        self._build = build
        self._catalogs: dict[tuple[str, str], str] = {}
        self._databases = ExitStack()

    def _data_dir(self, backend: str, dtype: str) -> Path:
        return self._root / f"{backend}-{dtype}"

    def catalog_url(self, backend: str, dtype: str) -> str:
        """The template's catalog for `backend` and `dtype`, built now if this is the first ask."""
        key = (backend, dtype)
        if key not in self._catalogs:
            data_dir = self._data_dir(backend, dtype)
            data_dir.mkdir(parents=True)
            url = self._databases.enter_context(throwaway_sql_url(data_dir / "catalog.db", backend))
            catalog = Catalog(url)
            catalog.create_schema()
            with EdgeStore(data_dir / "qdrant") as store:
                report = self._build(Index(catalog, store), dtype)
            catalog.close()  # PostgreSQL copies a template only while no one is connected
            assert report.ok, report.failed
            self._catalogs[key] = url
        return self._catalogs[key]

    def copy_store(self, backend: str, dtype: str, target: Path) -> None:
        """The template's store folder in `dtype`, copied to `target`."""
        self.catalog_url(backend, dtype)
        source = self._data_dir(backend, dtype) / "qdrant"
        shutil.copytree(source, target, copy_function=copy_sparse)

    def copy_data_dir(self, target: Path, dtype: str = SESSION_DTYPE) -> Path:
        """A SQLite build copied whole to `target`: a data dir for Settings, the app or the API."""
        self.catalog_url("sqlite", dtype)
        shutil.copytree(self._data_dir("sqlite", dtype), target, copy_function=copy_sparse)
        return target

    def close(self) -> None:
        """Drop the PostgreSQL template databases."""
        self._databases.close()


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
