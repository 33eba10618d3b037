"""JSONL and CSV files: one document per record or row, with the errors that name the line."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

import pytest

from ingest.documents import DocType
from ingest.errors import (
    MissingFieldError,
    UnreadableFileError,
)
from ingest.loaders import (
    LoadedFile,
    LoadOptions,
)
from ingest.notes import NOTE_PARSE_TAG, note_sections, restore_lines
from ingest.records import FieldMap

# Test names below avoid the words that `path_doc_type` reads in a path (note, guideline,
# textbook...), because pytest puts the test's name into `tmp_path`.
from tests.support.loading import assert_names, jsonl, load, only, write


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").split("\n") if line.strip()]


def test_jsonl_openstax_sections(shared_data: Path) -> None:
    path = next((shared_data / "textbook").glob("*.jsonl")).resolve()
    loaded = load(path)
    lines = [line for line in path.read_text("utf-8").split("\n") if line.strip()]
    records = [json.loads(line) for line in lines]
    assert len(loaded.documents) == len(records) == 97
    assert loaded.empty_records == 0
    for doc, record, line in zip(loaded.documents, records, lines, strict=True):
        assert doc.doc_id == record["id"]
        assert doc.doc_type is DocType.TEXTBOOK
        assert doc.title == record["module_title"].strip()
        assert doc.source == str(path)
        assert doc.sha256 == hashlib.sha256(line.encode()).hexdigest()
        (section,) = doc.sections
        assert section.title == record["section_title"]
        assert section.text == record["text"]
        assert doc.metadata == {
            key: value
            for key, value in record.items()
            if key not in {"id", "text", "module_title", "section_title"}
        }
        assert doc.metadata["chapter"].startswith("The Cardiovascular System")


@pytest.fixture(scope="module")
def medquad(shared_data: Path) -> tuple[LoadedFile, list[dict[str, object]]]:
    path = (shared_data / "medquad" / "medquad_visible.jsonl").resolve()
    return load(path), read_jsonl(path)


def test_jsonl_medquad_pairs(medquad: tuple[LoadedFile, list[dict[str, object]]]) -> None:
    loaded, records = medquad
    assert len(loaded.documents) == len(records) == 16_147
    assert len({doc.doc_id for doc in loaded.documents}) == len(records)
    for doc, record in zip(loaded.documents, records, strict=True):
        assert doc.doc_type is DocType.QA
        assert doc.doc_id == record["doc_id"]
        assert doc.title == (record["question"].strip() or record["doc_id"])
        assert doc.sections[0].text == record["answer"]
        assert doc.source == str(loaded.path)
        # MedQuAD's own `source` (the NIH site) must not overwrite ours (the file).
        assert "source" not in doc.metadata
        assert doc.metadata["record_source"] == record["source"]
        assert doc.metadata["url"] == record.get("url")
        assert not {"doc_id", "question", "answer"} & doc.metadata.keys()


def test_jsonl_beir_corpus_uses_underscore_id(shared_data: Path) -> None:
    path = (shared_data / "eval" / "openstax_glossary" / "corpus.jsonl").resolve()
    loaded = load(path)
    records = read_jsonl(path)
    assert len(loaded.documents) == 97
    for doc, record in zip(loaded.documents, records, strict=True):
        assert doc.doc_id == record["_id"]
        assert doc.title == record["title"].strip()
        assert doc.sections[0].text == record["text"]
        assert doc.metadata == {}
    assert {doc.doc_type for doc in loaded.documents} == {DocType.TEXTBOOK}  # "openstax"


def test_jsonl_field_map_picks_the_named_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path / "abstracts.jsonl",
        jsonl(
            {
                "pmid": 31_504_418,
                "abstract": "Sacubitril-valsartan lowered hospitalisation for heart failure.",
                "text": "a field the mapping does not use",
                "journal": "N Engl J Med",
                "part": "Results",
                "page_start": 7,
            }
        ),
    )
    fields = FieldMap(id="pmid", text="abstract", title="journal", section="part")
    doc = only(load(path, LoadOptions(fields=fields)))
    assert doc.doc_id == "31504418"
    assert doc.sections[0].text.startswith("Sacubitril-valsartan")
    assert doc.title == "N Engl J Med"
    assert doc.sections[0].title == "Results"
    assert doc.doc_type is DocType.ARTICLE
    assert doc.metadata == {"text": "a field the mapping does not use", "record_page_start": 7}


def test_jsonl_mapped_field_missing(tmp_path: Path) -> None:
    path = write(
        tmp_path / "abstracts.jsonl",
        jsonl({"pmid": 1, "abstract": "ok"}, {"pmid": 2, "summary": "no abstract"}),
    )
    with pytest.raises(MissingFieldError) as caught:
        load(path, LoadOptions(fields=FieldMap(id="pmid", text="abstract")))
    assert_names(caught.value, path, line=2)
    assert "'abstract'" in str(caught.value)
    assert "--text-field" in str(caught.value)
    assert "summary" in str(caught.value)  # the fields that are there


def test_jsonl_without_any_known_id_field(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", jsonl({"key": "a", "text": "Angina."}))
    with pytest.raises(MissingFieldError) as caught:
        load(path)
    assert_names(caught.value, path, line=1)
    assert "--id-field" in str(caught.value)


def test_jsonl_broken_line_names_its_number(tmp_path: Path) -> None:
    content = jsonl({"id": "a", "text": "One."}) + "\n" + jsonl({"id": "b", "text": "Two."})
    content += '{"id": "c", "text": "unterminated\n' + jsonl({"id": "d", "text": "Four."})
    path = write(tmp_path / "broken.jsonl", content)
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path, line=4)  # line 2 is blank
    assert "invalid JSON" in caught.value.reason


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path / "list.jsonl", jsonl({"id": "a", "text": "One."}) + "[1, 2]\n")
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path, line=2)


def test_jsonl_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dup.jsonl",
        jsonl(
            {"id": "s1", "text": "Systole."},
            {"id": "s2", "text": "Diastole."},
            {"id": "s1", "text": "Systole again."},
        ),
    )
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path, line=3)
    assert "'s1'" in caught.value.reason
    assert "first on line 1" in caught.value.reason


def test_jsonl_empty_id_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", jsonl({"id": "  ", "text": "Angina."}))
    with pytest.raises(MissingFieldError) as caught:
        load(path)
    assert_names(caught.value, path, line=1)


def test_jsonl_records_without_text_are_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.jsonl",
        jsonl(
            {"id": "a", "text": "Angina pectoris."},
            {"id": "b", "text": "   "},
            {"id": "c", "text": None},
        ),
    )
    loaded = load(path)
    assert [doc.doc_id for doc in loaded.documents] == ["a"]
    assert loaded.empty_records == 2


def test_jsonl_keeps_line_separators_inside_strings(tmp_path: Path) -> None:
    # JSON allows U+2028 and U+0085 raw in strings (json.dumps(ensure_ascii=False) writes
    # them); they must not split a record.
    text = "Line one\u2028line two\x85line three"
    path = write(
        tmp_path / "seps.jsonl",
        jsonl({"id": "a", "text": text}, {"id": "b", "text": "Two."}) + "{broken\n",
    )
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path, line=3)
    write(path, jsonl({"id": "a", "text": text}, {"id": "b", "text": "Two."}))
    loaded = load(path)
    assert [doc.sections[0].text for doc in loaded.documents] == [text, "Two."]


def test_jsonl_with_crlf_line_ends(tmp_path: Path) -> None:
    path = write(
        tmp_path / "crlf.jsonl", b'{"id": "a", "text": "One."}\r\n{"id": "b", "text": "Two."}\r\n'
    )
    assert [doc.doc_id for doc in load(path).documents] == ["a", "b"]


def test_jsonl_type_inferred_from_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.jsonl",
        jsonl(
            {"id": "q1", "question": "What is angina?", "answer": "Chest pain from ischaemia."},
            {"id": "t1", "chapter": "Heart", "text": "The heart pumps blood."},
            {"id": "a1", "text": "Plain record."},
        ),
    )
    docs = load(path).documents
    assert [doc.doc_type for doc in docs] == [DocType.QA, DocType.TEXTBOOK, DocType.ARTICLE]
    assert docs[0].title == "What is angina?"
    assert docs[2].title == "a1"  # no title field: the id


def test_jsonl_forced_type_wins(shared_data: Path) -> None:
    path = next((shared_data / "textbook").glob("*.jsonl"))
    loaded = load(path, LoadOptions(doc_type=DocType.GUIDELINE))
    assert {doc.doc_type for doc in loaded.documents} == {DocType.GUIDELINE}


# -- CSV -----------------------------------------------------------------------------------


def test_csv_mtsamples(shared_data: Path) -> None:
    path = next((shared_data / "notes").glob("*.csv")).resolve()
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    blank = [row["note_id"] for row in rows if not row["transcription"].strip()]
    assert len(blank) == 1
    loaded = load(path)
    assert loaded.empty_records == 1
    assert len(loaded.documents) == len(rows) - 1 == 371
    kept = [row for row in rows if row["transcription"].strip()]
    for doc, row in zip(loaded.documents, kept, strict=True):
        assert doc.doc_id == row["note_id"]
        assert doc.doc_type is DocType.NOTE
        assert doc.title == row["sample_name"].strip()
        # The note's lines restored and cut at its labels; its version names the parse.
        assert doc.sections == note_sections(restore_lines(row["transcription"]))
        raw = json.dumps(row, sort_keys=True).encode()
        assert doc.sha256 == hashlib.sha256(raw + NOTE_PARSE_TAG).hexdigest()
        assert doc.metadata == {
            "description": row["description"],
            "medical_specialty": row["medical_specialty"],
            "keywords": row["keywords"],
        }
    assert blank[0] not in {doc.doc_id for doc in loaded.documents}


def test_only_clinical_records_have_their_lines_restored(tmp_path: Path) -> None:
    text = "IMPRESSION:,1.  Normal LV function.,2.  No effusion, no mass."
    csv_path = write(tmp_path / "echo.csv", f'id,text\ne1,"{text}"\n')
    (echo,) = load(csv_path).documents
    assert echo.doc_type is DocType.NOTE
    assert [(s.title, s.text) for s in echo.sections] == [
        ("Impression", "1.  Normal LV function.\n2.  No effusion, no mass.")
    ]
    path = write(
        tmp_path / "mixed.jsonl",
        jsonl(
            {"id": "t1", "chapter": "Heart", "text": text},
            {"id": "q1", "question": "Echo?", "answer": text},
            {"id": "a1", "text": text},
        ),
    )
    docs = load(path).documents
    assert [d.doc_type for d in docs] == [DocType.TEXTBOOK, DocType.QA, DocType.ARTICLE]
    assert [d.sections[0].text for d in docs] == [text] * 3
    lines = path.read_text("utf-8").splitlines()
    assert [d.sha256 for d in docs] == [hashlib.sha256(x.encode()).hexdigest() for x in lines]
    forced = load(path, LoadOptions(doc_type=DocType.NOTE)).documents
    assert [d.sections[0].title for d in forced] == ["Impression"] * 3


def test_csv_defaults_to_the_clinical_type(tmp_path: Path) -> None:
    path = write(tmp_path / "echo.csv", "id,text\ne1,Normal left ventricular size.\n")
    assert only(load(path)).doc_type is DocType.NOTE
    assert only(load(path, LoadOptions(doc_type=DocType.QA))).doc_type is DocType.QA


def test_csv_without_the_mapped_column(tmp_path: Path) -> None:
    path = write(tmp_path / "echo.csv", "id,summary\ne1,Normal size.\ne2,Dilated.\n")
    with pytest.raises(MissingFieldError) as caught:
        load(path)
    assert_names(caught.value, path, line=2)
    assert "--text-field" in str(caught.value)
    assert isinstance(caught.value, KeyError)
    docs = load(path, LoadOptions(fields=FieldMap(text="summary"))).documents
    assert [doc.sections[0].text for doc in docs] == ["Normal size.", "Dilated."]


def test_csv_row_with_too_many_values(tmp_path: Path) -> None:
    path = write(tmp_path / "echo.csv", "id,text\ne1,Normal.\ne2,Dilated.,extra\n")
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path, line=3)


def test_csv_multiline_row_reports_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "echo.csv", 'id,text\ne1,"Line one\nline two"\ne1,Again.\n')
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path, line=4)  # the quoted value spans lines 2-3


def test_csv_without_header(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.csv", b"")
    with pytest.raises(UnreadableFileError) as caught:
        load(path)
    assert_names(caught.value, path)


def test_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    # Excel writes one; it must not hide the first column's name.
    path = write(tmp_path / "excel.csv", "\ufeffnote_id,transcription\n7,Sinus rhythm.\n".encode())
    assert only(load(path)).doc_id == "7"


# -- finding files and naming types ------------------------------------------------------------
