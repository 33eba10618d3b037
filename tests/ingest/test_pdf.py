"""The PDF loader on PDFs built here with fpdf2 (layouts we control) and on the shared ones."""

from __future__ import annotations

import io
import logging
import os
import shutil
from pathlib import Path

import pytesseract
import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject, NumberObject

from ingest.documents import DocPart, Document, SectionKind
from ingest.errors import EmptyDocumentError
from ingest.pdf import load_pdf

RUNNING_HEAD = "Journal of Test Cardiology 2026"
BODY_SIZE = 10
LINE_MM = 5.0

LEFT = [
    "Heart failure with reduced ejec-",
    "tion fraction is treated with four",
    "drug classes. A beta-blocker is one",
    "of them, and NT-proBNP guides the",
    "dose. The beta-",
    "blocker is started at a low dose.",
]
RIGHT = [
    "SGLT2 inhibitors lower the risk of",
    "hospitalisation. Mineralocorticoid",
    "receptor antagonists need potas-",
    "sium checks. Loop diuretics relieve",
    "congestion in most patients.",
]


class _Journal(FPDF):
    """An A4 article page with a running head and a page number in the footer."""

    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.text(20, 10, RUNNING_HEAD)

    def footer(self) -> None:
        self.set_font("Helvetica", size=8)
        self.text(105, 290, str(self.page_no()))


def _lines(pdf: FPDF, x: float, y: float, lines: list[str]) -> float:
    pdf.set_font("Helvetica", size=BODY_SIZE)
    for line in lines:
        pdf.text(x, y, line)
        y += LINE_MM
    return y


def _heading(pdf: FPDF, text: str, y: float, *, size: int = 14, outline: bool) -> None:
    pdf.set_font("Helvetica", style="B", size=size)
    if outline:
        pdf.set_y(y - 4)
        pdf.start_section(text, level=0 if size >= 14 else 1)
    pdf.text(20, y, text)


def _scan(lines: list[str]) -> Image.Image:
    """A page of text as an image only, the way a scanner delivers it."""
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for number, line in enumerate(lines):
        draw.text((100, 150 + 60 * number), line, fill=0, font=font)
    return image


def build_article(*, outline: bool, scanned_page: bool = False) -> bytes:
    """Two columns, headings, a table with a caption, references; optionally a scanned page."""
    pdf = _Journal(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=20)
    pdf.text(20, 30, "Treating heart failure in clinic")
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 38, "Ada Lovelace 1, Alan Turing 2")
    pdf.text(20, 42, "1 Department of Cardiology, Test Hospital, Testville")
    pdf.text(20, 50, "Received 1 January 2026; accepted 2 February 2026")
    _heading(pdf, "Management", 62, outline=outline)
    _heading(pdf, "Pharmacological therapy", 70, size=12, outline=outline)
    _lines(pdf, 20, 78, LEFT)
    _lines(pdf, 110, 78, RIGHT)
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 282, "© The Authors 2026. This is an open access article.")
    pdf.add_page()
    _heading(pdf, "Drug doses", 30, outline=outline)
    pdf.set_font("Helvetica", style="B", size=BODY_SIZE)
    pdf.text(20, 40, "Table 1 Starting and target doses")
    pdf.set_font("Helvetica", size=BODY_SIZE)
    pdf.set_xy(20, 44)
    with pdf.table(col_widths=(50, 40, 40), width=130, align="LEFT") as table:
        for row in (
            ("Drug", "Starting dose", "Target dose"),
            ("Bisoprolol", "1.25 mg once daily", "10 mg once daily"),
            ("Dapagliflozin", "10 mg once daily", "10 mg once daily"),
            ("Spironolactone", "25 mg once daily", "50 mg once daily"),
        ):
            cells = table.row()
            for cell in row:
                cells.cell(cell)
    _lines(pdf, 20, 90, ["Doses are titrated every two weeks when blood pressure allows."])
    if scanned_page:
        pdf.add_page()
        pdf.image(
            _scan(["Discharge letter", "The patient tolerated", "sacubitril valsartan well."]),
            x=0,
            y=0,
            w=210,
        )
    pdf.add_page()
    _heading(pdf, "References", 30, outline=outline)
    _lines(
        pdf,
        20,
        40,
        [
            "1. McDonagh TA, Metra M. 2021 ESC Guidelines for heart failure. Eur Heart J 2021.",
            "2. Heidenreich PA. 2022 AHA/ACC/HFSA Guideline. Circulation 2022.",
        ],
    )
    return bytes(pdf.output())


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
    pdf = _Journal(format="A4", unit="mm")
    for chapter in range(1, 5):
        pdf.add_page()
        pdf.set_font("Helvetica", style="B", size=16)
        pdf.text(20, 20, f"Chapter {chapter}")
        _lines(pdf, 20, 40, [f"Text of chapter {chapter} on atrial fibrillation."] * 3)
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


def test_scanned_page_is_read_by_ocr(tmp_path: Path) -> None:
    document = load(tmp_path, build_article(outline=True, scanned_page=True))
    assert document.ocr_pages == (3,)
    assert document.failed_pages == ()
    (scanned,) = [s for s in document.sections if "sacubitril valsartan" in s.text]
    assert scanned.page_at(scanned.text.index("sacubitril valsartan")) == 3


@pytest.mark.parametrize(("users_limit", "seen"), [(None, "1"), ("2", "2")])
def test_tesseract_runs_with_one_openmp_thread_unless_the_user_set_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, users_limit: str | None, seen: str
) -> None:
    """Its OpenMP threads spin against each other on small machines (10x slower on 2 cores)."""
    record = tmp_path / "limit.txt"
    wrapper = tmp_path / "tesseract"
    wrapper.write_text(
        f'#!/bin/sh\necho "$OMP_THREAD_LIMIT" >> {record}\nexec {shutil.which("tesseract")} "$@"\n'
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
    pdf.image(_scan(["Echocardiography report"]), x=0, y=0, w=210)
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
