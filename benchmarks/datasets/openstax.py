"""OpenStax Anatomy & Physiology 2e (CNXML) -> textbook sections and the glossary eval set.

Reproduces ../shared/data exactly from the raw files at the pinned commit:
- textbook/openstax_ap2e_cardiovascular_sections.jsonl: one record per top-level section of
  the 20 modules of the three cardiovascular chapters (review sections such as "Chapter
  Review" and the exercises are left out), plus `-s00` for the text before the first section.
  Figures, tables, titles and the glossary are dropped; equations keep their text.
- eval/openstax_glossary: BEIR set; queries = the modules' glossary definitions, qrels = the
  first section of the same module that marks the term up with <term> (a term never marked
  up is left out), corpus = the sections, titled "module - section".
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from benchmarks.datasets._output import staged, write_beir, write_credits, write_jsonl
from benchmarks.datasets._raw import parse_xml, require
from benchmarks.datasets.errors import RawDataError
from benchmarks.datasets.sources import OPENSTAX, OPENSTAX_MODULES

logger = logging.getLogger(__name__)

# An element id -> the label the book prints for it ("Figure 19.30", "Table 19.1").
Labels = dict[str, str]

CNXML = "{http://cnx.rice.edu/cnxml}"
MDML = "{http://cnx.rice.edu/mdml}"
COLLXML = "{http://cnx.rice.edu/collxml}"
CHAPTER_PREFIX = "The Cardiovascular System"
SECTIONS_FILE = "openstax_ap2e_cardiovascular_sections.jsonl"
COLLECTION_FILE = "anatomy-and-physiology-2e.collection.xml"
REVIEW_CLASSES = frozenset(
    {"summary", "multiple-choice", "free-response", "interactive-exercise", "references"}
)
BLOCKS = frozenset({"para", "item", "list", "note", "section", "exercise", "problem", "solution"})
DROPPED = frozenset({"figure", "table", "title", "glossary", "media", "label"})


@dataclass(frozen=True, slots=True)
class Section:
    """One textbook section; `terms` are the <term> texts it introduces, in order."""

    id: str
    module_id: str
    module_uuid: str
    chapter: str
    module_title: str
    section_title: str
    text: str
    terms: tuple[str, ...]

    def record(self) -> dict[str, str]:
        """The JSONL record of ../shared/data/textbook."""
        return {
            "id": self.id,
            "module_id": self.module_id,
            "module_uuid": self.module_uuid,
            "chapter": self.chapter,
            "module_title": self.module_title,
            "section_title": self.section_title,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """A glossary definition of a module."""

    module_id: str
    term: str
    meaning: str


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _collect(element: ET.Element, parts: list[str], labels: Labels) -> None:
    """Text in document order; a block element ends with a newline (how paragraphs split).

    A link with no text of its own ("... are summarized in <link target-id=.../>.") reads as
    its target's label ("Figure 19.30"), as the book prints it, where `labels` has one.
    """
    if _local(element) in DROPPED:
        return
    if element.text:
        parts.append(element.text)
    elif _local(element) == "link" and len(element) == 0:
        parts.append(labels.get(element.get("target-id", ""), ""))
    for child in element:
        _collect(child, parts, labels)
        if child.tail:
            parts.append(child.tail)
    if _local(element) in BLOCKS:
        parts.append("\n")


def _clean(parts: list[str]) -> str:
    """Spaces collapsed, lines trimmed, at most one blank line between paragraphs.

    Only ASCII blanks are trimmed: equations keep their no-break spaces, as shipped.
    """
    lines = [re.sub(r"[ \t]+", " ", line).strip(" \t\r") for line in "".join(parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _children_text(section: ET.Element, labels: Labels) -> str:
    parts = [section.text or ""]
    for child in section:
        _collect(child, parts, labels)
        parts.append(child.tail or "")
    return _clean(parts)


def _block_text(element: ET.Element, labels: Labels) -> str:
    parts: list[str] = []
    _collect(element, parts, labels)
    return _clean(parts)


def _terms(element: ET.Element) -> tuple[str, ...]:
    return tuple(" ".join("".join(t.itertext()).split()) for t in element.iter(f"{CNXML}term"))


def chapter_modules(collection: ET.Element) -> Iterator[tuple[int, str, str]]:
    """(chapter number, title, module id) of the cardiovascular chapters, in book order.

    Chapters are the subcollections that hold modules (units hold chapters), numbered in order.
    """
    chapters = [
        chapter
        for chapter in collection.iter(f"{COLLXML}subcollection")
        if chapter.find(f"{COLLXML}content/{COLLXML}subcollection") is None
    ]
    for number, chapter in enumerate(chapters, start=1):
        title = (chapter.findtext(f"{MDML}title") or "").strip()
        if title.startswith(CHAPTER_PREFIX):
            for module in chapter.iter(f"{COLLXML}module"):
                yield number, title, module.get("document", "")


def figure_labels(modules: list[tuple[int, ET.Element]]) -> Labels:
    """The label of each figure and table by element id, numbered in order per chapter.

    `modules` are (chapter number, parsed module) in book order. Unnumbered figures and
    tables, the chapter's opening picture ("splash") and figures inside figures (the panels
    of one) take no number: the CO figure is "Figure 19.30", as the book prints it.
    """
    labels: dict[str, str] = {}
    counts: dict[tuple[int, str], int] = {}
    for chapter, document in modules:
        nested = {
            id(inner)
            for outer in document.iter(f"{CNXML}figure")
            for inner in outer.iter(f"{CNXML}figure")
            if inner is not outer
        }
        for element in document.iter():
            kind = {"figure": "Figure", "table": "Table"}.get(_local(element))
            unnumbered = bool({"unnumbered", "splash"} & set(element.get("class", "").split()))
            if kind is None or unnumbered or id(element) in nested or not element.get("id"):
                continue
            counts[chapter, kind] = counts.get((chapter, kind), 0) + 1
            labels[element.get("id", "")] = f"{kind} {chapter}.{counts[chapter, kind]}"
    return labels


def _flat(element: ET.Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def module_sections(
    path: Path, document: ET.Element, chapter: str, labels: Labels
) -> tuple[list[Section], list[GlossaryEntry]]:
    """The sections and glossary definitions of one parsed CNXML module (read from `path`)."""
    metadata = document.find(f"{CNXML}metadata")
    content = document.find(f"{CNXML}content")
    if metadata is None or content is None:
        raise RawDataError(path, "no <metadata> or <content> element: not a CNXML module")
    module_id = (metadata.findtext(f"{MDML}content-id") or path.parent.name).strip()
    uuid = (metadata.findtext(f"{MDML}uuid") or "").strip()
    module_title = (document.findtext(f"{CNXML}title") or "").strip()

    def section(index: int, title: str, text: str, terms: tuple[str, ...]) -> Section:
        return Section(
            f"{module_id}-s{index:02d}", module_id, uuid, chapter, module_title, title, text, terms
        )

    # Before the first section each element is its own paragraph; inside a section the
    # source line breaks decide (two paragraphs on one source line end up one line apart).
    lead = [child for child in content if _local(child) != "section"]
    sections = []
    lead_text = "\n\n".join(text for text in (_block_text(c, labels) for c in lead) if text)
    if lead_text:
        sections.append(
            section(0, module_title, lead_text, tuple(t for c in lead for t in _terms(c)))
        )
    body = [
        child
        for child in content
        if _local(child) == "section" and child.get("class", "") not in REVIEW_CLASSES
    ]
    for index, child in enumerate(body, start=1):
        title = (child.findtext(f"{CNXML}title") or "").strip()
        sections.append(section(index, title, _children_text(child, labels), _terms(child)))
    glossary = []
    for definition in document.iter(f"{CNXML}definition"):
        term = _flat(definition.find(f"{CNXML}term"))
        meaning = _flat(definition.find(f"{CNXML}meaning"))
        if not term or not meaning:
            raise RawDataError(
                path, f"glossary definition {definition.get('id')} lacks a term or meaning"
            )
        glossary.append(GlossaryEntry(module_id, term, meaning))
    return sections, glossary


def read_book(
    raw: Path, *, references: bool = True, show_progress_bar: bool | None = None
) -> tuple[list[Section], list[GlossaryEntry]]:
    """All sections and glossary entries of the cardiovascular chapters under `raw`.

    `raw` holds the collection XML and modules/<id>/index.cnxml, as in ../shared/data/raw/openstax.
    With `references`, a link to a figure or table reads as its label ("Figure 19.30");
    without, it reads as nothing, as ../shared/data's files have it.
    """
    collection = parse_xml(raw / COLLECTION_FILE, "OpenStax collection XML")
    modules = list(chapter_modules(collection))
    if [module for _, _, module in modules] != list(OPENSTAX_MODULES):
        # A different book edition would silently give different ids; say so instead.
        raise RawDataError(
            raw / COLLECTION_FILE,
            f"expected the cardiovascular modules {', '.join(OPENSTAX_MODULES)}, found "
            f"{', '.join(m for _, _, m in modules) or 'none'}: "
            f"not the pinned commit {OPENSTAX.commit[:7]}",
        )
    sections: list[Section] = []
    glossary: list[GlossaryEntry] = []
    bar = tqdm(modules, desc="OpenStax modules", unit="module", disable=_quiet(show_progress_bar))
    read = [
        (number, chapter, path, parse_xml(path, "CNXML module"))
        for number, chapter, module in bar
        for path in [raw / "modules" / module / "index.cnxml"]
    ]
    labels = figure_labels([(number, document) for number, _, _, document in read])
    for _, chapter, path, document in read:
        found, entries = module_sections(path, document, chapter, labels if references else {})
        sections += found
        glossary += entries
    logger.info("OpenStax: %d sections, %d glossary entries", len(sections), len(glossary))
    return sections, glossary


def glossary_set(
    sections: list[Section], glossary: list[GlossaryEntry]
) -> tuple[list[dict[str, str]], list[tuple[str, str, int]]]:
    """(queries, qrels): each definition -> the first section of its module marking the term."""
    queries: list[dict[str, str]] = []
    qrels: list[tuple[str, str, int]] = []
    for entry in glossary:
        term = entry.term.lower()
        home = next(
            (
                s.id
                for s in sections
                if s.module_id == entry.module_id and any(t.lower() == term for t in s.terms)
            ),
            None,
        )
        if home is None:
            logger.debug("glossary term of %s never marked up; left out", entry.module_id)
            continue
        query_id = f"g{len(queries) + 1:04d}"
        queries.append({"_id": query_id, "text": entry.meaning, "term": entry.term})
        qrels.append((query_id, home, 1))
    return queries, qrels


def convert(
    raw: Path,
    out: Path,
    *,
    force: bool = False,
    references: bool = True,
    show_progress_bar: bool | None = None,
) -> dict[str, int]:
    """Write textbook/ and eval/openstax_glossary/ under `out` from the raw OpenStax files.

    With `references` off, a figure or table link reads as nothing: ../shared/data's files,
    byte for byte (made before the converter kept them).

    Returns counts: sections, queries.

    Raises:
        RawDataError: a raw file is missing or not valid CNXML.
        OutputExistsError: an output folder exists and `force` is off.
    """
    licence = require(raw / "LICENSE", "the book's LICENSE at the pinned commit")
    sections, glossary = read_book(raw, references=references, show_progress_bar=show_progress_bar)
    queries, qrels = glossary_set(sections, glossary)
    with staged(out, OPENSTAX.outputs, force=force) as stage:
        textbook = stage["textbook"]
        write_jsonl(textbook / SECTIONS_FILE, (s.record() for s in sections))
        write_credits(
            textbook,
            OPENSTAX,
            f"{SECTIONS_FILE}: {len(sections)} sections of the three cardiovascular chapters "
            "(CNXML -> text; figures and tables dropped, the references to them kept)",
            licence.read_text(encoding="utf-8"),
        )
        corpus = (
            {"_id": s.id, "title": f"{s.module_title} - {s.section_title}", "text": s.text}
            for s in sections
        )
        evalset = stage["eval/openstax_glossary"]
        write_beir(evalset, corpus, queries, qrels)
        write_credits(
            evalset,
            OPENSTAX,
            f"BEIR set: {len(queries)} glossary definitions (queries) -> the section that "
            f"introduces the term (qrels), over the {len(sections)} sections (corpus)",
            licence.read_text(encoding="utf-8"),
        )
    return {"sections": len(sections), "queries": len(queries)}


def _quiet(show_progress_bar: bool | None) -> bool:
    if show_progress_bar is None:
        return not logger.isEnabledFor(logging.INFO)
    return not show_progress_bar
