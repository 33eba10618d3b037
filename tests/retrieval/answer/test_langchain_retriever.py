from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests
from pydantic import ValidationError

from retrieval import EmptyQueryError, Retriever
from retrieval.answer.langchain_retriever import METADATA_KEYS, CardioRetriever
from tests.support.corpora import SMALL_TEXTBOOK_SECTIONS
from tests.support.paths import REPO

ABO = "ABO blood group antigens on red blood cells"
VESSELS = "The Cardiovascular System: Blood Vessels and Circulation"


def test_documents_are_the_hits_with_their_citations(textbook_retriever: Retriever) -> None:
    docs = CardioRetriever(retriever=textbook_retriever).invoke(ABO)
    hits = textbook_retriever.search(ABO, 4)

    assert len(docs) == 4
    assert [d.id for d in docs] == [h.chunk_id for h in hits]
    for doc, hit in zip(docs, hits, strict=True):
        assert isinstance(doc, Document)
        assert doc.page_content == hit.text
        meta = doc.metadata
        assert set(METADATA_KEYS) <= set(meta)
        assert meta["weak_evidence"] is False and 0.5 < meta["best_hit_confidence"] <= 1
        assert meta["chunk_id"] == hit.chunk_id
        assert meta["doc_id"] == hit.doc_id
        assert meta["doc_id"] in SMALL_TEXTBOOK_SECTIONS
        assert meta["rank"] == hit.rank
        assert meta["score"] == pytest.approx(hit.score)
        assert meta["citation"] == hit.citation
        assert (meta["title"], meta["section"]) == (hit.title, hit.section)
        assert (meta["source"], meta["doc_type"]) == (hit.source, "textbook")
        assert (meta["page_start"], meta["page_end"]) == (None, None)
        assert meta["matched_terms"] == list(hit.matched_terms)
        assert (meta["mode"], meta["model"]) == ("dense", "minilm")
        # the record's own fields come along
        assert meta["chapter"] == hit.metadata["chapter"]
        assert meta["chunk_index"] == hit.metadata["chunk_index"]
    assert [d.metadata["rank"] for d in docs] == [1, 2, 3, 4]
    assert docs[0].metadata["citation"] == "Blood Typing - The ABO Blood Group"


def test_k_as_field_and_as_invoke_keyword(textbook_retriever: Retriever) -> None:
    retriever = CardioRetriever(retriever=textbook_retriever, k=3)

    assert len(retriever.invoke(ABO)) == 3
    assert len(retriever.invoke(ABO, k=2)) == 2
    assert len(retriever.invoke(ABO, k=6)) == 6
    assert retriever.k == 3  # a call's k does not stick
    assert len(retriever.invoke(ABO)) == 3


def test_mode_filters_and_model_pass_through(textbook_retriever: Retriever) -> None:
    query = "how is blood pressure measured with a cuff"
    sparse = CardioRetriever(retriever=textbook_retriever, mode="sparse", k=3).invoke(query)
    hits = textbook_retriever.search(query, 3, mode="sparse")
    assert [d.id for d in sparse] == [h.chunk_id for h in hits]
    assert [d.metadata["score"] for d in sparse] == pytest.approx([h.score for h in hits])
    assert all(d.metadata["mode"] == "sparse" for d in sparse)
    assert {"blood", "pressur"} & set(sparse[0].metadata["matched_terms"])

    dense = CardioRetriever(retriever=textbook_retriever, k=3, model="minilm")
    hybrid = dense.invoke(query, mode="hybrid", fusion="dbsf")
    assert [d.id for d in hybrid] == [
        h.chunk_id for h in textbook_retriever.search(query, 3, mode="hybrid", fusion="dbsf")
    ]
    assert {d.metadata["mode"] for d in hybrid} == {"hybrid"}
    assert {d.metadata["model"] for d in hybrid} == {"minilm"}

    in_vessels = CardioRetriever(retriever=textbook_retriever, k=5, filters={"chapter": VESSELS})
    docs = in_vessels.invoke(ABO)
    assert docs and all(d.metadata["chapter"] == VESSELS for d in docs)
    assert [d.id for d in docs] == [
        h.chunk_id for h in textbook_retriever.search(ABO, 5, filters={"chapter": VESSELS})
    ]
    # a call's filters replace the field's
    blood_typing = in_vessels.invoke(ABO, filters={"doc_id": ["m46708-s01", "m46708-s02"]})
    assert {d.metadata["doc_id"] for d in blood_typing} <= {"m46708-s01", "m46708-s02"}


def test_other_search_options_pass_through_and_unknown_ones_fail(
    textbook_retriever: Retriever,
) -> None:
    retriever = CardioRetriever(retriever=textbook_retriever, k=2)
    four, paged = retriever.invoke(ABO, k=4), retriever.invoke(ABO, offset=2)
    assert [d.id for d in paged] == [d.id for d in four[2:]]
    assert [d.metadata["rank"] for d in paged] == [3, 4]

    assert len(retriever.invoke(ABO, verbose=False)) == 2  # LangChain's own keyword
    with pytest.raises(TypeError, match="top_k"):
        retriever.invoke(ABO, top_k=3)


def test_reranking_passes_through_with_each_documents_first_rank(
    textbook_retriever: Retriever,
) -> None:
    reranked = CardioRetriever(retriever=textbook_retriever, k=3, rerank=True).invoke(ABO)
    hits = textbook_retriever.search(ABO, 3, rerank=True)
    assert [d.id for d in reranked] == [h.chunk_id for h in hits]
    assert [d.metadata["first_rank"] for d in reranked] == [h.first_rank for h in hits]
    plain = CardioRetriever(retriever=textbook_retriever, k=3).invoke(ABO, rerank=False)
    assert plain[0].metadata["rerank_score"] is None


def test_errors_are_not_swallowed(textbook_retriever: Retriever) -> None:
    with pytest.raises(EmptyQueryError):
        CardioRetriever(retriever=textbook_retriever).invoke("   ")


@pytest.mark.parametrize(
    ("field", "value"), [("k", 0), ("mode", "semantic"), ("retriever", "cardiology")]
)
def test_invalid_fields_fail_at_construction(
    textbook_retriever: Retriever, field: str, value: Any
) -> None:
    with pytest.raises(ValidationError, match=field):
        CardioRetriever(**{"retriever": textbook_retriever, field: value})


def test_batch_gives_what_invoke_gives(textbook_retriever: Retriever) -> None:
    retriever = CardioRetriever(retriever=textbook_retriever, k=3)
    queries = [ABO, "what causes the heart sounds", "pulmonary circulation to the lungs", ABO]

    batched = retriever.batch(queries)

    assert [[d.id for d in docs] for docs in batched] == [
        [d.id for d in retriever.invoke(q)] for q in queries
    ]
    assert batched[1][0].metadata["citation"] == "Cardiac Cycle - Heart Sounds"
    assert [len(docs) for docs in retriever.batch(queries, k=1, mode="sparse")] == [1, 1, 1, 1]


def test_importing_our_packages_does_not_import_langchain() -> None:
    code = (
        "import sys, adapters, retrieval; "
        "print(sorted(m for m in sys.modules if m.startswith('langchain')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


class TestCardioRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's standard retriever suite, over the real small textbook corpus."""

    @pytest.fixture(autouse=True)
    def _corpus(self, textbook_retriever: Retriever) -> None:
        # The suite reads constructor params from a property, which cannot take fixtures.
        self.base = textbook_retriever

    @property
    def retriever_constructor(self) -> type[CardioRetriever]:
        return CardioRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self.base}

    @property
    def retriever_query_example(self) -> str:
        return "what do the heart valves do"
