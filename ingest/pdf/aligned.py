"""Borderless tables of three or more columns, found under their caption from their gutters.

A table set without rules and with cells that wrap (a review's "Table 1 Emerging obesity
medications by mechanism": seven columns, each cell several lines) was read line by line across
the page, every row's cells interleaved. What marks one: a caption line ("Table 1 ...") and,
under it, lines whose words leave the same blank vertical strips (gutters) all the way down. A
line that crosses a gutter (a footnote, the next paragraph) ends the table. Rows are told apart
by the wider space a table leaves between them than between a cell's lines; where it leaves
none, a line with a word in the first column opens a row. The first row is the header.

Hand-written: pdfplumber's "text" strategy, the library way, cut words in two at its column
edges and made every wrapped line a row on that table. Two-column tables are
`ingest.pdf.borderless`'s; ruled ones never reach this (`ingest.pdf.tables`).
"""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from ingest.pdf.tables import PageTable

Word = Mapping[str, Any]

_CAPTION = re.compile(r"^(Table|TABLE)\s+[A-Z]?\d+\b")
# Words whose tops differ by at most this (points) are on one line.
_LINE_TOLERANCE = 2.5
# A gutter is a blank strip at least this wide (points): wider than a justified space.
_MIN_GUTTER = 4.5
_MIN_COLUMNS = 3
_MIN_LINES = 4
# A line further below the one above than this many line pitches ends the table.
_END_GAP = 3.0
# A line further below the one above than this many line pitches opens a row.
_ROW_GAP = 1.3
# A column whose lines nearly all fill its width is justified prose beside the table.
_PROSE_FILL = 0.9
_PROSE_SHARE = 0.8


