"""The PDF loader on PDFs built here with fpdf2 (layouts we control) and on the shared ones."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
from pathlib import Path

import pytesseract
import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject, NumberObject

from ingest.documents import DocPart, Document, SectionKind
from ingest.errors import EmptyDocumentError
from ingest.pdf.loader import READER_VERSION, load_pdf
from tests.support.pdfs import (
    BODY_SIZE,
    LEFT,
    RIGHT,
    RUNNING_HEAD,
    Journal,
    build_article,
    build_booklet_table,
    build_drug_label,
    build_sidebar_article,
    scan_image,
    write_lines,
)
from tests.support.system_tools import needs_tesseract


def load(tmp_path: Path, data: bytes, name: str = "article.pdf") -> Document:
    path = tmp_path / name
    path.write_bytes(data)
    return load_pdf(path, data, "0" * 64, None)


def body_text(document: Document) -> str:
    return "\n\n".join(s.text for s in document.sections if s.part is DocPart.BODY)


@pytest.fixture(params=[True, False], ids=["outline", "fonts"])
def article(request: pytest.FixtureRequest, tmp_path: Path) -> Document:
    return load(tmp_path, build_article(outline=request.param))


def test_headings_become_the_section_trail(article: Document) -> None:
    titles = [s.title for s in article.sections if s.part is DocPart.BODY]
    assert "Management > Pharmacological therapy" in titles
    assert "Drug doses" in titles


def test_two_columns_are_read_one_after_the_other(article: Document) -> None:
    text = body_text(article)
    # Not "...reduced ejec- SGLT2 inhibitors...": each column's lines follow each other.
    assert "four drug classes. A beta-blocker is one of them, and NT-proBNP guides" in text
    left_end = text.index("started at a low dose.")
    assert left_end < text.index("SGLT2 inhibitors lower the risk of hospitalisation.")


def test_line_end_hyphens_are_undone_and_real_ones_kept(article: Document) -> None:
    text = body_text(article)
    assert "reduced ejection fraction" in text
    assert "potassium checks" in text
    assert "NT-proBNP" in text
    # Written with a hyphen inside a line elsewhere, so the broken one keeps its hyphen.
    assert "The beta-blocker is started" in text


def test_running_head_and_page_numbers_are_dropped(article: Document) -> None:
    everything = "\n".join(s.text for s in article.sections)
    assert RUNNING_HEAD not in everything
    assert all(not line.strip().isdigit() for line in everything.splitlines())


def test_parts_front_references_body(article: Document) -> None:
    parts = {s.part: s for s in article.sections}
    front = "\n".join(s.text for s in article.sections if s.part is DocPart.FRONT)
    assert "Received 1 January 2026" in front
    assert "Ada Lovelace" in front
    assert "open access" in front
    assert "McDonagh TA" in parts[DocPart.REFERENCES].text
    assert "McDonagh" not in body_text(article)
    assert parts[DocPart.REFERENCES].page_breaks == ((0, 3),)


def test_table_is_its_own_section_as_markdown(article: Document) -> None:
    (table,) = [s for s in article.sections if s.kind is SectionKind.TABLE]
    assert table.title == "Drug doses"
    assert table.page_breaks == ((0, 2),)
    assert table.text.splitlines() == [
        "Table 1 Starting and target doses",
        "",
        "| Drug | Starting dose | Target dose |",
        "| --- | --- | --- |",
        "| Bisoprolol | 1.25 mg once daily | 10 mg once daily |",
        "| Dapagliflozin | 10 mg once daily | 10 mg once daily |",
        "| Spironolactone | 25 mg once daily | 50 mg once daily |",
    ]
    assert "Bisoprolol" not in body_text(article).replace(table.text, "")


def test_a_heading_atop_every_page_is_not_a_running_head(tmp_path: Path) -> None:
    pdf = Journal(format="A4", unit="mm")
    for chapter in range(1, 5):
        pdf.add_page()
        pdf.set_font("Helvetica", style="B", size=16)
        pdf.text(20, 20, f"Chapter {chapter}")
        write_lines(pdf, 20, 40, [f"Text of chapter {chapter} on atrial fibrillation."] * 3)
    document = load(tmp_path, bytes(pdf.output()), "chapters.pdf")
    assert [s.title for s in document.sections] == [f"Chapter {n}" for n in range(1, 5)]
    assert all(RUNNING_HEAD not in s.text for s in document.sections)


def test_outline_to_missing_pages_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_article(outline=True))))
    ghost = writer.add_outline_item(title="Ghost chapter", page_number=0).get_object()
    ghost.pop(NameObject("/A"))
    ghost[NameObject("/Dest")] = ArrayObject([NumberObject(41), NameObject("/Fit")])
    buffer = io.BytesIO()
    writer.write(buffer)
    with caplog.at_level(logging.WARNING):
        document = load(tmp_path, buffer.getvalue(), "bad-outline.pdf")
    assert any("bad-outline.pdf" in r.message and "outline" in r.message for r in caplog.records)
    titles = {s.title for s in document.sections}
    assert "Management > Pharmacological therapy" in titles  # from the fonts
    assert not any("Ghost" in (title or "") for title in titles)


@needs_tesseract
def test_scanned_page_is_read_by_ocr(tmp_path: Path) -> None:
    document = load(tmp_path, build_article(outline=True, scanned_page=True))
    assert document.ocr_pages == (3,)
    assert document.failed_pages == ()
    (scanned,) = [s for s in document.sections if "sacubitril valsartan" in s.text]
    assert scanned.page_at(scanned.text.index("sacubitril valsartan")) == 3


@needs_tesseract
@pytest.mark.parametrize(("users_limit", "seen"), [(None, "1"), ("2", "2")])
def test_tesseract_runs_with_one_openmp_thread_unless_the_user_set_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, users_limit: str | None, seen: str
) -> None:
    """Its OpenMP threads spin against each other on small machines (10x slower on 2 cores)."""
    record = tmp_path / "limit.txt"
    wrapper = tmp_path / "tesseract"
    # pytesseract asks `tesseract --version` once per process (cached): not a page read.
    wrapper.write_text(
        f'#!/bin/sh\n[ "$1" = --version ] || echo "$OMP_THREAD_LIMIT" >> {record}\n'
        f'exec {shutil.which("tesseract")} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(wrapper))
    if users_limit is None:
        monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    else:
        monkeypatch.setenv("OMP_THREAD_LIMIT", users_limit)
    document = load(tmp_path, build_article(outline=True, scanned_page=True))
    assert document.ocr_pages == (3,)
    assert record.read_text().split() == [seen]
    assert os.environ.get("OMP_THREAD_LIMIT") == users_limit  # as it was


def test_without_tesseract_the_scan_fails_alone_and_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    document = load(tmp_path, build_article(outline=True, scanned_page=True))
    ((page, reason),) = document.failed_pages
    assert page == 3
    assert "apt-get install tesseract-ocr" in reason
    assert document.ocr_pages == ()
    assert "reduced ejection fraction" in body_text(document)


def test_a_pdf_of_scans_only_without_tesseract_is_empty_with_the_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.image(scan_image(["Echocardiography report"]), x=0, y=0, w=210)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    with pytest.raises(EmptyDocumentError) as caught:
        load(tmp_path, bytes(pdf.output()), "scan.pdf")
    assert "scan.pdf" in str(caught.value)
    assert "apt-get install tesseract-ocr" in caught.value.reason


# -- the shared article ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ehag(shared_data: Path) -> Document:
    path = (shared_data / "pdfs" / "ehag110.pdf").resolve()
    return load_pdf(path, path.read_bytes(), "0" * 64, None)


# What the reader reads from the shared PDFs at `READER_VERSION`: a digest of each document's
# title, pages and sections. When a change to the reader changes one, bump READER_VERSION (so
# stores ingested before read their PDFs again) and write the new digests here.
READ_AT_VERSION = (3, {"ehag110.pdf": "4444650a00a73cbb", "zwag118.pdf": "c0ed0c4f064757ff"})


@pytest.mark.parametrize("name", sorted(READ_AT_VERSION[1]))
def test_what_the_reader_reads_changes_only_with_its_version(shared_data: Path, name: str) -> None:
    path = (shared_data / "pdfs" / name).resolve()
    document = load_pdf(path, path.read_bytes(), "0" * 64, None)
    read = hashlib.sha256(repr((document.title, document.pages, document.sections)).encode())
    version, digests = READ_AT_VERSION
    assert (READER_VERSION, read.hexdigest()[:16]) == (version, digests[name]), (
        f"the reader reads {name} differently: bump READER_VERSION in ingest/pdf/loader.py "
        "and write the new digests in READ_AT_VERSION"
    )


def test_ehag_sections_follow_its_headings(ehag: Document) -> None:
    titles = [s.title or "" for s in ehag.sections]
    trail = "Epidemiology > Age-specific incidence, prevalence, and trends of heart failure"
    assert trail in titles
    assert any(title.startswith("Safety and efficacy of guideline-recommended") for title in titles)


def test_ehag_parts(ehag: Document) -> None:
    (references,) = [s for s in ehag.sections if s.part is DocPart.REFERENCES]
    assert references.title == "References"
    assert references.page_at(len(references.text) - 1) == 13
    front = "\n".join(s.text for s in ehag.sections if s.part is DocPart.FRONT)
    assert "Creative Commons" in front
    assert "Received 11 July 2025" in front
    back = {s.title for s in ehag.sections if s.part is DocPart.BACK}
    assert {"Acknowledgements", "Declarations > Funding"} <= back
    body = body_text(ehag)
    assert "Creative Commons" not in body
    assert "ejection fraction" in body
    assert "3054 de Boer et al." not in body


def test_ehag_drug_table_is_markdown_rows(ehag: Document) -> None:
    tables = [s for s in ehag.sections if s.kind is SectionKind.TABLE]
    first = tables[0]
    assert first.page_at(0) == 8
    lines = first.text.splitlines()
    assert lines[0].startswith("Table 1 Efficacy of the four heart failure pillars")
    assert lines[2] == (
        "| Class of drugs | Name of the drug | Lead trial(s) | "
        "Efficacy young vs elderly patients | Ref |"
    )
    (sglt2,) = [line for line in lines if "SGLT2i" in line]
    # The row ties the drug class to its trials and its hazard ratios by age.
    assert "Dapagliflozin" in sglt2
    assert "DAPA-HF" in sglt2
    assert "Age ≥ 65 years: .77 (.71–.83)" in sglt2


def test_ehag_tables_sit_under_the_section_that_cites_them(ehag: Document) -> None:
    # Tables 1 and 2 float to p. 8 under "Device therapy ..."; the prose presenting them
    # ("In Table 1, we present ...") is in the pharmacological-therapy section.
    tables = {s.text.split(" ", 2)[1]: s for s in ehag.sections if s.kind is SectionKind.TABLE}
    therapy = "Safety and efficacy of guideline-recommended medical therapy in elderly"
    assert tables["1"].title is not None and tables["1"].title.startswith(therapy)
    assert tables["2"].title == tables["1"].title
    assert tables["3"].title == "Special considerations in elderly (Table 3)"
    assert [tables[n].page_at(0) for n in "123"] == [8, 8, 9]


def test_a_sidebar_beside_the_main_column_is_read_apart_as_front_matter(tmp_path: Path) -> None:
    document = load(tmp_path, build_sidebar_article())
    body = body_text(document)
    front = "\n".join(s.text for s in document.sections if s.part is DocPart.FRONT)
    # The abstract is read whole, in the main column's order, and is body.
    assert (
        "syndrome is unclear. This study investigates the correlation between the inflammation "
        "ratio and the long-term mortality risk in these patients." in body
    )
    # The sidebar's details are front matter, kept whole, never inside the abstract.
    assert "These authors have contributed equally to this work and share first authorship" in front
    for detail in ("CORRESPONDENCE", "chen.wei@example.edu", "RECEIVED", "Chen W and Rossi M"):
        assert detail not in body and detail in front


def test_a_drug_label_reads_as_one_document_with_its_sections(tmp_path: Path) -> None:
    document = load(tmp_path, build_drug_label(), "label.pdf")
    sections = {(s.title, s.part): s.text for s in document.sections}

    def holding(words: str) -> tuple[str | None, DocPart]:
        return next(key for key, text in sections.items() if words in text)

    # The Highlights repeat the full text: their own part, their headings under them.
    assert holding("major or fatal bleeding") == (
        "HIGHLIGHTS OF PRESCRIBING INFORMATION > WARNING: BLEEDING RISK",
        DocPart.SUMMARY,
    )
    # The boxed warning and the numbered sections of the full information, nested by number.
    assert holding("Perform regular monitoring") == ("WARNING: BLEEDING RISK", DocPart.BODY)
    assert holding("1.3% of patients") == (
        "5 WARNINGS AND PRECAUTIONS > 5.1 Hemorrhage",
        DocPart.BODY,
    )
    assert holding("peach, capsule-shaped") == (
        "16 HOW SUPPLIED/STORAGE AND HANDLING",
        DocPart.BODY,
    )
    # The Medication Guide is a division of its own; the package label is back matter.
    question = "What is the most important information I should know about warfarin?"
    assert holding("can be serious") == (f"MEDICATION GUIDE > {question}", DocPart.BODY)
    assert holding("NDC 12345-678-01")[1] is DocPart.BACK


def test_an_outline_that_points_to_page_numbers_is_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # wkhtmltopdf (DailyMed's labels) writes a page's number where a page reference belongs.
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_drug_label())))
    for title, page in [("HIGHLIGHTS OF PRESCRIBING INFORMATION", 0), ("5.1 Hemorrhage", 1)]:
        entry = writer.add_outline_item(title=title, page_number=0).get_object()
        entry.pop(NameObject("/A"), None)
        entry[NameObject("/Dest")] = ArrayObject([NumberObject(page), NameObject("/Fit")])
    buffer = io.BytesIO()
    writer.write(buffer)
    with caplog.at_level(logging.WARNING):
        document = load(tmp_path, buffer.getvalue(), "label.pdf")
    assert not caplog.records
    hemorrhage = next(s for s in document.sections if "1.3% of patients" in s.text)
    assert hemorrhage.title == "5.1 Hemorrhage"  # the outline's entry: no "5 ..." in it


def test_a_long_reference_list_in_small_print_does_not_make_the_text_headings(
    tmp_path: Path,
) -> None:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.text(20, 30, "Introduction")
    write_lines(pdf, 20, 40, (LEFT + RIGHT) * 3)  # 10 pt prose, lines not ending sentences
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.text(20, 30, "References")
    pdf.set_font("Helvetica", size=7)
    for number in range(1, 50):  # more characters than the text, in 7 pt
        reference = f"{number}. Author A. A trial in heart failure. J Test Cardiol 2020;1:1-10."
        pdf.text(20, 38 + 4.5 * number, reference)
    document = load(tmp_path, bytes(pdf.output()), "short.pdf")
    text = next(s for s in document.sections if "SGLT2 inhibitors lower the risk" in s.text)
    assert text.title == "Introduction"
    assert not any("drug classes" in (s.title or "") for s in document.sections)


def test_a_document_without_headings_is_body_past_its_first_page(tmp_path: Path) -> None:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=BODY_SIZE - 2)  # a cover in smaller print: no heading
    pdf.text(20, 40, "Your Guide to a Healthy Heart. NIH Publication No. 06-5269")
    pdf.add_page()
    write_lines(pdf, 20, 40, LEFT)
    document = load(tmp_path, bytes(pdf.output()), "leaflet.pdf")
    parts = {s.part: s.text for s in document.sections}
    assert "NIH Publication" in parts[DocPart.FRONT]  # the cover
    assert "reduced ejection fraction" in parts[DocPart.BODY]


def test_a_table_without_rules_is_read_row_by_row(tmp_path: Path) -> None:
    document = load(tmp_path, build_booklet_table(), "booklet.pdf")
    text = "\n\n".join(s.text for s in document.sections)
    assert "| Regular mayonnaise | Light or diet mayonnaise |" in text
    assert "| Oil-packed tuna | Water-packed tuna |" in text
    # A wrapped cell stays with its row.
    assert "| Regular margarine | Light-spread, reduced-calorie, or diet margarines, trans" in text
