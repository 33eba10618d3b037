"""Plain text and Markdown: decoded strictly, Markdown headings become sections."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.documents import DocType, Document, Section
from ingest.errors import EmptyDocumentError, UnreadableFileError

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_BINARY_SNIFF_BYTES = 8192


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


def load_text(
    path: Path, data: bytes, sha256: str, doc_type: DocType | None, encoding: str
) -> Document:
    """One document per file; Markdown (.md, .markdown) is split into heading sections."""
    text = decode_text(path, data, encoding)
    if not text.strip():
        raise EmptyDocumentError(path, "the file has no text")
    is_markdown = path.suffix.lower() in {".md", ".markdown"}
    sections = markdown_sections(text) if is_markdown else (Section(text=text),)
    first_heading = _HEADING.search(text) if is_markdown else None
    return Document(
        doc_id=str(path),
        source=str(path),
        title=first_heading.group(2).strip() if first_heading else path.stem,
        doc_type=doc_type or DocType.ARTICLE,
        sha256=sha256,
        sections=sections,
    )
