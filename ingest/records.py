"""JSONL and CSV files: one document per record, fields mapped by flags or by known names.

Records are read as the file streams (`record_documents`), so a file of a million records
never sits in memory; `load_records` collects a small file's documents.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from ingest.documents import DocType, Document, Section
from ingest.errors import MissingFieldError, UnreadableFileError
from ingest.notes import NOTE_PARSE_TAG, note_sections, restore_lines
from retrieval.store import RESERVED_FIELDS

# Tried in order when no flag names the field; the defaults fit ../shared/data (textbook,
# MedQuAD, MTSamples notes, BEIR corpus files).
ID_FIELDS = ("id", "_id", "doc_id", "note_id")
TEXT_FIELDS = ("text", "answer", "transcription", "content", "body")
TITLE_FIELDS = ("title", "question", "sample_name", "module_title", "name")
SECTION_FIELDS = ("section_title", "section")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which record fields hold the id, text, title and section; None = try the known names."""

    id: str | None = None
    text: str | None = None
    title: str | None = None
    section: str | None = None


def _pick(record: Mapping[str, Any], chosen: str | None, candidates: tuple[str, ...]) -> str | None:
    if chosen is not None:
        return chosen if chosen in record else None
    return next((name for name in candidates if name in record), None)


def _require(
    path: Path,
    line: int,
    record: Mapping[str, Any],
    chosen: str | None,
    candidates: tuple[str, ...],
    what: str,
    flag: str,
) -> str:
    name = _pick(record, chosen, candidates)
    if name is None:
        wanted = repr(chosen) if chosen else f"one of {', '.join(candidates)}"
        raise MissingFieldError(
            path,
            f"no {what} field ({wanted}); fields are: {', '.join(record)}. Name it with {flag}",
            line=line,
        )
    return name


def infer_record_type(record: Mapping[str, Any]) -> DocType | None:
    """QA pairs and textbook sections can be told by their fields."""
    if "question" in record and "answer" in record:
        return DocType.QA
    if "chapter" in record or "module_title" in record:
        return DocType.TEXTBOOK
    return None


def _record_document(
    path: Path,
    line: int,
    record: Mapping[str, Any],
    raw: bytes,
    fields: FieldMap,
    doc_type: DocType | None,
    default_type: DocType,
) -> Document | None:
    id_name = _require(path, line, record, fields.id, ID_FIELDS, "id", "--id-field")
    text_name = _require(path, line, record, fields.text, TEXT_FIELDS, "text", "--text-field")
    title_name = _pick(record, fields.title, TITLE_FIELDS)
    section_name = _pick(record, fields.section, SECTION_FIELDS)
    doc_id = str(record[id_name]).strip()
    if not doc_id:
        raise MissingFieldError(path, f"empty id in field {id_name!r}", line=line)
    text = str(record[text_name] or "")
    if not text.strip():
        return None
    used = {id_name, text_name, title_name, section_name}
    metadata = {
        # A record field named like one of ours (MedQuAD has its own `source`) is renamed.
        (f"record_{key}" if key in RESERVED_FIELDS else key): value
        for key, value in record.items()
        if key not in used
    }
    section = str(record[section_name]) if section_name and record[section_name] else None
    title = str(record[title_name]).strip() if title_name and record[title_name] else doc_id
    kind = doc_type or infer_record_type(record) or default_type
    sections = _sections(text, section, kind)
    if not sections:
        return None
    return Document(
        doc_id=doc_id,
        source=str(path),
        title=title,
        doc_type=kind,
        sha256=_record_sha256(raw, kind),
        sections=sections,
        metadata=metadata,
    )


def _sections(text: str, section: str | None, kind: DocType) -> tuple[Section, ...]:
    """A note's restored lines cut at its labels (`ingest.notes`); other records: one section."""
    if kind is not DocType.NOTE:
        return (Section(text=text, title=section),)
    return note_sections(restore_lines(text), section)


def _record_sha256(raw: bytes, kind: DocType) -> str:
    """A record's version: the SHA-256 of its bytes, and a note's of how notes are parsed.

    So a new `NOTE_PARSE_VERSION` makes every note a changed document on the next ingest: its
    old chunks are replaced, with no rebuild flag asked for.
    """
    digest = hashlib.sha256(raw)
    if kind is DocType.NOTE:
        digest.update(NOTE_PARSE_TAG)
    return digest.hexdigest()


