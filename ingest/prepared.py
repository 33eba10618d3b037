"""A run's models, set up on first need, so that a re-run with nothing to do loads none."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from adapters import Encoder
from ingest.chunking import Chunker, corpus_chunking
from ingest.documents import Document
from ingest.options import EncoderLoader, IngestOptions, ProgressCallback
from ingest.points import PointBuilder
from retrieval.catalog import CorpusModel, DocumentRecord
from retrieval.index import Index
from retrieval.store import Bm25Encoder, collection_name


class PreparedCorpus:
    """The run's encoders, its corpus and collections, and the chunker, made on first need.

    Loading a model takes seconds: a re-run over unchanged files with nothing left to embed
    loads no model at all.
    """

    def __init__(
        self,
        index: Index,
        options: IngestOptions,
        load_encoder: EncoderLoader,
        progress: ProgressCallback,
    ) -> None:
        self.index = index
        self.options = options
        self.load_encoder = load_encoder
        self.progress = progress
        self.encoders: list[Encoder] = []
        self._chunker: Chunker | None = None

    def _ready(self) -> Chunker:
        if self._chunker is None:
            self._chunker = self._prepare()
        return self._chunker

    def check_fields(self, path: Path, documents: Sequence[Document]) -> None:
        """Refuse a file that has no field the context template names (see Chunker)."""
        self._ready().check_fields(path, documents)

    def chunk(self, document: Document) -> DocumentRecord:
        """The document's catalog record with its chunks (loads the models the first time)."""
        return DocumentRecord(
            doc_id=document.doc_id,
            sha256=document.sha256,
            title=document.title,
            doc_type=str(document.doc_type),
            pages=document.pages,
            metadata=document.metadata,
            chunks=self._ready().chunk(self.options.corpus, document),
            ocr_pages=document.ocr_pages,
        )

    def has_work(self) -> bool:
        """Whether any model has chunks to embed; prepares the models if so."""
        corpus = self.options.corpus
        if self._chunker is None and any(
            self.index.catalog.pending_count(corpus, spec.id) for spec in self.options.models
        ):
            self._chunker = self._prepare()
        return self._chunker is not None

    def point_builders(self) -> list[PointBuilder]:
        """A point builder per model, in the run's order, over the corpus's chunking."""
        chunking = self._ready().spec
        bm25 = Bm25Encoder()
        return [
            PointBuilder(encoder, chunking, bm25, batch_size=self.options.batch_size)
            for encoder in self.encoders
        ]

    def _prepare(self) -> Chunker:
        """Load the encoders, create the corpus and its collections, build the chunker."""
        corpus, models = self.options.corpus, self.options.models
        for loaded, spec in enumerate(models):
            self.progress(f"load {spec.id}", loaded, len(models))  # a model loads for seconds
            self.encoders.append(self.load_encoder(spec))
        chunking = corpus_chunking(
            corpus,
            self.index.catalog.corpus_chunking(corpus),
            self.encoders,
            self.options.overlap_tokens,
            self.options.context_template,
        )
        self.index.ensure_corpus(corpus, chunking.stored())
        for encoder in self.encoders:
            self.index.prepare_model(corpus, corpus_model(corpus, encoder))
        tokenizer_encoder = next(
            (e for e in self.encoders if e.spec.id == chunking.tokenizer), self.encoders[0]
        )
        return Chunker(tokenizer_encoder.count_tokens, chunking)


def corpus_model(corpus: str, encoder: Encoder) -> CorpusModel:
    """The record of `encoder` embedding `corpus`: its collection, dimension and spec hash."""
    spec = encoder.spec
    return CorpusModel(spec.id, collection_name(corpus, spec.id), encoder.dimension, spec.spec_hash)
