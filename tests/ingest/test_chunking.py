from __future__ import annotations

import dataclasses
import itertools
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from ingest.chunking import Chunker, ChunkingSpec, budget_tokens, make_splitter
from ingest.documents import DocType, Document, Section, SectionKind
from ingest.loaders import LoadOptions, load_file
from retrieval.catalog.records import ChunkRecord

if TYPE_CHECKING:
    from adapters import Encoder

SPEC = ChunkingSpec(tokenizer="minilm", chunk_tokens=254, overlap_tokens=32)


@pytest.fixture(scope="module")
def chunker(minilm: Encoder) -> Chunker:
    return Chunker(minilm.count_tokens, SPEC)


@pytest.fixture(scope="module")
def ehag(shared_data: Path) -> Document:
    path = (shared_data / "pdfs" / "ehag110.pdf").resolve()
    (document,) = load_file(path, path.read_bytes(), LoadOptions()).documents
    return document


@pytest.fixture(scope="module")
def ehag_chunks(ehag: Document, chunker: Chunker) -> tuple[ChunkRecord, ...]:
    return chunker.chunk("cardiology", ehag)


@pytest.fixture(scope="module")
def openstax_records(shared_data: Path) -> list[dict[str, str]]:
    path = next((shared_data / "textbook").glob("*.jsonl"))
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def covered(chunks: tuple[ChunkRecord, ...], length: int) -> list[bool]:
    mask = [False] * length
    for chunk in chunks:
        mask[chunk.char_start : chunk.char_end] = [True] * (chunk.char_end - chunk.char_start)
    return mask


def test_pdf_chunks_fit_the_model(minilm: Encoder, ehag_chunks: tuple[ChunkRecord, ...]) -> None:
    assert len(ehag_chunks) > 50
    for chunk in ehag_chunks:
        assert 0 < minilm.count_tokens(chunk.text) <= 254
        # With [CLS] and [SEP] the chunk still fits the model's window: nothing is cut off.
        assert len(minilm.tokenizer(chunk.text)["input_ids"]) <= minilm.max_seq_length


def test_pdf_chunk_offsets_slice_the_text_back(
    ehag: Document, ehag_chunks: tuple[ChunkRecord, ...]
) -> None:
    # The document's full text: its sections end to end, a blank line apart.
    text = "\n\n".join(section.text for section in ehag.sections)
    tables = {section.offset for section in ehag.sections if section.kind == "table"}
    assert [c.chunk_index for c in ehag_chunks] == list(range(len(ehag_chunks)))
    for chunk in ehag_chunks:
        assert 0 <= chunk.char_start < chunk.char_end <= len(text)
        # A table's later pieces repeat its caption and header in front of their rows.
        assert chunk.text.endswith(text[chunk.char_start : chunk.char_end])
        if chunk.char_start not in tables and "| --- |" not in chunk.text:
            assert text[chunk.char_start : chunk.char_end] == chunk.text
    starts = [c.char_start for c in ehag_chunks]
    assert starts == sorted(set(starts))
    # Neighbours share some text (the overlap), and no text is dropped.
    assert any(b.char_start < a.char_end for a, b in itertools.pairwise(ehag_chunks))
    mask = covered(ehag_chunks, len(text))
    assert all(mask[i] for i, char in enumerate(text) if not char.isspace())


def test_pdf_chunks_know_their_sections_parts_and_pages(
    ehag: Document, ehag_chunks: tuple[ChunkRecord, ...]
) -> None:
    for chunk in ehag_chunks:
        assert 1 <= chunk.page_start <= chunk.page_end <= 13
        (section,) = [
            s for s in ehag.sections if s.offset <= chunk.char_start < s.offset + len(s.text)
        ]
        assert (chunk.section, chunk.part) == (section.title, section.part)
        assert chunk.page_start == section.page_at(chunk.char_start - section.offset)
    assert ehag_chunks[0].page_start == 1
    assert ehag_chunks[-1].page_end == 13
    assert {c.page_start for c in ehag_chunks} == set(range(1, 14))
    assert {c.part for c in ehag_chunks} == {"body", "front", "back", "references"}


