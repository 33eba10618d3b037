from __future__ import annotations

import hashlib
import io
import itertools
import random
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ingest.documents import DocType, Document
from ingest.errors import (
    EmptyDocumentError,
    IngestError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from ingest.loaders import (
    LoadOptions,
    discover_files,
    load_documents,
    path_doc_type,
)
from ingest.pdf import READER_TAG

# Test names below avoid the words that `path_doc_type` reads in a path (note, guideline,
# textbook...), because pytest puts the test's name into `tmp_path`.
from tests.support.loading import assert_names, load, only, write


@pytest.fixture(scope="module")
def ehag_path(shared_data: Path) -> Path:
    return (shared_data / "pdfs" / "ehag110.pdf").resolve()


@pytest.fixture(scope="module")
def ehag(ehag_path: Path) -> Document:
    return only(load(ehag_path))


@pytest.fixture(scope="module")
def one_page_pdf(ehag_path: Path) -> bytes:
    # A PDF with a text layer (page 1 of ehag110.pdf), to build odd PDFs from.
    writer = PdfWriter()
    writer.add_page(PdfReader(ehag_path).pages[0])
    return pdf_bytes(writer)


def pdf_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_keeps_its_pages_title_and_hash(ehag: Document, ehag_path: Path) -> None:
    assert ehag.pages == 13
    assert ehag.doc_id == ehag.source == str(ehag_path)
    assert ehag.doc_type is DocType.ARTICLE
    # Its bytes and the reader's version: a better reader makes it a new version.
    assert ehag.sha256 == hashlib.sha256(ehag_path.read_bytes() + READER_TAG).hexdigest()
    assert ehag.title == PdfReader(ehag_path).metadata.title.strip()
    assert ehag.title.startswith("Heart failure in the elderly")
    assert ehag.sections[0].offset == 0
    pages = {page for section in ehag.sections for _, page in section.page_breaks}
    assert pages == set(range(1, 14))


def test_pdf_sections_lie_end_to_end_in_the_full_text(ehag: Document) -> None:
    for section, following in itertools.pairwise(ehag.sections):
        assert following.offset == section.offset + len(section.text) + 2


def test_pdf_text_maps_to_its_page(ehag: Document) -> None:
    # A sentence of page 3 and one of page 9, found by text alone.
    for snippet, page in (
        ("The median 1-year mortality rate was 14.5%", 3),
        ("Heart replacement therapies such as heart transplantation", 9),
    ):
        (section,) = [s for s in ehag.sections if snippet in s.text]
        assert section.page_at(section.text.index(snippet)) == page


def test_pdf_page_at_is_none_for_unpaged_text(tmp_path: Path) -> None:
    doc = only(load(write(tmp_path / "plain.txt", "Aortic stenosis narrows the aortic valve.")))
    assert doc.pages is None
    assert doc.sections[0].page_at(0) is None


def test_pdf_truncated_is_unreadable(tmp_path: Path, ehag_path: Path) -> None:
    data = ehag_path.read_bytes()
    path = write(tmp_path / "truncated.pdf", data[: len(data) // 10])
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path)
    assert "corrupt" in caught.value.reason


def test_pdf_random_junk_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path / "junk.pdf", random.Random(0).randbytes(20_000))
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path)


def test_pdf_of_zero_bytes_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "zero.pdf", b"")
    with pytest.raises(EmptyDocumentError) as caught:
        load(path)
    assert_names(caught.value, path)
    assert "0 bytes" in caught.value.reason


def test_pdf_of_blank_pages_is_empty(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    path = write(tmp_path / "scan.pdf", pdf_bytes(writer))
    with pytest.raises(EmptyDocumentError) as caught:
        load(path)
    assert_names(caught.value, path)
    assert "no extractable text" in caught.value.reason


def test_pdf_with_a_password_is_refused(tmp_path: Path, one_page_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(one_page_pdf)))
    writer.encrypt("secret")
    path = write(tmp_path / "locked.pdf", pdf_bytes(writer))
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path)
    assert "password" in caught.value.reason


def test_pdf_encrypted_without_user_password_opens(tmp_path: Path, one_page_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(one_page_pdf)))
    writer.encrypt(user_password="", owner_password="secret")
    path = write(tmp_path / "owner-only.pdf", pdf_bytes(writer))
    doc = only(load(path))
    assert doc.pages == 1
    assert any("Creative Commons" in section.text for section in doc.sections)


def test_pdf_type_from_folder_and_forced(tmp_path: Path, one_page_pdf: bytes) -> None:
    hinted = write(tmp_path / "guidelines" / "esc.pdf", one_page_pdf)
    assert only(load(hinted)).doc_type is DocType.GUIDELINE
    forced = LoadOptions(doc_type=DocType.TEXTBOOK)
    assert only(load(hinted, forced)).doc_type is DocType.TEXTBOOK


# -- plain text and Markdown -------------------------------------------------------------