def _lines(words: Sequence[Word]) -> list[list[Word]]:
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(word["top"] - lines[-1][0]["top"]) <= _LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _gutters(covered: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The blank strips, at least `_MIN_GUTTER` wide, between the covered spans."""
    return [
        (left[1], right[0])
        for left, right in itertools.pairwise(covered)
        if right[0] - left[1] >= _MIN_GUTTER
    ]


def _cover(covered: list[tuple[float, float]], line: Sequence[Word]) -> list[tuple[float, float]]:
    """The x spans the lines cover, merged, with this line's words added."""
    merged: list[tuple[float, float]] = []
    for x0, x1 in sorted([*covered, *((w["x0"], w["x1"]) for w in line)]):
        if merged and x0 - merged[-1][1] < _MIN_GUTTER:
            merged[-1] = (merged[-1][0], max(merged[-1][1], x1))
        else:
            merged.append((x0, x1))
    return merged


def _column_of(word: Word, gutters: Sequence[tuple[float, float]]) -> int:
    middle = (word["x0"] + word["x1"]) / 2
    return sum(1 for _, end in gutters if middle >= end)


def _is_prose(
    lines: Sequence[Sequence[Word]], column: int, gutters: list[tuple[float, float]]
) -> bool:
    """Whether a column's lines nearly all fill its width: justified prose, not cells."""
    cells = [[w for w in line if _column_of(w, gutters) == column] for line in lines]
    cells = [cell for cell in cells if cell]
    left = min(w["x0"] for cell in cells for w in cell)
    width = max(w["x1"] for cell in cells for w in cell) - left
    full = sum(1 for cell in cells if cell[-1]["x1"] - cell[0]["x0"] >= _PROSE_FILL * width)
    return len(cells) >= _MIN_LINES and full >= _PROSE_SHARE * len(cells)


def _table_lines(block: Sequence[Sequence[Word]]) -> tuple[int, list[tuple[float, float]]]:
    """How many of the block's lines are the table's, and its gutters.

    Lines are taken while they leave at least two gutters open, and while no line stands far
    below the one above.
    """
    taken, gutters = 0, []
    covered: list[tuple[float, float]] = []
    steps: list[float] = []  # kept sorted, for the median
    for count, line in enumerate(block, start=1):
        if count > 1:
            step = _top(line) - _top(block[count - 2])
            bisect.insort(steps, step)
            if step > _END_GAP * statistics.median(steps):
                break
        covered = _cover(covered, line)
        found = _gutters(covered)
        if len(found) < _MIN_COLUMNS - 1:
            break
        taken, gutters = count, found
    return taken, gutters


def _top(line: Sequence[Word]) -> float:
    return min(word["top"] for word in line)


def _rows(lines: Sequence[Sequence[Word]], gutters: list[tuple[float, float]]) -> list[list[str]]:
    """Cells joined line by line, the header first.

    The header runs to its first line with a word in the first column ("Domain contribution"
    under "Biological action"). Below it, a gap wider than a cell's line pitch opens a row where
    the table leaves such gaps between rows; where it does not, a line with a word in the first
    column does, unless it is a bracketed code under the name above (`_opens_row`).
    """
    columns = [[_column_of(word, gutters) for word in line] for line in lines]
    header = next((i for i, found in enumerate(columns) if 0 in found), 0)
    tops = [_top(line) for line in lines]
    steps = [below - above for above, below in itertools.pairwise(tops)]
    pitch = statistics.median(steps) if steps else 0.0  # most steps are within a cell
    spaced = any(step > _ROW_GAP * pitch for step in steps[header:])
    rows: list[list[str]] = []
    for index, line in enumerate(lines):
        if index == 0 or (
            index > header
            and (
                steps[index - 1] > _ROW_GAP * pitch if spaced else _opens_row(line, columns[index])
            )
        ):
            rows.append([""] * (len(gutters) + 1))
        for word, column in zip(line, columns[index], strict=True):
            rows[-1][column] = f"{rows[-1][column]} {word['text']}".strip()
    return rows


def _opens_row(line: Sequence[Word], columns: Sequence[int]) -> bool:
    """Whether a line of a table without row gaps opens a row.

    It does with a word in its first column, unless that word is in brackets, a name's code
    under it ("(MGL-3196)" under "Resmetirom"). A lower-case word does open one: a first cell
    spanning two rows wraps beside the second ("Both domains" / "approximately equally").
    """
    first = next(
        (word["text"] for word, column in zip(line, columns, strict=True) if column == 0), ""
    )
    return bool(first) and first[0] not in "(["


def _without_prose(
    lines: list[list[Word]], gutters: list[tuple[float, float]]
) -> tuple[list[list[Word]], list[tuple[float, float]]]:
    """The table without a first or last column of justified prose (the page's other column)."""
    for last in (True, False):
        column = len(gutters) if last else 0
        if len(gutters) < _MIN_COLUMNS or not _is_prose(lines, column, gutters):
            continue
        gutter = gutters.pop(-1 if last else 0)
        lines = [
            kept for line in lines if (kept := [w for w in line if (w["x1"] <= gutter[0]) == last])
        ]
    return lines, gutters


def _without_beside(
    lines: list[list[Word]], gutters: list[tuple[float, float]], caption_x0: float
) -> tuple[list[list[Word]], list[tuple[float, float]]]:
    """The table without a first column left of its caption and empty in its header.

    Such a column is text beside the table (a figure's legend in the other column), not cells.
    """
    while len(gutters) >= _MIN_COLUMNS - 1 and gutters[0][1] <= caption_x0 + _MIN_GUTTER:
        if any(_column_of(word, gutters) == 0 for word in lines[0]):
            break
        edge = gutters.pop(0)[1]
        lines = [kept for line in lines if (kept := [w for w in line if w["x0"] >= edge])]
    return lines, gutters


def _is_caption(line: Sequence[Word]) -> bool:
    return bool(_CAPTION.match(" ".join(w["text"] for w in line[:3])))


def aligned_tables(words: Sequence[Word], number: int) -> list[PageTable]:
    """The page's captioned borderless tables of three or more columns, top to bottom."""
    lines = _lines(words)
    tables = []
    for index, line in enumerate(lines):
        if not _is_caption(line):
            continue
        block = lines[index + 1 :]
        block = block[: next((i for i, later in enumerate(block) if _is_caption(later)), None)]
        count, gutters = _table_lines(block)
        if count < _MIN_LINES:
            continue
        table, gutters = _without_prose(block[:count], gutters)
        table, gutters = _without_beside(table, gutters, line[0]["x0"])
        rows = _rows(table, gutters)
        if len(gutters) < _MIN_COLUMNS - 1 or len(rows) < 2:
            continue
        cells = [w for kept in table for w in kept]
        box = (
            min(w["x0"] for w in cells), min(w["top"] for w in cells),
            max(w["x1"] for w in cells), max(w["bottom"] for w in cells),
        )  # fmt: skip
        tables.append(PageTable(number, box, tuple(tuple(row) for row in rows)))
    return tables
