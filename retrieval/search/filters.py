"""User filters (`{"doc_type": ["textbook"], "page": (3, 5)}`) as store conditions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from retrieval.errors import InvalidRequestError, UnknownFilterError
from retrieval.parts import DOCUMENT_PARTS
from retrieval.store.interface import PAYLOAD_FIELDS
from retrieval.store.query import Condition, FieldExclude, FieldMatch, FieldRange

# `page` is a range over a chunk's pages; the rest are the chunk fields of the store layout.
CHUNK_FIELDS = PAYLOAD_FIELDS | {"page"}


def _range(key: str, value: Mapping[str, Any]) -> FieldRange:
    unknown = set(value) - {"gte", "lte"}
    if unknown:
        raise InvalidRequestError(
            "filters", {key: value}, f"for {key!r} a range with 'gte' and/or 'lte' (numbers)"
        )
    return FieldRange(key, gte=value.get("gte"), lte=value.get("lte"))


def _pages(value: Any) -> list[Condition]:
    """Chunks whose pages overlap [first, last]: page_start <= last and page_end >= first."""
    if isinstance(value, int):
        first = last = value
    elif isinstance(value, tuple | list) and len(value) == 2:
        first, last = value
    else:
        raise InvalidRequestError(
            "filters", {"page": value}, "for 'page' a page number or (first, last)"
        )
    return [FieldRange("page_start", lte=last), FieldRange("page_end", gte=first)]


def part_conditions(parts: Iterable[str] | None) -> tuple[Condition, ...]:
    """Conditions for chunks of the document `parts` asked for; None asks for every part.

    A chunk stored before parts were recorded has no `part` and counts as body: with body
    among `parts` the others are excluded (must_not), so such chunks still match.
    """
    if parts is None:
        return ()
    wanted = tuple(dict.fromkeys(parts))  # SearchRequest has checked them
    if "body" not in wanted:
        return (FieldMatch("part", wanted),)
    excluded = tuple(part for part in DOCUMENT_PARTS if part not in wanted)
    return (FieldExclude("part", excluded),) if excluded else ()


def to_conditions(filters: Mapping[str, Any] | None, known: Iterable[str]) -> tuple[Condition, ...]:
    """Conditions that must all hold; a field that no document has is an error, not no hits."""
    if not filters:
        return ()
    fields = set(CHUNK_FIELDS) | set(known)
    conditions: list[Condition] = []
    for key, value in filters.items():
        if key not in fields:
            raise UnknownFilterError(key, sorted(fields))
        if key == "page":
            conditions.extend(_pages(value))
        elif isinstance(value, Mapping):
            conditions.append(_range(key, value))
        elif isinstance(value, list | tuple | set | frozenset):
            conditions.append(FieldMatch(key, tuple(value)))
        else:
            conditions.append(FieldMatch(key, (value,)))
    return tuple(conditions)
