"""Relevance judgments made in the app as a BEIR evaluation set: qrels and queries.

Corpus ids are chunk ids (the same in every model's collection), query ids a hash of the
query text, so judging the same query again adds to the same set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from retrieval.catalog.records import Judgment


def query_id(query: str) -> str:
    """A stable id for a query's text."""
    return "q-" + hashlib.sha256(query.encode("utf-8")).hexdigest()[:12]


def qrels_tsv(judgments: Sequence[Judgment]) -> str:
    """BEIR `qrels/<split>.tsv`: query-id, corpus-id (chunk id), score (1 relevant, 0 not)."""
    lines = ["query-id\tcorpus-id\tscore"]
    lines += [f"{query_id(j.query)}\t{j.chunk_id}\t{int(j.relevant)}" for j in judgments]
    return "\n".join(lines) + "\n"


def queries_jsonl(judgments: Sequence[Judgment]) -> str:
    """BEIR `queries.jsonl` for the judged queries, in the order they were first judged."""
    queries = dict.fromkeys(j.query for j in judgments)
    return "".join(json.dumps({"_id": query_id(q), "text": q}) + "\n" for q in queries)
