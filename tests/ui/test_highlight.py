"""Chunk text as the hit cards show it: prose highlighted, a table's rows kept as a table."""

from __future__ import annotations

from ingest.pdf.tables import PageTable
from ui.highlight import highlight, highlight_chunk

QUERY = "SGLT2 inhibitors in the elderly"


def test_a_table_chunk_is_shown_as_a_table_with_its_caption_above() -> None:
    table = PageTable(
        page=8,
        bbox=(0, 0, 1, 1),
        rows=(
            ("Class of drugs", "Efficacy young vs elderly patients", "Ref"),
            ("SGLT2 inhibitor", "Age ≥ 65 years: .77 (.71–.83)", "93"),
            ("MRA | spironolactone", "Age ≥ 75 years: .66", "92"),  # a pipe inside a cell
        ),
        caption="Table 1 Efficacy of the four heart failure pillars",
    )
    caption, rows = highlight_chunk(table.markdown(), QUERY).split("\n\n")
    assert caption == highlight(table.caption, QUERY)
    header, rule, *body = rows.split("\n")
    assert rule == "| --- | --- | --- |"
    assert header.count(" | ") == 2 and ":orange-background[elderly]" in header
    assert body[0].startswith("| :orange-background[SGLT2] :orange-background[inhibitor] |")
    assert body[1].startswith("| MRA \\| spironolactone |")  # still one cell


def test_prose_is_one_highlighted_paragraph_as_before() -> None:
    text = "SGLT2 inhibitors reduce heart failure\nhospitalisation in the elderly."
    assert highlight_chunk(text, QUERY) == highlight(text, QUERY)


def test_a_note_keeps_its_lines_and_item_numbers_as_typed() -> None:
    note = (
        "IMPRESSION:\n1.  Normal LV systolic function.\n2.  Ejection fraction estimated around 60%."
    )
    shown = highlight_chunk(note, "ejection fraction", keep_lines=True)
    lines = shown.split("  \n")
    assert lines[0] == "IMPRESSION\\:"
    assert lines[1] == "1\\. Normal LV systolic function."  # an item, not a Markdown list
    assert lines[2].startswith("2\\. :orange-background[Ejection] :orange-background[fraction]")
    assert highlight_chunk(note, "ejection fraction").count("\n") == 0  # prose folds, as before
