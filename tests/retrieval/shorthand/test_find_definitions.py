"""Schwartz–Hearst definitions, on the paper's patterns and on the shared documents' text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.shorthand import Definition, count_definitions, find_definitions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "patients with heart failure with reduced ejection fraction (HFrEF) were enrolled",
            [Definition("HFrEF", "heart failure with reduced ejection fraction")],
        ),
        (  # hyphenated words: each part may start a letter of the short form
            "after non-ST-elevation myocardial infarction (NSTEMI) the risk",
            [Definition("NSTEMI", "non-ST-elevation myocardial infarction")],
        ),
        (  # the other pattern: SHORT (long form)
            "HIIE (high-intensity interval exercise) improved peak oxygen uptake",
            [Definition("HIIE", "high-intensity interval exercise")],
        ),
        (  # the parentheses end at ';' or ','
            "coronary artery bypass grafting (CABG; n = 12) was done",
            [Definition("CABG", "coronary artery bypass grafting")],
        ),
        (  # the shortest long form that spells it, not the sentence before
            "The amount of blood pumped per minute is the cardiac output (CO).",
            [Definition("CO", "cardiac output")],
        ),
    ],
)
def test_finds_the_definitions_a_text_makes(text: str, expected: list[Definition]) -> None:
    assert find_definitions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "as noted above (see below) and (in) the text",  # no upper-case letter: not a short form
        "a dose of 5 mg (2 tablets) daily",  # letters that spell nothing before it
        "the Rh positive (Rh+) blood type",  # a word of the short form is a word of the long
        "treated in Heart Failure with Preserved Ejection Fraction (I-PRESERVE)",  # 'in'
        "the mean was 12 (IQR",  # no closing parenthesis
        "the score. Then (EF) was",  # a sentence ends between them
        "MEDICATION GUIDE Warfarin (war' far in) Sodium Tablets",  # a pronunciation guide
    ],
)
def test_reads_no_definition_into_other_parentheses(text: str) -> None:
    assert find_definitions(text) == []


def test_a_definition_in_two_overlapping_chunks_counts_once() -> None:
    sentence = "Left ventricular ejection fraction (LVEF) fell. "
    document = sentence + "Then it rose. " + sentence
    second = document.rindex("Left")
    # The first chunk holds both definitions; the second, overlapping it, the second again.
    chunks = [(0, document), (second, document[second:])]
    counts = count_definitions(chunks)
    assert [(c.short, c.long, c.count) for c in counts] == [
        ("LVEF", "Left ventricular ejection fraction", 2)
    ]


def test_long_forms_differing_in_case_are_one_definition() -> None:
    pieces = [
        (0, "Cardiac output (CO) rises. "),
        (100, "At rest the cardiac output (CO) is 5 L/min."),
    ]
    (count,) = count_definitions(pieces)
    assert (count.short, count.long, count.count) == ("CO", "Cardiac output", 2)


def test_the_textbook_defines_its_cardiac_output_terms(shared_data: Path) -> None:
    sections = {
        row["id"]: row["text"]
        for row in map(
            json.loads,
            (shared_data / "textbook/openstax_ap2e_cardiovascular_sections.jsonl")
            .read_text(encoding="utf-8")
            .splitlines(),
        )
    }
    found = {(d.short, d.long.casefold()) for d in find_definitions(sections["m46672-s01"])}
    assert found == {("CO", "cardiac output"), ("SV", "stroke volume"), ("HR", "heart rate")}
    conduction = find_definitions(sections["m46664-s02"])
    assert {(d.short, d.long) for d in conduction} == {
        ("SA", "sinoatrial"),
        ("AV", "atrioventricular"),
    }
