"""One table, one answer: at most two pieces of one table among the first hits.

A table too long for one chunk is cut between rows, and every piece repeats the caption and
the header row (`ingest.chunking`). For a question about one row, the pieces all match the
caption, so the top of the list filled with pieces of one table while the passage (or the
row) that answers sat below them (ehag110.pdf's Tables 1 and 2 took the top 6 of a question
about the four pillars in the elderly). Pieces past the limit move down, just below the first
hits: they are still there for whoever reads on, in the order they came.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence

from retrieval.search.hits import Hit

# How many of the first hits the rule looks at, and how many pieces of one table they hold.
SPREAD_TOP = 5
PIECES_PER_TABLE = 2
# A search that spreads tables ranks this many hits at least, so pieces moved down have hits
# to make room for.
SPREAD_REACH = 20
# The rule (the Markdown header row) that closes a table piece's caption and header.
_HEADER_RULE = "\n| ---"
# How the PDF reader ends the caption of a table's part continued on a later page
# (`ingest.pdf.tables.continue_tables`): its pieces are pieces of the same table.
CONTINUED_CAPTION_END = " (continued)"
_CONTINUED = re.compile(re.escape(CONTINUED_CAPTION_END) + "$", re.MULTILINE)


def table_of(hit: Hit) -> tuple[str, str] | None:
    """The table a hit is a piece of (its document, caption and header), or None for prose."""
    head, rule, _ = hit.text.partition(_HEADER_RULE)
    return (hit.doc_id, _CONTINUED.sub("", head, count=1)) if rule else None


def spread_table_pieces(
    hits: Sequence[Hit], top: int = SPREAD_TOP, per_table: int = PIECES_PER_TABLE
) -> list[Hit]:
    r"""Hits ranked from 1 with at most `per_table` pieces of one table among the first `top`.

    Example:
        >>> piece = dict(doc_id="a.pdf", score=1.0, title="", source="a.pdf", section=None,
        ...              page_start=1, page_end=1, doc_type="article")
        >>> table = [Hit(f"t{i}", rank=i, text=f"Table 1\n| a |\n| --- |\n| {i} |", **piece)
        ...          for i in (1, 2, 3)]
        >>> prose = Hit("p", rank=4, text="The row that answers.", **piece)
        >>> [(hit.chunk_id, hit.rank) for hit in spread_table_pieces([*table, prose], top=3)]
        [('t1', 1), ('t2', 2), ('p', 3), ('t3', 4)]
    """
    first: list[Hit] = []
    moved: list[Hit] = []
    pieces: Counter[tuple[str, str]] = Counter()
    seen = 0
    for hit in hits:
        if len(first) == top:
            break
        seen += 1
        table = table_of(hit)
        if table is not None:
            if pieces[table] == per_table:
                moved.append(hit)
                continue
            pieces[table] += 1
        first.append(hit)
    ranked = [*first, *moved, *hits[seen:]]
    return [dataclasses.replace(hit, rank=rank) for rank, hit in enumerate(ranked, start=1)]