def test_table_is_cut_between_rows_repeating_caption_and_header(chunker: Chunker) -> None:
    caption = "Table 2 Doses of guideline-recommended drugs"
    head = ["| Drug | Starting dose | Target dose |", "| --- | --- | --- |"]
    rows = [f"| drug{n} | {n} mg once daily | {2 * n} mg twice daily |" for n in range(60)]
    table = Section(
        text="\n".join([caption, "", *head, *rows]),
        title="Management",
        page_breaks=((0, 8),),
        kind=SectionKind.TABLE,
    )
    document = dataclasses.replace(paged_document(["x"]), sections=(table,))
    chunks = chunker.chunk("c", document)
    assert len(chunks) > 1
    seen: list[str] = []
    for chunk in chunks:
        lines = chunk.text.splitlines()
        assert lines[:4] == [caption, "", *head]
        assert all(line in rows for line in lines[4:])  # whole rows only
        assert chunker.count_tokens(chunk.text) <= SPEC.chunk_tokens
        assert (chunk.page_start, chunk.page_end, chunk.section) == (8, 8, "Management")
        assert table.text[chunk.char_start : chunk.char_end] == "\n".join(lines[4:]) or (
            chunk.char_start == 0 and table.text[: chunk.char_end] == chunk.text
        )
        seen += lines[4:]
    assert seen == rows  # every row once, in order


def paged_document(pages: list[str]) -> Document:
    # Built the way the PDF loader builds one: pages joined by a blank line.
    breaks, offset = [], 0
    for number, text in enumerate(pages, start=1):
        breaks.append((offset, number))
        offset += len(text) + 2
    return Document(
        doc_id="paged",
        source="paged.pdf",
        title="paged",
        doc_type=DocType.ARTICLE,
        sha256="0" * 64,
        sections=(Section(text="\n\n".join(pages), page_breaks=tuple(breaks)),),
        pages=len(pages),
    )


def test_chunk_spanning_a_page_break(chunker: Chunker) -> None:
    # Short pages of words that carry their page number ("p3w07"): the pages a chunk covers
    # can be read off its own words.
    pages = [" ".join(f"p{page}w{word:02d}" for word in range(20)) for page in range(1, 8)]
    document = paged_document(pages)
    chunks = chunker.chunk("c", document)
    assert len(chunks) > 1
    spanning = 0
    for chunk in chunks:
        assert document.sections[0].text[chunk.char_start : chunk.char_end] == chunk.text
        seen = {int(word[1 : word.index("w")]) for word in chunk.text.split()}
        assert (chunk.page_start, chunk.page_end) == (min(seen), max(seen))
        spanning += chunk.page_start != chunk.page_end
    assert spanning > 0


def test_chunk_ending_at_a_page_end_stays_on_that_page(minilm: Encoder) -> None:
    small = ChunkingSpec(tokenizer="minilm", chunk_tokens=16, overlap_tokens=0)
    pages = [  # 16 tokens each
        "Concentric left ventricular hypertrophy with preserved ejection fraction.",
        "The right atrium is moderately dilated with mild tricuspid regurgitation.",
    ]
    document = paged_document(pages)
    chunks = Chunker(minilm.count_tokens, small).chunk("c", document)
    assert [c.text for c in chunks] == pages
    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 1), (2, 2)]
    assert chunks[0].char_end == len(pages[0])
    assert chunks[1].char_start == len(pages[0]) + 2


def test_markdown_chunks_never_cross_sections(
    tmp_path: Path, chunker: Chunker, openstax_records: list[dict[str, str]]
) -> None:
    # Real text: three long OpenStax sections under headings, one short one.
    longest = sorted(openstax_records, key=lambda r: len(r["text"]))[-3:]
    parts = ["# Cardiovascular system\n\nThree sections of OpenStax A&P 2e.\n"]
    parts += [f"## {r['section_title']}\n\n{r['text']}\n" for r in longest]
    parts.append("## Summary\n\nThe heart pumps blood.\n")
    text = "\n".join(parts)
    path = tmp_path / "cardio.md"
    path.write_text(text, encoding="utf-8")
    (document,) = load_file(path, path.read_bytes(), LoadOptions()).documents
    chunks = chunker.chunk("c", document)
    sections = document.sections
    assert len(sections) == 5
    assert len(chunks) > 10
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        (home,) = [
            s
            for s in sections
            if s.offset <= chunk.char_start and chunk.char_end <= s.offset + len(s.text)
        ]
        assert chunk.section == home.title
        assert chunk.page_start is None
        assert chunk.page_end is None
    for section in sections:
        own = tuple(c for c in chunks if c.section == section.title)
        assert own, section.title
        mask = covered(own, len(text))
        body = range(section.offset, section.offset + len(section.text))
        assert all(mask[i] for i in body if not text[i].isspace())
    assert chunks[-1].section == "Cardiovascular system > Summary"
    assert chunks[-1].text == "The heart pumps blood."