def test_txt_is_one_section_of_the_exact_text(tmp_path: Path) -> None:
    text = "Atrial fibrillation raises the risk of stroke.\n\nAnticoagulation lowers it.\n"
    path = write(tmp_path / "af-summary.txt", text)
    doc = only(load(path))
    assert doc.title == "Atrial fibrillation raises the risk of stroke."
    assert doc.doc_id == doc.source == str(path)
    assert doc.doc_type is DocType.NOTE
    assert doc.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert len(doc.sections) == 1
    assert doc.sections[0].text == text
    assert doc.sections[0].title is None


def test_txt_in_latin_1_needs_the_encoding(tmp_path: Path) -> None:
    text = "Souffle systolique à l'échographie: sténose aortique."
    path = write(tmp_path / "fr.txt", text.encode("latin-1"))
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path)
    assert "--encoding" in caught.value.reason
    doc = only(load(path, LoadOptions(encoding="latin-1")))
    assert doc.sections[0].text == text


def test_txt_with_an_unknown_encoding_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Heart")
    with pytest.raises(UnreadableFileError) as caught:
        load(path, LoadOptions(encoding="no-such-codec"))
    assert_names(caught.value, path)


def test_binary_junk_named_txt_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path / "junk.txt", random.Random(1).randbytes(4096) + b"\x00")
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path)
    assert "binary" in caught.value.reason


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"], ids=["zero-bytes", "whitespace"])
def test_txt_without_text_is_empty(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path / "blank.txt", content)
    with pytest.raises(EmptyDocumentError) as caught:
        load(path)
    assert_names(caught.value, path)


def test_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", "\ufeffBradycardia: a slow heart rate.".encode())
    assert only(load(path)).sections[0].text == "Bradycardia: a slow heart rate."


MARKDOWN = """\
Read this before the chapters.

# Heart

The heart has four chambers.

## Valves ##

Four valves keep blood moving forward.

### Mitral

The mitral valve sits between the left atrium and ventricle.

## Chambers

Atria receive blood; ventricles pump it.

# Vessels
## Arteries
Arteries carry blood away from the heart.
#hashtag is not a heading.
"""


def test_markdown_sections_are_titled_by_heading_path(tmp_path: Path) -> None:
    doc = only(load(write(tmp_path / "heart.md", MARKDOWN)))
    assert doc.title == "Heart"
    assert [s.title for s in doc.sections] == [
        None,
        "Heart",
        "Heart > Valves",
        "Heart > Valves > Mitral",
        "Heart > Chambers",
        "Vessels > Arteries",  # "Vessels" has no text of its own
    ]
    by_title = {s.title: s.text for s in doc.sections}
    assert "mitral valve sits" in by_title["Heart > Valves > Mitral"]
    assert "mitral valve sits" not in by_title["Heart > Valves"]
    assert "#hashtag is not a heading." in by_title["Vessels > Arteries"]


def test_markdown_offsets_point_into_the_original_text(tmp_path: Path) -> None:
    doc = only(load(write(tmp_path / "heart.markdown", MARKDOWN)))
    for section in doc.sections:
        assert MARKDOWN[section.offset : section.offset + len(section.text)] == section.text
        if section.title is not None:
            heading = MARKDOWN[: section.offset].rsplit("\n", 1)[-1]
            assert heading.lstrip("# ").rstrip(" #") == section.title.split(" > ")[-1]
    assert doc.sections[0].offset == 0


def test_markdown_with_crlf_line_ends(tmp_path: Path) -> None:
    text = "# Heart\r\n\r\nFour chambers.\r\n## Valves\r\nFour valves.\r\n"
    doc = only(load(write(tmp_path / "crlf.md", text)))
    assert doc.title == "Heart"
    assert [s.title for s in doc.sections] == ["Heart", "Heart > Valves"]
    for section in doc.sections:
        assert text[section.offset : section.offset + len(section.text)] == section.text


def test_txt_headings_are_not_sections(tmp_path: Path) -> None:
    doc = only(load(write(tmp_path / "heart.txt", MARKDOWN)))
    assert len(doc.sections) == 1
    assert doc.title == "Read this before the chapters."


def test_a_text_file_is_a_note_titled_by_its_first_line(tmp_path: Path) -> None:
    text = "\n\n  Echo report, 3 May  \n\nLVEF 35%, moderate mitral regurgitation.\n"
    doc = only(load(write(tmp_path / "uploads" / "cardiology" / "scan_0042.txt", text)))
    assert (doc.title, doc.doc_type) == ("Echo report, 3 May", DocType.NOTE)
    hinted = only(load(write(tmp_path / "guidelines" / "af.md", "No heading here.\n")))
    assert (hinted.title, hinted.doc_type) == ("No heading here.", DocType.GUIDELINE)


def test_a_text_file_whose_first_line_is_a_paragraph_is_titled_by_its_stem(
    tmp_path: Path,
) -> None:
    doc = only(load(write(tmp_path / "scan_0042.txt", "word " * 40)))
    assert doc.title == "scan_0042"


