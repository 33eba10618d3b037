"""One file of an ingest run: read, diffed against the catalog, chunked and written, or failed.

A file is planned (read, hashed, skipped when unchanged), parsed (`ingest.loaders.parse_ahead`,
maybe in another process) and written. A failing file is recorded with its reason and never
stops the run; a dry run counts what would change and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tqdm.auto import tqdm

from ingest.diff import document_diff, unchanged_file
from ingest.errors import IngestError
from ingest.loaders import RECORD_SUFFIXES, LoadedFile, LoadOptions, ParseJob, file_version
from ingest.options import ProgressCallback
from ingest.prepared import PreparedCorpus
from ingest.record_files import RecordFile, record_file_version
from ingest.report import FileFailure, IngestReport
from retrieval.index import Index

logger = logging.getLogger(__name__)


class FileIngestor:
    """Ingests a run's files one at a time into its corpus, counting each in the report."""

    def __init__(
        self,
        index: Index,
        report: IngestReport,
        prepared: PreparedCorpus | None,
        *,
        show_progress: bool,
        progress: ProgressCallback,
    ) -> None:
        self.corpus = report.corpus
        self.index = index
        self.report = report
        self.prepared = prepared  # None in a dry run, which writes nothing
        self.show_progress = show_progress
        self.progress = progress
        self.unrecorded: list[tuple[str, str, str]] = []

    def fail(self, path: Path, sha256: str, error: IngestError | OSError) -> None:
        """Report the file as failed and record why in the catalog (after its corpus exists)."""
        reason = str(error) if isinstance(error, IngestError) else f"{path}: {error}"
        logger.warning("failed: %s", reason)
        self.report.failed.append(FileFailure(str(path), reason))
        if self.report.dry_run:
            return
        if self.corpus in self.index.catalog.corpus_names():
            self.index.record_failure(self.corpus, str(path), sha256, reason)
        else:  # a new corpus is created by its first good file, which may come later
            self.unrecorded.append((str(path), sha256, reason))

    def record_deferred_failures(self) -> None:
        """Record the failures seen before the corpus existed, now that a good file made it."""
        if self.unrecorded and self.corpus in self.index.catalog.corpus_names():
            for path, sha256, reason in self.unrecorded:
                self.index.record_failure(self.corpus, path, sha256, reason)
        self.unrecorded.clear()

    def plan(self, path: Path, options: LoadOptions) -> ParseJob | None:
        """The file as a job to parse, or None where it needs no parsing.

        A record file (one document per record) is ingested here, part by part; a file whose
        bytes are the version already stored is counted as unchanged; an unreadable one fails.
        """
        if path.suffix.lower() in RECORD_SUFFIXES:
            self._ingest_records(path, options)
            return None
        try:
            data = path.read_bytes()
        except OSError as err:
            self.fail(path, "", err)
            return None
        sha256 = file_version(path, data)
        state = self.index.catalog.source_state(self.corpus, str(path))
        same = unchanged_file(state, sha256, len(state.documents))
        if same is not None:
            self.report.count(same)
            return None
        return ParseJob(path, data, sha256)

    def write(self, job: ParseJob, parsed: LoadedFile | IngestError) -> None:
        """A parsed PDF or text file (one document): checked, counted, chunked and written."""
        path, sha256 = job.path, job.sha256
        if isinstance(parsed, IngestError):
            self.fail(path, sha256, parsed)
            return
        catalog = self.index.catalog
        (document,) = parsed.documents  # a PDF or text file is one document
        owner = catalog.doc_id_owners(self.corpus, [document.doc_id]).get(document.doc_id)
        if owner is not None and owner != str(path):
            self.fail(
                path,
                sha256,
                IngestError(
                    path,
                    f"document id {document.doc_id!r} already comes from {owner}; "
                    "use another corpus",
                ),
            )
            return
        diff = document_diff(catalog.source_state(self.corpus, str(path)).documents, document)
        if self.prepared is not None and not diff.unchanged:
            try:
                self.prepared.check_fields(path, [document])
            except IngestError as err:
                self.fail(path, sha256, err)
                return
        self.report.count(diff)
        self.report.failed_pages.extend(
            FileFailure(str(path), f"{path}: {reason}") for _, reason in document.failed_pages
        )
        if self.prepared is None or diff.unchanged:
            return
        record = self.prepared.chunk(document)
        self.report.chunks += len(record.chunks)
        stale = ([document.doc_id] if diff.changed else []) + diff.removed
        self.index.replace_source(self.corpus, str(path), sha256, [record], stale)

    def _ingest_records(self, path: Path, options: LoadOptions) -> None:
        """A JSONL or CSV file, checked whole, then written a part at a time (record_files)."""
        try:
            sha256 = record_file_version(path)
        except OSError as err:
            self.fail(path, "", err)
            return
        state, documents = self.index.catalog.source_status(self.corpus, str(path))
        same = unchanged_file(state, sha256, documents)
        if same is not None:
            self.report.count(same)
            return
        records = RecordFile(path, options, self.corpus, self.index)
        try:
            with self._part_bar(f"check {path.name}") as on_part:
                diff = records.check(self.prepared, on_part)
        except (IngestError, OSError) as err:
            self.fail(path, sha256, err)
            return
        self.report.count(diff)
        if self.prepared is None:
            return
        if diff.changes or state.status != "ok":
            with self._part_bar(f"write {path.name}") as on_part:
                self.report.chunks += records.write(sha256, self.prepared, diff.removed, on_part)
        elif state.sha256 != sha256:
            # The same documents in a new version of the file (records moved, a new note
            # parse that changed none of them): recorded, so the next run skips it unread.
            self.index.replace_source(self.corpus, str(path), sha256, [], [])

    @contextmanager
    def _part_bar(self, stage: str) -> Iterator[Callable[[int], None]]:
        """A record counter for a long file: a tqdm bar, and the run's progress callback."""
        with tqdm(desc=stage, unit="record", disable=not self.show_progress) as bar:

            def on_part(records: int) -> None:
                bar.update(records - bar.n)
                self.progress(stage, records, 0)

            yield on_part
