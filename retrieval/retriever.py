"""The search API: dense, sparse and hybrid search over a corpus, and side-by-side compare.

Example:
    >>> from retrieval import Retriever
    >>> with Retriever(corpus="cardiology", model="minilm") as r:  # doctest: +SKIP
    ...     for hit in r.search("syncope work-up", k=5, mode="hybrid"):
    ...         print(hit.rank, hit.citation)
"""

from __future__ import annotations

import functools
import logging
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters import Encoder, ModelSpec, get_spec, load_encoder
from adapters.context_template import DEFAULT_TEMPLATE, ContextTemplate, header_budget
from retrieval.agreement import jaccard, overlap_at_k, rank_biased_overlap
from retrieval.answer import ExtractiveAnswer, extract_answer
from retrieval.catalog import Catalog
from retrieval.confidence import Assessment, assess, calibration_for
from retrieval.errors import (
    CorpusNotEmbeddedError,
    EmptyQueryError,
    StaleEmbeddingsError,
    UnknownCorpusError,
)
from retrieval.filters import part_conditions, to_conditions
from retrieval.hits import Hit
from retrieval.query import (
    DEFAULT_FUSION,
    DEFAULT_RRF_K,
    FusionMethod,
    SearchMode,
    StoreQuery,
)
from retrieval.settings import Settings
from retrieval.sparse import Bm25Encoder
from retrieval.store import (
    DEFAULT_PARTS,
    ScoredChunk,
    VectorStore,
    collection_name,
    open_store,
)

logger = logging.getLogger(__name__)

# Two chunks whose dense vectors are this close say the same thing: keep the better one.
NEAR_DUPLICATE_COSINE = 0.97
# Measured on MedQuAD (27.6k chunks): Qdrant's default beam lost 0.013 nDCG@10 to exact
# search; ef=256 recovers most of it for well under a millisecond more per query.
DEFAULT_HNSW_EF = 256
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """How two models' top-k lists agree (all in [0, 1], 1 = identical)."""

    first: str
    second: str
    overlap_at_k: float
    jaccard: float
    rbo: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """Each model's hits for one query, their pairwise agreement, and what only one found."""

    query: str
    k: int
    hits: dict[str, list[Hit]]
    pairs: list[PairAgreement]
    only_in: dict[str, list[Hit]]


