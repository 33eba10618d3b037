"""The vector store on both backends: Qdrant Edge in tmp_path, and the server backend driven
through qdrant-client's own in-process engine. Vectors are real MiniLM embeddings of real
textbook sections and MedQuAD answers, with real BM25 sparse vectors."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from adapters import ModelSpec
from retrieval import (
    CollectionMismatchError,
    RetrievalError,
    Settings,
    StoreLockedError,
    StoreUnavailableError,
    collection_name,
    open_store,
)
from retrieval.parts import DEFAULT_PARTS
from retrieval.search.filters import part_conditions
from retrieval.store._edge import EdgeStore
from retrieval.store._server import ServerStore
from retrieval.store.interface import StoredPoint, VectorStore
from retrieval.store.query import SearchMode, StoreQuery
from retrieval.store.sparse import Bm25Encoder
from tests.support.corpora import load_cached, search_dense

REPO = Path(__file__).resolve().parents[3]
TEXTBOOK = Path("textbook") / "openstax_ap2e_cardiovascular_sections.jsonl"
MEDQUAD = Path("medquad") / "medquad_visible.jsonl"
GLOSSARY = Path("eval") / "openstax_glossary"
POINT_NAMESPACE = uuid.UUID("0b6c1a52-41f4-4a7e-9a57-0f3c5d2e8b11")


# Short textbook sections (one to a few paragraphs each).
SECTION_IDS = (
    "m46710-s00",  # The Cardiovascular System: Blood, introduction
    "m46705-s00",  # Hemostasis
    "m46661-s00",  # Cardiac Cycle
    "m46672-s02",  # Exercise and Maximum Cardiac Output
    "m46597-s06",  # Venules
    "m46708-s00",  # Blood Typing
    "m46664-s04",  # Cardiac Muscle Metabolism
    "m46586-s00",  # Capillary Exchange
)
# Glossary definitions (queries) whose qrels point at one of the sections above.
GLOSSARY_QUERIES = ("g0003", "g0087", "g0192", "g0211", "g0262")
QA_RECORDS = 3
DIMENSION = 384

# qdrant-client's in-process engine accepts payload indexes but does not use them.
pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")


@dataclass(frozen=True)
class Corpus:
    points: list[StoredPoint]
    queries: dict[str, str]  # glossary query id -> definition text
    relevant: dict[str, str]  # glossary query id -> textbook section id
    query_vectors: dict[str, np.ndarray]

    def of_doc(self, doc_id: str) -> list[StoredPoint]:
        return [p for p in self.points if p.metadata["doc_id"] == doc_id]


def _read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


@pytest.fixture(scope="module")
def corpora(shared_data: Path, specs: dict[str, ModelSpec]) -> Callable[[str], Corpus]:
    """The corpus in each dtype, built once for the module on first use."""
    built: dict[str, Corpus] = {}

    def corpus_in(dtype: str) -> Corpus:
        if dtype not in built:
            built[dtype] = _build_corpus(shared_data, specs, dtype)
        return built[dtype]

    return corpus_in


@pytest.fixture
def corpus(each_dtype: str, corpora: Callable[[str], Corpus]) -> Corpus:
    """Vectors computed in the test's dtype (float32, then bfloat16, for `numerics` tests):
    stored, searched and scored alike."""
    return corpora(each_dtype)


def _build_corpus(shared_data: Path, specs: dict[str, ModelSpec], dtype: str) -> Corpus:
    """Real sections and answers embedded by MiniLM in `dtype`, with BM25 vectors."""
    minilm = load_cached(specs["minilm"], dtype)
    sections = {r["id"]: r for r in _read_jsonl(shared_data / TEXTBOOK) if r["id"] in SECTION_IDS}
    assert set(sections) == set(SECTION_IDS)
    answers = list(
        itertools.islice(
            (
                r
                for r in _read_jsonl(shared_data / MEDQUAD)
                if r.get("cardio") and len(r["answer"]) < 1200
            ),
            QA_RECORDS,
        )
    )
    assert len(answers) == QA_RECORDS
    pieces: list[tuple[str, str, str, str, int]] = []  # doc_id, title, doc_type, text, index
    for doc_id in SECTION_IDS:
        record = sections[doc_id]
        for index, text in enumerate(_paragraphs(record["text"])):
            pieces.append((doc_id, record["section_title"], "textbook", text, index))
    for record in answers:
        pieces.append((record["doc_id"], record["question"], "qa", record["answer"].strip(), 0))
    texts = [text for _, _, _, text, _ in pieces]
    dense = minilm.encode_documents(texts)
    sparse = Bm25Encoder().embed_documents(texts)
    points = [
        StoredPoint(
            chunk_id=str(uuid.uuid5(POINT_NAMESPACE, f"{doc_id}\x1f{index}")),
            dense=vector.tolist(),
            sparse=sparse_vector,
            text=text,
            metadata={
                "doc_id": doc_id,
                "source": str(shared_data / (TEXTBOOK if doc_type == "textbook" else MEDQUAD)),
                "title": title,
                "doc_type": doc_type,
                "chunk_index": index,
                "page_start": None,
            },
        )
        for (doc_id, title, doc_type, text, index), vector, sparse_vector in zip(
            pieces, dense, sparse, strict=True
        )
    ]
    queries = {
        r["_id"]: r["text"]
        for r in _read_jsonl(shared_data / GLOSSARY / "queries.jsonl")
        if r["_id"] in GLOSSARY_QUERIES
    }
    qrels = (shared_data / GLOSSARY / "qrels" / "test.tsv").read_text().splitlines()[1:]
    relevant = {
        qid: cid for qid, cid, _ in (line.split("\t") for line in qrels) if qid in GLOSSARY_QUERIES
    }
    assert set(relevant.values()) <= set(SECTION_IDS)
    vectors = minilm.encode_queries([queries[qid] for qid in GLOSSARY_QUERIES])
    return Corpus(points, queries, relevant, dict(zip(GLOSSARY_QUERIES, vectors, strict=True)))


def _server_store() -> ServerStore:
    return ServerStore(QdrantClient(location=":memory:"), ":memory:")


@pytest.fixture(params=["edge", "server"])
def backend(request: pytest.FixtureRequest) -> Iterator[VectorStore]:
    if request.param == "edge":
        yield request.getfixturevalue("store")
        return
    server = _server_store()
    yield server
    server.close()


@pytest.fixture
def name() -> str:
    return f"test__minilm-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def filled(backend: VectorStore, name: str, corpus: Corpus) -> VectorStore:
    backend.create_collection(name, DIMENSION)
    backend.upsert(name, corpus.points)
    backend.finish_writes(name)
    return backend


def test_collection_name_is_cleaned() -> None:
    assert collection_name("Cardiology", "minilm") == "cardiology__minilm"
    assert collection_name("my corpus/2", "BGE.small@v1.5") == "my-corpus-2__bge-small-v1-5"


def test_ensure_collection_creates_then_accepts_the_same_dimension(
    backend: VectorStore, name: str
) -> None:
    assert not backend.collection_exists(name)
    backend.ensure_collection(name, DIMENSION)
    assert backend.collection_exists(name)
    info = backend.collection_info(name)
    assert (info.name, info.dimension, info.points) == (name, DIMENSION, 0)
    backend.ensure_collection(name, DIMENSION)  # idempotent
    assert backend.collection_info(name).dimension == DIMENSION


def test_ensure_collection_refuses_another_dimension(backend: VectorStore, name: str) -> None:
    backend.ensure_collection(name, DIMENSION)
    with pytest.raises(CollectionMismatchError) as caught:
        backend.ensure_collection(name, 768)
    assert (caught.value.collection, caught.value.expected, caught.value.found) == (
        name,
        768,
        DIMENSION,
    )
    assert "--recreate" in str(caught.value)


@pytest.mark.numerics
def test_upsert_counts_every_point(filled: VectorStore, name: str, corpus: Corpus) -> None:
    assert filled.collection_info(name).points == len(corpus.points)
    assert filled.point_ids(name) == {p.chunk_id for p in corpus.points}


@pytest.mark.numerics
def test_upsert_same_id_twice_keeps_one_point_with_the_new_payload(
    backend: VectorStore, name: str, corpus: Corpus
) -> None:
    backend.create_collection(name, DIMENSION)
    first, other = corpus.points[0], corpus.points[1]
    backend.upsert(name, [first])
    replacement = StoredPoint(
        first.chunk_id, other.dense, other.sparse, other.text, {**first.metadata, "title": "new"}
    )
    backend.upsert(name, [replacement])
    backend.upsert(name, [])  # nothing to do
    assert backend.point_ids(name) == {first.chunk_id}
    assert backend.collection_info(name).points == 1
    [hit] = search_dense(backend, name, other.dense, k=5)
    assert hit.chunk_id == first.chunk_id
    assert hit.text == other.text
    assert hit.metadata["title"] == "new"
    assert hit.score == pytest.approx(1.0, abs=1e-4)


@pytest.mark.numerics
def test_delete_documents_removes_every_chunk_of_those_documents_only(
    filled: VectorStore, name: str, corpus: Corpus
) -> None:
    multi = next(d for d in SECTION_IDS if len(corpus.of_doc(d)) > 1)
    qa = corpus.points[-1].metadata["doc_id"]
    gone = {p.chunk_id for p in corpus.of_doc(multi) + corpus.of_doc(qa)}
    filled.delete_documents(name, [multi, qa, "no-such-document"])
    remaining = filled.point_ids(name)
    assert remaining == {p.chunk_id for p in corpus.points} - gone
    assert filled.collection_info(name).points == len(remaining)
    filled.delete_documents(name, [])  # nothing to do
    assert filled.point_ids(name) == remaining


@pytest.mark.numerics
def test_delete_documents_in_batches(
    filled: VectorStore, name: str, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("retrieval.store._edge._DELETE_BATCH", 2)
    monkeypatch.setattr("retrieval.store._server._DELETE_BATCH", 2)
    filled.delete_documents(name, list(SECTION_IDS))
    assert filled.point_ids(name) == {
        p.chunk_id for p in corpus.points if p.metadata["doc_type"] == "qa"
    }


@pytest.mark.numerics
def test_point_ids_scrolls_every_page(
    filled: VectorStore, name: str, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("retrieval.store._edge._SCROLL_PAGE", 3)
    monkeypatch.setattr("retrieval.store._server._SCROLL_PAGE", 3)
    assert len(corpus.points) > 3
    assert filled.point_ids(name) == {p.chunk_id for p in corpus.points}


@pytest.mark.numerics
@pytest.mark.parametrize("query_id", GLOSSARY_QUERIES)
def test_search_dense_finds_the_section_a_glossary_definition_comes_from(
    filled: VectorStore, name: str, corpus: Corpus, query_id: str
) -> None:
    vector = corpus.query_vectors[query_id]
    hits = search_dense(filled, name, vector.tolist(), k=5)
    assert len(hits) == 5
    top = hits[0]
    assert top.metadata["doc_id"] == corpus.relevant[query_id]
    point = next(p for p in corpus.points if p.chunk_id == top.chunk_id)
    assert top.text == point.text
    assert top.metadata == point.metadata
    # Cosine of normalised vectors, as numpy computes it.
    assert top.score == pytest.approx(float(np.dot(vector, point.dense)), abs=1e-4)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.numerics
def test_search_dense_filters_by_doc_type(filled: VectorStore, name: str, corpus: Corpus) -> None:
    vector = corpus.query_vectors["g0192"].tolist()  # cardiac cycle: a textbook query
    unfiltered = search_dense(filled, name, vector, k=3)
    assert {hit.metadata["doc_type"] for hit in unfiltered} == {"textbook"}
    qa_hits = search_dense(filled, name, vector, k=10, doc_types=["qa"])
    assert len(qa_hits) == QA_RECORDS
    assert {hit.metadata["doc_type"] for hit in qa_hits} == {"qa"}
    both = search_dense(filled, name, vector, k=len(corpus.points), doc_types=["qa", "textbook"])
    assert len(both) == len(corpus.points)
    assert search_dense(filled, name, vector, k=5, doc_types=["guideline"]) == []


@pytest.mark.numerics
def test_points_stored_without_a_part_are_body_text(
    filled: VectorStore, name: str, corpus: Corpus
) -> None:
    # Collections written before chunks had a `part` are searched as they always were.
    vector = corpus.query_vectors["g0192"].tolist()

    def found(parts: tuple[str, ...] | None) -> int:
        conditions = part_conditions(parts)
        query = StoreQuery(SearchMode.DENSE, len(corpus.points), vector, conditions=conditions)
        return len(filled.search(name, query))

    assert found(DEFAULT_PARTS) == found(None) == len(corpus.points)
    assert found(("references", "front")) == 0


@pytest.mark.numerics
def test_both_backends_return_the_same_hits(store: EdgeStore, name: str, corpus: Corpus) -> None:
    server = _server_store()
    try:
        for backend in (store, server):
            backend.create_collection(name, DIMENSION)
            backend.upsert(name, corpus.points)
            backend.finish_writes(name)
        for query_id in GLOSSARY_QUERIES:
            vector = corpus.query_vectors[query_id].tolist()
            edge_hits = search_dense(store, name, vector, k=5)
            server_hits = search_dense(server, name, vector, k=5)
            assert [h.chunk_id for h in edge_hits] == [h.chunk_id for h in server_hits]
            assert [h.score for h in edge_hits] == pytest.approx(
                [h.score for h in server_hits], abs=1e-4
            )
    finally:
        server.close()


@pytest.mark.numerics
def test_drop_collection(filled: VectorStore, name: str) -> None:
    filled.drop_collection(name)
    assert not filled.collection_exists(name)
    filled.drop_collection(name)  # no error when missing
    filled.ensure_collection(name, DIMENSION)
    assert filled.collection_info(name).points == 0


# -- Qdrant Edge only ----------------------------------------------------------------------


@pytest.mark.numerics
def test_edge_points_survive_close_and_reopen(tmp_path: Path, name: str, corpus: Corpus) -> None:
    with EdgeStore(tmp_path / "qdrant") as edge:
        edge.create_collection(name, DIMENSION)
        edge.upsert(name, corpus.points)
    with EdgeStore(tmp_path / "qdrant") as edge:
        assert edge.collection_info(name).dimension == DIMENSION
        assert edge.point_ids(name) == {p.chunk_id for p in corpus.points}
        vector = corpus.query_vectors["g0003"].tolist()
        assert search_dense(edge, name, vector, k=1)[0].metadata["doc_id"] == "m46710-s00"


@pytest.mark.numerics
def test_edge_points_written_across_several_optimizations_are_all_found(
    tmp_path: Path, name: str, corpus: Corpus
) -> None:
    # A long ingest has Edge optimize as it goes (every 100k points; here every 10 points):
    # nothing written before, between or after those optimizations goes missing.
    with EdgeStore(tmp_path / "at-once") as at_once:
        at_once.create_collection(name, DIMENSION, "int8")
        at_once.upsert(name, corpus.points)
        at_once.finish_writes(name)
        expected = {
            qid: [hit.chunk_id for hit in search_dense(at_once, name, vector.tolist(), k=5)]
            for qid, vector in corpus.query_vectors.items()
        }
    with EdgeStore(tmp_path / "in-steps", optimize_every=10) as in_steps:
        in_steps.create_collection(name, DIMENSION, "int8")
        for start in range(0, len(corpus.points), 7):
            in_steps.upsert(name, corpus.points[start : start + 7])
        assert in_steps.point_ids(name) == {p.chunk_id for p in corpus.points}
        for qid, vector in corpus.query_vectors.items():
            found = [hit.chunk_id for hit in search_dense(in_steps, name, vector.tolist(), k=5)]
            assert found == expected[qid]


def test_edge_second_store_on_the_same_folder_in_this_process_is_locked_out(
    store: EdgeStore, name: str
) -> None:
    store.create_collection(name, DIMENSION)
    with pytest.raises(StoreLockedError) as caught:
        EdgeStore(store.root)
    assert caught.value.path == store.root
    assert "another process holds the embedded store" in str(caught.value)
    assert isinstance(caught.value, StoreUnavailableError)
    # The refused attempt must not release the holder's lock.
    with pytest.raises(StoreLockedError):
        EdgeStore(store.root)
    assert store.collection_info(name).points == 0
    store.close()
    with EdgeStore(store.root) as again:
        assert again.collection_exists(name)


def test_edge_store_held_by_another_process_is_locked_out(store: EdgeStore) -> None:
    script = (
        "import sys\n"
        "from retrieval.store._edge import EdgeStore\n"
        "from retrieval.errors import StoreLockedError\n"
        "try:\n"
        "    EdgeStore(sys.argv[1])\n"
        "except StoreLockedError as err:\n"
        "    print(err)\n"
        "    sys.exit(3)\n"
    )
    locked = subprocess.run(
        [sys.executable, "-c", script, str(store.root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert locked.returncode == 3, locked.stderr
    assert str(store.root) in locked.stdout
    store.close()
    free = subprocess.run(
        [sys.executable, "-c", script, str(store.root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert free.returncode == 0, free.stdout + free.stderr


def test_edge_other_folders_open_side_by_side(store: EdgeStore, tmp_path: Path) -> None:
    with EdgeStore(tmp_path / "other") as other:
        other.ensure_collection("c", DIMENSION)
        assert other.collection_exists("c")
        assert not store.collection_exists("c")


def test_edge_closed_store_refuses_work(store: EdgeStore, name: str) -> None:
    store.create_collection(name, DIMENSION)
    store.close()
    store.close()  # twice is fine
    with pytest.raises(RetrievalError, match="closed"):
        store.point_ids(name)


def test_edge_missing_collection_is_a_clear_error(store: EdgeStore) -> None:
    with pytest.raises(RetrievalError, match="does not exist"):
        store.point_ids("nowhere__minilm")


def test_edge_create_over_an_interrupted_create(store: EdgeStore, name: str) -> None:
    (store.root / name / "shard").mkdir(parents=True)  # left by a create cut off midway
    assert not store.collection_exists(name)
    store.ensure_collection(name, DIMENSION)
    assert store.collection_info(name).points == 0


# -- the factory -----------------------------------------------------------------------------


def test_open_store_without_url_is_edge_in_data_dir(tmp_path: Path) -> None:
    with open_store(Settings(data_dir=tmp_path / "data")) as opened:
        assert isinstance(opened, EdgeStore)
        assert opened.location == str(tmp_path / "data" / "qdrant")


def test_open_store_with_an_unreachable_url_fails_clearly() -> None:
    settings = Settings(qdrant_url="http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(StoreUnavailableError, match="CARDIORAG_QDRANT_URL"):
        open_store(settings)


@pytest.mark.numerics
def test_export_points_gives_back_what_was_stored(
    filled: VectorStore, name: str, corpus: Corpus
) -> None:
    exported = {point.chunk_id: point for point in filled.export_points(name)}
    assert set(exported) == {point.chunk_id for point in corpus.points}
    for original in corpus.points[:5]:
        copy = exported[original.chunk_id]
        assert copy.text == original.text and copy.metadata == original.metadata
        assert copy.dense == pytest.approx(list(original.dense), abs=1e-5)
        assert dict(zip(copy.sparse.indices, copy.sparse.values, strict=True)) == pytest.approx(
            dict(zip(original.sparse.indices, original.sparse.values, strict=True))
        )