def test_single_section_record_offsets(chunker: Chunker, shared_data: Path) -> None:
    path = next((shared_data / "textbook").glob("*.jsonl")).resolve()
    documents = load_file(path, path.read_bytes(), LoadOptions()).documents
    document = max(documents, key=lambda d: len(d.sections[0].text))
    (section,) = document.sections
    assert section.offset == 0
    chunks = chunker.chunk("c", document)
    assert len(chunks) > 3
    for chunk in chunks:
        assert section.text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.section == section.title


def test_chunk_ids_are_deterministic_and_unique(
    ehag: Document, chunker: Chunker, ehag_chunks: tuple[ChunkRecord, ...]
) -> None:
    again = chunker.chunk("cardiology", ehag)
    assert again == ehag_chunks
    ids = [c.chunk_id for c in ehag_chunks]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(chunk_id).version == 5 for chunk_id in ids)


def test_chunk_ids_change_with_version_spec_and_corpus(
    minilm: Encoder, ehag: Document, chunker: Chunker, ehag_chunks: tuple[ChunkRecord, ...]
) -> None:
    ids = {c.chunk_id for c in ehag_chunks}
    edited = dataclasses.replace(ehag, sha256="f" * 64)
    assert ids.isdisjoint(c.chunk_id for c in chunker.chunk("cardiology", edited))
    other_corpus = chunker.chunk("cardiology-dev", ehag)
    assert ids.isdisjoint(c.chunk_id for c in other_corpus)
    # Same cut, other settings: the texts are the same, the ids are not.
    relabelled = SPEC.model_copy(update={"splitter": "recursive-character-v2"})
    same_cut = Chunker(minilm.count_tokens, relabelled).chunk("cardiology", ehag)
    assert [c.text for c in same_cut] == [c.text for c in ehag_chunks]
    assert ids.isdisjoint(c.chunk_id for c in same_cut)
    less_overlap = SPEC.model_copy(update={"overlap_tokens": 16})
    recut = Chunker(minilm.count_tokens, less_overlap).chunk("cardiology", ehag)
    assert ids.isdisjoint(c.chunk_id for c in recut)


def test_chunking_spec_key() -> None:
    same = ChunkingSpec(tokenizer="minilm", chunk_tokens=254, overlap_tokens=32)
    assert SPEC.key() == same.key()
    assert len(SPEC.key()) == 16
    keys = {
        SPEC.key(),
        SPEC.model_copy(update={"tokenizer": "mpnet"}).key(),
        SPEC.model_copy(update={"chunk_tokens": 382}).key(),
        SPEC.model_copy(update={"overlap_tokens": 0}).key(),
    }
    assert len(keys) == 4


@pytest.mark.parametrize(
    "fields",
    [
        {"tokenizer": "minilm", "chunk_tokens": 8, "overlap_tokens": 0},
        {"tokenizer": "minilm", "chunk_tokens": 254, "overlap_tokens": -1},
        {"tokenizer": "minilm", "chunk_tokens": 254, "overlap_tokens": 32, "size": 3},
    ],
    ids=["too-small", "negative-overlap", "unknown-field"],
)
def test_chunking_spec_validation(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ChunkingSpec(**fields)


def test_chunking_spec_is_frozen() -> None:
    with pytest.raises(ValidationError):
        SPEC.chunk_tokens = 100  # type: ignore[misc]


def test_overlap_larger_than_the_chunk_is_capped(
    minilm: Encoder, openstax_records: list[dict[str, str]]
) -> None:
    spec = ChunkingSpec(tokenizer="minilm", chunk_tokens=32, overlap_tokens=500)
    pieces = make_splitter(minilm.count_tokens, spec).split_text(openstax_records[0]["text"])
    assert len(pieces) > 3
    assert all(minilm.count_tokens(piece) <= 32 for piece in pieces)


def test_budget_tokens() -> None:
    assert budget_tokens(256, 0) == 254
    assert budget_tokens(384, 0) == 382
    assert budget_tokens(512, 5) == 505  # e.g. "passage: " prefixes
