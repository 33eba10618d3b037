"""Files parsed in worker processes come back as in one process, in order, embedded as they come."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ingest.pipeline
from adapters import ModelSpec
from ingest import IngestReport
from ingest.errors import IngestError, UnreadableFileError
from ingest.loaders import LoadedFile, LoadOptions, ParseJob, file_version, parse_ahead
from retrieval import Catalog
from tests.support.pdfs import build_article, build_drug_label
from tests.support.pipeline import CORPUS, SECTIONS_MD, pick, write_markdown


def _jobs(folder: Path) -> list[ParseJob]:
    files = {
        "article.pdf": build_article(outline=True),
        "broken.pdf": b"%PDF-1.4 this is not a PDF",
        "label.pdf": build_drug_label(),
        "note.txt": b"Atrial fibrillation with rapid ventricular response.",
    }
    jobs = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        jobs.append(ParseJob(folder / name, data, file_version(folder / name, data)))
    return jobs


def _texts(parsed: LoadedFile | IngestError) -> list[str] | str:
    if isinstance(parsed, IngestError):
        return f"{type(parsed).__name__}: {parsed}"
    return [section.text for document in parsed.documents for section in document.sections]


def test_workers_give_what_one_process_gives_in_the_files_order(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path)
    alone = list(parse_ahead(jobs, LoadOptions(), workers=1))
    pooled = list(parse_ahead(iter(jobs), LoadOptions(), workers=2))
    assert [job.path.name for job, _ in pooled] == [job.path.name for job in jobs]
    assert [_texts(parsed) for _, parsed in pooled] == [_texts(parsed) for _, parsed in alone]
    # A file that cannot be read comes back from its worker as the error that names it.
    broken = dict((job.path.name, parsed) for job, parsed in pooled)["broken.pdf"]
    assert isinstance(broken, UnreadableFileError)
    assert broken.path == str(tmp_path / "broken.pdf") and broken.reason


def test_chunks_are_embedded_while_later_files_still_wait_to_be_parsed(
    run: Callable[..., IngestReport],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    two_specs: dict[str, ModelSpec],
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest.pipeline, "EMBED_BESIDE_PARSE", 1)
    files = [
        write_markdown(workdir / f"part{index}.md", pick(sections, [name]))
        for index, name in enumerate(SECTIONS_MD)
    ]
    told: list[tuple[str, int, int]] = []
    report = run(
        files,
        models=list(two_specs.values()),
        progress=lambda stage, done, total: told.append((stage, done, total)),
    )
    stages = [stage for stage, _, _ in told]
    assert stages.index("embed minilm") < stages.index("parse", stages.index("parse") + 1)
    # Each model's runs add up to one line of the report, every chunk embedded once.
    assert [(run.model_id, run.chunks) for run in report.models] == [
        ("minilm", report.chunks),
        ("minilm-b", report.chunks),
    ]
    assert all(catalog.pending_count(CORPUS, model_id) == 0 for model_id in two_specs)
