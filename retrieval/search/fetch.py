"""How a request's chunks are drawn from the store: one page, or pages until enough are unique.

Duplicates are dropped before a page of hits is cut, so page 2 continues page 1's ranking;
the store is asked only as deep as that needs (offset + k, plus a margin for duplicates), and
every call gets the time left and is followed by a deadline check.
"""

from __future__ import annotations

import dataclasses

from retrieval.errors import SearchTimeoutError, StoreUnavailableError
from retrieval.search.deadline import Deadline
from retrieval.search.diversity import NearDuplicateFilter
from retrieval.store.interface import ScoredChunk, VectorStore
from retrieval.store.query import StoreQuery

# How much deeper than the hits wanted the store is asked at most, when duplicates (rare on
# real corpora) use up the first candidates.
DUPLICATE_REACH = 3


class StoreFetch:
    """Draws one request's ranked chunks from a collection, within the request's deadline."""

    def __init__(
        self, store: VectorStore, collection: str, query: StoreQuery, deadline: Deadline
    ) -> None:
        self.store = store
        self.collection = collection
        self.query = query
        self.deadline = deadline

    def _search(self, *, k: int, offset: int, with_dense: bool) -> list[ScoredChunk]:
        """One store call, ranks [offset, offset + k); hybrid prefetches cover all of them."""
        query = dataclasses.replace(
            self.query,
            k=k,
            offset=offset,
            candidates=max(self.query.candidates, offset + k),
            with_dense=with_dense,
            timeout_s=self.deadline.whole_seconds_left(),
        )
        try:
            found = self.store.search(self.collection, query)
        except StoreUnavailableError as error:
            if self.deadline.remaining_s() <= 0:
                raise SearchTimeoutError(
                    self.deadline.request, self.deadline.elapsed_s(), self.deadline.seconds
                ) from error
            raise
        self.deadline.check()
        # Equal fused scores (RRF gives ties when two lists swap two chunks) come back in any
        # order; the chunk id settles them so the same query always gives the same ranking.
        found.sort(key=lambda chunk: (-chunk.score, chunk.chunk_id))
        return found

    def page(self) -> list[ScoredChunk]:
        """The query's own page (`k` chunks after `offset`), as the store ranks them."""
        return self._search(k=self.query.k, offset=self.query.offset, with_dense=False)

    def ranked(self, depth: int, *, unique: bool, reach: int | None = None) -> list[ScoredChunk]:
        """The best `depth` chunks with their dense vectors, without duplicates if `unique`.

        Args:
            depth: How many chunks to return (fewer if the collection or filter has fewer).
            unique: Drop chunks that repeat a better one's text or meaning.
            reach: The deepest store rank to fetch; default `DUPLICATE_REACH * depth`.

        Returns:
            Chunks best first, each with its dense vector.
        """
        reach = reach or DUPLICATE_REACH * depth
        keep = NearDuplicateFilter(capacity=depth) if unique else None
        kept: list[ScoredChunk] = []
        fetched = 0
        # Most candidates are unique: ask for a quarter more than needed, then for the rest.
        size = min(reach, depth + depth // 4 + 10)
        while len(kept) < depth and fetched < reach:
            page = self._search(k=size, offset=fetched, with_dense=True)
            fetched += len(page)
            kept += page[: depth - len(kept)] if keep is None else keep.admit(page)
            self.deadline.check()
            if len(page) < size:
                break
            size = min(reach - fetched, 2 * (depth - len(kept)) + 10)
        return kept
