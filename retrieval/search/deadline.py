"""A request's time limit, checked between the steps of a search.

Qdrant Edge runs a query in this process with no timeout of its own, and a running query
cannot be interrupted; so every step is bounded in size (`max_results`), a server is given
the time that is left, and the deadline is checked after each step, failing the request
rather than returning late or partial hits.
"""

from __future__ import annotations

import math
import time

from retrieval.errors import SearchTimeoutError


class Deadline:
    """When a request must be done by.

    Example:
        >>> deadline = Deadline(5.0, "dense search for 'syncope' (k=10)")
        >>> deadline.check()  # raises SearchTimeoutError once 5 s have passed
        >>> 0 < deadline.remaining_s() <= 5.0
        True
    """

    def __init__(self, seconds: float, request: str) -> None:
        self.seconds = seconds
        self.request = request
        self._started = time.monotonic()

    def elapsed_s(self) -> float:
        """Seconds since the request began."""
        return time.monotonic() - self._started

    def remaining_s(self) -> float:
        """Seconds left (negative once past)."""
        return self.seconds - self.elapsed_s()

    def whole_seconds_left(self) -> int:
        """The time left rounded up, at least 1 (a Qdrant server takes whole seconds)."""
        return max(1, math.ceil(self.remaining_s()))

    def check(self) -> None:
        """Raise SearchTimeoutError if the time is up.

        Raises:
            SearchTimeoutError: Naming the request, the time it took and the limit.
        """
        elapsed = self.elapsed_s()
        if elapsed > self.seconds:
            raise SearchTimeoutError(self.request, elapsed, self.seconds)
