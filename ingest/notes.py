"""Clinical notes as written: their lines, numbered items and labelled sections.

MTSamples, and notes exported like it, keep a transcription on one line with every line break
written as ",": "IMPRESSION:,1.  Normal LV systolic function.,2.  Ejection fraction ...".
`restore_lines` puts the breaks back, so a hit reads as the note was written, and
`note_sections` cuts the note at its labels ("IMPRESSION:"), so each chunk's context header and
the `section` filter name the part of the note it comes from. Hand-written: no library reads
this export's commas; the rules were read off all 372 MTSamples notes in ../shared/data.

Example:
    >>> text = restore_lines("DOPPLER:,1.  Trace MR.,2.  Trace TR.,IMPRESSION:,1.  Normal LV.,2."
    ...                      "  EF around 60%, no effusion.,")
    >>> print(text)
    DOPPLER:
    1.  Trace MR.
    2.  Trace TR.
    IMPRESSION:
    1.  Normal LV.
    2.  EF around 60%, no effusion.
    >>> [section.title for section in note_sections(text)]
    ['Doppler', 'Impression']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.documents import Section

# Bump when a rule below changes a note's text or sections: it is folded into each note
# record's hash and each record file's version, so the next ingest re-chunks the notes it
# changes without a rebuild flag.
NOTE_PARSE_VERSION = 1
NOTE_PARSE_TAG = f"\x1fnote-parse-{NOTE_PARSE_VERSION}".encode()
# A labelled section under a record's own section, as Markdown and PDF heading trails read.
_TRAIL_SEPARATOR = " > "

# -- lines ------------------------------------------------------------------------------------

# A run of commas and the blanks around them: ",", ", ", ": , ," and ",," are each one run.
_RUN = re.compile(r"[ \t]*,(?:[ \t]*,)*[ \t]*")
# "CONCLUSIONS,:,1." is "CONCLUSIONS:" with its colon typed on the next line.
_LABEL_COLON_SPLIT = re.compile(r"(?<=[A-Z]),(?=:)")
# What starts a numbered or lettered item: "2.  Normal", "b.  Left", "1)Myasthenia".
_ITEM = re.compile(r"(?:\d{1,2}|[A-Za-z])[.)](?:\s|$)")
# An item number standing alone before a run ("3.  ,CORONARY ARTERIOGRAPHY").
_BARE_ITEM = re.compile(r"(?:^|,)[ \t]*(?:\d{1,2}|[A-Za-z])[.)]$")
_BARE_ITEM_CHARS = 8  # how far before a run a bare item number is looked for
# A comma right before one of these is written: '"OK," but', "developed,. The", a line's end.
_KEEPS_COMMA = frozenset("\"'.;:)\r\n")


def _comma_run(text: str, run: re.Match[str]) -> str:
    """What a run of commas in `text` stands for: a line break, a blank line, a space or itself.

    The rules, each for what the export does, in the order they are tried:
    - at the start or end of the note: nothing (the last line's break).
    - after a label's colon ("HISTORY OF PRESENT ILLNESS:, The patient"): a line break, so the
      label stands on its own line.
    - after a lone item number ("1.  ,HEMODYNAMICS:"): the blank before it; the item's text
      was typed on the next line.
    - one comma and a blank ("fibrillation, with"): a written comma, kept. The export puts a
      blank after a line break's comma only after a label.
    - before a lower-case word that starts no item ("bypass,cold blood", "aorta ,ascending"):
      a line wrapped mid-sentence, joined by a space; a run that also holds a written comma
      ("well developed,,oriented", "myself, , or") keeps one.
    - one comma before a closing mark or a real line break, or between digits ("platelets
      115,000", "1:100,000") unless an item starts after it ("JR 4.0,3.  ACS"): kept.
    - a lower-case word, then a number that starts no item ("is an,8.0 x 3.5 cm"): a wrapped
      line, a space.
    - any other single comma (".,2.  Normal", ".,IMPRESSION:", "Theophylline,4."): a break.
    - ",," ("Sincerely,,XYZ"): a written comma, then a break.
    - other runs (", ,"): a break and a blank line: a new paragraph.
    """
    found = run.group()
    start, end = run.span()
    before, after = text[start - 1 : start], text[end : end + 1]
    if not before or not after:
        return ""
    if before == ":":
        return "\n"
    if _BARE_ITEM.search(text, max(0, start - _BARE_ITEM_CHARS), start):
        return found.split(",")[0] or " "
    commas = found.count(",")
    if commas == 1 and found[-1] in " \t":
        return found
    starts_item = _ITEM.match(text, end) is not None
    if after.islower() and before.isalnum() and not starts_item:
        return " " if found == "," else ", "
    if commas == 1:
        if after in _KEEPS_COMMA or (before.isdigit() and after.isdigit() and not starts_item):
            return found
        if before.islower() and after.isdigit() and not starts_item:
            return " "
        return "\n"
    return ",\n" if found == ",," else "\n\n"


def restore_lines(text: str) -> str:
    """A note with its line breaks back: each line stripped, blank runs kept as one blank line.

    Text that already has its line breaks keeps them; a written comma (followed by a blank)
    is left as it is.
    """
    joined = _LABEL_COLON_SPLIT.sub("", text)
    restored = _RUN.sub(lambda run: _comma_run(joined, run), joined)
    lines: list[str] = []
    for line in (raw.strip() for raw in restored.splitlines()):
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip("\n")


# -- labels -----------------------------------------------------------------------------------

# A label alone on its line, with its colon ("IMPRESSION:", "2-D M-MODE:") or without one
# ("PREOPERATIVE DIAGNOSES", "DOPPLER"): both occur, "IMPRESSION:,1." and "IMPRESSION,1.".
_COLON_HEADING = re.compile(r"(?P<label>[A-Z0-9][A-Z0-9 ,/&()#'+.-]*?)[ \t]*:[ \t]*")
_BARE_HEADING = re.compile(r"(?P<label>[A-Z0-9][A-Z0-9 /&()#'+-]*[A-Z)])")
# "1.  HEMODYNAMICS:" and "II. PRESSURES" are items of a list, not parts of the note.
_NUMBERED = re.compile(r"(?:\d{1,3}|[A-Z]|[IVX]+)\.\s")
_LABEL_MAX_CHARS = 60
_LABEL_MIN_LETTERS = 2
# Joining words, lower case inside a title; "(ES)" and "(S)" mark plurals.
_SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or"}
    | {"per", "the", "to", "vs", "with", "without", "es", "s"}
)
# Abbreviations with a vowel, which the no-vowel rule of `_title_word` would spell as words.
_ABBREVIATIONS = frozenset(
    {"abg", "abi", "aicd", "av", "cabg", "cad", "ct", "cta", "ebl", "ebt", "ecg", "ed", "eent"}
    | {"ekg", "ent", "ep", "er", "heent", "hpi", "icd", "icu", "la", "lad", "lima", "mi", "mra"}
    | {"mri", "ob", "om", "pa", "pci", "pda", "pe", "pex", "ptca", "ra", "rca", "rima", "ros"}
    | {"rv", "svg", "tee", "tte"}
)
_ROMAN = re.compile(r"[IVX]+")
_WORD_PUNCTUATION = "()#.,'&+:"


def heading_label(line: str, *, after_heading: bool) -> str | None:
    """The label a line of a restored note holds alone, or None for a line of its text.

    A label followed by text on its line ("VITAL SIGNS:  Temperature 97") is a field inside
    its section, as the exam's HEENT, NECK and LUNGS are, not a section. A colon-less
    upper-case line right under a heading is that heading's text ("ALLERGIES:", "SULFA"),
    and one ending in a period or holding a comma is a sentence in capitals.
    """
    match = _COLON_HEADING.fullmatch(line) or (
        None if after_heading else _BARE_HEADING.fullmatch(line)
    )
    if match is None:
        return None
    label = " ".join(match["label"].split())
    letters = sum(char.isupper() for char in label)
    if letters < _LABEL_MIN_LETTERS or len(label) > _LABEL_MAX_CHARS or _NUMBERED.match(label):
        return None
    return label


def _title_word(word: str, *, first: bool) -> str:
    """One word of a label, or a piece of one between hyphens or slashes, cased for a title."""
    core = word.strip(_WORD_PUNCTUATION)
    if not core:
        return word
    lowered = core.lower()
    if lowered in _SMALL_WORDS and not first:
        cased = lowered
    elif (
        len(core) == 1
        or lowered in _ABBREVIATIONS
        or any(char.isdigit() for char in core)
        or not any(vowel in lowered for vowel in "aeiou")
        or _ROMAN.fullmatch(core)
    ):
        cased = core
    else:
        cased = core.capitalize()
    start = word.index(core)
    return f"{word[:start]}{cased}{word[start + len(core) :]}"


def label_title(label: str) -> str:
    """A section title from a note's label: "HISTORY OF PRESENT ILLNESS" -> "History of ...".

    Title case, because PDF and Markdown sections show their headings as their authors wrote
    them, mostly in title case, and people type a `section` filter as "Impression", not
    "IMPRESSION". Abbreviations stay upper case ("Hpi" or "Lv" would read as typos): single
    letters and words with a digit ("2-D M-MODE" -> "2-D M-Mode"), words without a vowel
    (PMH, FHX/SHX, CC), roman numerals, and a short list of clinical ones with vowels (HPI,
    HEENT, ECG, LAD).
    """
    pieces = re.split(r"([ /-])", label)
    return "".join(
        piece if piece in " /-" else _title_word(piece, first=index == 0)
        for index, piece in enumerate(pieces)
    )


# -- sections ---------------------------------------------------------------------------------

# A section whose text is a single line shorter than this (characters) is a field.
FIELD_MAX_CHARS = 100


@dataclass(frozen=True, slots=True)
class _Part:
    """A note's text under one label: [start, end) in the note, the label's line left out."""

    title: str | None
    start: int
    end: int

    def trimmed(self, text: str) -> _Part:
        """The part without the blank lines around its text."""
        body = text[self.start : self.end]
        start = self.start + len(body) - len(body.lstrip("\n"))
        return _Part(self.title, start, max(start, self.start + len(body.rstrip("\n"))))

    def is_field(self, text: str) -> bool:
        """One short line under its label ("ESTIMATED BLOOD LOSS:" then "300 cc")."""
        body = text[self.start : self.end]
        return "\n" not in body and len(body) < FIELD_MAX_CHARS


def _labelled_parts(text: str, parent: str | None) -> list[_Part]:
    """The note cut at its heading lines; the text before the first keeps `parent` as title."""
    parts: list[_Part] = []
    title, start, offset = parent, 0, 0
    after_heading = False
    for line in text.split("\n"):
        label = heading_label(line, after_heading=after_heading)
        if label is not None:
            parts.append(_Part(title, start, offset).trimmed(text))
            title = _TRAIL_SEPARATOR.join(filter(None, (parent, label_title(label))))
            start = offset + len(line) + 1
        after_heading = label is not None
        offset += len(line) + 1
    parts.append(_Part(title, start, len(text)).trimmed(text))
    return [part for part in parts if part.end > part.start]


def note_sections(text: str, title: str | None = None) -> tuple[Section, ...]:
    """A restored note (`restore_lines`) as sections titled by its labels ("Impression").

    A field (one short line under its label) stays in the section before it, label line and
    all, as the note shows it. A note has many ("ANESTHESIA:" "General", "COMPLICATIONS:"
    "None"): as sections of their own each would be a chunk of a few words, which BM25 ranks
    high for any query naming the label. Fields before any section gather under the first's
    title. `title` is the record's own section, if it names one: the labels go under it
    ("Echo > Impression"). A note of labels alone is one section, as it is.
    """
    merged: list[_Part] = []
    for part in _labelled_parts(text, title):
        if merged and part.is_field(text):
            merged[-1] = _Part(merged[-1].title, merged[-1].start, part.end)
        else:
            merged.append(part)
    if not merged:
        return (Section(text=text, title=title),) if text else ()
    return tuple(
        Section(text=text[part.start : part.end], title=part.title, offset=part.start)
        for part in merged
    )
