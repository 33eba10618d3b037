"""Files parsed in worker processes come back as the in-process parse gives them, in order."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import IngestError, UnreadableFileError
from ingest.loaders import LoadedFile, LoadOptions, ParseJob, file_sha256, parse_ahead
from tests.support.pdfs import build_article, build_drug_label


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
        jobs.append(ParseJob(folder / name, data, file_sha256(data)))
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
