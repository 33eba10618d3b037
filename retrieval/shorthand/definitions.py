"""Abbreviation definitions a text makes itself: "long form (SHORT)" and "SHORT (long form)".

The Schwartz–Hearst algorithm (A simple algorithm for identifying abbreviation definitions
in biomedical text, PSB 2003), written here: the `abbreviations` package on PyPI implements
it but has had no release since 2019, configures the root logger at import, reads lines
rather than sentences, finds only the first pattern, and drops a whole line at one
unbalanced parenthesis. The rules kept from the paper:

- a short form is 2-10 characters, at most two words, holds a letter and starts with a letter
  or digit; it is inside the parentheses, or (when they hold more than two words) the word
  before them;
- the long form is the shortest run of words before the parentheses (or inside them) in
  which every letter and digit of the short form is found in order, right to left, the short
  form's first character starting a word;
- the long form has at most min(|A| + 5, 2|A|) words and does not hold the short form as a
  word.
Rules added for clinical text: a short form holds an upper-case letter, so that "(see below)"
or "(in)" is never read as one; no word of the short form is a word of the long ("Rh+ (Rh
positive)"); a long form never starts with a function word such as "in" or "the".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# A parenthesised span without nested parentheses, after a space (not "f(x)" or "Na(+)").
_PARENTHESES = re.compile(r"(?<=\s)\(([^()]{1,200})\)")
# Where a sentence (or a note's line) ends: the long form never reaches across one.
_SENTENCE_END = re.compile(r"[.!?;:]\s|\n")
_WORD = re.compile(r"\S+")
# Characters before a parenthesis that can hold its long form (20 words of up to 20 letters).
_LOOK_BACK = 400
# Words that say nothing of a term: a long form starting with one matched the short form's
# first letter by chance ("I-PRESERVE" read as "in Heart Failure ..."); a query's reading
# ignores them when it weighs a sense against the query's other words.
FUNCTION_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
)


@dataclass(frozen=True, slots=True)
class Definition:
    """One abbreviation as a text defines it, the long form with its whitespace collapsed."""

    short: str
    long: str


@dataclass(frozen=True, slots=True)
class DefinitionCount:
    """A definition and how often one document makes it."""

    short: str
    long: str
    count: int


def is_short_form(candidate: str) -> bool:
    """Whether `candidate` can be an abbreviation (the paper's rules, plus an upper-case letter).

    A capitalised word is not one: "Warfarin (war' far in)" is a pronunciation guide, not a
    definition; two-letter ones ("Hb") still are.
    """
    return (
        2 <= len(candidate) <= 10
        and len(candidate.split()) <= 2
        and candidate[0].isalnum()
        and any(c.isalpha() for c in candidate)
        and any(c.isupper() for c in candidate)
        and not (len(candidate) > 3 and candidate.isalpha() and candidate == candidate.capitalize())
    )


def match_long_form(short: str, words: str) -> str | None:
    """The shortest tail of `words` that spells `short` (Schwartz–Hearst), or None.

    Walks both right to left: each letter or digit of the short form must be found in the
    long form in order, and its first one must start a word.
    """
    s, w = len(short) - 1, len(words) - 1
    while s >= 0:
        char = short[s].lower()
        if not char.isalnum():
            s -= 1
            continue
        while w >= 0 and (
            words[w].lower() != char or (s == 0 and w > 0 and words[w - 1].isalnum())
        ):
            w -= 1
        if w < 0:
            return None
        w -= 1
        s -= 1
    start = words.rfind(" ", 0, w + 1) + 1
    long = " ".join(words[start:].split()).lstrip("[{\"'“‘")
    limit = min(len(short) + 5, 2 * len(short))
    if len(long) <= len(short) or len(long.split()) > limit:
        return None
    long_words = {word.lower() for word in re.split(r"[\s\-/]+", long)}
    short_words = {re.sub(r"\W", "", word).lower() for word in short.split()}
    if long_words & short_words or long.split()[0] in FUNCTION_WORDS:
        return None
    return long


def _words_before(text: str, end: int, short: str) -> str:
    """The words before `end`, back to the sentence's start, at most the paper's limit.

    Only the last `_LOOK_BACK` characters are looked at: a long form is at most 20 words, and
    a whole document's text is not scanned again for every parenthesis.
    """
    start = max(0, end - _LOOK_BACK)
    for boundary in _SENTENCE_END.finditer(text, start, end):
        start = boundary.end()
    words = [m.group() for m in _WORD.finditer(text, start, end)]
    return " ".join(words[-min(len(short) + 5, 2 * len(short)) :])


def _definitions_at(text: str) -> Iterator[tuple[int, Definition]]:
    for match in _PARENTHESES.finditer(text):
        inside = re.split(r"[;,]", match.group(1), maxsplit=1)[0].strip()
        if is_short_form(inside):
            long = match_long_form(inside, _words_before(text, match.start(), inside))
            if long is not None:
                yield match.start(), Definition(inside, long)
        elif len(inside.split()) > 2:
            before = text[: match.start()].split()
            short = before[-1].strip("\"'“”‘’") if before else ""
            long = match_long_form(short, inside) if is_short_form(short) else None
            if long is not None and long == " ".join(inside.split()):
                yield match.start(), Definition(short, long)


def find_definitions(text: str) -> list[Definition]:
    """Every definition `text` makes, in order, repeats included."""
    return [definition for _, definition in _definitions_at(text)]


def count_definitions(pieces: Iterable[tuple[int, str]]) -> tuple[DefinitionCount, ...]:
    """A document's definitions counted from its chunks, given with their start offsets.

    Chunks overlap: a definition is counted once per place in the document, so one in an
    overlap counts once. Long forms differing in case only count as one (the first written).
    """
    seen: set[tuple[int, str]] = set()
    counts: Counter[tuple[str, str]] = Counter()
    written: dict[tuple[str, str], str] = {}
    for offset, text in pieces:
        for position, definition in _definitions_at(text):
            if (offset + position, definition.short) in seen:
                continue
            seen.add((offset + position, definition.short))
            key = (definition.short, definition.long.casefold())
            written.setdefault(key, definition.long)
            counts[key] += 1
    return tuple(
        DefinitionCount(short, written[(short, folded)], count)
        for (short, folded), count in sorted(counts.items())
    )
