"""Tables on a PDF page as Markdown: caption, header row, one line per row.

A table is a grid of ruled cells (`ingest.pdf.rules`, pdfplumber's "lines" strategy on PDFium's
paths) filled with the page's words, each in the cell that holds its middle, as pdfplumber's
`Table.extract` places characters. Where cells come out merged or cut (rules drawn as curves,
spanning cells), the columns are taken from the blank vertical strips between the table's words
and the rows from the grid's, and the table is read again on that full grid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from ingest.pdf.layout import Line
from ingest.pdf.rules import Box, on_sheet
from retrieval.search.table_spread import CONTINUED_CAPTION_END

Word = Mapping[str, Any]

# A vertical strip of a table at least this wide (points) with no word in it parts two columns.
_COLUMN_GAP = 5.0
# Words whose tops differ by at most this (points) are on one line of a cell (pdfplumber's).
_LINE_TOLERANCE = 3.0
# A caption ends at most this far (points) above its table.
_CAPTION_REACH = 30.0
# A cell of more words than this is a paragraph: a frame around prose, not a table's cell.
_PROSE_WORDS = 60
_CAPTION = re.compile(r"^(?:table|tab\.)\s+(\w+)", re.IGNORECASE)  # group 1: its number
_LEADER_DOTS = re.compile(r"\.{4,}")
# Markdown table rows start with this; the chunker cuts a table between rows.
ROW_START = "| "


@dataclass(frozen=True, slots=True)
class PageTable:
    """A table found on a page: where it is and its rows (the first is the header)."""

    page: int
    bbox: tuple[float, float, float, float]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    band: int = 0  # the page's reading order, as for a Line
    column: int = 0

    @property
    def position(self) -> tuple[int, int, int, float]:
        """Where the table comes when the document is read: page, band, column, top."""
        return (self.page, self.band, self.column, self.bbox[1])

    def markdown(self) -> str:
        """Caption, then the rows as a Markdown table (header, rule, body)."""
        header, *body = self.rows
        lines = [_row(header), _row(tuple("---" for _ in header))] + [_row(row) for row in body]
        return "\n".join(([self.caption, ""] if self.caption else []) + lines)


def _row(cells: tuple[str, ...]) -> str:
    return ROW_START + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _clean(cell: str | None) -> str:
    return " ".join(_LEADER_DOTS.sub(" ", cell or "").split())


def middle_in(word: Word, box: Box) -> bool:
    """Whether the word's middle lies in the box (pdfplumber's test for a character)."""
    x0, top, x1, bottom = box
    x, y = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return x0 <= x < x1 and top <= y < bottom


def _cell_text(words: Sequence[Word]) -> str:
    """A cell's words line by line (tops within 3 pt), each line left to right."""
    ordered: list[Word] = []
    line: list[Word] = []
    for word in sorted(words, key=lambda w: w["top"]):
        if line and word["top"] - line[0]["top"] > _LINE_TOLERANCE:
            ordered += sorted(line, key=lambda w: w["x0"])
            line = []
        line.append(word)
    ordered += sorted(line, key=lambda w: w["x0"])
    return " ".join(word["text"] for word in ordered)


def _rows(cells: Sequence[Box]) -> list[list[Box | None]]:
    """The grid's cells by row (same top), each row across every column start (None: none)."""
    starts = sorted({cell[0] for cell in cells})
    tops = sorted({cell[1] for cell in cells})
    by_place = {(cell[1], cell[0]): cell for cell in cells}
    return [[by_place.get((top, x0)) for x0 in starts] for top in tops]


def _fill(rows: list[list[Box | None]], words: Sequence[Word]) -> list[list[str | None]]:
    """Each cell's text (None where a row has no cell in that column)."""
    return [
        [
            None if cell is None else _cell_text([w for w in words if middle_in(w, cell)])
            for cell in row
        ]
        for row in rows
    ]


def _column_edges(words: Sequence[Word], box: Box) -> list[float]:
    """Where columns part: the middle of each vertical strip of the table that no word covers."""
    x0, _, x1, _ = box
    edges: list[float] = []
    covered_to = x0
    for word in sorted(words, key=lambda w: w["x0"]):
        if _LEADER_DOTS.fullmatch(word["text"]):
            continue
        if word["x0"] - covered_to >= _COLUMN_GAP:
            edges.append((covered_to + word["x0"]) / 2)
        covered_to = max(covered_to, word["x1"])
    return [x0, *edges, x1]


def _full_grid(words: Sequence[Word], rows: list[list[Box | None]], box: Box) -> list[list[Box]]:
    """Every cell of the grid of the table's blank-strip columns and its rows' tops."""
    verticals = _column_edges(words, box)
    tops = [next(cell for cell in row if cell is not None)[1] for row in rows] + [box[3]]
    return [
        [(left, top, right, bottom) for left, right in pairwise(verticals)]
        for top, bottom in pairwise(tops)
    ]


def _loses_words(rows: list[list[Box | None]], words: Sequence[Word]) -> bool:
    """Whether some word of the table lies in no ruled cell (a rule not drawn)."""
    cells = [cell for row in rows for cell in row if cell is not None]
    return any(not any(middle_in(word, cell) for cell in cells) for word in words)


def _holds_prose(texts: list[list[str | None]]) -> bool:
    """Whether a cell holds a paragraph rather than a value (a box drawn around prose)."""
    return any(len((text or "").split()) > _PROSE_WORDS for row in texts for text in row)


