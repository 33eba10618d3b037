"""Plain text and Markdown: decoded strictly, Markdown headings become sections."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.documents import DocType, Document, Section
from ingest.errors import EmptyDocumentError, UnreadableFileError

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_BINARY_SNIFF_BYTES = 8192
_TITLE_MAX_CHARS = 120  # a longer first line is a paragraph, not a title


def decode_text(path: Path, data: bytes, encoding: str) -> str:
    """Bytes to text, refusing binary data and bytes that are not in `encoding`."""
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        raise UnreadableFileError(path, "binary data, not text (it contains NUL bytes)")
    try:
        # A UTF-8 byte order mark (Excel's CSVs) would otherwise stick to the first field name.
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise UnreadableFileError(
            path,
            f"not valid {encoding} text (byte {err.start}: {data[err.start : err.start + 1]!r}); "
            "pass --encoding with the file's encoding, e.g. --encoding latin-1",
        ) from err
    except LookupError as err:
        raise UnreadableFileError(path, f"unknown encoding {encoding!r}") from err


def markdown_sections(text: str) -> tuple[Section, ...]:
    """Sections at each heading, titled by the heading path ("Heart > Valves").

    Hand-written rather than langchain's MarkdownHeaderTextSplitter because we need each
    section's offset in the original text for citations, which that splitter drops.
    """
    headings = list(_HEADING.finditer(text))
    sections = []
    if not headings or headings[0].start() > 0:
        end = headings[0].start() if headings else len(text)
        sections.append(Section(text=text[:end], offset=0))
    path: list[tuple[int, str]] = []
    for number, heading in enumerate(headings):
        level, title = len(heading.group(1)), heading.group(2).strip()
        path = [(lvl, name) for lvl, name in path if lvl < level] + [(level, title)]
        end = headings[number + 1].start() if number + 1 < len(headings) else len(text)
        body_start = heading.end()
        sections.append(
            Section(
                text=text[body_start:end],
                title=" > ".join(name for _, name in path),
                offset=body_start,
            )
        )
    return tuple(s for s in sections if s.text.strip())


def text_title(text: str, *, is_markdown: bool, fallback: str) -> str:
    """A title for a text file: its first Markdown heading, else its first line if short.

    An uploaded note's first line usually names it ("Echo report, 3 May"); the file's stem
    (`scan_0042`) is the last resort.
    """
    heading = _HEADING.search(text) if is_markdown else None
    if heading:
        return heading.group(2).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first.lstrip("#").strip() if 0 < len(first) <= _TITLE_MAX_CHARS else fallback


def load_text(
    path: Path, data: bytes, sha256: str, doc_type: DocType | None, encoding: str
) -> Document:
    """One document per file; Markdown (.md, .markdown) is split into heading sections.

    Without a type from the caller or the path (`path_doc_type`), a text file is a note:
    articles and books come as PDFs, and a bare .txt or .md is most often a clinical note.
    """
    text = decode_text(path, data, encoding)
    if not text.strip():
        raise EmptyDocumentError(path, "the file has no text")
    is_markdown = path.suffix.lower() in {".md", ".markdown"}
    sections = markdown_sections(text) if is_markdown else (Section(text=text),)
    return Document(
        doc_id=str(path),
        source=str(path),
        title=text_title(text, is_markdown=is_markdown, fallback=path.stem),
        doc_type=doc_type or DocType.NOTE,
        sha256=sha256,
        sections=sections,
    )
