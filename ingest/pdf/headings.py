"""Headings of a PDF: from its outline (bookmarks) when it has a valid one, else from fonts.

An outline names each heading and its depth; its entries are found among the page's lines.
Without one, a heading is a short line set clearly larger than the body text, or bold at body
size, that does not end like a sentence.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ingest.pdf.layout import Line

logger = logging.getLogger(__name__)

# Points above the body size from which a line counts as set larger.
LARGER = 1.5
_MAX_HEADING_CHARS = 150
_CAPTION = re.compile(r"^(table|fig\.?|figure|box)\s+\w", re.IGNORECASE)
# The heading of a reference list ("References", "7. Bibliography").
REFERENCES_HEADING = re.compile(
    r"^(\d+\.?\s*)?(references|bibliography|literature cited|works cited)$", re.IGNORECASE
)
# Text before the reference list that is enough to tell the body's size.
_MIN_BODY_CHARS = 1000
# A drug label's part for patients, headed in capitals (its text says "read the Medication
# Guide"); the heading may have its subtitle and first question joined to it ("MEDICATION GUIDE
# Warfarin ... What is the most important information ...").
PATIENT_GUIDE = re.compile(r"^(MEDICATION GUIDE|PATIENT INFORMATION|INSTRUCTIONS FOR USE)\b")
# Headings that outlines leave out but that open a part: a journal's abstract, a drug label's
# Medication Guide (`ingest.pdf.label`).
_UNLISTED = re.compile(rf"(?i:^(abstract|summary)$)|{PATIENT_GUIDE.pattern}")


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """A bookmark: its title, depth (0 = top) and page (from 1)."""

    title: str
    depth: int
    page: int


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading found at lines[start:end] of the document's lines in reading order."""

    start: int
    end: int
    level: int
    title: str


def _flatten(items: list[Any], depth: int = 0) -> list[tuple[Any, int]]:
    flat: list[tuple[Any, int]] = []
    for item in items:
        if isinstance(item, list):
            flat.extend(_flatten(item, depth + 1))
        else:
            flat.append((item, depth))
    return flat


def read_outline(reader: PdfReader, path: Path) -> list[OutlineEntry] | None:
    """The outline's entries, or None when there is none or it points to missing pages.

    An invalid outline is logged as a warning naming the file; the fonts decide instead.
    """
    pages = len(reader.pages)
    try:
        flat = _flatten(reader.outline)
        entries = [
            (str(item.title or "").strip(), depth, _page_index(reader, item))
            for item, depth in flat
        ]
    except (PyPdfError, KeyError, ValueError, TypeError, IndexError, AttributeError) as err:
        logger.warning("%s: unreadable outline (%s); headings are taken from fonts", path, err)
        return None
    if not entries:
        return None
    bad = [title for title, _, number in entries if number is None or not 0 <= number < pages]
    if bad:
        logger.warning(
            "%s: the outline points to pages the PDF does not have (%d pages; entries %s); "
            "it is ignored and headings are taken from fonts",
            path,
            pages,
            bad[:3],
        )
        return None
    entries = [entry for entry in entries if entry[0] and entry[0].lower() != "untitled"]
    # A single top entry is the document's title: its children are the top-level headings.
    lift = 1 if [depth for _, depth, _ in entries].count(0) == 1 and len(entries) > 1 else 0
    found = [
        OutlineEntry(title, depth - lift, number + 1)
        for title, depth, number in entries
        if depth >= lift
    ]
    return found or None


def _page_index(reader: PdfReader, item: Any) -> int | None:
    """The page (from 0) an outline entry points to.

    Some producers (wkhtmltopdf, which renders DailyMed's drug labels) write the page's number
    where a reference to the page belongs; PDFium follows those, and so does this.
    """
    number = reader.get_destination_page_number(item)
    page = item.get("/Page")
    if number is None and isinstance(page, int):
        return int(page)
    return number


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def body_size(lines: Sequence[Line]) -> float:
    """The font size (points) most of the text is set in, before the reference list.

    A short article's references and tables, in small print, can outweigh its text (a 4-page
    BMC review: 7.5 pt against 10 pt); counted with them, every line of the text would be
    "larger than the body" and read as a heading.
    """
    end = next(
        (i for i, line in enumerate(lines) if REFERENCES_HEADING.match(line.text.strip())),
        len(lines),
    )
    text = lines[:end] if sum(len(line.text) for line in lines[:end]) >= _MIN_BODY_CHARS else lines
    sizes: Counter[float] = Counter()
    for line in text:
        sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _looks_like_heading(line: Line, body: float) -> bool:
    text = line.text.strip()
    return (
        (line.size >= body + LARGER or (line.bold and line.size >= body))
        and len(text) <= _MAX_HEADING_CHARS
        and any(char.isalpha() for char in text)
        and not text.endswith((".", ",", ";"))
        and not _CAPTION.match(text)
    )


def _same_heading(first: Line, second: Line) -> bool:
    return (
        first.page == second.page
        and first.size == second.size
        and first.bold == second.bold
        and 0 <= second.top - first.bottom < first.size
    )


def font_headings(lines: Sequence[Line]) -> list[Heading]:
    """Headings by font: larger sizes are higher levels; wrapped headings are one heading."""
    body = body_size(lines)
    found: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        if not _looks_like_heading(lines[index], body) or lines[index].new_paragraph:
            index += 1
            continue
        end = index + 1
        while (
            end < len(lines)
            and _looks_like_heading(lines[end], body)
            and _same_heading(lines[end - 1], lines[end])
        ):
            end += 1
        found.append((index, end))
        index = end
    sizes = sorted({lines[start].size for start, _ in found}, reverse=True)
    largest = [span for span in found if lines[span[0]].size == sizes[0]] if found else []
    if len(largest) == 1 and largest[0] == found[0] and lines[found[0][0]].page == 1:
        # The one line set largest, first on page 1, is the document's title, not a heading.
        found, sizes = found[1:], sizes[1:]
    return [
        Heading(
            start,
            end,
            sizes.index(lines[start].size),
            " ".join(line.text.strip() for line in lines[start:end]),
        )
        for start, end in found
    ]


def _find(lines: Sequence[Line], entry: OutlineEntry, cursor: int) -> tuple[int, int] | None:
    """Lines (from `cursor`, on the entry's page or the next) that spell the entry's title."""
    title = _norm(entry.title)
    for start in range(cursor, len(lines)):
        if lines[start].page > entry.page + 1:
            return None
        if lines[start].page < entry.page:
            continue
        text = _norm(lines[start].text)
        if not text or not title.startswith(text):
            continue
        end = start + 1
        while len(text) < len(title) and end < len(lines):
            longer = text + _norm(lines[end].text)
            if not title.startswith(longer):
                break
            text, end = longer, end + 1
        if text == title:
            return start, end
    return None


def outline_headings(lines: Sequence[Line], outline: Sequence[OutlineEntry]) -> list[Heading]:
    """The outline's entries found among the lines, plus an unlisted abstract heading."""
    found: list[Heading] = []
    cursor = 0
    for entry in outline:
        span = _find(lines, entry, cursor)
        if span is None:
            logger.debug("outline entry %r not found on page %d", entry.title, entry.page)
            continue
        found.append(Heading(span[0], span[1], entry.depth, entry.title))
        cursor = span[1]
    taken = {index for heading in found for index in range(heading.start, heading.end)}
    found += [
        Heading(heading.start, heading.end, 0, heading.title)
        for heading in font_headings(lines)
        if _UNLISTED.match(heading.title) and heading.start not in taken
    ]
    return sorted(found, key=lambda heading: heading.start)
