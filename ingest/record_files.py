"""JSONL and CSV files in parts, so memory stays flat however many records a file holds.

Two passes over the file, each streaming it a part (`RECORD_PART` records) at a time:
1. check: every record parses, ids are unique in the file and not another file's, and the
   fields the context template names are there. A bad record fails the file here, before
   anything is written, as it always has. Only 8 bytes per record are kept (a hash of its
   id), to find duplicates and the documents the file no longer holds.
2. write: each part's new and changed documents are chunked and written through the index
   with the file marked `partial`; the last write removes the documents that left the file
   and marks it `ok` with its hash. A run killed half-way leaves a `partial` file, which the
   next run takes up again: documents already written with the same hash are skipped.
"""

from __future__ import annotations

import array
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.diff import FileDiff
from ingest.documents import Document
from ingest.errors import IngestError, UnreadableFileError
from ingest.loaders import LoadOptions, path_doc_type
from ingest.notes import NOTE_PARSE_TAG
from ingest.records import record_documents
from retrieval.catalog.records import DocumentRecord
from retrieval.index import Index

RECORD_PART = 2000  # records read, checked and written together
# Told the records done so far after each part (progress of a long file).
PartDone = Callable[[int], None]
_HASH_BLOCK = 1 << 20


class Chunking(Protocol):
    """What the record passes need from the run's prepared corpus."""

    def check_fields(self, path: Path, documents: Sequence[Document]) -> None:
        """Raise IngestError when a field the context template names is missing."""

    def chunk(self, document: Document) -> DocumentRecord:
        """The document's catalog record with its chunks."""


def record_file_version(path: Path) -> str:
    """The file's version: the SHA-256 of its bytes (read a block at a time) and of the parse.

    `NOTE_PARSE_VERSION` is folded in because any record file may hold notes: when the note
    rules change, the same bytes are a new version, so the next ingest reads the file again
    instead of skipping it. Only the notes count as changed there (their own hashes fold it
    in too); other records keep their hashes and are left as they are.
    """
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        while block := raw.read(_HASH_BLOCK):
            digest.update(block)
    digest.update(NOTE_PARSE_TAG)
    return digest.hexdigest()


def _id_hash(doc_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "little")


class RecordFile:
    """One JSONL or CSV file of a corpus, checked and then written a part at a time."""

    def __init__(self, path: Path, options: LoadOptions, corpus: str, index: Index) -> None:
        self.path = path
        self.options = options
        self.corpus = corpus
        self.index = index

    def _parts(self) -> Iterator[tuple[list[Document], list[int], int]]:
        """Each part's documents, their line numbers, and its records without text."""
        doc_type = self.options.doc_type or path_doc_type(self.path)
        with (
            self.path.open("rb") as raw,
            # Closed before `raw`: the generator's text layer lets go of the file first.
            closing(
                record_documents(
                    self.path, raw, self.options.fields, doc_type, self.options.encoding
                )
            ) as records,
        ):
            while part := list(islice(records, RECORD_PART)):
                kept = [(line, document) for line, document in part if document is not None]
                yield [d for _, d in kept], [line for line, _ in kept], len(part) - len(kept)

    def _fresh(self, documents: list[Document]) -> tuple[list[Document], dict[str, str]]:
        """The documents that are new or changed, and the stored hashes of the part's ids."""
        stored = self.index.catalog.document_hashes(
            self.corpus, str(self.path), [d.doc_id for d in documents]
        )
        return [d for d in documents if stored.get(d.doc_id) != d.sha256], stored

    def check(self, chunking: Chunking | None, on_part: PartDone) -> FileDiff:
        """Read the whole file without writing: its diff against the catalog.

        Raises:
            IngestError: At the first record that cannot be read or is refused.
        """
        hashes = array.array("Q")
        new = changed = unchanged = empty = 0
        for documents, _lines, no_text in self._parts():
            empty += no_text
            hashes.extend(_id_hash(d.doc_id) for d in documents)
            self._refuse_foreign_ids(documents)
            fresh, stored = self._fresh(documents)
            changed += sum(d.doc_id in stored for d in fresh)
            new += sum(d.doc_id not in stored for d in fresh)
            unchanged += len(documents) - len(fresh)
            if chunking is not None and fresh:
                chunking.check_fields(self.path, fresh)
            on_part(len(hashes) + empty)
        ids = np.sort(np.frombuffer(hashes, dtype=np.uint64))
        if np.any(ids[1:] == ids[:-1]):
            self._refuse_duplicate()
        removed = [
            doc_id
            for doc_id in self.index.catalog.source_doc_ids(self.corpus, str(self.path))
            if not _contains(ids, _id_hash(doc_id))
        ]
        return FileDiff(new=new, changed=changed, unchanged=unchanged, removed=removed, empty=empty)

    def _refuse_foreign_ids(self, documents: list[Document]) -> None:
        owners = self.index.catalog.doc_id_owners(self.corpus, [d.doc_id for d in documents])
        clashes = {doc_id: owner for doc_id, owner in owners.items() if owner != str(self.path)}
        if clashes:
            doc_id, owner = next(iter(clashes.items()))
            raise IngestError(
                self.path,
                f"document id {doc_id!r} already comes from {owner} "
                f"({len(clashes)} clashing ids in a part of {RECORD_PART} records); give "
                "records unique ids or use another corpus",
            )

    def _refuse_duplicate(self) -> None:
        """Find the first id seen twice (a second read; rare) and name both lines."""
        first_line: dict[int, tuple[str, int]] = {}
        for documents, lines, _ in self._parts():
            for document, line in zip(documents, lines, strict=True):
                key = _id_hash(document.doc_id)
                seen = first_line.get(key)
                if seen is not None and seen[0] == document.doc_id:
                    raise UnreadableFileError(
                        self.path,
                        f"duplicate id {document.doc_id!r} (first on line {seen[1]})",
                        line=line,
                    )
                first_line.setdefault(key, (document.doc_id, line))

    def write(self, sha256: str, chunking: Chunking, removed: list[str], on_part: PartDone) -> int:
        """Write the new and changed documents part by part, then finish; the chunks made."""
        chunks = read = 0
        for documents, _lines, no_text in self._parts():
            read += len(documents) + no_text
            fresh, stored = self._fresh(documents)
            if fresh:
                records = [chunking.chunk(document) for document in fresh]
                chunks += sum(len(record.chunks) for record in records)
                stale = [d.doc_id for d in fresh if d.doc_id in stored]
                self.index.replace_source(
                    self.corpus, str(self.path), sha256, records, stale, complete=False
                )
            on_part(read)
        self.index.replace_source(self.corpus, str(self.path), sha256, [], removed)
        return chunks


def _contains(sorted_ids: np.ndarray, key: int) -> bool:
    position = int(np.searchsorted(sorted_ids, np.uint64(key)))
    return position < len(sorted_ids) and int(sorted_ids[position]) == key
