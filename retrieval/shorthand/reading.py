"""How a query is read: its abbreviations spelled out, its long forms abbreviated.

Neither encoder links "HFrEF" to "heart failure with reduced ejection fraction" (cosine
0.08), and BM25 cannot: a query in one form misses passages written in the other. The
reading adds the other form where it helps (`Sides`, chosen by measurement: see
docs/shorthand.md); the reranker and the answer's sentences still read the query as typed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from retrieval.shorthand.definitions import FUNCTION_WORDS
from retrieval.shorthand.lexicon import Lexicon, Sense, long_form_tokens
from retrieval.store.sparse import Bm25Encoder, SparseVector

# How much an abbreviation added for a long form counts in BM25, against the query's own
# words: at full weight it outweighed a question's other words on medquad_cardio_dev (every
# answer about one condition names its abbreviation; docs/shorthand.md).
ABBREVIATION_WEIGHT = 0.5
# A query's words as typed, with their spans; outer punctuation is not part of a word.
_TYPED = re.compile(r"[^\s()\[\]{},;:?!\"“”]+")
_TRAILING = ".'’"


# Which long forms of a query get their abbreviation in the dense text: none, those whose
# abbreviation the corpus itself defines (its documents then write it), or every one.
DenseShort = Literal["never", "corpus", "always"]


@dataclass(frozen=True, slots=True)
class Sides:
    """Where the other form goes: the dense text, the BM25 text (either direction)."""

    dense_long: bool = True  # "HFrEF" -> "heart failure with reduced ... (HFrEF)" for the encoder
    sparse_long: bool = True  # "HFrEF" -> its long form's words added for BM25
    sparse_short: bool = True  # "heart failure" -> "HF" added for BM25
    # "usual care" -> "usual care (UC)" for the encoder: off. For every long form the list
    # knows ("always") it cost medquad_cardio_dev's dense nDCG@10 0.018; only where the corpus
    # defines the abbreviation ("corpus"), hybrid 0.023 against "never" (docs/shorthand.md)
    dense_short: DenseShort = "never"


@dataclass(frozen=True, slots=True)
class Expansion:
    """One abbreviation or long form of the query, and the form it was also read as."""

    written: str
    read_as: str
    abbreviation: bool  # the query wrote the abbreviation (else the long form)
    source: str  # "corpus" (its own definition) or "list" (the shipped list)

    def describe(self) -> str:
        """A line for the person who typed it."""
        if self.abbreviation:
            return f"{self.written} read as {self.read_as}"
        return f"{self.written} also searched as {self.read_as}"


@dataclass(frozen=True, slots=True)
class QueryReading:
    """The query as typed, the texts each side searches with, and what was expanded.

    BM25 searches `sparse_text` (the query and the long forms of its abbreviations) at full
    weight and `sparse_abbreviations` (the abbreviations of its long forms) at
    `ABBREVIATION_WEIGHT`.
    """

    query: str
    dense_text: str
    sparse_text: str
    expansions: tuple[Expansion, ...] = ()
    sparse_abbreviations: str = ""

    def sparse_query(self, bm25: Bm25Encoder) -> SparseVector:
        """BM25's query vector: the abbreviations added for long forms count less."""
        return bm25.embed_query(self.sparse_text, self.sparse_abbreviations, ABBREVIATION_WEIGHT)

    @property
    def searched_words(self) -> str:
        """Every word BM25 looks for: what a hit's matched words are drawn from."""
        return f"{self.sparse_text} {self.sparse_abbreviations}".strip()

    def describe(self) -> str:
        """'HFrEF read as heart failure with reduced ejection fraction; ...' ('' if nothing)."""
        return "; ".join(expansion.describe() for expansion in self.expansions)

    def record(self) -> dict[str, Any]:
        """The reading as JSON output gives it."""
        return {
            "dense_text": self.dense_text,
            "sparse_text": self.sparse_text,
            "sparse_abbreviations": self.sparse_abbreviations,
            "expansions": [asdict(expansion) for expansion in self.expansions],
            "description": self.describe(),
        }


