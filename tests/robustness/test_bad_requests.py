"""Bad and costly search requests: each ends in a named error that says what the argument
takes, or in a bounded result, from the API, the LangChain retriever and the answer/compare
calls alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.bench.commands import app
from ingest import IngestOptions, ingest_paths
from retrieval import (
    Answerer,
    Catalog,
    EmptyQueryError,
    InvalidRequestError,
    RequestTooLargeError,
    Retriever,
    SearchTimeoutError,
    Settings,
    UnknownFilterError,
)
from retrieval.answer.langchain_retriever import CardioRetriever
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.corpora import load_cached, write_textbook_sections
from tests.support.databases import throwaway_sql_url
from tests.support.paths import MODEL_CACHE

CORPUS = "robust"
QUERY = "what causes the heart sounds"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, specs, minilm
) -> Iterator[tuple[Settings, EdgeStore, Catalog]]:
    """The small real textbook corpus (31 chunks, MiniLM), ingested once for the module."""
    root = tmp_path_factory.mktemp("requests")
    with throwaway_sql_url(root / "catalog.db") as sql_url:
        settings = Settings(data_dir=root, model_cache_dir=MODEL_CACHE, sql_url=sql_url)
        catalog = Catalog(sql_url)
        catalog.create_schema()
        store = EdgeStore(root / "qdrant")
        report = ingest_paths(
            [write_textbook_sections(shared_data, root)],
            IngestOptions(corpus=CORPUS, models=[specs["minilm"]]), index=Index(catalog, store),
            load_encoder=load_cached,
        )  # fmt: skip
        assert report.ok
        yield settings, store, catalog
        store.close()
        catalog.close()


def retriever_with(world, **settings: Any) -> Retriever:
    base, store, catalog = world
    return Retriever(
        CORPUS, "minilm", settings=base.model_copy(update=settings), store=store, catalog=catalog
    )


@pytest.fixture(scope="module")
def retriever(world) -> Retriever:
    return retriever_with(world)


# kind -> (search arguments, the error, fragments its message must hold)
BAD_REQUESTS: dict[str, tuple[dict[str, Any], type[Exception], tuple[str, ...]]] = {
    "huge k": ({"k": 100_000}, RequestTooLargeError, ("k=100000", "offset + k = 100000",
                                                     "offset + k <= 1000", "max_results")),
    "huge offset": ({"offset": 10**6}, RequestTooLargeError, ("offset=1000000", "<= 1000")),
    "k plus offset past the limit": ({"k": 600, "offset": 600}, RequestTooLargeError,
                                     ("k=600", "offset + k <= 1000")),
    "huge hybrid candidates": ({"candidates": 10**6, "mode": "hybrid"}, RequestTooLargeError,
                               ("candidates=1000000", "at most 1000")),
    "k as a string": ({"k": "10"}, InvalidRequestError, ("k='10' (str)", "integer >= 1")),
    "k as a float": ({"k": 2.5}, InvalidRequestError, ("k=2.5", "integer >= 1")),
    "k as a bool": ({"k": True}, InvalidRequestError, ("k=True", "integer >= 1")),
    "negative k": ({"k": -1}, InvalidRequestError, ("k=-1", "integer >= 1")),
    "zero k": ({"k": 0}, InvalidRequestError, ("k=0", "integer >= 1")),
    "negative offset": ({"offset": -5}, InvalidRequestError, ("offset=-5", "integer >= 0")),
    "None query": ({"query": None}, InvalidRequestError, ("query=None", "text")),
    "number as query": ({"query": 42}, InvalidRequestError, ("query=42", "text")),
    "empty query": ({"query": ""}, EmptyQueryError, ("query is empty",)),
    "blank query": ({"query": " \n\t"}, EmptyQueryError, ("query is empty",)),
    "unknown mode": ({"mode": "fuzzy"}, InvalidRequestError, ("mode='fuzzy'", "dense, sparse,"
                                                              " hybrid")),
    "unknown fusion": ({"mode": "hybrid", "fusion": "max"}, InvalidRequestError,
                       ("fusion='max'", "rrf, dbsf")),
    "filter on an unknown field": ({"filters": {"specialty": "cardiology"}}, UnknownFilterError,
                                   ("'specialty'", "doc_type")),
    "filters that are not a mapping": ({"filters": ["doc_type"]}, InvalidRequestError,
                                       ("filters=['doc_type']", "mapping")),
    "a range filter with other bounds": ({"filters": {"chunk_index": {"gt": 3}}},
                                         InvalidRequestError, ("'gte' and/or 'lte'",)),
    "a page filter that is not a page": ({"filters": {"page": "three"}}, InvalidRequestError,
                                         ("page number or (first, last)",)),
    "mmr_lambda out of range": ({"mmr": True, "mmr_lambda": 1.5}, InvalidRequestError,
                                ("mmr_lambda=1.5", "[0, 1]")),
    "dedupe as a string": ({"dedupe": "no"}, InvalidRequestError, ("dedupe='no'", "True or")),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(BAD_REQUESTS))
def test_a_bad_request_is_named_with_what_the_argument_takes(retriever: Retriever, kind) -> None:
    arguments, error, fragments = BAD_REQUESTS[kind]
    arguments = {"query": QUERY, **arguments}
    with pytest.raises(error) as info:
        retriever.search(arguments.pop("query"), **arguments)
    for fragment in fragments:
        assert fragment in str(info.value)
    if isinstance(info.value, InvalidRequestError):
        assert info.value.argument in str(info.value) and info.value.allowed


@pytest.mark.parametrize("kind", ["huge k", "k as a string", "unknown mode", "None query"])
def test_the_langchain_retriever_and_answer_raise_the_same_errors(
    retriever: Retriever, kind: str
) -> None:
    arguments, error, fragments = BAD_REQUESTS[kind]
    arguments = {"query": QUERY, **arguments}
    query = arguments.pop("query")
    with pytest.raises(error, match=re.escape(fragments[0])):
        CardioRetriever(retriever=retriever).invoke(query, **arguments)
    with pytest.raises(error, match=re.escape(fragments[0])):
        Answerer().answer(retriever, query, **arguments)


def test_bad_langchain_fields_name_the_allowed_values(retriever: Retriever) -> None:
    with pytest.raises(ValidationError, match="'dense', 'sparse' or 'hybrid'"):
        CardioRetriever(retriever=retriever, mode="fuzzy")
    with pytest.raises(ValidationError, match="valid integer"):
        CardioRetriever(retriever=retriever, k="4")


def test_unknown_arguments_and_a_single_model_compare_are_named(retriever: Retriever) -> None:
    with pytest.raises(InvalidRequestError, match="unknown search argument 'top_k'"):
        Answerer().answer(retriever, QUERY, top_k=3)
    with pytest.raises(InvalidRequestError, match=r"models='minilm'.*at least two model ids"):
        retriever.compare(QUERY, "minilm")


def test_a_request_past_the_time_limit_fails_naming_the_request(world) -> None:
    hurried = retriever_with(world, search_timeout_s=1e-6)
    with pytest.raises(SearchTimeoutError) as info:
        hurried.search(QUERY, k=5, mode="hybrid")
    assert "hybrid search with minilm for 'what causes the heart sounds'" in str(info.value)
    assert "search_timeout_s" in str(info.value)


def test_the_deepest_allowed_requests_are_bounded_results(world) -> None:
    narrow = retriever_with(world, max_results=40)
    chunks = narrow.store.collection_info(f"{CORPUS}__minilm").points
    assert len(narrow.search(QUERY, k=40, dedupe=False)) == min(40, chunks)
    for mode in ("dense", "sparse", "hybrid"):
        assert 0 < len(narrow.search(QUERY, k=40, mode=mode, dedupe=False)) <= chunks
        assert (
            narrow.search(QUERY, k=10, offset=30, mode=mode)
            == narrow.search(QUERY, k=40, mode=mode)[30:]
        )  # a page past the last hit is empty, never an error
        with pytest.raises(RequestTooLargeError, match=r"offset \+ k = 41 .* <= 40"):
            narrow.search(QUERY, k=10, offset=31, mode=mode)


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_pages_follow_one_ranking_after_duplicates_are_dropped(
    retriever: Retriever, mode: str
) -> None:
    whole = retriever.search(QUERY, k=20, mode=mode)
    pages = [retriever.search(QUERY, k=5, offset=o, mode=mode) for o in (0, 5, 10, 15)]
    assert [h.chunk_id for page in pages for h in page] == [h.chunk_id for h in whole]
    assert [h.rank for page in pages for h in page] == list(range(1, len(whole) + 1))


def test_the_cli_refuses_a_depth_past_the_limit_naming_the_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["quality", "--dataset", "any", "--depth", "5000", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--depth" in result.output and "max_results (1000)" in result.output
