"""The dataset converters on the raw files in ../shared/data/raw, compared with the shipped data.

OpenStax is reproduced byte for byte. MedQuAD raw holds only the NHLBI subset, so the visible
pairs are compared for that subset, the cardio rule and the dev-set construction are checked on
the whole shipped file. MTSamples has no raw file here: its filter runs on the shipped CSV and on
a Kaggle-shaped CSV rebuilt from it.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.datasets import (
    DownloadError,
    OutputExistsError,
    RawDataError,
    medquad,
    mtsamples,
    openstax,
)
from benchmarks.datasets import download as download_module
from benchmarks.datasets.sources import SOURCES
from benchmarks.quality.beir import read_beir
from cli.datasets import app


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def openstax_out(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """As ../shared/data was made: references to figures and tables read as nothing."""
    out = tmp_path_factory.mktemp("openstax")
    openstax.convert(shared_data / "raw" / "openstax", out, references=False)
    return out


@pytest.fixture(scope="module")
def openstax_with_references(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """What `cardiorag datasets convert` and `download` give: the references kept."""
    out = tmp_path_factory.mktemp("openstax-references")
    openstax.convert(shared_data / "raw" / "openstax", out)
    return out


@pytest.fixture(scope="module")
def shipped_medquad(shared_data: Path) -> list[dict]:
    return _jsonl(shared_data / "medquad" / medquad.VISIBLE_FILE)


# --- OpenStax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "textbook/openstax_ap2e_cardiovascular_sections.jsonl",
        "eval/openstax_glossary/corpus.jsonl",
        "eval/openstax_glossary/queries.jsonl",
        "eval/openstax_glossary/qrels/test.tsv",
    ],
)
def test_openstax_reproduces_the_shipped_files_byte_for_byte(
    openstax_out: Path, shared_data: Path, path: str
) -> None:
    assert (openstax_out / path).read_bytes() == (shared_data / path).read_bytes()


def test_openstax_keeps_the_figure_and_table_references_as_the_book_prints_them(
    openstax_with_references: Path, shared_data: Path
) -> None:
    path = "textbook/openstax_ap2e_cardiovascular_sections.jsonl"
    kept = {row["id"]: row["text"] for row in _jsonl(openstax_with_references / path)}
    shipped = {row["id"]: row["text"] for row in _jsonl(shared_data / path)}
    assert "Factors influencing CO are summarized in Figure 19.30." in kept["m46672-s01"]
    assert "ECG tracing are indicated in Figure 19.22." in kept["m46664-s03"]
    assert "summarized in Table 19.1" in kept["m46672-s08"]
    assert not [i for i, text in kept.items() if re.search(r" in \.", text)]
    label = re.compile(r"(?:Figure|Table) \d+\.\d+")
    for section_id, text in kept.items():  # nothing else differs
        without = [" ".join(line.split()) for line in label.sub("", text).split("\n")]
        assert without == [" ".join(line.split()) for line in shipped[section_id].split("\n")]


def test_openstax_output_has_credits_and_reads_as_beir(openstax_out: Path) -> None:
    beir = read_beir(openstax_out / "eval" / "openstax_glossary")
    assert (beir.documents, len(beir.queries)) == (97, 447)
    assert not any(beir.issues.as_dict().values())
    for folder in ("textbook", "eval/openstax_glossary"):
        sources = (openstax_out / folder / "SOURCES.txt").read_text(encoding="utf-8")
        assert SOURCES["openstax"].commit in sources
        assert "https://openstax.org/details/books/anatomy-and-physiology-2e" in sources
        licence = (openstax_out / folder / "LICENSE").read_text(encoding="utf-8")
        assert licence.startswith("Attribution 4.0 International")
    assert not list(openstax_out.glob(".*partial"))


def test_openstax_names_a_missing_module(tmp_path: Path, shared_data: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("LICENSE", openstax.COLLECTION_FILE):
        (raw / name).write_bytes((shared_data / "raw" / "openstax" / name).read_bytes())
    with pytest.raises(RawDataError) as caught:
        openstax.convert(raw, tmp_path / "out")
    assert caught.value.path == str(raw / "modules" / "m46703" / "index.cnxml")
    assert "missing" in str(caught.value)
    assert not (tmp_path / "out" / "textbook").exists()


def test_openstax_names_an_xml_that_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").write_text("CC BY 4.0")
    (tmp_path / openstax.COLLECTION_FILE).write_text("<col:collection><unclosed>")
    with pytest.raises(RawDataError, match=r"collection\.xml: not well-formed XML \(.*line 1"):
        openstax.convert(tmp_path, tmp_path / "out")


# --- MedQuAD ------------------------------------------------------------------------------


def test_medquad_nhlbi_pairs_equal_the_shipped_ones(
    shared_data: Path, shipped_medquad: list[dict]
) -> None:
    pairs = medquad.read_pairs(shared_data / "raw" / "medquad")
    shipped = [p for p in shipped_medquad if p["folder"] == "8_NHLBI_QA_XML"]
    # 559 raw pairs minus the 13 held-out NHLBI topics (82 pairs).
    assert len(pairs) == len(shipped) == 477
    assert pairs == shipped


def test_medquad_manifest_names_exactly_the_documents_of_the_visible_file(
    shared_data: Path, shipped_medquad: list[dict]
) -> None:
    assert medquad.MANIFEST.read_text(encoding="utf-8") == medquad.visible_manifest(shipped_medquad)
    manifest = medquad.read_manifest()
    assert manifest == {(p["folder"], p["file"]) for p in shipped_medquad}
    raw_files = {p.name for p in (shared_data / "raw/medquad/8_NHLBI_QA_XML").glob("*.xml")}
    held = {file for file in raw_files if ("8_NHLBI_QA_XML", file) not in manifest}
    assert len(held) == 13  # the held-out NHLBI topics


def test_medquad_cardio_rule_matches_every_shipped_flag(shipped_medquad: list[dict]) -> None:
    wrong = [
        (p["source"], p["focus"])
        for p in shipped_medquad
        if medquad.is_cardio(p["source"], p["focus"]) != p["cardio"]
    ]
    assert wrong == []
    assert sum(p["cardio"] for p in shipped_medquad) == 668


def test_medquad_dev_set_rebuilt_from_visible_equals_the_shipped_one(
    shared_data: Path, shipped_medquad: list[dict]
) -> None:
    queries, qrels = medquad.cardio_dev_set(shipped_medquad)
    shipped = read_beir(shared_data / "eval" / "medquad_cardio_dev")
    assert len(queries) == 546
    assert queries == _jsonl(shared_data / "eval/medquad_cardio_dev/queries.jsonl")
    rows = (shared_data / "eval/medquad_cardio_dev/qrels/test.tsv").read_text().splitlines()[1:]
    assert [f"{q}\t{d}\t{s}" for q, d, s in qrels] == rows
    assert shipped.documents == len(shipped_medquad)


def test_medquad_convert_writes_the_shipped_layout(tmp_path: Path, shared_data: Path) -> None:
    counts = medquad.convert(shared_data / "raw" / "medquad", tmp_path)
    assert counts == {"pairs": 477, "cardio": 190, "queries": 188}
    visible = _jsonl(tmp_path / "medquad" / medquad.VISIBLE_FILE)
    shipped_first = _jsonl(shared_data / "medquad" / medquad.VISIBLE_FILE)
    nhlbi_first = next(p for p in shipped_first if p["folder"] == "8_NHLBI_QA_XML")
    assert visible[0] == nhlbi_first
    beir = read_beir(tmp_path / "eval" / "medquad_cardio_dev")
    corpus_ids = [r["_id"] for r in _jsonl(beir.corpus_file)]
    assert corpus_ids == [p["doc_id"] for p in visible]
    assert all(doc in corpus_ids for docs in beir.qrels.values() for doc in docs)
    assert len(beir.queries) == 188
    assert "BMC Bioinformatics 20:511" in (tmp_path / "medquad" / "SOURCES.txt").read_text()
    assert (tmp_path / "medquad" / "LICENSE").read_bytes() == (
        shared_data / "raw" / "medquad" / "LICENSE.txt"
    ).read_bytes()


def test_medquad_names_a_broken_document(tmp_path: Path) -> None:
    folder = tmp_path / "8_NHLBI_QA_XML"
    folder.mkdir()
    (tmp_path / "LICENSE.txt").write_text("CC BY 4.0")
    (folder / "0000001.xml").write_text('<Document id="1"><Focus>Angina</Focus><QAPairs>')
    with pytest.raises(RawDataError) as caught:
        medquad.convert(tmp_path, tmp_path / "out")
    assert caught.value.path == str(folder / "0000001.xml")
    assert "not well-formed XML" in caught.value.reason


def test_medquad_without_subset_folders_says_which_are_expected(tmp_path: Path) -> None:
    (tmp_path / "LICENSE.txt").write_text("CC BY 4.0")
    with pytest.raises(RawDataError, match=r"no MedQuAD subset folder.*8_NHLBI_QA_XML"):
        medquad.convert(tmp_path, tmp_path / "out")


# --- MTSamples ----------------------------------------------------------------------------


def test_mtsamples_filter_on_the_shipped_csv_is_the_identity(
    tmp_path: Path, shared_data: Path
) -> None:
    shipped = shared_data / "notes" / mtsamples.NOTES_FILE
    assert mtsamples.convert(shipped, tmp_path) == {"notes": 372}
    assert (tmp_path / "notes" / mtsamples.NOTES_FILE).read_bytes() == shipped.read_bytes()


def test_mtsamples_kaggle_csv_gives_the_shipped_notes(tmp_path: Path, shared_data: Path) -> None:
    """The download's CSV shape: unnamed 0-based index, padded fields, other specialties."""
    shipped_path = shared_data / "notes" / mtsamples.NOTES_FILE
    with shipped_path.open(encoding="utf-8", newline="") as source:
        shipped = list(csv.DictReader(source))[:25]
    kaggle = tmp_path / "mtsamples.csv"
    with kaggle.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["", *mtsamples.COLUMNS[1:]])
        for note in shipped:
            index = int(note["note_id"]) - 1
            writer.writerow([index, *(f" {note[c]} " for c in mtsamples.COLUMNS[1:])])
            other = {**note, "medical_specialty": "Surgery"}
            writer.writerow([index + 100_000, *(other[c] for c in mtsamples.COLUMNS[1:])])
    notes = list(mtsamples.read_notes(kaggle))
    assert notes == shipped


