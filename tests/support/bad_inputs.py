"""The bad files of the robustness suite: each kind is written by one function into a folder.

Every writer returns the path to hand to `ingest` (the file, or a link to it); the file's
reason must match the pattern next to it. The loaders' own tests (tests/ingest/test_loaders.py)
check the details of each reason (line numbers, encodings); this suite checks that a batch
survives each kind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import SHARED_DATA


def write_broken_pdf(path: Path) -> Path:
    """A file that starts like a PDF and is binary noise after: pypdf cannot read it."""
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    return path


def _truncated_pdf(folder: Path) -> Path:
    path = folder / "truncated.pdf"
    path.write_bytes((SHARED_DATA / "pdfs" / "ehag110.pdf").read_bytes()[:5000])
    return path


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return write


def _jsonl(name: str, *lines: str) -> Callable[[Path], Path]:
    return _write(name, ("\n".join(lines) + "\n").encode())


def _loop(folder: Path) -> Path:
    path = folder / "loop.txt"
    os.symlink(path, path)
    return path


def _duplicate_id(folder: Path) -> Path:
    """A second file whose record reuses the id of the good batch's record (doc id clash)."""
    return _jsonl("again.jsonl", json.dumps({"id": GOOD_ID, "text": "the same id again"}))(folder)


@dataclass(frozen=True, slots=True)
class BadFile:
    """One kind of bad file: how to write it, and what its failure says."""

    write: Callable[[Path], Path]
    reason: str  # a regular expression the failure's reason must match
    first: bool = True  # handed to ingest before the good file (False: after it)


GOOD_ID = "good-record"
BAD_FILES: dict[str, BadFile] = {
    "corrupt PDF": BadFile(lambda f: write_broken_pdf(f / "corrupt.pdf"), r"corrupt or not a PDF"),
    "truncated PDF": BadFile(_truncated_pdf, r"corrupt or not a PDF"),
    "empty PDF": BadFile(_write("empty.pdf", b""), r"the PDF file is empty"),
    "empty text file": BadFile(_write("empty.txt", b""), r"the file has no text"),
    "whitespace-only markdown": BadFile(_write("blank.md", b" \n\n\t\n"), r"the file has no text"),
    "binary data as .txt": BadFile(
        _write("binary.txt", bytes(range(256)) * 16), r"binary data, not text"
    ),
    "wrong encoding (latin-1 read as utf-8)": BadFile(
        _write("latin1.txt", "Sténose aortique: souffle systolique.".encode("latin-1")),
        r"not valid utf-8 text .* pass --encoding",
    ),
    "broken JSONL line": BadFile(
        _jsonl("broken.jsonl", json.dumps({"id": "a", "text": "fine"}), '{"id": "b", "te'),
        r":2: invalid JSON",
    ),
    "JSONL line that is not an object": BadFile(
        _jsonl("list.jsonl", "[1, 2, 3]"), r":1: a JSONL line must be an object"
    ),
    "JSONL without an id field": BadFile(
        _jsonl("noid.jsonl", json.dumps({"body": "text without an id"})),
        r"no id field .* --id-field",
    ),
    "CSV missing its text column": BadFile(
        _write("notes.csv", b"id,description\n1,chest pain\n"), r"no text field .* --text-field"
    ),
    "CSV row with too many values": BadFile(
        _write("ragged.csv", b"id,text\n1,chest pain\n2,palpitations,extra\n"),
        r":3: more values than header columns",
    ),
    "unsupported file type": BadFile(
        _write("letter.docx", b"PK\x03\x04"), r"unsupported file type .docx; supported: "
    ),
    "missing path": BadFile(lambda f: f / "nowhere.txt", r"no such file or folder"),
    "symlink loop named explicitly": BadFile(_loop, r"a symbolic link that loops"),
    "a doc id another file of the batch has": BadFile(_duplicate_id, GOOD_ID, first=False),
}
