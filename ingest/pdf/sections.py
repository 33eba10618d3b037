"""A PDF's lines and tables, in reading order, as sections: heading trail, part, pages.

Lines become paragraphs (a gap, an indent or a change of font starts a new one) with their
line-end hyphens undone. Each heading starts a section titled by its trail; the references,
front and back matter are tagged as such, and each table is a section of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.documents import DocPart, Section, SectionKind
from ingest.pdf.dehyphenate import hyphenated_words, join_lines
from ingest.pdf.headings import REFERENCES_HEADING, Heading
from ingest.pdf.label import HIGHLIGHTS
from ingest.pdf.layout import Line
from ingest.pdf.tables import PageTable

TRAIL_SEPARATOR = " > "
_PARAGRAPH_SEPARATOR = "\n\n"
# A first line indented by more than this (points) opens a paragraph.
_INDENT = 4.0
# ...and by less than this many font sizes.
_MAX_INDENT = 2.5
_BACK = re.compile(
    r"acknowledg|funding|conflicts? of interest|competing interests?|disclosure|declarations?|"
    r"data (availability|sharing)|author contributions|ethics (statement|approval)|"
    r"supplementary (material|data)|principal display panel",
    re.IGNORECASE,
)
# A list of the document's own headings.
_CONTENTS = re.compile(r"^((table of )?contents|full prescribing information: contents)\b", re.I)
# A figure's caption is a paragraph of its own, wherever it interrupts the prose.
# ("Figure 2 Molecular mechanisms...", not prose that starts a line with "Figure 2 shows").
_CAPTION = re.compile(r"^(Figure|FIGURE|Fig\.)\s+\d+[A-Za-z]?\s+[A-Z]")
# A table's caption opens its Markdown: "Table 1 Efficacy of ...".
_TABLE_NUMBER = re.compile(r"^Table\s+(\d+)\b")
# Paragraphs that are front matter wherever they stand (licence, dates, correspondence).
_FRONT = re.compile(
    r"^(©|\(c\)|copyright|this is an open access|received\b|accepted\b|published by|"
    r"\*?\s*corresponding author|e-?mail:|tel[:.])",
    re.IGNORECASE,
)


# Before the first heading, prose (an abstract, a lay summary) is body, and so is all text past
# the first page of a document without headings; the rest is front matter.
_PROSE = re.compile(r"[a-z]{2}[.!?]\s+[A-Z]")
_PROSE_CHARS = 200


def part_of(title: str) -> DocPart | None:
    """The part a heading opens, or None when it is body text."""
    if REFERENCES_HEADING.match(title.strip()):
        return DocPart.REFERENCES
    if HIGHLIGHTS.match(title):  # a summary that repeats the label's own text
        return DocPart.SUMMARY
    if _CONTENTS.match(title.strip()):
        return DocPart.FRONT
    return DocPart.BACK if _BACK.search(title) else None


@dataclass(slots=True)
class _Block:
    """Text of one part under one trail, with the page that starts at each offset."""

    trail: str | None
    part: DocPart
    kind: SectionKind = SectionKind.TEXT
    text: str = ""
    breaks: list[tuple[int, int]] = field(default_factory=list)

    def add(self, text: str, page: int, separator: str) -> None:
        if self.text:
            self.text += separator
        if not self.breaks or self.breaks[-1][1] != page:
            self.breaks.append((len(self.text), page))
        self.text += text


def _opens_paragraph(previous: Line | None, line: Line, *, in_caption: bool) -> bool:
    """Whether `line` starts a paragraph rather than continuing the one `previous` is in.

    Prose flows on from one column (or page) to the next; a figure caption does not, and text
    after a caption in another column or band is the prose the caption interrupted.
    """
    if previous is None or line.new_paragraph or abs(line.size - previous.size) >= 1:
        return True
    if line.aside != previous.aside:  # a sidebar's text never flows into the main column's
        return True
    if _CAPTION.match(line.text):
        return True
    same_column = (previous.page, previous.band, previous.column) == (
        line.page, line.band, line.column
    )  # fmt: skip
    gap = line.top - previous.bottom
    if not same_column:
        # A caption's next line sits right below it, even when it is a row of its own.
        return in_caption and not (line.page == previous.page and 0 <= gap < line.size)
    # A first-line indent is a few points; a bigger step is text hanging after a label.
    indented = previous.x0 + _INDENT < line.x0 < previous.x0 + _MAX_INDENT * line.size
    return gap > 0.6 * line.size or indented


@dataclass(slots=True)
class _Paragraph:
    """A paragraph as (text, page) runs, one per page it touches; whether it is in a sidebar."""

    runs: list[tuple[str, int]]
    aside: bool

    @property
    def text(self) -> str:
        return " ".join(text for text, _ in self.runs)


def _paragraphs(lines: Sequence[Line], compounds: frozenset[str]) -> list[_Paragraph]:
    """The lines' paragraphs, in order."""
    paragraphs: list[_Paragraph] = []
    previous: Line | None = None
    in_caption = False
    for line in lines:
        text = line.text.strip()
        if _opens_paragraph(previous, line, in_caption=in_caption) or not paragraphs:
            paragraphs.append(_Paragraph([(text, line.page)], line.aside))
            in_caption = bool(_CAPTION.match(text))
        else:
            runs = paragraphs[-1].runs
            last_text, last_page = runs[-1]
            joined = join_lines(last_text, text, compounds)
            if line.page == last_page:
                runs[-1] = (joined, last_page)
            else:
                # The page turns inside the paragraph: the new page starts at the next word.
                runs[-1] = (joined[: len(joined) - len(text)].rstrip(), last_page)
                runs.append((joined[len(joined) - len(text) :], line.page))
        previous = line
    return paragraphs


