"""A corpus's query reader: the shipped abbreviation list under the corpus's own definitions.

The lexicon is rebuilt when the corpus's definitions change. Whether they did is asked of the
catalog at most every `RECHECK_S` seconds (a count over the corpus's definitions: cheap on the
demo, not free on a million chunks), so documents ingested while the app runs are read within
seconds and a search does no SQL in between.
"""

from __future__ import annotations

import threading
import time

from retrieval.catalog.documents import Catalog
from retrieval.shorthand import Lexicon, QueryReading, Sides, as_typed, corpus_lexicon, read_query

# Seconds between two checks of whether the corpus's definitions changed.
RECHECK_S = 5.0


class QueryReader:
    """Reads a corpus's queries with its lexicon, kept current with its definitions."""

    def __init__(self, catalog: Catalog, corpus: str, sides: Sides | None = None) -> None:
        self.catalog = catalog
        self.corpus = corpus
        self.sides = sides or Sides()  # the shipped sides (docs/shorthand.md, "Measured")
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._lexicon: Lexicon | None = None
        self._checked = -float("inf")  # time.monotonic() of the last check

    def lexicon(self) -> Lexicon:
        """The corpus's lexicon, rebuilt when its definitions changed (checked every few s)."""
        with self._lock:
            now = time.monotonic()
            if self._lexicon is not None and now - self._checked < RECHECK_S:
                return self._lexicon
            version = self.catalog.definitions_version(self.corpus)
            if self._lexicon is None or version != self._version:
                self._lexicon = corpus_lexicon(self.catalog.corpus_definitions(self.corpus))
                self._version = version
            self._checked = now
            return self._lexicon

    def read(self, query: str, *, expand: bool) -> QueryReading:
        """The query read with the lexicon, or as typed where `expand` is off."""
        return read_query(query, self.lexicon(), self.sides) if expand else as_typed(query)
