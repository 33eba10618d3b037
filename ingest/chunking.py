"""Token-aware chunking with langchain-text-splitters over the model's own tokenizer.

Chunks never cross sections, and a table section is cut only between its rows, each piece
repeating the table's caption and header row. A corpus is chunked once, for all its models, so
the same chunk has the same id in every model's collection and side-by-side comparison joins on
ids. Each chunk leaves room for the corpus's context header (title, section), which its dense
vector embeds in front of it. A new corpus's chunks fit the smallest model of its first run; a
later run keeps the stored sizes (`corpus_chunking`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from adapters.context_template import (
    DEFAULT_TEMPLATE,
    ContextTemplate,
    TemplateError,
    cut_header,
    header_budget,
)
from ingest.documents import Document, Section, SectionKind
from ingest.errors import IngestError
from retrieval.catalog.records import ChunkRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from langchain_text_splitters import TextSplitter

    from adapters import Encoder

logger = logging.getLogger(__name__)

CHUNK_NAMESPACE = uuid.UUID("6f1c3f5e-7a4b-5c0e-9d43-2b8f0c1a9e77")
# Special tokens ([CLS], [SEP]) that every encoder adds around a chunk.
SPECIAL_TOKENS = 2


class ChunkingSpec(BaseModel):
    """How a corpus is cut: sizes in tokens of the `tokenizer` model's tokenizer.

    Example:
        >>> spec = ChunkingSpec(tokenizer="minilm", chunk_tokens=254, overlap_tokens=32)
        >>> len(spec.key())
        16
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokenizer: str = Field(description="Model id whose tokenizer counts the tokens.")
    chunk_tokens: int = Field(ge=16, description="Most tokens in a chunk, special ones excluded.")
    overlap_tokens: int = Field(ge=0, description="Tokens shared by neighbouring chunks.")
    splitter: str = "recursive-character-v1"
    # "" for corpora built before context headers: they embed the text alone until rebuilt.
    context_template: str = Field("", description="What dense vectors embed (ContextTemplate).")

    def key(self) -> str:
        """A short hash of how text is cut; part of every chunk id (the template is not)."""
        cut = self.model_dump_json(exclude={"context_template"})
        return hashlib.sha256(cut.encode()).hexdigest()[:16]

    def stored(self) -> dict[str, Any]:
        """The form kept in the catalog; an empty template is left out, as older corpora have it."""
        return self.model_dump(exclude={"context_template"} if not self.context_template else None)

    @property
    def header_tokens(self) -> int:
        """The most tokens a context header may take."""
        return header_budget(self.chunk_tokens)


def budget_tokens(max_seq_length: int, prefix_tokens: int) -> int:
    """Chunk tokens that fit a model: its max length less special and prefix tokens."""
    return max_seq_length - SPECIAL_TOKENS - prefix_tokens


def encoder_budget(encoder: Encoder) -> int:
    """Chunk tokens that fit `encoder` behind its document prefix."""
    return budget_tokens(encoder.max_seq_length, encoder.count_tokens(encoder.spec.document_prefix))


def requested_chunking(
    stored: dict[str, Any], overlap_tokens: int, context_template: str | None
) -> ChunkingSpec:
    """A corpus's stored chunking with what this run asks for; ensure_corpus refuses a change.

    The stored sizes stay (new models join the corpus's chunks), but the overlap is the user's
    setting, and so is a context template given on purpose (None: the corpus's own).
    """
    asked: dict[str, Any] = {"overlap_tokens": overlap_tokens}
    if context_template is not None:
        asked["context_template"] = context_template
    return ChunkingSpec(**{**stored, **asked})


def corpus_chunking(
    corpus: str,
    stored: dict[str, Any] | None,
    encoders: Sequence[Encoder],
    overlap_tokens: int,
    context_template: str | None,
) -> ChunkingSpec:
    """The corpus's `stored` chunking, or a new one that fits the smallest model of the run.

    A model that reads fewer tokens than the corpus's chunks is warned about: it embeds them cut.
    """
    if stored is not None:
        spec = requested_chunking(stored, overlap_tokens, context_template)
    else:
        spec = ChunkingSpec(
            tokenizer=encoders[0].spec.id,
            chunk_tokens=min(encoder_budget(e) for e in encoders),
            overlap_tokens=overlap_tokens,
            context_template=DEFAULT_TEMPLATE if context_template is None else context_template,
        )
    for encoder in encoders:
        fits = encoder_budget(encoder)
        if fits < spec.chunk_tokens:
            logger.warning(
                "model %s reads %d tokens but corpus %s has chunks of up to %d: their ends are "
                "cut off for this model; ingest with --recreate to re-chunk",
                encoder.spec.id,
                fits,
                corpus,
                spec.chunk_tokens,
            )
    return spec


