"""From paths to documents: find the files, pick the loader, name the document type.

Parsing is CPU-bound (PDFium, pdfplumber, Tesseract): one process reads about 18 PDF pages/s
on a 2-core CPU, while a GPU embeds faster than that. `parse_ahead` parses files in `workers`
processes (spawned, so no model or thread state is copied into them) while the ingest's own
process writes and chunks the results, in the files' order, so the catalog is written by one
process in a fixed order whatever the workers' speed; one worker parses in-process.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import multiprocessing
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ingest.documents import DocType, Document
from ingest.errors import IngestError, UnsupportedFormatError
from ingest.pdf import READER_TAG, load_pdf
from ingest.records import FieldMap, load_records
from ingest.text import load_text

logger = logging.getLogger(__name__)

_LOOP = "a symbolic link that loops or points to nothing"
RECORD_SUFFIXES = frozenset({".jsonl", ".csv"})  # one document per record
SUPPORTED_SUFFIXES = frozenset({".pdf", ".txt", ".md", ".markdown"}) | RECORD_SUFFIXES

# Words in a file's path that say what kind of document it is, checked in this order.
_PATH_TYPE_HINTS = (
    ("guideline", DocType.GUIDELINE),
    ("textbook", DocType.TEXTBOOK),
    ("openstax", DocType.TEXTBOOK),
    ("medquad", DocType.QA),
    ("note", DocType.NOTE),
    ("mtsamples", DocType.NOTE),
)


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """How to read files: a forced document type, the text encoding, record field names."""

    doc_type: DocType | None = None
    encoding: str = "utf-8"
    fields: FieldMap = field(default_factory=FieldMap)
    exclude: tuple[str, ...] = ()  # file-name patterns skipped inside folders, e.g. "README*"


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """The documents of one file, with its hash and the records skipped for having no text."""

    path: Path
    sha256: str
    documents: list[Document]
    empty_records: int = 0


def discover_files(
    paths: Iterable[Path], exclude: Sequence[str] = ()
) -> tuple[list[Path], list[IngestError]]:
    """Files to ingest (folders recursively, hidden files skipped), and the paths refused.

    A file named on the command line with an unsupported type is refused with a reason;
    inside folders, unsupported files and names matching an `exclude` pattern are passed over.
    """
    found: list[Path] = []
    refused: list[IngestError] = []
    for given in paths:
        try:
            path = Path(given).expanduser().resolve()
        except RuntimeError:  # Python 3.11's resolve() on a link that leads back to itself
            refused.append(IngestError(Path(given).absolute(), _LOOP))
            continue
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in p.relative_to(path).parts) or any(
                    fnmatch.fnmatch(p.name, pattern) for pattern in exclude
                ):
                    continue
                if p.is_symlink() and not p.exists():
                    logger.warning("skipped %s: %s", p, _LOOP)
                elif p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(p)
        elif path.is_symlink() and not path.exists():
            refused.append(IngestError(path, _LOOP))
        elif not path.exists():
            refused.append(IngestError(path, "no such file or folder"))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            refused.append(
                UnsupportedFormatError(
                    path,
                    f"unsupported file type {path.suffix or '(none)'}; supported: "
                    + ", ".join(sorted(SUPPORTED_SUFFIXES)),
                )
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found)), refused


def path_doc_type(path: Path) -> DocType | None:
    """A document type hinted by the file's name or its folder's (e.g. `guidelines/x.pdf`).

    Only those two names count: words higher up (a home folder, `notebooks/`) say nothing.
    """
    lowered = f"{path.parent.name}/{path.name}".lower()
    return next((kind for hint, kind in _PATH_TYPE_HINTS if hint in lowered), None)


def file_version(path: Path, data: bytes) -> str:
    """The version of a file: the SHA-256 of its bytes, and for a PDF of the reader's version.

    So a PDF whose bytes were ingested whole is skipped unread until the reader changes what
    it reads from PDFs (`READER_VERSION`); then it is read again and its chunks replaced.
    """
    digest = hashlib.sha256(data)
    if path.suffix.lower() == ".pdf":
        digest.update(READER_TAG)
    return digest.hexdigest()


def load_file(path: Path, data: bytes, options: LoadOptions) -> LoadedFile:
    """Parse one file; raises an IngestError subclass that names the file (and line)."""
    sha256 = file_version(path, data)
    doc_type = options.doc_type or path_doc_type(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return LoadedFile(path, sha256, [load_pdf(path, data, sha256, doc_type)])
    if suffix in {".txt", ".md", ".markdown"}:
        return LoadedFile(path, sha256, [load_text(path, data, sha256, doc_type, options.encoding)])
    if suffix not in RECORD_SUFFIXES:
        raise UnsupportedFormatError(path, f"unsupported file type {suffix}")
    documents, empty = load_records(path, data, options.fields, doc_type, options.encoding)
    return LoadedFile(path, sha256, documents, empty)


def load_documents(paths: Iterable[Path], options: LoadOptions | None = None) -> list[Document]:
    """All documents under `paths`, raising on the first file that cannot be read."""
    options = options or LoadOptions()
    files, refused = discover_files(paths, options.exclude)
    if refused:
        raise refused[0]
    documents: list[Document] = []
    for path in files:
        documents.extend(load_file(path, path.read_bytes(), options).documents)
    return documents


# Files handed to the workers ahead of the one being written, per worker: enough to keep each
# busy, few enough that parsed documents do not pile up in memory.
_AHEAD_PER_WORKER = 2


@dataclass(frozen=True, slots=True)
class ParseJob:
    """A file to parse: its bytes (read once, already hashed) and what the run knows of it."""

    path: Path
    data: bytes
    sha256: str


def _parse(job: ParseJob, options: LoadOptions) -> LoadedFile | IngestError:
    """One file's documents, or the error that names why it cannot be read."""
    try:
        return load_file(job.path, job.data, options)
    except IngestError as error:
        return error


def parse_ahead(
    jobs: Iterable[ParseJob], options: LoadOptions, workers: int
) -> Iterator[tuple[ParseJob, LoadedFile | IngestError]]:
    """Each job with its parsed file (or error), in the jobs' order."""
    if workers <= 1:
        for job in jobs:
            yield job, _parse(job, options)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: list[tuple[ParseJob, Future[LoadedFile | IngestError]]] = []
        for job in jobs:
            pending.append((job, pool.submit(_parse, job, options)))
            while len(pending) > workers * _AHEAD_PER_WORKER:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()