RecordRows = Iterator[tuple[int, Mapping[str, Any], bytes]]
_BINARY_SNIFF_BYTES = 8192


def _jsonl_rows(path: Path, stream: TextIO) -> RecordRows:
    # The stream splits on \n only: str.splitlines() also splits on U+2028, U+0085... which
    # JSON allows raw inside strings, and would cut such a record in two.
    for line_number, raw_line in enumerate(stream, start=1):
        line = raw_line.removesuffix("\n").removesuffix("\r")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise UnreadableFileError(path, f"invalid JSON ({err.msg})", line=line_number) from err
        if not isinstance(record, dict):
            raise UnreadableFileError(path, "a JSONL line must be an object", line=line_number)
        yield line_number, record, line.encode()


def _csv_rows(path: Path, stream: TextIO) -> RecordRows:
    csv.field_size_limit(sys.maxsize)
    reader = csv.DictReader(stream)
    if not reader.fieldnames:
        raise UnreadableFileError(path, "the CSV has no header row")
    try:
        for row in reader:
            if None in row:
                raise UnreadableFileError(
                    path, "more values than header columns", line=reader.line_num
                )
            raw = json.dumps(row, sort_keys=True).encode()
            yield reader.line_num, row, raw
    except csv.Error as err:
        raise UnreadableFileError(path, f"malformed CSV ({err})", line=reader.line_num) from err


def _text_stream(path: Path, raw: BinaryIO, encoding: str, newline: str) -> TextIO:
    """`raw` as text, decoded as it is read; binary data and unknown encodings refused."""
    if b"\x00" in raw.read(_BINARY_SNIFF_BYTES):
        raise UnreadableFileError(path, "binary data, not text (it contains NUL bytes)")
    raw.seek(0)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as err:
        raise UnreadableFileError(path, f"unknown encoding {encoding!r}") from err
    # utf-8-sig drops a byte order mark (Excel's CSVs), which would stick to the first field.
    return io.TextIOWrapper(
        raw, encoding="utf-8-sig" if codec == "utf-8" else codec, newline=newline
    )


def record_documents(
    path: Path, raw: BinaryIO, fields: FieldMap, doc_type: DocType | None, encoding: str
) -> Iterator[tuple[int, Document | None]]:
    """(line, document) for each record of a JSONL or CSV file as it is read; None: no text.

    Nothing is held beyond the current record, so a file of any size streams through.
    Raises an IngestError naming the file and line at the first record that cannot be read.
    """
    is_jsonl = path.suffix.lower() == ".jsonl"
    stream = _text_stream(path, raw, encoding, "\n" if is_jsonl else "")
    rows = _jsonl_rows(path, stream) if is_jsonl else _csv_rows(path, stream)
    default_type = DocType.ARTICLE if is_jsonl else DocType.NOTE
    line = 0
    try:
        for line, record, raw_record in rows:
            yield (
                line,
                _record_document(path, line, record, raw_record, fields, doc_type, default_type),
            )
    except UnicodeDecodeError as err:
        raise UnreadableFileError(
            path,
            f"not valid {encoding} text after line {line} "
            f"(byte {err.object[err.start : err.start + 1]!r}); pass --encoding with the "
            "file's encoding, e.g. --encoding latin-1",
        ) from err
    finally:
        stream.detach()  # the caller owns `raw`


def load_records(
    path: Path, data: bytes, fields: FieldMap, doc_type: DocType | None, encoding: str
) -> tuple[list[Document], int]:
    """Every document of a small JSONL or CSV file, and the count of records without text.

    Duplicate ids are refused; a broken record fails the whole file, so nothing is
    half-written.
    """
    documents: list[Document] = []
    first_line: dict[str, int] = {}
    empty = 0
    for line, document in record_documents(path, io.BytesIO(data), fields, doc_type, encoding):
        if document is None:
            empty += 1
            continue
        if document.doc_id in first_line:
            raise UnreadableFileError(
                path,
                f"duplicate id {document.doc_id!r} (first on line {first_line[document.doc_id]})",
                line=line,
            )
        first_line[document.doc_id] = line
        documents.append(document)
    return documents, empty
