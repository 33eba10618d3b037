"""A US drug label read as one document with sections, the way the FDA lays every one out.

A prescription drug label (21 CFR 201.57) opens with Highlights of Prescribing Information,
which repeat the full text in brief (a boxed warning, indications, dosage ...), then the Full
Prescribing Information's contents and its numbered sections ("5 WARNINGS AND PRECAUTIONS",
"5.1 Hemorrhage"), then, for patients, a Medication Guide or Patient Information, and last
the package labels ("PRINCIPAL DISPLAY PANEL"). The headings are found as in any PDF (the
outline, else fonts); this gives them their places: the Highlights' headings nest under it
(and its part keeps them out of a default search: they would double the full text), so do
the entries of the contents (front matter), and a Medication Guide is a division of its own,
headed by its first line only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ingest.pdf.headings import PATIENT_GUIDE, Heading

HIGHLIGHTS = re.compile(r"^HIGHLIGHTS OF PRESCRIBING INFORMATION\b", re.IGNORECASE)
_FULL_INFORMATION = re.compile(r"^FULL PRESCRIBING INFORMATION\b", re.IGNORECASE)
_CONTENTS = re.compile(r"^FULL PRESCRIBING INFORMATION: CONTENTS", re.IGNORECASE)
# The full information's start, or the package labels: no division goes on past them.
_ENDS_DIVISION = re.compile(r"^(FULL PRESCRIBING INFORMATION|.*PRINCIPAL DISPLAY PANEL)", re.I)
# The Highlights' opening words, which DailyMed's PDFs carry as their title.
_HIGHLIGHTS_OPENING = re.compile(
    r"These highlights do not include all the information needed to use (.+?) safely", re.I
)
# "2.1 Individualized Dosing": a numbered section of the full information.
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\s+\S")


def label_name(title: str) -> str | None:
    """The drug a label names ("WARFARIN SODIUM TABLETS"), or None.

    Where the title is the Highlights' opening paragraph, as DailyMed's PDFs have it.

    Example:
        >>> label_name("These highlights do not include all the information needed to use "
        ...            "LISINOPRIL TABLETS safely and effectively. See full prescribing ...")
        'LISINOPRIL TABLETS'
    """
    found = _HIGHLIGHTS_OPENING.search(title)
    return found.group(1).strip() if found else None


def is_label(headings: Sequence[Heading]) -> bool:
    """Whether the headings are a prescription drug label's."""
    return any(
        HIGHLIGHTS.match(heading.title) or _FULL_INFORMATION.match(heading.title)
        for heading in headings
    )


def label_headings(headings: Sequence[Heading]) -> list[Heading]:
    """The headings with the label's divisions placed above the sections inside them.

    A division (the Highlights, the contents, a Medication Guide) holds every heading up to
    the full information's first section or the package labels; the contents end where one
    of their entries comes again, as the section it lists.
    """
    if not is_label(headings):
        return list(headings)
    placed: list[Heading] = []
    inside = False  # in a division: its headings go one level down
    listed: set[str] | None = None  # the contents' entries, while in the contents
    for heading in headings:
        title = heading.title
        if HIGHLIGHTS.match(title) or _CONTENTS.match(title):
            inside, listed = True, set() if _CONTENTS.match(title) else None
            placed.append(replace(heading, level=0))
            continue
        if (guide := PATIENT_GUIDE.match(title)) is not None:
            inside, listed = True, None
            placed.append(replace(heading, end=heading.start + 1, level=0, title=guide.group(1)))
            continue
        number = _NUMBERED.match(title)
        repeated = listed is not None and title.casefold() in listed
        if inside and (repeated or (listed is None and (number or _ENDS_DIVISION.match(title)))):
            # The heading after a division is top level, so the division closes there.
            inside, listed = False, None
            placed.append(replace(heading, level=0))
            continue
        if listed is not None:
            listed.add(title.casefold())
        if inside:
            placed.append(replace(heading, level=heading.level + 1))
        elif number is not None:
            # "5.1 Hemorrhage" under "5 WARNINGS AND PRECAUTIONS", whatever their fonts.
            placed.append(replace(heading, level=number.group(1).count(".")))
        else:
            placed.append(heading)
    return placed
