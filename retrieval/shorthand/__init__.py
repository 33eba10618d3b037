"""Clinical shorthand: abbreviations a corpus defines, a shipped list, and how a query is read.

`find_definitions` finds "long form (SHORT)" and "SHORT (long form)" in a text (Schwartz–
Hearst); the catalog keeps each document's. `corpus_lexicon` puts a corpus's definitions over
the shipped cardiology list; `read_query` spells a query's abbreviations out and abbreviates
its long forms, for the dense and BM25 sides that gain from it.
"""

from __future__ import annotations

from retrieval.shorthand.definitions import (
    Definition,
    DefinitionCount,
    count_definitions,
    find_definitions,
)
from retrieval.shorthand.lexicon import Lexicon, Sense, corpus_lexicon, listed_senses
from retrieval.shorthand.reading import Expansion, QueryReading, Sides, as_typed, read_query

__all__ = [
    "Definition",
    "DefinitionCount",
    "Expansion",
    "Lexicon",
    "QueryReading",
    "Sense",
    "Sides",
    "as_typed",
    "corpus_lexicon",
    "count_definitions",
    "find_definitions",
    "listed_senses",
    "read_query",
]
