"""The search API: dense, sparse and hybrid search over a corpus, reranked or not.

Example:
    >>> from retrieval import Retriever
    >>> with Retriever(corpus="cardiology", model="minilm") as r:  # doctest: +SKIP
    ...     for hit in r.search("syncope work-up", k=5, mode="hybrid"):
    ...         print(hit.rank, hit.citation)
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adapters import Encoder, ModelSpec, get_spec
from adapters.context_template import ContextTemplate, header_budget, template_notice
from adapters.cross_encoder import CrossEncoder
from adapters.specs import get_reranker_spec
from retrieval.calibration import RERANK_MODE, calibration_for
from retrieval.catalog.documents import Catalog
from retrieval.errors import (
    CorpusNotEmbeddedError,
    InvalidRequestError,
    StaleEmbeddingsError,
    UnknownCorpusError,
)
from retrieval.model_loader import ModelLoader
from retrieval.parts import DEFAULT_PARTS
from retrieval.search.compare import Comparison, compare_pipelines
from retrieval.search.deadline import Deadline
from retrieval.search.diversity import mmr_order
from retrieval.search.fetch import StoreFetch
from retrieval.search.filters import part_conditions, to_conditions
from retrieval.search.hits import Hit
from retrieval.search.limits import check_depth, describe
from retrieval.search.query_reader import QueryReader
from retrieval.search.request import DEFAULT_CANDIDATES, DEFAULT_HNSW_EF, SearchRequest
from retrieval.search.rerank import rerank
from retrieval.search.table_spread import SPREAD_REACH, spread_table_pieces
from retrieval.settings import Settings
from retrieval.shorthand import QueryReading
from retrieval.store.backends import open_store
from retrieval.store.interface import VectorStore, collection_name
from retrieval.store.query import (
    DEFAULT_FUSION,
    DEFAULT_RRF_K,
    FusionMethod,
    SearchMode,
    StoreQuery,
)
from retrieval.store.sparse import Bm25Encoder

logger = logging.getLogger(__name__)


class Retriever:
    """Search one corpus with any model that has embedded it.

    Built from settings by default (`Retriever(corpus="cardiology", model="minilm")`), or
    given a store, catalog, specs and model loader (`Runtime.retriever` shares the runtime's).
    It closes only what it opened itself.
    """

    def __init__(
        self,
        corpus: str | None = None,
        model: str | None = None,
        *,
        settings: Settings | None = None,
        store: VectorStore | None = None,
        catalog: Catalog | None = None,
        specs: Mapping[str, ModelSpec] | None = None,
        models: ModelLoader | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.models = models or ModelLoader(self.settings)
        self._owns_catalog = catalog is None
        self.catalog = catalog or Catalog(self.settings.sql_url_or_default())
        self._owns_store = store is None
        self.store = store or open_store(self.settings)
        try:
            self._check(corpus, model, specs)
        except BaseException:
            self.close()  # the store's lock goes with a Retriever that never came to be
            raise
        chunking = self.catalog.corpus_chunking(self.corpus) or {}
        self._template = ContextTemplate(chunking.get("context_template", ""))
        self._header_tokens = header_budget(int(chunking.get("chunk_tokens", 0)))
        wanted = ContextTemplate(self.settings.wanted_template())
        self.notices = [n for n in [template_notice(self.corpus, self._template, wanted)] if n]
        for notice in self.notices:
            logger.warning("%s", notice)
        self._bm25 = Bm25Encoder()
        self._fields = self.catalog.metadata_keys(self.corpus)
        self.reader = QueryReader(self.catalog, self.corpus)
        self._embed_query = functools.lru_cache(maxsize=1024)(self._embed_query_uncached)

    def _check(
        self, corpus: str | None, model: str | None, specs: Mapping[str, ModelSpec] | None
    ) -> None:
        """The corpus exists and the model embedded it; its encoder loads now, not at a query."""
        self.specs = dict(specs) if specs is not None else self.settings.model_specs()
        self.corpus = corpus or self.settings.default_corpus
        known = self.catalog.corpus_names()
        if self.corpus not in known:
            raise UnknownCorpusError(self.corpus, known)
        self.model = model or self._default_model()
        self._encoders: dict[str, Encoder] = {}
        self.encoder(self.model)

    def _default_model(self) -> str:
        embedded = [m.model_id for m in self.catalog.corpus_models(self.corpus)]
        if self.settings.default_model in embedded or not embedded:
            return self.settings.default_model
        return embedded[0]

    def encoder(self, model_id: str) -> Encoder:
        """The model's encoder (loaded once per process), checked against its collection once."""
        if model_id not in self._encoders:
            self._encoders[model_id] = self._checked_encoder(model_id)
        return self._encoders[model_id]

    def _checked_encoder(self, model_id: str) -> Encoder:
        spec = get_spec(self.specs, model_id)
        embedded = {m.model_id: m for m in self.catalog.corpus_models(self.corpus)}
        collection = collection_name(self.corpus, model_id)
        if model_id not in embedded or not self.store.collection_exists(collection):
            raise CorpusNotEmbeddedError(self.corpus, model_id, list(embedded))
        if embedded[model_id].spec_hash != spec.spec_hash:
            raise StaleEmbeddingsError(
                self.corpus, model_id, embedded[model_id].spec_hash, spec.spec_hash
            )
        encoder = self.models.encoder(spec)
        self.store.check_dimension(collection, encoder.dimension)
        return encoder

    def _embed_query_uncached(self, model_id: str, query: str) -> tuple[float, ...]:
        encoder = self.encoder(model_id)
        tokens = encoder.count_tokens(encoder.spec.query_prefix + query) + 2
        if tokens > encoder.max_seq_length:
            warnings.warn(
                f"the query has {tokens} tokens; model {model_id!r} reads "
                f"{encoder.max_seq_length}, so its end is cut off",
                stacklevel=4,
            )
        return tuple(float(x) for x in encoder.encode_queries([query])[0])

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mode: SearchMode | str = SearchMode.DENSE,
        model: str | None = None,
        filters: Mapping[str, Any] | None = None,
        parts: Sequence[str] | None = DEFAULT_PARTS,
        offset: int = 0,
        score_threshold: float | None = None,
        fusion: FusionMethod | str = DEFAULT_FUSION,
        mmr: bool = False,
        mmr_lambda: float = 0.5,
        dedupe: bool = True,
        rrf_k: int = DEFAULT_RRF_K,
        candidates: int = DEFAULT_CANDIDATES,
        hnsw_ef: int | None = DEFAULT_HNSW_EF,
        rerank: bool | None = None,
        rerank_candidates: int | None = None,
        expand: bool | None = None,
        spread_tables: bool = True,
    ) -> list[Hit]:
        """The best `k` chunks for `query`, after skipping `offset`.

        A request reaches at most `max_results` deep (offset + k, a setting, 1000 by default)
        and runs at most `search_timeout_s` seconds; its cost is bounded by that depth.

        Args:
            query: What to look for, in words.
            k: How many hits to return (an integer >= 1).
            mode: dense, sparse (BM25) or hybrid (both, fused in one Query API request).
            model: Model id; default: this retriever's model.
            filters: Metadata conditions, all of which must hold: a value or list of values
                per field (`{"doc_type": ["textbook", "guideline"]}`), `{"gte": .., "lte": ..}`
                for numbers, and `page: n` or `page: (first, last)` for page ranges.
            parts: The document parts to search: some of body, references, front (title
                block, licence), back (funding, conflicts), summary (a drug label's
                Highlights); None for all. Chunks stored without a part are body.
            offset: Hits to skip (for paging; an integer >= 0). Pages follow one ranking:
                duplicates are dropped before the page is cut.
            score_threshold: Drop hits scoring below it (its scale depends on the mode; with
                reranking, it applies to the first stage's scores).
            fusion: dbsf (scores normalised, then summed) or rrf (ranks), for hybrid mode.
            mmr: Re-rank candidates by maximal marginal relevance for diverse hits (then the
                reranker does not reorder them).
            mmr_lambda: 1 = relevance only, 0 = diversity only.
            dedupe: Drop near-identical chunks (same text, or dense cosine >= 0.97 with 0.9
                of their words in common).
            rrf_k: RRF's constant: 1/(rrf_k + rank) per list (hybrid with fusion rrf).
            candidates: Chunks each branch of a hybrid search fetches before fusion, at
                least; it widens to cover offset + k, so deep pages are not cut short.
            hnsw_ef: HNSW beam width of the dense search (higher: better recall, slower).
            rerank: Reorder the first stage's best candidates with the reranker (True), keep
                the first stage's order (False), or follow the `rerank` setting (None).
            rerank_candidates: How many first-stage hits the reranker reads (None: the
                `rerank_candidates` setting, 30 by default).
            expand: Read abbreviations and long forms both ways (`read_query`; the reranker
                reads the query as typed); None: the `expand_abbreviations` setting.
            spread_tables: At most two pieces of one table among the first five hits (the
                others move just below them); False: the pieces where they rank.

        Returns:
            Hits ranked from 1 (offset + 1 for a later page), best first.

        Raises:
            InvalidRequestError: An argument of the wrong type or out of range (it names the
                argument and what it takes); EmptyQueryError and UnknownFilterError are kinds.
            RequestTooLargeError: offset + k (or candidates) past `max_results`.
            SearchTimeoutError: The search ran past `search_timeout_s`.
        """
        request = SearchRequest.of(
            query, k=k, mode=mode, model=model, filters=filters, parts=parts, offset=offset,
            score_threshold=score_threshold, fusion=fusion, mmr=mmr, mmr_lambda=mmr_lambda,
            dedupe=dedupe, rrf_k=rrf_k, candidates=candidates, hnsw_ef=hnsw_ef, rerank=rerank,
            rerank_candidates=rerank_candidates, expand=expand, spread_tables=spread_tables,
        )  # fmt: skip
        return self.run(request)

    def run(self, request: SearchRequest) -> list[Hit]:
        """Search with a validated request (`search` builds one from its arguments).

        With reranking on, the first stage's best `rerank_candidates` are reordered by the
        reranker; hits past them keep their first-stage order behind them. Tables are spread
        (`spread_tables`) over the whole ranking, so pages follow one order.
        """
        check_depth(request, self.settings.max_results)
        if request.mmr and request.rerank:
            raise InvalidRequestError(
                "rerank",
                request.rerank,
                "False or None with mmr=True (MMR orders the hits for diversity)",
            )
        reranker = None if request.mmr else self.reranker_for(request.rerank)
        if reranker is None and not request.spread_tables:
            return self._first_stage(request)
        candidates = request.rerank_candidates or self.settings.rerank_candidates
        reach = max(request.depth, candidates if reranker else 0, SPREAD_REACH)
        found = self._first_stage(request.model_copy(update={"k": reach, "offset": 0}))
        if reranker is not None:
            spec = get_reranker_spec(self.settings.reranker_specs(), self.settings.reranker)
            trust = calibration_for(spec.spec_hash, RERANK_MODE)
            top = rerank(request.query, found[:candidates], reranker, self._bm25, curve=trust)
            found = top + found[candidates:]
        ranked = spread_table_pieces(found) if request.spread_tables else found
        return ranked[request.offset : request.depth]

    def read_query(self, query: str, expand: bool | None = None) -> QueryReading:  # noqa: FBT001
        """How a search reads `query`: the texts dense and BM25 search with, and why."""
        wanted = self.settings.expand_abbreviations if expand is None else expand
        return self.reader.read(query, expand=wanted)

    def reranker_for(self, wanted: bool | None) -> CrossEncoder | None:  # noqa: FBT001
        """The reranker a request gets: None where it asks for none (or the settings do).

        Raises:
            InvalidRequestError: Reranking asked for while the `reranker` setting is empty.
            ModelNotFoundError: The configured reranker's weights are not available here.
        """
        if not (self.settings.rerank if wanted is None else wanted):
            return None
        if not self.settings.reranker:
            if wanted:
                raise InvalidRequestError(
                    "rerank", wanted, "False while the `reranker` setting is empty"
                )
            return None
        spec = get_reranker_spec(self.settings.reranker_specs(), self.settings.reranker)
        return self.models.reranker(spec)

    def _first_stage(self, request: SearchRequest) -> list[Hit]:
        model_id = request.model or self.model
        conditions = to_conditions(request.filters, self._fields) + part_conditions(request.parts)
        self.encoder(model_id)  # loading a model (once per process) is not the request's time
        deadline = Deadline(self.settings.search_timeout_s, describe(request, model_id))
        wants_dense = request.mode is not SearchMode.SPARSE or request.mmr
        reading = self.read_query(request.query, request.expand)
        dense = self._embed_query(model_id, reading.dense_text) if wants_dense else None
        deadline.check()
        wants_sparse = request.mode is not SearchMode.DENSE
        base = StoreQuery(
            mode=request.mode,
            k=request.k,
            dense=dense,
            sparse=reading.sparse_query(self._bm25) if wants_sparse else None,
            conditions=conditions,
            offset=request.offset,
            score_threshold=request.score_threshold,
            fusion=request.fusion,
            rrf_k=request.rrf_k,
            candidates=request.candidates,  # StoreFetch widens it to each call's depth
            hnsw_ef=request.hnsw_ef,
        )
        fetch = StoreFetch(self.store, collection_name(self.corpus, model_id), base, deadline)
        if request.mmr and dense is not None:
            reach = 3 * request.depth
            pool = fetch.ranked(depth=reach, unique=request.dedupe, reach=reach)
            vectors = np.asarray([chunk.dense for chunk in pool], dtype=np.float32)
            order = mmr_order(dense, vectors, request.mmr_lambda, request.depth)
            found = [pool[i] for i in order][request.offset :]
        elif request.dedupe:
            found = fetch.ranked(depth=request.depth, unique=True)[request.offset :]
        else:
            found = fetch.page()
        deadline.check()
        searched = reading.searched_words
        hits = [
            Hit.from_scored(rank, chunk, self._bm25.matched_terms(searched, chunk.text))
            for rank, chunk in enumerate(found, start=request.offset + 1)
        ]
        # The query stays out of the log (clinical text); the timeout's message, shown to the
        # person who typed it, names it.
        logger.debug(
            "%s search with %s (k=%d, offset=%d): %d hits in %.1f ms",
            request.mode, model_id, request.k, request.offset, len(hits),
            deadline.elapsed_s() * 1000,
        )  # fmt: skip
        return hits

    def top_cosine(
        self, query: str, *, model: str | None = None, filters: Mapping[str, Any] | None = None
    ) -> float:
        """The query's best dense cosine among the chunks `filters` allow (0.0 where none).

        Beside a reranker's score it tells an off-topic question: nothing in the corpus is near.
        """
        found = self.search(
            query, 1, mode=SearchMode.DENSE, model=model, filters=filters, rerank=False,
            spread_tables=False,
        )  # fmt: skip
        return found[0].score if found else 0.0

    def best_cosine(
        self,
        query: str,
        hits: Sequence[Hit],
        *,
        mode: SearchMode | str = SearchMode.DENSE,
        model: str | None = None,
    ) -> float | None:
        """The dense cosine of the query to the best of `hits` (found in `mode`); None: no hits.

        In dense mode that is its score; in the others its chunk is embedded once more, with
        its context header, as the index has it.
        """
        if not hits:
            return None
        best = hits[0]
        if SearchMode(mode) is SearchMode.DENSE:
            return best.score
        model_id = model or self.model
        encoder = self.encoder(model_id)
        text = self._template.dense_text(
            best.text, best.metadata, self._header_tokens, encoder.count_tokens
        )
        dense_text = self.read_query(query).dense_text  # as dense search embedded it
        query_vector = np.asarray(self._embed_query(model_id, dense_text), dtype=np.float32)
        return float(encoder.encode_documents([text])[0] @ query_vector)

    def compare(self, query: str, models: Sequence[str], k: int = 10, **options: Any) -> Comparison:
        """The same query by several pipelines, with their pairwise agreement on chunk ids.

        A pipeline is a model id, or a model id with RERANKED appended ("minilm+rerank"); see
        `retrieval.search.compare`. `options` are those of `search`.

        Raises:
            InvalidRequestError: Fewer than two pipelines, or a bad search option.
        """
        return compare_pipelines(self.run, SearchRequest.of(query, k=k, **options), models)

    def close(self) -> None:
        """Close the store and the catalog, each only if this retriever opened it."""
        if self._owns_store:
            self.store.close()
        if self._owns_catalog:
            self.catalog.close()

    def __enter__(self) -> Retriever:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
