"""The wider PDF set: its manifest, the checks on fetched files, the built scan, the questions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from benchmarks.datasets import RawDataError, wild_pdfs
from benchmarks.datasets import download as download_module
from benchmarks.datasets.errors import DownloadError
from benchmarks.quality.pdf_questions import read_questions
from tests.support.pdfs import build_article

QUESTIONS = Path(wild_pdfs.__file__).with_name("wild_pdf_questions.json")
KINDS = {"drug_label", "booklet", "article", "guideline", "scanned"}


def test_every_pdf_is_pinned_and_says_where_its_licence_is_stated() -> None:
    pdfs = wild_pdfs.wild_pdfs()
    assert len(pdfs) >= 9 and len({pdf.file for pdf in pdfs}) == len(pdfs)
    for pdf in pdfs:
        assert pdf.kind in KINDS and pdf.file.endswith(".pdf")
        assert re.fullmatch(r"[0-9a-f]{64}", pdf.sha256)
        assert re.fullmatch(r"[0-9a-f]{40}", pdf.source.commit)
        url = pdf.source.raw_url(pdf.source.files[0])
        assert url.startswith(f"https://raw.githubusercontent.com/{pdf.source.repo}/")
        assert pdf.source.licence and pdf.source.attribution  # the words that state it


def test_a_fetched_file_with_other_bytes_or_none_is_named(tmp_path: Path) -> None:
    first, second, *_ = wild_pdfs.wild_pdfs()
    (tmp_path / first.file).write_bytes(b"%PDF-1.4 a later version")
    with pytest.raises(RawDataError, match=re.escape(first.file) + ".*SHA-256"):
        wild_pdfs.check_raw(tmp_path, [first])
    with pytest.raises(RawDataError, match=re.escape(second.file) + ": missing"):
        wild_pdfs.check_raw(tmp_path, [second])
    with pytest.raises(RawDataError):
        wild_pdfs.convert(tmp_path, tmp_path / "out", force=False)
    assert not (tmp_path / "out" / wild_pdfs.OUTPUT).exists()  # nothing half-written


def test_the_scan_is_images_only_one_page_per_page_asked(tmp_path: Path) -> None:
    booklet = tmp_path / "booklet.pdf"
    booklet.write_bytes(build_article(outline=False))
    scan = tmp_path / "scan.pdf"
    wild_pdfs.build_scan(booklet, [2, 1], scan, dpi=100)
    document = pdfium.PdfDocument(scan)
    assert len(document) == 2
    for page in document:
        assert page.get_textpage().get_text_range().strip() == ""
        assert any(obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())


@pytest.mark.disable_socket
@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_offline_download_names_the_first_file_it_could_not_fetch(tmp_path: Path) -> None:
    first = wild_pdfs.wild_pdfs()[0]
    url = first.source.raw_url(first.source.files[0])
    with pytest.raises(DownloadError) as caught:
        download_module.download(wild_pdfs.NAME, tmp_path / "data", tmp_path / "cache", force=False)
    assert str(caught.value).startswith(f"cannot download {wild_pdfs.NAME}/{first.file} from {url}")


def test_the_questions_name_pdfs_of_the_set_and_their_kinds() -> None:
    kinds = {pdf.file: pdf.kind for pdf in wild_pdfs.wild_pdfs()}
    scan = json.loads(wild_pdfs.MANIFEST.read_text(encoding="utf-8"))["scanned"]["file"]
    kinds[scan] = "scanned"
    questions = read_questions(QUESTIONS)
    assert len(questions) >= 100 and len({q.id for q in questions}) == len(questions)
    for question in questions:
        assert kinds[question.source] == question.kind, question.id
        assert question.answers and question.page >= 1
    assert {question.kind for question in questions} == set(kinds.values())
