"""A corpus's query reader: the shipped abbreviation list under the corpus's own definitions.

The lexicon is rebuilt only when the corpus's definitions change (one small SQL count per
search tells), so documents ingested while the app runs are read at the next search.
"""

from __future__ import annotations

import threading

from retrieval.catalog.documents import Catalog
from retrieval.shorthand import Lexicon, QueryReading, Sides, as_typed, corpus_lexicon, read_query

# The sides that gained on the shorthand questions (docs/shorthand.md, "Which sides help").
EXPANDED_SIDES = Sides(dense_long=True, sparse_long=True, sparse_short=True, dense_short=False)


class QueryReader:
    """Reads a corpus's queries with its lexicon, kept current with its definitions."""

    def __init__(self, catalog: Catalog, corpus: str, sides: Sides = EXPANDED_SIDES) -> None:
        self.catalog = catalog
        self.corpus = corpus
        self.sides = sides
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._lexicon: Lexicon | None = None

    def lexicon(self) -> Lexicon:
        """The corpus's lexicon, rebuilt when its definitions changed since the last search."""
        version = self.catalog.definitions_version(self.corpus)
        with self._lock:
            if self._lexicon is None or version != self._version:
                self._lexicon = corpus_lexicon(self.catalog.corpus_definitions(self.corpus))
                self._version = version
            return self._lexicon

    def read(self, query: str, *, expand: bool) -> QueryReading:
        """The query read with the lexicon, or as typed where `expand` is off."""
        return read_query(query, self.lexicon(), self.sides) if expand else as_typed(query)
