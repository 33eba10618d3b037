"""The shipped cardiology abbreviation list: every entry well formed, the senses tests rely on."""

from __future__ import annotations

import csv
import re

import pytest

from retrieval.shorthand import listed_senses
from retrieval.shorthand.lexicon import LIST_FILE

SHORT_FORM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-.&']{0,11}$")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with LIST_FILE.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def test_every_entry_is_well_formed(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= 300
    for row in rows:
        short, long = row["short"], row["long"]
        assert set(row) == {"short", "long"}, row
        assert SHORT_FORM.match(short) and re.search(r"[A-Za-z]", short), row
        assert 2 <= len(long) <= 80 and len(long) >= len(short) + 2, row
        assert long == long.strip() and "  " not in long and not long.endswith("."), row
        assert not set("()\t") & set(long), row
        assert long.casefold() != short.casefold(), row


def test_no_entry_twice_and_no_shorts_that_differ_only_in_case(rows: list[dict[str, str]]) -> None:
    pairs = [(row["short"], row["long"]) for row in rows]
    assert len(pairs) == len(set(pairs))
    shorts = {row["short"] for row in rows}
    assert len({short.casefold() for short in shorts}) == len(shorts)


def test_ambiguous_abbreviations_carry_every_sense() -> None:
    senses = listed_senses()
    assert senses["MS"][:2] == ("mitral stenosis", "multiple sclerosis")
    assert senses["PE"][0] == "pulmonary embolism" and "physical examination" in senses["PE"]
    for short in ("CP", "AR", "MR"):
        assert len(senses[short]) >= 2, short
    assert senses["HFrEF"] == ("heart failure with reduced ejection fraction",)
    assert senses["s/p"] == ("status post",)