def _without_empty_columns(rows: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """The rows without the columns that hold no text in any row (a frame's blank margin)."""
    if not rows:
        return rows
    used = [index for index in range(len(rows[0])) if any(row[index] for row in rows)]
    return tuple(tuple(row[index] for index in used) for row in rows)


def _box(cells: Sequence[Box]) -> Box:
    return (
        min(cell[0] for cell in cells),
        min(cell[1] for cell in cells),
        max(cell[2] for cell in cells),
        max(cell[3] for cell in cells),
    )


def find_tables(
    words: Sequence[Word], grids: Sequence[Sequence[Box]], number: int, size: tuple[float, float]
) -> list[PageTable]:
    """The page's ruled tables with at least a header and one row, top to bottom.

    `grids` holds each table's cells, `words` the page's words, `size` its width and height.
    """
    found: list[PageTable] = []
    for cells in grids:
        box = _box(cells)
        if not on_sheet(box, *size):
            continue
        inside = [word for word in words if middle_in(word, box)]
        rows = _rows(cells)
        texts = _fill(rows, inside)
        if any(text is None for row in texts for text in row) and len(rows) > 1:
            # Gaps come from rules not drawn or from spanning cells. The blank strips mend the
            # first. A spanning header's words cross the strips between the columns it spans,
            # so where the strips find fewer columns than the rules and no word falls outside
            # a ruled cell, the ruled cells stand, unless one holds prose (a framed box).
            full = _full_grid(inside, rows, box)
            if len(full[0]) >= len(rows[0]) or _loses_words(rows, inside):
                texts = _fill(full, inside)
            elif _holds_prose(texts):
                continue
        kept = _without_empty_columns(
            tuple(row for row in (tuple(_clean(text) for text in row) for row in texts) if any(row))
        )
        if len(kept) >= 2 and len(kept[0]) >= 2:
            found.append(PageTable(number, box, kept))
    return sorted(found, key=lambda table: table.bbox[1])


def take_captions(tables: list[PageTable], lines: list[Line]) -> tuple[list[PageTable], list[Line]]:
    """Each table with the caption line ("Table 2 ...") just above it; the other lines."""
    captioned: list[PageTable] = []
    used: set[int] = set()
    for table in tables:
        x0, top, x1, _ = table.bbox
        caption = ""
        for index, line in enumerate(lines):
            near = 0 <= top - line.bottom <= _CAPTION_REACH and x0 - 10 <= line.x0 <= x1
            if near and index not in used and _CAPTION.match(line.text):
                caption = line.text
                used.add(index)
        captioned.append(replace(table, caption=caption))
    return captioned, [line for index, line in enumerate(lines) if index not in used]


# "Table 1 (Continued)", "TABLE 2 Continued", "Table 3 cont'd": a table's part on a later page.
_CONTINUED_CAPTION = re.compile(
    r"^(?:table|tab\.)\s+(\w+)\.?\s*\(?(?:continued|cont'?d\.?)\)?$", re.IGNORECASE
)
_CONTINUED_MARK = re.compile(r"^\(?(?:continued|cont'?d\.?)\)?$", re.IGNORECASE)
# A cell that holds only a value: digits and the marks around them ("105.19 (57.88)", "<0.001").
_VALUE_CELL = re.compile(r"^[\d\s.,:;%()±+\-−–<>=/≤≥*]*\d[\d\s.,:;%()±+\-−–<>=/≤≥*]*$")


def _filled(row: tuple[str, ...]) -> list[str]:
    return [cell for cell in row if cell]


def _is_values(row: tuple[str, ...]) -> bool:
    """Whether a row (past its label) holds values, as a body row does, not column names."""
    cells = _filled(row[1:])
    return bool(cells) and sum(bool(_VALUE_CELL.match(cell)) for cell in cells) * 2 >= len(cells)


def continue_tables(tables: Sequence[PageTable]) -> list[PageTable]:
    """Each part of a table continued on a later page, read with its table's caption and header.

    A journal sets the part as "TABLE 1 (Continued)" (as its caption or its first row) over rows
    without the column names, and ends the part before it with a "(Continued)" row. Read so, the
    part's rows had neither ("| TABLE 1 Continued | | |" over "| hs-CRP,mg/L | | 0.47 ..."); now
    they come under "TABLE 1 Baseline characteristics ... (continued)" and its header row.
    """
    numbered: dict[str, PageTable] = {}
    out: list[PageTable] = []
    for table in sorted(tables, key=lambda t: t.position):
        rows = tuple(row for row in table.rows if not _continued_mark(row))
        caption = table.caption
        first = _filled(rows[0]) if rows else []
        if len(first) == 1 and _CONTINUED_CAPTION.match(first[0]) and not caption:
            caption, rows = first[0], rows[1:]
        if not rows:
            continue
        continued = _CONTINUED_CAPTION.match(caption)
        table_number = _CAPTION.match(caption)
        earlier = numbered.get(table_number.group(1).lower()) if table_number else None
        if continued and earlier is not None:
            caption = earlier.caption + CONTINUED_CAPTION_END
            header = earlier.rows[0]
            if len(header) == len(rows[0]) and rows[0] != header and _is_values(rows[0]):
                rows = (header, *rows)
        elif table_number and not continued:
            numbered[table_number.group(1).lower()] = table
        out.append(replace(table, rows=rows, caption=caption))
    return out


def _continued_mark(row: tuple[str, ...]) -> bool:
    cells = _filled(row)
    return len(cells) == 1 and bool(_CONTINUED_MARK.match(cells[0]))
