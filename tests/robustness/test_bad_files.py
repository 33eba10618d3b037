"""Bad files never cost a batch: each kind fails alone, named with its reason, and the good
file of the same batch is ingested, whichever comes first and whether the corpus exists."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from adapters import ModelSpec
from cli.logs import configure_logging
from ingest import IngestOptions, ingest_paths
from ingest.loaders import LoadOptions, discover_files, load_file
from retrieval import Catalog
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.bad_inputs import BAD_FILES, GOOD_ID, BadFile, write_broken_pdf

CORPUS = "probe"


def write_good(folder: Path) -> Path:
    path = folder / "good.jsonl"
    path.write_text(
        f'{{"id": "{GOOD_ID}", "text": "Atrial fibrillation raises the risk of stroke."}}\n',
        encoding="utf-8",
    )
    return path


def ingest(paths: list[Path], store, catalog, specs, encoder_loader):
    return ingest_paths(
        paths, IngestOptions(corpus=CORPUS, models=[specs["minilm"]]),
        index=Index(catalog, store), load_encoder=encoder_loader,
    )  # fmt: skip


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_fails_alone_and_its_batch_is_ingested(
    kind: str,
    tmp_path: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
) -> None:
    bad: BadFile = BAD_FILES[kind]
    folder = tmp_path / "in"
    folder.mkdir()
    good = write_good(folder)
    path = bad.write(folder)
    # The bad file comes first, into a corpus that does not exist yet (issue 18, item 1).
    batch = [path, good] if bad.first else [good, path]
    report = ingest(batch, store, catalog, specs, encoder_loader)

    assert [Path(f.path).name for f in report.failed] == [path.name], report.failed
    assert re.search(bad.reason, report.failed[0].reason), report.failed[0].reason
    listed = catalog.list_documents(CORPUS)
    assert [d.doc_id for d in listed if d.status == "ready"] == [GOOD_ID]  # 0 documents lost
    chunk_ids = catalog.chunk_ids(CORPUS, "minilm")
    assert chunk_ids and store.point_ids(f"{CORPUS}__minilm") == chunk_ids


def test_a_symlink_loop_inside_a_folder_is_a_warning_once_and_the_rest_is_ingested(
    tmp_path: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_good(folder)
    os.symlink(folder / "loop.txt", folder / "loop.txt")
    with caplog.at_level(logging.WARNING, logger="ingest"):
        report = ingest([folder], store, catalog, specs, encoder_loader)
    assert report.ok and report.added == 1
    # One warning; in the whole suite pytest may hand the same record to caplog twice.
    loops = {r.getMessage() for r in caplog.records if "loop.txt" in r.getMessage()}
    assert loops == {f"skipped {folder / 'loop.txt'}: a symbolic link that loops or points to "
                     "nothing"}  # fmt: skip


def test_pypdf_messages_go_through_our_logging(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write_broken_pdf(tmp_path / "broken.pdf")
    files, _ = discover_files([broken])
    for verbosity, shown in ((1, False), (2, True)):
        configure_logging(verbosity)
        with pytest.raises(Exception, match="corrupt or not a PDF"):
            load_file(files[0], broken.read_bytes(), LoadOptions())
        err = capsys.readouterr().err
        bare = [line for line in err.splitlines() if line and not line.startswith("WARNING")]
        assert bare == [], err  # never a bare line such as "EOF marker not found"
        assert ("WARNING pypdf" in err) is shown, err
