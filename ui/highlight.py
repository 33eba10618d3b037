"""Chunk text as safe Markdown, with the words that match the query highlighted.

A word is highlighted when BM25's analysis (lower case, stop words, Snowball stems) maps it to
a term of the query, so "valves" in the query lights up "valve" and "Valves" in the text.
"""

from __future__ import annotations

import functools
import re

from retrieval.sparse import Bm25Encoder

_WORD = re.compile(r"[\w-]+")
# Characters Streamlit's Markdown would read as syntax (emphasis, links, directives, HTML, math).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>$~:])")


@functools.cache
def _bm25() -> Bm25Encoder:
    return Bm25Encoder()


@functools.lru_cache(maxsize=1 << 16)
def _terms(word: str) -> frozenset[int]:
    return frozenset(_bm25().embed_query(word).indices)


def _escape(fragment: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", fragment)


def escape_markdown(text: str) -> str:
    """Text that Markdown shows verbatim (line breaks folded to spaces)."""
    return _escape(" ".join(text.split()))


def highlight(text: str, query: str) -> str:
    """`text` as Markdown with every word that matches a query term marked."""
    wanted = _terms(query)
    parts: list[str] = []
    position = 0
    flat = " ".join(text.split())
    for match in _WORD.finditer(flat):
        parts.append(_escape(flat[position : match.start()]))
        word = match.group(0)
        terms = _terms(word)
        escaped = _escape(word)
        parts.append(f":orange-background[{escaped}]" if terms and terms <= wanted else escaped)
        position = match.end()
    parts.append(_escape(flat[position:]))
    return "".join(parts)
