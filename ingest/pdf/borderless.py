"""Borderless tables read row by row: "| Regular mayonnaise | Light or diet mayonnaise |".

A table set without rules (booklets and guidelines set most of theirs so) leaves a blank strip
between its columns, so the column finder (`ingest.pdf.layout`) reads it as two columns of
prose, left column first, and its rows are lost. What tells a two-column table from two
columns of prose: its cells sit on the same rows across the strip, and its columns differ in
width (prose columns are set alike; cells that stop short of the strip did not tell: ragged
prose does too). Such a band becomes a table like a ruled one (`ingest.pdf.tables`): Markdown
rows, chunked between rows, never quoted as a sentence. A table of two equal columns is still
read column by column. Ruled tables are found before this, from their rules (`ingest.pdf.rules`),
and never reach it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.pdf.layout import Line
from ingest.pdf.tables import PageTable

# Lines of the two columns whose tops differ by less than this (points) are on one row.
_ROW_TOLERANCE = 2.5
# A band is a table's when at least this many rows hold a cell on each side...
_MIN_ROWS = 3
# ...and that share of the shorter column's lines have a cell beside them...
_PAIRED = 0.8
# ...and one column is narrower than this share of the other's width.
_WIDTH_RATIO = 0.75
# A line alone on its side opens a row of its own after a gap of this many font sizes.
_ROW_GAP = 1.0


def _width(lines: Sequence[Line]) -> float:
    return max(line.x1 for line in lines) - min(line.x0 for line in lines)


def _is_table(left: Sequence[Line], right: Sequence[Line], paired: Sequence[Line]) -> bool:
    """Whether a band's two columns are a table's (see the module's docstring)."""
    if len(paired) < max(_MIN_ROWS, _PAIRED * min(len(left), len(right))):
        return False
    narrow, wide = sorted((_width(left), _width(right)))
    return narrow < _WIDTH_RATIO * wide


def _table(lines: Sequence[Line], beside: dict[int, Line | None], band: int) -> PageTable:
    """The band's cells as a table, its first row the header.

    A line paired across the gutter opens a row, unless it starts in lower case (both cells
    wrap: "butter | margarines; ..."); a line alone goes on its side's cell of the row above
    (a wrapped cell), or opens a row of its own after a gap (a group label: "Baked Goods").
    """
    taken = {id(other) for other in beside.values() if other is not None}
    cells = sorted((line for line in lines if id(line) not in taken), key=lambda line: line.top)
    rows: list[list[str]] = []
    bottom = -1.0
    for line in cells:
        other = beside.get(id(line))
        gap = line.top - bottom
        wraps = line.text[:1].islower()  # a cell's next line: "butter" under "Regular margarine or"
        if not rows or gap > _ROW_GAP * line.size or (other is not None and not wraps):
            rows.append(["", ""])
        side = 1 if line.column == 1 else 0  # the right column's lines here are unpaired
        rows[-1][side] = f"{rows[-1][side]} {line.text}".strip()
        if other is not None:
            rows[-1][1] = f"{rows[-1][1]} {other.text}".strip()
        bottom = max(line.bottom, other.bottom if other is not None else line.bottom)
    every = [*cells, *(other for other in beside.values() if other is not None)]
    box = (
        min(line.x0 for line in every), min(line.top for line in every),
        max(line.x1 for line in every), max(line.bottom for line in every),
    )  # fmt: skip
    return PageTable(lines[0].page, box, tuple(tuple(row) for row in rows), band=band, column=0)


def borderless_tables(page: Sequence[Line]) -> tuple[list[Line], list[PageTable]]:
    """A page's lines without its two-column tables' cells, and those tables.

    Bands keep their order (the page's lines come sorted by band).
    """
    bands: dict[int, list[Line]] = {}
    for line in page:
        bands.setdefault(line.band, []).append(line)
    read: list[Line] = []
    tables: list[PageTable] = []
    for number, band in bands.items():
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
        table_lines = [*left, *right]
        cells = {id(line) for line in table_lines}
        read.extend(line for line in band if id(line) not in cells)
        tables.append(_table(table_lines, beside, number))
    return read, tables
