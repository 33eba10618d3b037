"""A file against the catalog (ingest.diff), counted once in the report (ingest.report), and the
options of a run (ingest.options)."""

from __future__ import annotations

import doctest

import ingest.options
from ingest import DocType, Document, IngestOptions, IngestReport, Section
from ingest.diff import FileDiff, document_diff, unchanged_file
from retrieval import Settings
from retrieval.catalog import SourceState


def _document(doc_id: str, sha256: str) -> Document:
    return Document(
        doc_id=doc_id,
        source="/in/a.md",
        title="A",
        doc_type=DocType.NOTE,
        sha256=sha256,
        sections=(Section(text="Some text."),),
    )


def test_a_one_document_file_is_new_changed_or_unchanged_and_names_what_it_dropped() -> None:
    assert document_diff({}, _document("a", "1")) == FileDiff(new=1)
    assert document_diff({"a": "0", "b": "2"}, _document("a", "1")) == FileDiff(
        changed=1, removed=["b"]
    )
    unchanged = document_diff({"a": "1"}, _document("a", "1"))
    assert unchanged == FileDiff(unchanged=1) and not unchanged.changes


def test_only_a_whole_file_with_the_same_bytes_is_skipped_unread() -> None:
    assert unchanged_file(SourceState("h", "ok", {"a": "1"}), "h", 1) == FileDiff(unchanged=1)
    assert unchanged_file(SourceState("h", "partial"), "h", 3) is None
    assert unchanged_file(SourceState("h", "ok"), "other", 3) is None


def test_the_report_counts_each_outcome() -> None:
    report = IngestReport("cardiology")
    report.count(FileDiff(new=2, changed=1, unchanged=3, removed=["x", "y"], empty=4))
    report.count(FileDiff(unchanged=1))
    counts = (report.added, report.updated, report.skipped, report.deleted, report.empty_records)
    assert counts == (2, 1, 4, 2, 4)


def test_options_take_the_settings_and_the_docstring_example_runs() -> None:
    settings = Settings(chunk_overlap_tokens=16, context_template="{text}", embed_batch_size=8)
    options = IngestOptions.from_settings(settings, "cardiology", [], dry_run=True)
    assert (options.overlap_tokens, options.context_template, options.batch_size) == (
        16,
        "{text}",
        8,
    )
    assert options.dry_run and not options.recreate
    assert IngestOptions.from_settings(settings, "c", [], batch_size=2).batch_size == 2
    failures, tried = doctest.testmod(ingest.options, verbose=False)
    assert tried and not failures
