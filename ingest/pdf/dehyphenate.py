"""Joining lines of a paragraph, undoing the hyphens that typesetting adds at line ends.

"ejec-" + "tion" is "ejection", but "beta-" + "blocker" stays "beta-blocker" when the document
writes it so elsewhere, and "NT-" + "proBNP" keeps its hyphen because the part after the
break does not start in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_COMPOUND = re.compile(r"\b([a-z]+)-([a-z]+)\b", re.IGNORECASE)
_BROKEN = re.compile(r"([a-z]+)-$")
_CONTINUES = re.compile(r"^([a-z]+)")


def hyphenated_words(texts: Iterable[str]) -> frozenset[str]:
    """The hyphenated compounds ("beta-blocker") written inside lines, in lower case."""
    return frozenset(
        f"{left}-{right}".lower() for text in texts for left, right in _COMPOUND.findall(text)
    )


def join_lines(first: str, second: str, compounds: frozenset[str]) -> str:
    """`first` and the line after it as one text.

    A hyphen at the end of `first` goes when a lower-case word continues on `second` and the
    hyphenated form is not a compound of the document; it stays (with no space) otherwise.
    """
    if not first.endswith("-") or first.endswith("--"):
        return f"{first} {second}" if first else second
    broken, continues = _BROKEN.search(first), _CONTINUES.match(second)
    if (
        broken
        and continues
        and broken.group(1)[-1].islower()
        and f"{broken.group(1)}-{continues.group(1)}".lower() not in compounds
    ):
        return first[:-1] + second
    return first + second
