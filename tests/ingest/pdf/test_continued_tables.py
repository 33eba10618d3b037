"""A table continued on a later page, as the Frontiers articles set it, read under its caption."""

from __future__ import annotations

from ingest.pdf.tables import PageTable, continue_tables

CAPTION = "TABLE 1 Baseline characteristics of individuals classified by quartiles."
HEADER = ("Variable", "Level", "Q1", "Q2", "p")


def _table(page: int, rows: list[tuple[str, ...]], caption: str = "") -> PageTable:
    return PageTable(page, (50.0, 100.0, 500.0, 400.0), tuple(rows), caption)


def test_a_part_headed_by_a_continued_row_takes_its_tables_caption_and_header() -> None:
    first = _table(
        5,
        [HEADER, ("Mortality,n (%)", "yes", "203 (12.1)", "311 (18.5)", ""),
         ("", "", "", "", "(Continued)")],
        CAPTION,
    )  # fmt: skip
    second = _table(
        6,
        [("TABLE 1 Continued", "", "", "", ""),
         ("hs-CRP,mg/L", "", "0.47 (0.15)", "3.83 (2.08)", "<0.001")],
    )  # fmt: skip
    before, after = continue_tables([second, first])  # in reading order whatever their order
    assert before.rows == first.rows[:2]  # the "(Continued)" mark is no row
    assert after.caption == f"{CAPTION} (continued)"
    assert after.rows == (HEADER, ("hs-CRP,mg/L", "", "0.47 (0.15)", "3.83 (2.08)", "<0.001"))


def test_a_continued_part_with_its_own_column_names_keeps_them() -> None:
    women = ("Women", "Group 1", "Group 2", "Group 3", "p -value")
    parts = continue_tables(
        [
            _table(5, [("Men", "Group 1", "Group 2", "Group 3", "p -value"),
                       ("Age", "50.1", "52.3", "54.0", "<0.001")], CAPTION),
            _table(6, [women, ("Age", "49.0", "51.2", "53.9", "<0.001")], "TABLE 1 (Continued)"),
        ]
    )  # fmt: skip
    assert parts[1].caption == f"{CAPTION} (continued)"
    assert parts[1].rows[0] == women


def test_another_tables_number_or_no_earlier_part_leaves_a_caption_as_it_is() -> None:
    lone = _table(3, [("Drug", "Dose"), ("Warfarin", "5 mg")], "Table 2 (continued)")
    other = _table(2, [HEADER, ("Age", "", "50", "52", "0.01")], CAPTION)
    assert [t.caption for t in continue_tables([other, lone])] == [CAPTION, "Table 2 (continued)"]
