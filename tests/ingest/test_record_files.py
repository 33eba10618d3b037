"""A JSONL file read and written in parts (ingest.record_files): the same outcome as one piece,
a bad record anywhere fails the file before any write, a run cut off between parts is
completed by the next one, and a new note parse re-chunks the notes and nothing else."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ingest.record_files
import ingest.records
from ingest.documents import DocType, Section
from retrieval import Catalog
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.notes import ECHO, SOME_NOTES, write_notes
from tests.support.pipeline import (
    CORPUS,
    SECTIONS_A,
    SECTIONS_B,
    assert_consistent,
    pick,
    write_jsonl,
)

PART = 3  # records per part here, so ten records make four parts


@pytest.fixture(autouse=True)
def _small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.record_files, "RECORD_PART", PART)


@pytest.fixture
def records(sections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return pick(sections, SECTIONS_A + SECTIONS_B)  # ten real textbook sections


def _stored_ids(catalog: Catalog) -> set[str]:
    """Ids of the documents stored (a failed file is listed without one)."""
    return {d.doc_id for d in catalog.list_documents(CORPUS) if d.doc_id}


def _source(catalog: Catalog, path: Path) -> tuple[str | None, int]:
    state, documents = catalog.source_status(CORPUS, str(path))
    return state.status, documents


def test_a_file_of_several_parts_is_ingested_whole_and_then_skipped(
    workdir: Path, records: list[dict[str, Any]], run: Callable, store: EdgeStore, catalog: Catalog
) -> None:
    path = write_jsonl(workdir / "sections.jsonl", records)
    told: list[tuple[str, int, int]] = []
    report = run([path], progress=lambda *step: told.append(step))
    assert report.ok and report.added == len(records)
    assert _source(catalog, path) == ("ok", len(records))
    # A long file tells its progress part by part, in records, for each pass.
    for verb in ("check", "write"):
        counts = [done for stage, done, _ in told if stage == f"{verb} sections.jsonl"]
        assert counts == [3, 6, 9, 10], (verb, told)
    chunk_ids = assert_consistent(store, catalog)
    again = run([path])
    assert (again.added, again.skipped, again.chunks) == (0, len(records), 0)
    assert assert_consistent(store, catalog) == chunk_ids


def test_changes_in_any_part_update_add_and_remove_exactly_those_records(
    workdir: Path, records: list[dict[str, Any]], run: Callable, store: EdgeStore, catalog: Catalog
) -> None:
    path = write_jsonl(workdir / "sections.jsonl", records)
    run([path])
    changed = [dict(r) for r in records]
    changed[7]["text"] += " Changed in the third part."
    removed = changed.pop(4)
    changed.append({"id": "new-record", "text": "Atrial fibrillation raises the risk of stroke."})
    write_jsonl(path, changed)
    report = run([path])
    assert (report.added, report.updated, report.deleted) == (1, 1, 1)
    assert report.skipped == len(records) - 2
    documents = _stored_ids(catalog)
    assert removed["id"] not in documents and "new-record" in documents
    assert len(documents) == len(records)
    assert_consistent(store, catalog)


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        (lambda lines: lines.append(lines[1]), r"duplicate id 'm46691-s00' \(first on line 2\)"),
        (lambda lines: lines.append("{not json"), r":11: invalid JSON"),
    ],
)
def test_a_bad_record_in_a_late_part_fails_the_file_before_anything_is_written(
    workdir: Path,
    records: list[dict[str, Any]],
    run: Callable,
    catalog: Catalog,
    break_it: Callable[[list[str]], None],
    reason: str,
) -> None:
    lines = [json.dumps(r) for r in records]
    break_it(lines)
    path = workdir / "sections.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = run([path])
    (failure,) = report.failed
    assert failure.path == str(path)
    assert report.chunks == 0
    assert re.search(reason, failure.reason), failure.reason
    assert _stored_ids(catalog) == set()


def test_an_id_of_another_file_in_a_late_part_fails_the_file_before_any_write(
    workdir: Path, records: list[dict[str, Any]], run: Callable, catalog: Catalog
) -> None:
    first = write_jsonl(workdir / "a.jsonl", records[:2])
    run([first])
    second = write_jsonl(workdir / "b.jsonl", records[2:] + records[:1])
    report = run([second])
    (failure,) = report.failed
    assert f"already comes from {first}" in failure.reason
    assert _stored_ids(catalog) == {r["id"] for r in records[:2]}


def test_a_run_cut_off_between_parts_is_completed_by_the_next_one(
    workdir: Path,
    records: list[dict[str, Any]],
    run: Callable,
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_jsonl(workdir / "sections.jsonl", records)
    real = Index.replace_source
    calls = []

    def dies_on_the_third_part(self: Index, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed between parts")
        real(self, *args, **kwargs)

    monkeypatch.setattr(Index, "replace_source", dies_on_the_third_part)
    with pytest.raises(KeyboardInterrupt):
        run([path])
    monkeypatch.setattr(Index, "replace_source", real)
    assert _source(catalog, path) == ("partial", 2 * PART)  # two parts written, file not done
    report = run([path])
    assert report.ok
    assert (report.added, report.skipped) == (len(records) - 2 * PART, 2 * PART)
    assert _source(catalog, path) == ("ok", len(records))
    assert _stored_ids(catalog) == {r["id"] for r in records}
    assert_consistent(store, catalog)


def _parse_of_before_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse records as before notes were read as notes: the raw text, one section, and no
    parse version in any hash."""

    def one_section(text: str, section: str | None, kind: DocType) -> tuple[Section, ...]:
        return (Section(text=text, title=section),)

    monkeypatch.setattr(ingest.records, "_sections", one_section)
    monkeypatch.setattr(ingest.records, "NOTE_PARSE_TAG", b"")
    monkeypatch.setattr(ingest.record_files, "NOTE_PARSE_TAG", b"")