def test_mtsamples_names_a_csv_without_the_columns(tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("id,text\n1,hello\n")
    with pytest.raises(RawDataError, match=r"notes\.csv: no column description"):
        mtsamples.convert(bad, tmp_path / "out")


# --- Output folders, download and CLI -----------------------------------------------------


def test_existing_output_needs_force_and_force_replaces_it(
    tmp_path: Path, shared_data: Path
) -> None:
    shipped = shared_data / "notes" / mtsamples.NOTES_FILE
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "stale.csv").write_text("old")
    with pytest.raises(OutputExistsError, match="pass --force"):
        mtsamples.convert(shipped, tmp_path)
    assert (tmp_path / "notes" / "stale.csv").exists()
    mtsamples.convert(shipped, tmp_path, force=True)
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == [
        "LICENSE",
        "SOURCES.txt",
        mtsamples.NOTES_FILE,
    ]


def test_a_failed_conversion_leaves_no_folder_behind(tmp_path: Path, shared_data: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "modules").mkdir(parents=True)
    for name in ("LICENSE", openstax.COLLECTION_FILE):
        (raw / name).write_bytes((shared_data / "raw" / "openstax" / name).read_bytes())
    for module in ("m46703", "m46710"):
        (raw / "modules" / module).mkdir()
        source = shared_data / "raw" / "openstax" / "modules" / module / "index.cnxml"
        (raw / "modules" / module / "index.cnxml").write_bytes(source.read_bytes())
    with pytest.raises(RawDataError, match="m46691"):
        openstax.convert(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.disable_socket
@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_offline_download_fails_with_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as caught:
        download_module.download("openstax", tmp_path / "data", tmp_path / "cache", force=False)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "cannot download openstax from https://raw.githubusercontent.com/openstax/"
    )
    assert "set CARDIORAG_DATA" in message
    assert not list((tmp_path / "cache").rglob("*.partial"))


@pytest.mark.disable_socket
@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_cli_download_offline_prints_the_line_not_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["download", "medquad", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith(
        f"error: cannot download medquad from {SOURCES['medquad'].archive_url}: "
    )


def test_cli_from_raw_converts_and_list_names_the_licences(
    tmp_path: Path, shared_data: Path
) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0
    assert "CC BY 4.0" in listed.output and "mtsamples" in listed.output
    args = ["download", "openstax", "--from-raw", str(shared_data / "raw"), "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "openstax: 97 sections, 447 queries" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "already exists; pass --force" in again.output