def make_splitter(
    count_tokens: Callable[[str], int], spec: ChunkingSpec, chunk_tokens: int | None = None
) -> TextSplitter:
    """A recursive splitter (paragraphs, lines, words) that measures in the model's tokens.

    `count_tokens` is the model's own token counter (`Encoder.count_tokens`); langchain's
    `from_huggingface_tokenizer` does the same but makes the tokenizer warn on every long text.
    `chunk_tokens` overrides the spec's size (a section whose header takes some of it).
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    size = chunk_tokens or spec.chunk_tokens
    return RecursiveCharacterTextSplitter(
        length_function=count_tokens,
        chunk_size=size,
        chunk_overlap=min(spec.overlap_tokens, size // 2),
        add_start_index=True,
    )


def context_values(document: Document, section: Section) -> dict[str, Any]:
    """What a context template can name for a section: title, section and record fields."""
    return {**document.metadata, "title": document.title, "section": section.title}


def chunk_id(corpus: str, document: Document, index: int, spec: ChunkingSpec) -> str:
    """UUID5 of (corpus, document id and version, chunk index, chunking settings)."""
    name = f"{corpus}\x1f{document.doc_id}\x1f{document.sha256}\x1f{index}\x1f{spec.key()}"
    return str(uuid.uuid5(CHUNK_NAMESPACE, name))


class Chunker:
    """Cuts a corpus's documents so that each chunk plus its context header fits the model."""

    def __init__(self, count_tokens: Callable[[str], int], spec: ChunkingSpec) -> None:
        self.count_tokens = count_tokens
        self.spec = spec
        self.template = ContextTemplate(spec.context_template)
        self._splitters: dict[int, TextSplitter] = {}

    def _splitter(self, chunk_tokens: int) -> TextSplitter:
        if chunk_tokens not in self._splitters:
            self._splitters[chunk_tokens] = make_splitter(
                self.count_tokens, self.spec, chunk_tokens
            )
        return self._splitters[chunk_tokens]

    def _room(self, document: Document, section: Section) -> int:
        """Tokens left for the section's chunks once its header (and its newline) is counted."""
        if not self.spec.context_template:
            return self.spec.chunk_tokens
        values = context_values(document, section)
        # The same cut as ContextTemplate.dense_text makes when the chunk is embedded.
        header, was_cut = cut_header(
            self.template.header(values), self.spec.header_tokens, self.count_tokens
        )
        if was_cut:
            logger.warning(
                "document %s (%s): its context header is longer than %d tokens and is cut "
                "for the dense vectors: %r",
                document.doc_id,
                document.source,
                self.spec.header_tokens,
                header,
            )
        return self.spec.chunk_tokens - (self.count_tokens(header) + 1 if header else 0)

    def check_fields(self, path: Path, documents: Sequence[Document]) -> None:
        """Refuse a file none of whose documents has a field the template names.

        A field that some records lack is empty for them (its line is left out).

        Raises:
            IngestError: Naming the file, the unknown fields and the fields it has.
        """
        present = {name for document in documents for name in document.metadata}
        try:
            self.template.check_fields(present, "this file")
        except TemplateError as err:
            raise IngestError(path, str(err)) from err

    def _text_pieces(self, section: Section, room: int) -> list[tuple[str, int, int]]:
        """Prose cut by the recursive splitter: (text, start, end) in the section's text."""
        pieces = []
        cursor = 0
        for text in self._splitter(room).split_text(section.text):
            # Not langchain's `start_index`: it steps back by the overlap in tokens from a
            # position in characters, so it misses a chunk that overlaps its neighbour by more
            # characters than that and gives -1. Chunks are verbatim and in order, so search
            # from just after the previous chunk's start.
            start = section.text.find(text, cursor)
            cursor = start + 1
            pieces.append((text, start, start + len(text)))
        return pieces

    def _table_pieces(self, section: Section, room: int) -> list[tuple[str, int, int]]:
        """A Markdown table cut between rows; each piece starts with the caption and header.

        A single row longer than `room` stays whole: a row cut in two loses what ties its
        cells together (the model reads its first `room` tokens; BM25 all of it).
        """
        lines = section.text.split("\n")
        rule = next((i for i, line in enumerate(lines) if line.startswith("| ---")), None)
        if rule is None or rule == len(lines) - 1:
            return [(section.text, 0, len(section.text))]
        head = "\n".join(lines[: rule + 1])
        budget = room - self.count_tokens(head)
        pieces: list[tuple[str, int, int]] = []
        rows: list[str] = []
        start = end = len(head) + 1
        used = 0
        for line in lines[rule + 1 :]:
            tokens = self.count_tokens(line) + 1
            if rows and used + tokens > budget:
                pieces.append(("\n".join([head, *rows]), start if pieces else 0, end))
                rows, used, start = [], 0, end + 1
            rows.append(line)
            used += tokens
            end = start + len("\n".join(rows))
        pieces.append(("\n".join([head, *rows]), start if pieces else 0, end))
        return pieces

    def chunk(self, corpus: str, document: Document) -> tuple[ChunkRecord, ...]:
        """A document's chunks, section by section, with pages and character offsets."""
        chunks: list[ChunkRecord] = []
        ocr_pages = frozenset(document.ocr_pages)
        for section in document.sections:
            room = self._room(document, section)
            cut = self._table_pieces if section.kind is SectionKind.TABLE else self._text_pieces
            for text, start, end in cut(section, room):
                page_start = section.page_at(start)
                page_end = section.page_at(max(end - 1, start))
                index = len(chunks)
                chunks.append(
                    ChunkRecord(
                        chunk_id=chunk_id(corpus, document, index, self.spec),
                        chunk_index=index,
                        text=text,
                        section=section.title,
                        page_start=page_start,
                        page_end=page_end,
                        char_start=section.offset + start,
                        char_end=section.offset + end,
                        part=str(section.part),
                        ocr=page_start is not None
                        and any(page in ocr_pages for page in range(page_start, page_end + 1)),
                    )
                )
        return tuple(chunks)