def test_notes_ingested_before_the_note_parse_are_replaced_by_the_next_run(
    workdir: Path,
    shared_data: Path,
    run: Callable,
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_notes(shared_data, workdir / "mtsamples.csv")
    with monkeypatch.context() as before:
        _parse_of_before_notes(before)
        assert run([path]).added == len(SOME_NOTES)
    old_ids = assert_consistent(store, catalog)
    old = catalog.pending_chunks(CORPUS, "nobody")
    assert {c.metadata.get("section") for c in old} == {None}
    assert any(",1.  Normal LV systolic function.," in c.text for c in old)

    report = run([path])  # the same bytes, read with today's parse
    assert report.updated == len(SOME_NOTES)
    assert (report.added, report.skipped, report.deleted) == (0, 0, 0)
    new_ids = assert_consistent(store, catalog)
    assert not old_ids & new_ids  # every old chunk is gone from the catalog and the store
    assert _stored_ids(catalog) == set(SOME_NOTES)  # and no note with them
    chunks = catalog.pending_chunks(CORPUS, "nobody")
    impression = [
        c for c in chunks if c.metadata["doc_id"] == ECHO and c.metadata["section"] == "Impression"
    ]
    assert [c.text for c in impression] == [
        "1.  Normal LV systolic function.\n2.  Ejection fraction estimated around 60%."
    ]
    assert not any(",1.  " in c.text for c in chunks)
    again = run([path])
    assert (again.updated, again.skipped, again.chunks) == (0, len(SOME_NOTES), 0)
    assert assert_consistent(store, catalog) == new_ids


def test_a_new_note_parse_reads_other_records_once_and_leaves_them(
    workdir: Path,
    records: list[dict[str, Any]],
    run: Callable,
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_jsonl(workdir / "sections.jsonl", records)
    run([path])
    chunk_ids = assert_consistent(store, catalog)
    for module in (ingest.records, ingest.record_files):
        monkeypatch.setattr(module, "NOTE_PARSE_TAG", b"\x1fnote-parse-next")
    report = run([path])
    assert (report.updated, report.skipped, report.chunks) == (0, len(records), 0)
    assert assert_consistent(store, catalog) == chunk_ids
    # The file's new version is recorded: the next run skips it without reading a record.
    state, _ = catalog.source_status(CORPUS, str(path))
    assert state.sha256 == ingest.record_files.record_file_version(path)
    monkeypatch.setattr(ingest.record_files.RecordFile, "check", None)
    assert run([path]).skipped == len(records)
