"""Chunk text as safe Markdown, with the words that match the query highlighted.

A word is highlighted when BM25's analysis (lower case, stop words, Snowball stems) maps it to
a term of the query, so "valves" in the query lights up "valve" and "Valves" in the text.
A chunk of a table (its caption, header row and rows, as ingest writes them) is shown as a
table, cell by cell, not as one run of pipes.
"""

from __future__ import annotations

import functools
import re

from retrieval.store.sparse import Bm25Encoder

_WORD = re.compile(r"[\w-]+")
# A Markdown table row, its cell borders (a pipe not escaped) and its header rule's cells.
_TABLE_ROW = re.compile(r"^\|.*\|$")
_CELL_BORDER = re.compile(r"(?<!\\)\|")
_RULE_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
# Characters Streamlit's Markdown would read as syntax (emphasis, links, directives, HTML, math).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>$~:])")
# A line that Markdown would start a list with ("1.  Normal LV size.", "- aspirin").
_LIST_MARKER = re.compile(r"^(\d+)\.(?=\s)|^-(?=\s)")


@functools.cache
def _bm25() -> Bm25Encoder:
    return Bm25Encoder()


@functools.lru_cache(maxsize=1 << 16)
def _terms(word: str) -> frozenset[int]:
    return frozenset(_bm25().embed_query(word).indices)


def _escape(fragment: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", fragment)


def escape_markdown(text: str) -> str:
    """Text that Markdown shows verbatim (line breaks folded to spaces)."""
    return _escape(" ".join(text.split()))


def highlight(text: str, query: str) -> str:
    """`text` as Markdown with every word that matches a query term marked."""
    wanted = _terms(query)
    parts: list[str] = []
    position = 0
    flat = " ".join(text.split())
    for match in _WORD.finditer(flat):
        parts.append(_escape(flat[position : match.start()]))
        word = match.group(0)
        terms = _terms(word)
        escaped = _escape(word)
        parts.append(f":orange-background[{escaped}]" if terms and terms <= wanted else escaped)
        position = match.end()
    parts.append(_escape(flat[position:]))
    return "".join(parts)


def _table_row(line: str, query: str) -> str:
    """One row of a Markdown table, each cell highlighted (the header rule kept as a rule)."""
    cells = _CELL_BORDER.split(line)[1:-1]
    if all(_RULE_CELL.match(cell) for cell in cells):
        return "| " + " | ".join("---" for _ in cells) + " |"
    return "| " + " | ".join(highlight(cell.replace("\\|", "|"), query) for cell in cells) + " |"


def _kept_line(line: str, query: str) -> str:
    """One line of a note, highlighted, its item number shown as typed rather than as a list."""
    marker = _LIST_MARKER.match(line)
    if marker is None:
        return highlight(line, query)
    number = marker.group(0).replace(".", "\\.").replace("-", "\\-")
    return f"{number} {highlight(line[marker.end() :], query)}"


def highlight_chunk(text: str, query: str, *, keep_lines: bool = False) -> str:
    """A chunk as Markdown: prose as one highlighted paragraph, table rows as a table.

    With `keep_lines` (notes, whose lines and numbered items are how they were written) each
    line of prose stays a line; otherwise lines are folded, as a PDF's are wrapped mid-sentence.
    """
    blocks: list[list[str]] = []  # runs of prose lines, and runs of table rows
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        is_row = bool(_TABLE_ROW.match(line))
        if not blocks or bool(_TABLE_ROW.match(blocks[-1][0])) != is_row:
            blocks.append([])
        blocks[-1].append(line)
    if not keep_lines and len(blocks) <= 1 and not (blocks and _TABLE_ROW.match(blocks[0][0])):
        return highlight(text, query)
    return "\n\n".join(
        "\n".join(_table_row(row, query) for row in block)
        if _TABLE_ROW.match(block[0])
        else "  \n".join(_kept_line(line, query) for line in block)
        if keep_lines
        else highlight(" ".join(block), query)
        for block in blocks
    )
