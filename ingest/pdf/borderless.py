"""Borderless tables read row by row: "Regular mayonnaise | Light or diet mayonnaise".

A table set without rules (booklets and guidelines set most of theirs so) leaves a blank strip
between its columns, so the column finder (`ingest.pdf.layout`) reads it as two columns of
prose, left column first, and its rows are lost. What tells a two-column table from two
columns of prose: its cells sit on the same rows across the strip, and its columns differ in
width (prose columns are set alike; cells that stop short of the strip did not tell: ragged
prose does too). Such a band of a page is read top to bottom instead, the cells of a row
joined by " | ", each row opening a paragraph. A table of two equal columns is still read
column by column. Ruled tables are found before this, from their rules (`ingest.pdf.rules`),
and never reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ingest.pdf.layout import Line

# Lines of the two columns whose tops differ by less than this (points) are on one row.
_ROW_TOLERANCE = 2.5
# A band is a table's when at least this many rows hold a cell on each side...
_MIN_ROWS = 3
# ...and that share of the shorter column's lines have a cell beside them...
_PAIRED = 0.8
# ...and one column is narrower than this share of the other's width.
_WIDTH_RATIO = 0.75


def _width(lines: Sequence[Line]) -> float:
    return max(line.x1 for line in lines) - min(line.x0 for line in lines)


def _is_table(left: Sequence[Line], right: Sequence[Line], paired: Sequence[Line]) -> bool:
    """Whether a band's two columns are a table's (see the module's docstring)."""
    if len(paired) < max(_MIN_ROWS, _PAIRED * min(len(left), len(right))):
        return False
    narrow, wide = sorted((_width(left), _width(right)))
    return narrow < _WIDTH_RATIO * wide


def table_rows(page: Sequence[Line]) -> list[Line]:
    """A page's lines in reading order, its two-column tables read row by row.

    Bands keep their order (the page's lines come sorted by band); only a table's band is
    read again, top to bottom.
    """
    bands: dict[int, list[Line]] = {}
    for line in page:
        bands.setdefault(line.band, []).append(line)
    read: list[Line] = []
    for band in bands.values():
        right = [line for line in band if line.column == 1 and not line.aside]
        edge = min((line.x0 for line in right), default=0.0)
        # Full-width rows of the band (column 0 too) are no cells.
        left = [line for line in band if line.column == 0 and not line.aside and line.x1 < edge]
        beside = {
            id(cell): next((o for o in right if abs(o.top - cell.top) <= _ROW_TOLERANCE), None)
            for cell in left
        }
        paired = [cell for cell in left if beside[id(cell)] is not None]
        if not left or not right or not _is_table(left, right, paired):
            read.extend(band)
            continue
        taken = {id(beside[id(cell)]) for cell in paired}
        rows: list[Line] = []
        for line in band:
            if line.column == 1 and id(line) in taken:
                continue
            other = beside.get(id(line))
            if other is None:
                rows.append(replace(line, column=0))
            else:
                row = f"{line.text} | {other.text}"
                rows.append(replace(line, text=row, x1=other.x1, new_paragraph=True))
        read.extend(sorted(rows, key=lambda line: line.top))
    return read