def as_typed(query: str) -> QueryReading:
    """The query read as typed, nothing added (expansion off)."""
    return QueryReading(query, query, query)


def _typed_short(lexicon: Lexicon, word: str) -> tuple[str, bool] | None:
    """The abbreviation a typed word is, and whether it is its plural ("PVCs", "ICDs")."""
    word = word.rstrip(_TRAILING)
    found = lexicon.short_form(word)
    if found is not None:
        return found, False
    plural = lexicon.short_form(word[:-1]) if word.endswith("s") and len(word) > 2 else None
    return None if plural is None else (plural, True)


def _best_sense(senses: tuple[Sense, ...], context: set[str]) -> Sense:
    """The sense sharing most words with the rest of the query; ties: the first listed."""
    return max(
        senses,
        key=lambda sense: len((set(long_form_tokens(sense.long)) - FUNCTION_WORDS) & context),
    )


def _long_forms(
    lexicon: Lexicon, query: str, taken: list[tuple[int, int]]
) -> list[tuple[int, int, list[Expansion]]]:
    """The lexicon's long forms written in the query (longest first, not overlapping)."""
    words = [
        (m.group().casefold(), m.start(), m.end()) for m in re.finditer(r"[A-Za-z0-9]+", query)
    ]
    found, i = [], 0
    while i < len(words):
        for n in range(min(lexicon.longest, len(words) - i), 0, -1):
            start, end = words[i][1], words[i + n - 1][2]
            shorts = lexicon.shorts_of.get(tuple(w for w, _, _ in words[i : i + n]))
            if shorts and not any(s < end and start < e for s, e in taken):
                written = query[start:end]
                expansions = [
                    Expansion(written, short, abbreviation=False, source=source)
                    for short, source in shorts
                ]
                found.append((start, end, expansions))
                i += n - 1
                break
        i += 1
    return found


def _for_the_encoder(expansion: Expansion, dense_short: DenseShort) -> bool:
    """Whether a long form's abbreviation goes into the dense text."""
    return dense_short == "always" or (dense_short == "corpus" and expansion.source == "corpus")


def read_query(query: str, lexicon: Lexicon, sides: Sides = Sides()) -> QueryReading:
    """The query with its abbreviations spelled out and its long forms abbreviated."""
    words = list(_TYPED.finditer(query))
    context = {w for m in words for w in long_form_tokens(m.group())}
    # (start, end, expansions, the dense text's words for that span)
    spans: list[tuple[int, int, list[Expansion], str]] = []
    for match in words:
        typed = _typed_short(lexicon, match.group())
        if typed is None:
            continue
        sense = _best_sense(lexicon.senses[typed[0]], context)
        long = f"{sense.long}s" if typed[1] and not sense.long.endswith("s") else sense.long
        written = match.group().rstrip(_TRAILING)
        expansion = Expansion(written, long, abbreviation=True, source=sense.source)
        end = match.start() + len(written)
        spans.append((match.start(), end, [expansion], f"{long} ({written})"))
    for start, end, expansions in _long_forms(lexicon, query, [(s, e) for s, e, _, _ in spans]):
        dense_shorts = [e.read_as for e in expansions if _for_the_encoder(e, sides.dense_short)]
        written = expansions[0].written
        spelled = f"{written} ({dense_shorts[0]})" if dense_shorts else written
        spans.append((start, end, expansions, spelled))
    spans.sort(key=lambda span: span[0])
    dense = query
    for start, end, expansions, spelled in reversed(spans):  # right to left: spans stay valid
        if sides.dense_long or not expansions[0].abbreviation:
            dense = f"{dense[:start]}{spelled}{dense[end:]}"
    found = tuple(expansion for *_, expansions, _ in spans for expansion in expansions)
    longs = [e.read_as for e in found if e.abbreviation and sides.sparse_long]
    shorts = [e.read_as for e in found if not e.abbreviation and sides.sparse_short]
    return QueryReading(query, dense, " ".join([query, *longs]), found, " ".join(shorts))
