"""The unit of training and of the separation score: a query and a passage that answers it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextPair:
    """A query, a passage that answers it, and optionally one that does not."""

    query: str
    positive: str
    negative: str | None = None


def headed(header: str, passage: str) -> str:
    """A passage as its dense vector embeds it: behind its context header, if it has one."""
    return f"{header}\n{passage}" if header else passage
