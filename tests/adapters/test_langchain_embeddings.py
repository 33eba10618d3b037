from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_qdrant import QdrantVectorStore, RetrievalMode
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests
from qdrant_client import QdrantClient

from adapters import Encoder, ModelSpec, load_encoder, load_model_specs
from adapters.langchain_embeddings import EncoderEmbeddings
from retrieval import Catalog, Retriever, Settings, collection_name
from retrieval.store._server import ServerStore
from retrieval.store.interface import CONTENT_KEY, DENSE_VECTOR, METADATA_KEY, SPARSE_VECTOR
from tests.support.corpora import (
    SMALL_TEXTBOOK_SECTIONS,
    ingest_with_minilm,
    write_textbook_sections,
)
from tests.support.dtypes import in_dtype
from tests.support.paths import MODEL_CACHE

PASSAGES = [
    "The mitral valve lies between the left atrium and the left ventricle.",
    "An S3 gallop can be heard in heart failure with a dilated ventricle.",
]


def test_vectors_are_the_encoders_as_lists_of_floats(minilm: Encoder) -> None:
    embeddings = EncoderEmbeddings(minilm)

    documents = embeddings.embed_documents(PASSAGES)
    query = embeddings.embed_query("Where is the mitral valve?")

    assert len(documents) == 2
    assert all(len(v) == minilm.dimension == embeddings.dimension for v in documents)
    assert all(type(x) is float for v in [*documents, query] for x in v)
    assert np.asarray(documents) == pytest.approx(minilm.encode_documents(PASSAGES), abs=1e-6)
    assert np.asarray(query) == pytest.approx(
        minilm.encode_queries(["Where is the mitral valve?"])[0], abs=1e-6
    )
    assert embeddings.embed_documents([]) == []


@pytest.mark.numerics
def test_documents_and_queries_get_their_own_prefix(
    each_dtype: str, specs: dict[str, ModelSpec]
) -> None:
    # MiniLM has no prefixes; give a copy of its spec some, as E5-style models have.
    spec = specs["minilm"].model_copy(
        update={"id": "minilm-prefixed", "query_prefix": "query: ", "document_prefix": "passage: "}
    )
    encoder = load_encoder(spec, cache_dir=MODEL_CACHE, placement=in_dtype(each_dtype))
    embeddings = EncoderEmbeddings(encoder)
    text = "Where is the mitral valve?"

    raw = encoder.model.encode([f"query: {text}", f"passage: {text}"], convert_to_tensor=True)
    raw = raw.float().numpy()
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)  # in float32, as the encoder does
    assert embeddings.embed_query(text) == pytest.approx(raw[0].tolist(), abs=1e-5)
    assert embeddings.embed_documents([text])[0] == pytest.approx(raw[1].tolist(), abs=1e-5)
    assert embeddings.embed_query(text) != pytest.approx(embeddings.embed_documents([text])[0])


def test_batch_size_must_be_positive(minilm: Encoder) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        EncoderEmbeddings(minilm, batch_size=0)


@pytest.fixture
def server_store() -> Iterator[ServerStore]:
    """Our server backend on qdrant-client's in-process engine (what a server would receive)."""
    client = QdrantClient(location=":memory:")
    store = ServerStore(client, ":memory:")
    yield store
    store.close()


def test_qdrant_vector_store_opens_our_collection(
    tmp_path: Path,
    shared_data: Path,
    server_store: ServerStore,
    catalog: Catalog,
    settings: Settings,
    specs: dict[str, ModelSpec],
    minilm: Encoder,
    encoder_loader,
) -> None:
    source = write_textbook_sections(shared_data, tmp_path)
    report = ingest_with_minilm([source], server_store, catalog, specs, encoder_loader)
    assert report.ok
    name = collection_name("cardiology", "minilm")

    vector_store = QdrantVectorStore(
        client=server_store.client,
        collection_name=name,
        embedding=EncoderEmbeddings(minilm),
        vector_name=DENSE_VECTOR,
        sparse_vector_name=SPARSE_VECTOR,
        content_payload_key=CONTENT_KEY,
        metadata_payload_key=METADATA_KEY,
        retrieval_mode=RetrievalMode.DENSE,
    )
    query = "ABO blood group antigens on red blood cells"
    found = vector_store.similarity_search_with_score(query, k=4)
    with Retriever(
        "cardiology", "minilm", settings=settings, store=server_store, catalog=catalog
    ) as ours:
        hits = ours.search(query, 4, dedupe=False, rerank=False)

    assert [doc.metadata["_id"] for doc, _ in found] == [hit.chunk_id for hit in hits]
    assert [score for _, score in found] == pytest.approx([hit.score for hit in hits], abs=1e-5)
    top, _ = found[0]
    assert top.page_content == hits[0].text
    assert top.metadata["section"] == "The ABO Blood Group"
    assert top.metadata["doc_id"] in SMALL_TEXTBOOK_SECTIONS
    assert top.metadata["doc_type"] == "textbook"
    assert top.metadata["chapter"] == "The Cardiovascular System: Blood"
    # and as a LangChain retriever
    retriever = vector_store.as_retriever(search_kwargs={"k": 2})
    assert [d.metadata["_id"] for d in retriever.invoke(query)] == [h.chunk_id for h in hits[:2]]


def _minilm_params() -> dict[str, Any]:
    # The standard suites build the class from a property, which cannot take fixtures;
    # load_encoder returns the process's one MiniLM.
    minilm = load_model_specs()["minilm"]
    return {"encoder": load_encoder(minilm, cache_dir=MODEL_CACHE, placement=in_dtype())}


class TestEncoderEmbeddingsUnit(EmbeddingsUnitTests):
    """LangChain's standard embeddings unit suite."""

    @property
    def embeddings_class(self) -> type[EncoderEmbeddings]:
        return EncoderEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return _minilm_params()


class TestEncoderEmbeddingsIntegration(EmbeddingsIntegrationTests):
    """LangChain's standard embeddings suite, on the real MiniLM (offline)."""

    @property
    def embeddings_class(self) -> type[EncoderEmbeddings]:
        return EncoderEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return _minilm_params()