class Retriever:
    """Search one corpus with any model that has embedded it.

    Built from settings by default (`Retriever(corpus="cardiology", model="minilm")`), or
    given a store, catalog and specs (the app and tests share one store per process).
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
    ) -> None:
        self.settings = settings or Settings()
        self.catalog = catalog or Catalog(self.settings.sql_url_or_default())
        self._owns_store = store is None
        self.store = store or open_store(self.settings)
        self.specs = dict(specs) if specs is not None else self.settings.model_specs()
        self.corpus = corpus or self.settings.default_corpus
        known = self.catalog.corpus_names()
        if self.corpus not in known:
            raise UnknownCorpusError(self.corpus, known)
        self.model = model or self._default_model()
        self._encoders: dict[str, Encoder] = {}
        self._encoder(self.model)  # fail now, not at the first query
        chunking = self.catalog.corpus_chunking(self.corpus) or {}
        self._template = ContextTemplate(chunking.get("context_template", ""))
        self._header_tokens = header_budget(int(chunking.get("chunk_tokens", 0)))
        self.notices: list[str] = [n for n in [self._template_notice()] if n]
        for notice in self.notices:
            logger.warning("%s", notice)
        self._bm25 = Bm25Encoder()
        self._fields = self.catalog.metadata_keys(self.corpus)
        self._embed_query = functools.lru_cache(maxsize=1024)(self._embed_query_uncached)

    def _template_notice(self) -> str | None:
        """What to run when the corpus's dense vectors lack the context the settings ask for.

        A corpus keeps the template it was built with (older ones: none, the text alone) until
        the user rebuilds it; searching it works meanwhile, and says so.
        """
        built = self._template
        wanted = ContextTemplate(
            DEFAULT_TEMPLATE
            if self.settings.context_template is None
            else self.settings.context_template
        )
        if built == wanted:
            return None
        return (
            f"Corpus {self.corpus!r} embeds {built.describe()}, not {wanted.describe()}: "
            f"`ingest PATH... --corpus {self.corpus} --recreate` re-embeds it "
            "(title and section lifted dense nDCG@10 by 0.08-0.10 on our evaluation sets)."
        )

    def _default_model(self) -> str:
        embedded = [m.model_id for m in self.catalog.corpus_models(self.corpus)]
        if self.settings.default_model in embedded or not embedded:
            return self.settings.default_model
        return embedded[0]

    def _encoder(self, model_id: str) -> Encoder:
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
        encoder = load_encoder(
            spec,
            cache_dir=self.settings.model_cache_dir,
            allow_downloads=self.settings.allow_downloads,
        )
        self.store.check_dimension(collection, encoder.dimension)
        return encoder

    def _embed_query_uncached(self, model_id: str, query: str) -> tuple[float, ...]:
        encoder = self._encoder(model_id)
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
        candidates: int = 100,
        hnsw_ef: int | None = DEFAULT_HNSW_EF,
    ) -> list[Hit]:
        """The best `k` chunks for `query`, after skipping `offset`.

        Args:
            query: What to look for, in words.
            k: How many hits to return.
            mode: dense, sparse (BM25) or hybrid (both, fused in one Query API request).
            model: Model id; default: this retriever's model.
            filters: Metadata conditions, all of which must hold: a value or list of values
                per field (`{"doc_type": ["textbook", "guideline"]}`), `{"gte": .., "lte": ..}`
                for numbers, and `page: n` or `page: (first, last)` for page ranges.
            parts: The document parts to search: some of body, references, front (title
                block, licence), back (funding, conflicts); None for all. Chunks stored
                without a part are body.
            offset: Hits to skip (for paging).
            score_threshold: Drop hits scoring below it (its scale depends on the mode).
            fusion: dbsf (scores normalised, then summed) or rrf (ranks), for hybrid mode.
            mmr: Re-rank candidates by maximal marginal relevance for diverse hits.
            mmr_lambda: 1 = relevance only, 0 = diversity only.
            dedupe: Drop near-identical chunks (same text, or dense cosine >= 0.97).
            rrf_k: RRF's constant: 1/(rrf_k + rank) per list (hybrid with fusion rrf).
            candidates: Chunks each branch of a hybrid search fetches before fusion.
            hnsw_ef: HNSW beam width of the dense search (higher: better recall, slower).

        Returns:
            Hits ranked from 1, best first.
        """
        if not query.strip():
            raise EmptyQueryError()
        if k < 1 or offset < 0:
            raise ValueError(f"k must be >= 1 and offset >= 0, got k={k}, offset={offset}")
        mode, model_id = SearchMode(mode), model or self.model
        started = time.perf_counter()
        dense = self._embed_query(model_id, query) if mode is not SearchMode.SPARSE or mmr else None
        post_process = mmr or dedupe
        store_query = StoreQuery(
            mode=mode,
            k=(offset + k) * 3 if post_process else k,
            dense=dense,
            sparse=self._bm25.embed_query(query) if mode is not SearchMode.DENSE else None,
            conditions=to_conditions(filters, self._fields) + part_conditions(parts),
            offset=0 if post_process else offset,
            score_threshold=score_threshold,
            fusion=FusionMethod(fusion),
            rrf_k=rrf_k,
            candidates=candidates,
            hnsw_ef=hnsw_ef,
            with_dense=post_process,
        )
        found = self.store.search(collection_name(self.corpus, model_id), store_query)
        # Equal fused scores (RRF gives ties when two lists swap two chunks) come back in any
        # order; the chunk id settles them so the same query always gives the same ranking.
        found.sort(key=lambda chunk: (-chunk.score, chunk.chunk_id))
        if dedupe:
            found = _drop_near_duplicates(found)
        if mmr and dense is not None:
            found = _mmr(found, dense, mmr_lambda, offset + k)
        if post_process:
            found = found[offset : offset + k]
        hits = [
            Hit.from_scored(rank, chunk, self._bm25.matched_terms(query, chunk.text))
            for rank, chunk in enumerate(found, start=offset + 1)
        ]
        logger.debug(
            "%s search with %s: %d hits in %.1f ms",
            mode,
            model_id,
            len(hits),
            (time.perf_counter() - started) * 1000,
        )
        return hits

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
        encoder = self._encoder(model_id)
        text = self._template.dense_text(
            best.text, best.metadata, self._header_tokens, encoder.count_tokens
        )
        query_vector = np.asarray(self._embed_query(model_id, query), dtype=np.float32)
        return float(encoder.encode_documents([text])[0] @ query_vector)

    def assess(
        self,
        query: str,
        hits: Sequence[Hit],
        *,
        mode: SearchMode | str = SearchMode.DENSE,
        model: str | None = None,
    ) -> Assessment:
        """How likely the best of `hits` (found for `query` in `mode`) is to answer it.

        Its `best_cosine`, mapped by the curve calibrated for this model and mode
        (`retrieval.confidence`); a model without one is never called weak.
        """
        spec = self._encoder(model or self.model).spec
        calibration = calibration_for(spec.spec_hash, str(SearchMode(mode)))
        if calibration is None or not hits:
            return assess(calibration, hits[0].score if hits else None)
        return assess(calibration, self.best_cosine(query, hits, mode=mode, model=model))

    def answer(
        self, query: str, k: int = 5, *, max_sentences: int = 3, **options: Any
    ) -> ExtractiveAnswer:
        """An extractive answer: the sentences of the top `k` hits that best answer the query.

        `options` are those of `search` (mode, filters, model...). No LLM is involved. When
        the best hit is weak (`assess`), no sentence is quoted and the answer says so.
        """
        hits = self.search(query, k, **options)
        model_id = options.get("model") or self.model
        assessment = self.assess(
            query, hits, mode=options.get("mode", SearchMode.DENSE), model=model_id
        )
        if assessment.weak:
            return ExtractiveAnswer(query, [], hits, assessment)
        answer = extract_answer(query, hits, self._encoder(model_id), max_sentences)
        return ExtractiveAnswer(query, answer.sentences, hits, assessment)

    def compare(self, query: str, models: Sequence[str], k: int = 10, **options: Any) -> Comparison:
        """The same query by several models, with their pairwise agreement on chunk ids."""
        if len(models) < 2:
            raise ValueError("compare needs at least two models")
        hits = {model_id: self.search(query, k, model=model_id, **options) for model_id in models}
        ids = {model_id: [hit.chunk_id for hit in found] for model_id, found in hits.items()}
        pairs = [
            PairAgreement(
                first,
                second,
                overlap_at_k(ids[first], ids[second], k),
                jaccard(ids[first], ids[second]),
                rank_biased_overlap(ids[first], ids[second]),
            )
            for n, first in enumerate(models)
            for second in models[n + 1 :]
        ]
        only_in = {
            model_id: [
                hit
                for hit in found
                if not any(hit.chunk_id in ids[other] for other in models if other != model_id)
            ]
            for model_id, found in hits.items()
        }
        return Comparison(query, k, hits, pairs, only_in)

    def close(self) -> None:
        """Close the store if this retriever opened it."""
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Retriever:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _drop_near_duplicates(found: list[ScoredChunk]) -> list[ScoredChunk]:
    """Keep the best of chunks with the same text or near-identical dense vectors."""
    kept: list[ScoredChunk] = []
    texts: set[str] = set()
    vectors: list[np.ndarray] = []
    for chunk in found:
        text = _SPACES.sub(" ", chunk.text).strip().lower()
        vector = np.asarray(chunk.dense) if chunk.dense is not None else None
        if text in texts or (
            vector is not None
            and any(float(vector @ other) >= NEAR_DUPLICATE_COSINE for other in vectors)
        ):
            continue
        kept.append(chunk)
        texts.add(text)
        if vector is not None:
            vectors.append(vector)
    return kept


def _mmr(
    found: list[ScoredChunk], query: Sequence[float], lambda_mult: float, k: int
) -> list[ScoredChunk]:
    """Re-rank by maximal marginal relevance (langchain_core's implementation)."""
    from langchain_core.vectorstores.utils import maximal_marginal_relevance

    candidates = [chunk for chunk in found if chunk.dense is not None]
    if not candidates:
        return found
    order = maximal_marginal_relevance(
        np.asarray(query), [list(chunk.dense or ()) for chunk in candidates], lambda_mult, k
    )
    return [candidates[i] for i in order]
