"""What bounds a request's cost: how deep it reaches (`max_results`), and its timeout's words.

A search's cost grows with its depth (offset + k) and with the candidates each hybrid branch
fetches, so both are refused past the limit before any work starts.
"""

from __future__ import annotations

from retrieval.errors import RequestTooLargeError
from retrieval.search.request import DEFAULT_CANDIDATES, SearchRequest


def check_depth(request: SearchRequest, limit: int) -> None:
    """Refuse a request that reaches past result `limit` or fetches more candidates.

    Raises:
        RequestTooLargeError: offset + k, or candidates, past `limit` (naming the argument).
    """
    if request.depth > limit:
        argument = "offset" if request.offset > limit else "k"
        raise RequestTooLargeError(
            argument,
            getattr(request, argument),
            limit,
            problem=f"offset + k = {request.depth} reaches past result {limit}",
            allowed=f"values with offset + k <= {limit}",
        )
    # The default prefetch stays allowed under a smaller limit; it widens to the depth.
    if request.candidates > max(limit, DEFAULT_CANDIDATES):
        raise RequestTooLargeError(
            "candidates",
            request.candidates,
            limit,
            problem=f"each hybrid branch would fetch more than {limit} chunks",
            allowed=f"at most {max(limit, DEFAULT_CANDIDATES)}",
        )


def describe(request: SearchRequest, model_id: str) -> str:
    """The request in a few words, for a timeout's message."""
    query = request.query if len(request.query) <= 40 else request.query[:37] + "..."
    return (
        f"{request.mode} search with {model_id} for {query!r} "
        f"(k={request.k}, offset={request.offset})"
    )
