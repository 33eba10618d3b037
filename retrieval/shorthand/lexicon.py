"""Which long forms an abbreviation has: the corpus's own definitions, else the shipped list.

The list (cardiology_abbreviations.tsv, one row per sense, the most common cardiology sense
first) covers what papers and notes use without defining; a corpus that defines an
abbreviation itself ("heart failure with reduced ejection fraction (HFrEF)") puts its own
long forms first, most frequent first: they win unless the query's words speak of a listed one.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from retrieval.catalog.records import CorpusDefinition

LIST_FILE = Path(__file__).with_name("cardiology_abbreviations.tsv")
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Sense:
    """One long form of an abbreviation, and whether the corpus or the list gives it."""

    long: str
    source: str  # "corpus" or "list"


def long_form_tokens(text: str) -> tuple[str, ...]:
    """The words of a long form as matched in a query: case, hyphens and punctuation folded."""
    return tuple(_TOKEN.findall(text.casefold()))


@functools.cache
def listed_senses(path: Path = LIST_FILE) -> dict[str, tuple[str, ...]]:
    """The shipped list: each abbreviation's long forms, in the list's order."""
    senses: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            senses[row["short"]].append(row["long"])
    return {short: tuple(longs) for short, longs in senses.items()}


def _joined(long: str) -> str:
    return "".join(long_form_tokens(long))


def _as_written_mid_sentence(long: str) -> str:
    """A long form that opened a sentence, in lower case ("Heart failure ..."); names kept."""
    words = long.split()
    capitalised_later = any(word[:1].isupper() for word in words[1:])
    if words[0][:1].isupper() and words[0][1:].islower() and not capitalised_later:
        return long[0].lower() + long[1:]
    return long


def corpus_senses(
    defined: Iterable[CorpusDefinition], listed: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """The corpus's definitions: per abbreviation, its long forms, most often defined first.

    A long form the list also gives is written as the list writes it (a PDF's lost spaces:
    "leftventricular ejection fraction"), and goes first on a tie.
    """
    counts: dict[str, dict[str, tuple[int, int, bool, str]]] = defaultdict(dict)
    for definition in defined:
        long = _as_written_mid_sentence(definition.long)
        folded = long_form_tokens(long)
        # The list's spelling of the same words ("leftventricular" from a PDF's lost space).
        same = [s for s in listed.get(definition.short, ()) if _joined(s) == "".join(folded)]
        in_list = bool(same)
        long, folded = (same[0], long_form_tokens(same[0])) if same else (long, folded)
        count, documents, _, written = counts[definition.short].get(
            " ".join(folded), (0, 0, in_list, long)
        )
        counts[definition.short][" ".join(folded)] = (
            count + definition.count,
            documents + definition.documents,
            in_list,
            written,
        )
    return {
        short: tuple(senses[-1] for senses in sorted(longs.values(), reverse=True))
        for short, longs in counts.items()
    }


class Lexicon:
    """Abbreviations and their senses, looked up either way (short -> long, long -> short)."""

    def __init__(
        self,
        listed: Mapping[str, tuple[str, ...]],
        defined: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.senses: dict[str, tuple[Sense, ...]] = {
            short: tuple(Sense(long, "list") for long in longs) for short, longs in listed.items()
        }
        for short, longs in defined.items():
            # The corpus's own senses first: they win unless the query speaks of a listed one
            # (a corpus of rare diseases defines AS as ankylosing spondylitis; "severe AS
            # before valve replacement" is still aortic stenosis).
            own = tuple(Sense(long, "corpus") for long in longs)
            folded = {long_form_tokens(long) for long in longs}
            listed_too = tuple(
                sense
                for sense in self.senses.get(short, ())
                if long_form_tokens(sense.long) not in folded
            )
            self.senses[short] = own + listed_too
        self._folded: dict[str, list[str]] = defaultdict(list)
        # A long form's words -> the abbreviations it has, each with where it comes from.
        self.shorts_of: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
        for short, senses in self.senses.items():
            self._folded[short.casefold()].append(short)
            for sense in senses:
                words = long_form_tokens(sense.long)
                # One-word long forms only for real abbreviations ("hypertension" -> HTN),
                # never "with" -> "w/" or "history" -> "Hx".
                if len(words) > 1 or sum(c.isupper() for c in short) >= 2:
                    self.shorts_of[words].append((short, sense.source))
        self.longest = max((len(words) for words in self.shorts_of), default=0)

    def short_form(self, token: str) -> str | None:
        """The abbreviation `token` is, as the lexicon writes it, or None.

        A token matches as typed; in another case only when typed all in capitals ("HFREF")
        or all in lower case and four characters or more ("cabg", "nstemi"). So "as", "ms"
        or "pe" stay words, and so does a capitalised word opening a sentence ("Does" is not
        DOE).
        """
        if token in self.senses:
            return token
        if not (token.isupper() or (token.islower() and len(token) >= 4)):
            return None
        matches = self._folded.get(token.casefold(), [])
        return matches[0] if len(matches) == 1 else None


def corpus_lexicon(defined: Iterable[CorpusDefinition]) -> Lexicon:
    """The shipped list overridden by a corpus's own definitions."""
    listed = listed_senses()
    return Lexicon(listed, corpus_senses(defined, listed))