# -- JSONL ---------------------------------------------------------------------------------


def test_discover_files_recurses_and_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    wanted = [
        write(root / "a.md", "# A"),
        write(root / "sub" / "B.PDF", b"%PDF"),
        write(root / "sub" / "deep" / "c.jsonl", "{}"),
        write(root / "sub" / "d.csv", "id,text"),
        write(root / "sub" / "e.markdown", "x"),
        write(root / "z.txt", "x"),
    ]
    write(root / ".hidden" / "secret.md", "# no")
    write(root / "sub" / ".draft.txt", "no")
    write(root / "README", "no suffix")
    write(root / "figure.png", b"\x89PNG")
    found, refused = discover_files([root, root / "a.md"])
    assert refused == []
    assert found == sorted(p.resolve() for p in wanted)


def test_discover_files_refuses_unsupported_and_missing(tmp_path: Path) -> None:
    docx = write(tmp_path / "letter.docx", b"PK")
    hidden = write(tmp_path / ".named.md", "# Named explicitly")
    missing = tmp_path / "missing.txt"
    found, refused = discover_files([docx, hidden, missing])
    assert found == [hidden.resolve()]
    unsupported, not_there = refused
    assert type(unsupported) is UnsupportedFormatError
    assert_names(unsupported, docx.resolve())
    assert ".docx" in unsupported.reason
    assert type(not_there) is IngestError
    assert_names(not_there, missing.resolve())


def test_load_documents_raises_on_a_refused_path(tmp_path: Path) -> None:
    write(tmp_path / "ok.txt", "Fine.")
    docx = write(tmp_path / "letter.docx", b"PK")
    with pytest.raises(UnsupportedFormatError) as caught:
        load_documents([tmp_path / "ok.txt", docx])
    assert_names(caught.value, docx.resolve())


def test_load_file_refuses_unsupported_type(tmp_path: Path) -> None:
    path = write(tmp_path / "letter.docx", b"PK")
    with pytest.raises(UnsupportedFormatError) as caught:
        load(path)
    assert_names(caught.value, path)


def test_load_documents_gives_absolute_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a.txt", "Tachycardia.")
    write(tmp_path / "b.md", "# Murmur\nA sound.")
    monkeypatch.chdir(tmp_path)
    docs = load_documents([Path("a.txt"), Path(".")])
    assert [doc.doc_id for doc in docs] == [
        str((tmp_path / "a.txt").resolve()),
        str((tmp_path / "b.md").resolve()),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/data/guidelines/esc-2023-hf.pdf", DocType.GUIDELINE),
        ("/data/ESC_Guideline_AF.pdf", DocType.GUIDELINE),
        ("/data/textbook/ch19.jsonl", DocType.TEXTBOOK),
        ("/data/openstax/glossary.jsonl", DocType.TEXTBOOK),
        ("/data/medquad/qa.jsonl", DocType.QA),
        ("/data/notes/echo.csv", DocType.NOTE),
        ("/data/mtsamples.csv", DocType.NOTE),
        ("/data/guidelines/notes/x.pdf", DocType.NOTE),  # only the nearest folder counts
        ("/data/guideline-notes/x.pdf", DocType.GUIDELINE),  # the first rule wins
        ("/home/notebooks/textbook/ch1.jsonl", DocType.TEXTBOOK),
        ("/home/notebooks/pdfs/a.pdf", None),
        ("/data/pdfs/ehag110.pdf", None),
        ("/data/articles/heart.md", None),
    ],
)
def test_path_doc_type_rules(path: str, expected: DocType | None) -> None:
    assert path_doc_type(Path(path)) == expected


def test_path_doc_type_of_the_shared_data(shared_data: Path) -> None:
    assert path_doc_type(shared_data / "pdfs" / "ehag110.pdf") is None
    assert path_doc_type(next((shared_data / "notes").glob("*.csv"))) is DocType.NOTE
    assert path_doc_type(next((shared_data / "textbook").glob("*.jsonl"))) is DocType.TEXTBOOK
    assert path_doc_type(shared_data / "medquad" / "medquad_visible.jsonl") is DocType.QA


def test_forced_type_beats_the_path_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "guidelines" / "summary.txt", "Beta-blockers after infarction.")
    assert only(load(path)).doc_type is DocType.GUIDELINE
    assert only(load(path, LoadOptions(doc_type=DocType.NOTE))).doc_type is DocType.NOTE


def test_discover_files_skips_excluded_names_inside_folders(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write(root / "heart.md", "# Heart\nFour chambers.")
    write(root / "sub" / "SOURCES.txt", "where this came from")
    write(root / "README.md", "about")
    found, refused = discover_files([root], exclude=("SOURCES.txt", "README*"))
    assert found == [(root / "heart.md").resolve()] and refused == []
    explicit, _ = discover_files([root / "README.md"], exclude=("README*",))
    assert explicit == [(root / "README.md").resolve()]  # a file named explicitly is taken
