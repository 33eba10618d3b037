"""Notes read as notes (ingest.notes): the real MTSamples transcriptions' commas back to lines
and items, and their labels to titled sections, checked on every row of ../shared/data."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import ingest.notes
from ingest.notes import FIELD_MAX_CHARS, heading_label, label_title, note_sections, restore_lines
from tests.support.notes import CONSULT, ECHO, note_rows

ECHO_AS_WRITTEN = """\
DESCRIPTION:
1.  Normal cardiac chambers size.
2.  Normal left ventricular size.
3.  Normal LV systolic function.  Ejection fraction estimated around 60%.
4.  Aortic valve seen with good motion.
5.  Mitral valve seen with good motion.
6.  Tricuspid valve seen with good motion.
7.  No pericardial effusion or intracardiac masses.
DOPPLER:
1.  Trace mitral regurgitation.
2.  Trace tricuspid regurgitation.
IMPRESSION:
1.  Normal LV systolic function.
2.  Ejection fraction estimated around 60%."""
# The export's line-break commas: a comma right before a letter. None is left after restoring.
_BREAK_COMMA = re.compile(r",[A-Za-z]")


@pytest.fixture(scope="module")
def rows(shared_data: Path) -> dict[str, dict[str, str]]:
    return note_rows(shared_data)


@pytest.fixture(scope="module")
def restored(rows: dict[str, dict[str, str]]) -> dict[str, str]:
    return {note_id: restore_lines(row["transcription"]) for note_id, row in rows.items()}


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,:]+", text) if word]


def test_the_echo_report_reads_as_written(
    rows: dict[str, dict[str, str]], restored: dict[str, str]
) -> None:
    assert rows[ECHO]["transcription"].startswith("DESCRIPTION:,1.  Normal cardiac chambers size.")
    assert restored[ECHO] == ECHO_AS_WRITTEN


def test_a_consult_keeps_its_ordinary_commas(restored: dict[str, str]) -> None:
    lines = restored[CONSULT].splitlines()
    assert lines[:3] == [
        "REASON FOR CONSULTATION:",
        "Atrial fibrillation.",
        "HISTORY OF PRESENT ILLNESS:",
    ]
    assert lines[3].startswith("The patient is a 78-year-old, Hispanic woman with past medical")
    assert (
        "12-lead EKG performed on August 10, 2009, found to have atrial fibrillation." in lines[3]
    )
    assert (
        "ALLERGIES:\nNo known drug allergies.\nFAMILY HISTORY:\nNoncontributory."
        in restored[CONSULT]
    )


@pytest.mark.parametrize(
    ("raw", "as_written"),
    [
        # Each from a real note but the last, which already has its line breaks.
        (
            "2-D M-MODE: , ,1.  Left atrial enlargement.",
            "2-D M-MODE:\n1.  Left atrial enlargement.",
        ),
        (
            "INDICATIONS:  ,Chest pain.,STRESS TECHNIQUE:,",
            "INDICATIONS:\nChest pain.\nSTRESS TECHNIQUE:",
        ),
        (
            "RESULTS OF PROCEDURE,1.  ,HEMODYNAMICS:,  Left",
            "RESULTS OF PROCEDURE\n1.  HEMODYNAMICS:\nLeft",
        ),
        (
            "Total cardiopulmonary bypass,cold blood potassium",
            "Total cardiopulmonary bypass cold blood potassium",
        ),
        ("to the descending aorta ,ascending aorta", "to the descending aorta, ascending aorta"),
        (
            "her given age, well developed,,oriented, well",
            "her given age, well developed, oriented, well",
        ),
        ("to either contact myself, , or return", "to either contact myself, or return"),
        ("lidocaine with epinephrine 1:100,000 at", "lidocaine with epinephrine 1:100,000 at"),
        ("down to 12,000.  A chest x-ray", "down to 12,000.  A chest x-ray"),
        ('He feels in general "OK," but is stressed', 'He feels in general "OK," but is stressed'),
        (
            "designated 'subcarinal lymph node', is a,2.0 x 1.7",
            "designated 'subcarinal lymph node', is a 2.0 x 1.7",
        ),
        (
            "3.  Theophylline,4.  Lovenox.,5.  Atrovent.",
            "3.  Theophylline\n4.  Lovenox.\n5.  Atrovent.",
        ),
        (
            "selective coronary angiography.,d.  Right femoral",
            "selective coronary angiography.\nd.  Right femoral",
        ),
        (
            "this kind referral.,Sincerely,,Sample Doctor, M.D.",
            "this kind referral.\nSincerely,\nSample Doctor, M.D.",
        ),
        ("MRSA colonization., ,Discussed with", "MRSA colonization.\n\nDiscussed with"),
        (
            "recovery process.,CONCLUSIONS,:,1.  Stress test",
            "recovery process.\nCONCLUSIONS:\n1.  Stress test",
        ),
        ("Caduet 10 mg p.o. q.d., Coreg CR 40 mg", "Caduet 10 mg p.o. q.d., Coreg CR 40 mg"),
        ("Sincerely,\nDr. X\nBP 120/80, HR 72", "Sincerely,\nDr. X\nBP 120/80, HR 72"),
    ],
)
def test_each_kind_of_comma(raw: str, as_written: str) -> None:
    assert restore_lines(raw) == as_written


def test_only_commas_and_blanks_change_on_every_row(
    rows: dict[str, dict[str, str]], restored: dict[str, str]
) -> None:
    for note_id, row in rows.items():
        text = restored[note_id]
        assert _words(text) == _words(row["transcription"]), note_id
        assert not _BREAK_COMMA.search(text), (note_id, _BREAK_COMMA.search(text))
        assert restore_lines(text) == text, note_id  # a restored note is left as it is
    lines = [line for text in restored.values() for line in text.splitlines()]
    items = [line for line in lines if re.match(r"\d{1,2}\.\s", line)]
    assert len(lines) > 7000 and len(items) > 1500


def test_the_echo_report_is_cut_at_its_labels(restored: dict[str, str]) -> None:
    sections = note_sections(restored[ECHO])
    assert [(s.title, s.text.splitlines()[0]) for s in sections] == [
        ("Description", "1.  Normal cardiac chambers size."),
        ("Doppler", "1.  Trace mitral regurgitation."),
        ("Impression", "1.  Normal LV systolic function."),
    ]
    assert sections[2].text == (
        "1.  Normal LV systolic function.\n2.  Ejection fraction estimated around 60%."
    )


def test_fields_stay_in_the_section_before_them(restored: dict[str, str]) -> None:
    sections = {s.title: s.text for s in note_sections(restored[CONSULT])}
    assert list(sections)[:3] == [
        "Reason for Consultation",  # one line, but nothing comes before it
        "History of Present Illness",
        "Past Medical History",
    ]
    assert "Allergies" not in sections and "Family History" not in sections
    assert sections["Past Medical History"].endswith(
        "ALLERGIES:\nNo known drug allergies.\nFAMILY HISTORY:\nNoncontributory.\n"
        "SOCIAL HISTORY:\nThe patient is a resident of Lake Harris Port Square.  "
        "She has no history of alcohol use."
    )


def test_sections_slice_every_note_and_leave_out_only_heading_lines(
    restored: dict[str, str],
) -> None:
    titled = 0
    for note_id, text in restored.items():
        sections = note_sections(text)
        assert bool(sections) == bool(text), note_id
        ends = [0]
        for section in sections:
            assert text[section.offset : section.offset + len(section.text)] == section.text
            assert section.offset >= ends[-1], note_id  # in order, never overlapping
            ends.append(section.offset + len(section.text))
            titled += section.title is not None
        between = [text[a:b] for a, b in zip(ends, [s.offset for s in sections], strict=False)]
        left_out = [line for gap in between for line in gap.splitlines() if line]
        headings = [heading_label(line, after_heading=False) for line in left_out]
        assert all(headings), (note_id, left_out)
        for section in sections[1:]:  # a field joins the section before it
            one_line = "\n" not in section.text
            assert not (one_line and len(section.text) < FIELD_MAX_CHARS), (note_id, section.title)
    assert titled > 1300


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("IMPRESSION", "Impression"),
        ("HISTORY OF PRESENT ILLNESS", "History of Present Illness"),
        ("2-D M-MODE", "2-D M-Mode"),
        ("HPI", "HPI"),
        ("FHX/SHX", "FHX/SHX"),
        ("HEENT AND NECK", "HEENT and Neck"),
        ("PREOPERATIVE DIAGNOSIS (ES)", "Preoperative Diagnosis (es)"),
        ("ENDOVASCULAR BRACHYTHERAPY (EBT)", "Endovascular Brachytherapy (EBT)"),
        ("DESCRIPTION OF PROCEDURE #1", "Description of Procedure #1"),
        ("X-RAYS", "X-Rays"),
        ("IV SEDATION", "IV Sedation"),
    ],
)
def test_label_titles(label: str, title: str) -> None:
    assert label_title(label) == title


@pytest.mark.parametrize(
    ("line", "after_heading", "label"),
    [
        ("IMPRESSION:", False, "IMPRESSION"),
        ("DRAINS, TUBES, CATHETERS:  ", False, "DRAINS, TUBES, CATHETERS"),
        ("PREOPERATIVE DIAGNOSES", False, "PREOPERATIVE DIAGNOSES"),  # no colon, alone
        ("VITAL SIGNS:  Temperature of 97, heart rate of 90.", False, None),  # a field
        ("1.  HEMODYNAMICS:", False, None),  # an item of a list
        ("II. PRESSURES", False, None),
        ("SULFA", True, None),  # the text of the heading above it
        ("AMBIEN, CARDIZEM, AND IBUPROFEN.", False, None),  # a sentence in capitals
        ("Vital Signs:", False, None),
    ],
)
def test_which_lines_are_headings(line: str, *, after_heading: bool, label: str | None) -> None:
    assert heading_label(line, after_heading=after_heading) == label


def test_the_module_example_runs() -> None:
    failures, tried = doctest.testmod(ingest.notes, verbose=False)
    assert tried and not failures


def test_a_record_section_heads_the_labels_and_a_note_of_labels_alone_stays_whole(
    rows: dict[str, dict[str, str]], restored: dict[str, str]
) -> None:
    text = "Sent by the ward.\nIMPRESSION:\n1.  Normal LV function.\n2.  No effusion."
    assert [(s.title, s.text) for s in note_sections(text, "Echo")] == [
        ("Echo", "Sent by the ward."),
        ("Echo > Impression", "1.  Normal LV function.\n2.  No effusion."),
    ]
    assert rows["4659"]["transcription"] == "INDICATIONS:,"
    assert [(s.title, s.text) for s in note_sections(restored["4659"])] == [(None, "INDICATIONS:")]