def build_sections(
    lines: Sequence[Line], headings: Sequence[Heading], tables: Sequence[PageTable]
) -> tuple[Section, ...]:
    """The document's sections in reading order; empty ones are left out.

    `lines` are all pages' lines in reading order; `tables` are placed before the first line
    that follows them on their page.
    """
    compounds = hyphenated_words(line.text for line in lines)
    # Without a heading anywhere (a scan, a leaflet), text past the first page is not front.
    first_page: float = lines[0].page if lines and not headings else float("inf")
    by_start = {heading.start: heading for heading in headings}
    trail: list[tuple[int, str, DocPart | None]] = []
    blocks: list[_Block] = []
    pending = sorted(tables, key=lambda table: table.position)
    index = 0

    def current(part: DocPart | None = None) -> _Block:
        title = TRAIL_SEPARATOR.join(name for _, name, _ in trail) or None
        inherited = next((p for _, _, p in reversed(trail) if p is not None), None)
        found = part or inherited or (DocPart.BODY if trail else DocPart.FRONT)
        if not blocks or (blocks[-1].trail, blocks[-1].part, blocks[-1].kind) != (
            title, found, SectionKind.TEXT
        ):  # fmt: skip
            blocks.append(_Block(title, found))
        return blocks[-1]

    def place_tables(before: Line | None) -> None:
        while pending and (before is None or pending[0].position < (before.page, *before.order)):
            table = pending.pop(0)
            title = TRAIL_SEPARATOR.join(name for _, name, _ in trail) or None
            block = _Block(title, current().part, SectionKind.TABLE)
            block.add(table.markdown(), table.page, "")
            blocks.append(block)

    run: list[Line] = []

    def flush() -> None:
        for paragraph in _paragraphs(run, compounds):
            text = paragraph.text
            # Before the first heading a sidebar holds the article's details, not its content.
            if _FRONT.match(text) or (paragraph.aside and not trail):
                part = DocPart.FRONT
            elif not trail and (
                paragraph.runs[0][1] > first_page
                or (len(text) >= _PROSE_CHARS and _PROSE.search(text))
            ):
                part = DocPart.BODY
            else:
                part = None
            block = current(part)
            separator = _PARAGRAPH_SEPARATOR
            for piece, page in paragraph.runs:
                block.add(piece, page, separator)
                separator = " "
        run.clear()

    while index < len(lines):
        line = lines[index]
        if pending and pending[0].position < (line.page, *line.order):
            flush()
            place_tables(line)
        heading = by_start.get(index)
        if heading is None:
            run.append(line)
            index += 1
            continue
        flush()
        while trail and trail[-1][0] >= heading.level:
            trail.pop()
        trail.append((heading.level, heading.title, part_of(heading.title)))
        index = heading.end
    flush()
    place_tables(None)
    _file_tables_where_cited(blocks)
    return _sections(blocks)


def _file_tables_where_cited(blocks: Sequence[_Block]) -> None:
    """Give each numbered table the trail and part of the text that first cites it.

    A table floats: the typesetter puts it at the top of a page, often under the next section's
    heading, while the prose that presents it ("In Table 1, we present...") is in the section
    it belongs to (or whose heading names it). Its context header should name that section. A
    table nobody cites keeps the trail of where it stands.
    """
    for table in blocks:
        number = _TABLE_NUMBER.match(table.text) if table.kind is SectionKind.TABLE else None
        if number is None:
            continue
        cited = re.compile(rf"\bTables?\s+(\d+\s*(,|and|&|–|-)\s*)*{number[1]}\b")
        citing = next(
            (
                block
                for block in blocks
                if block.kind is SectionKind.TEXT
                and (cited.search(block.trail or "") or cited.search(block.text))
            ),
            None,
        )
        if citing is not None:
            table.trail, table.part = citing.trail, citing.part


def _sections(blocks: Sequence[_Block]) -> tuple[Section, ...]:
    sections: list[Section] = []
    offset = 0
    for block in blocks:
        if not block.text.strip():
            continue
        sections.append(
            Section(
                text=block.text,
                title=block.trail,
                page_breaks=tuple(block.breaks),
                offset=offset,
                part=block.part,
                kind=block.kind,
            )
        )
        offset += len(block.text) + len(_PARAGRAPH_SEPARATOR)
    return tuple(sections)
