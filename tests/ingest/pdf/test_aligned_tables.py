"""Borderless tables of three or more columns: rows kept, cells whole, prose left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.documents import SectionKind
from ingest.pdf.loader import load_pdf
from tests.support.pdfs import (
    AFTER_TABLE,
    DRUG_TABLE,
    DRUG_TABLE_CAPTION,
    build_article,
    build_borderless_table,
)


@pytest.mark.parametrize("row_gap", [6.0, 0.0], ids=["rows spaced", "rows not spaced"])
def test_a_captioned_borderless_table_is_read_row_by_row_with_wrapped_cells_whole(
    row_gap: float,
) -> None:
    document = load_pdf(Path("table.pdf"), build_borderless_table(row_gap), "0" * 64, None)
    (table,) = [s for s in document.sections if s.kind is SectionKind.TABLE]
    assert table.text.startswith(DRUG_TABLE_CAPTION)
    rows = [line for line in table.text.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows == [
        "| " + " | ".join(" ".join(c.split()) for c in row) + " |" for row in DRUG_TABLE
    ]
    text = " ".join(s.text for s in document.sections if s.kind is SectionKind.TEXT)
    assert AFTER_TABLE in text and "Bremelanotide" not in text


def test_two_columns_of_prose_are_no_table() -> None:
    document = load_pdf(Path("article.pdf"), build_article(outline=False), "0" * 64, None)
    assert all(
        "Heart failure" not in s.text for s in document.sections if s.kind is SectionKind.TABLE
    )
