"""One table, one answer: pieces of a table, its part continued on a later page included."""

from __future__ import annotations

import doctest

import retrieval.search.table_spread
from retrieval import Hit
from retrieval.search.table_spread import spread_table_pieces, table_of

CAPTION = "TABLE 1 Baseline characteristics by quartiles."
HEADER = "| Variable | Q1 | Q4 |\n| --- | --- | --- |"


def _hit(chunk_id: str, rank: int, text: str) -> Hit:
    return Hit(chunk_id, "a.pdf", rank, 1.0 / rank, text, "", "a.pdf", None, 5, 5, "article")


def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(retrieval.search.table_spread, verbose=False)
    assert tried and not failures


def test_a_part_continued_on_a_later_page_is_a_piece_of_the_same_table() -> None:
    first = _hit("t1", 1, f"{CAPTION}\n\n{HEADER}\n| Mortality | 203 | 311 |")
    continued = [
        _hit(f"c{n}", n, f"{CAPTION} (continued)\n\n{HEADER}\n| Row {n} | 1.0 | 2.0 |")
        for n in (2, 3)
    ]
    prose = _hit("p", 4, "The top quartile's mortality was 18.5%.")
    assert table_of(continued[0]) == table_of(first)
    spread = spread_table_pieces([first, *continued, prose], top=3)
    assert [hit.chunk_id for hit in spread] == ["t1", "c2", "p", "c3"]
