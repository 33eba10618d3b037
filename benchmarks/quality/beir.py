"""A BEIR-format evaluation set: `corpus.jsonl`, `queries.jsonl` and `qrels/test.tsv`, checked."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class BeirFormatError(ValueError):
    """A folder that is not in BEIR format."""


@dataclass(frozen=True, slots=True)
class QrelsIssues:
    """Qrels lines that name a query or document the set does not have: skipped and counted."""

    unknown_queries: int = 0
    unknown_documents: int = 0
    queries_without_qrels: int = 0

    def as_dict(self) -> dict[str, int]:
        """For the run's JSON document."""
        return {
            "unknown_queries": self.unknown_queries,
            "unknown_documents": self.unknown_documents,
            "queries_without_qrels": self.queries_without_qrels,
        }


@dataclass(frozen=True, slots=True)
class BeirSet:
    """A BEIR-format evaluation set: query texts by id and graded qrels by query id."""

    name: str
    corpus_file: Path
    documents: int
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    issues: QrelsIssues = field(default_factory=QrelsIssues)

    @property
    def files(self) -> list[Path]:
        """The three files whose bytes make the set's identity."""
        folder = self.corpus_file.parent
        return [self.corpus_file, folder / "queries.jsonl", folder / "qrels" / "test.tsv"]


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(path.open(encoding="utf-8"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise BeirFormatError(f"{path}:{number}: not JSON ({err.msg})") from err
        if not isinstance(record, dict) or "_id" not in record:
            raise BeirFormatError(f'{path}:{number}: a record needs an "_id"')
        yield number, record


def _read_qrels(path: Path) -> Iterator[tuple[str, str, int]]:
    """(query id, document id, grade) of each line after the header."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number == 1 or not line.strip():
            continue
        fields = line.split("\t")
        try:
            query_id, doc_id, grade = fields
            yield query_id, doc_id, int(grade)
        except ValueError as err:
            raise BeirFormatError(
                f"{path}:{number}: expected query-id, corpus-id and an integer score "
                f"separated by tabs, got {line[:80]!r}"
            ) from err


def read_beir(folder: Path) -> BeirSet:
    """Read the corpus ids, `queries.jsonl` and `qrels/test.tsv` (with its header).

    Only queries with at least one qrel are kept, as BEIR evaluates them. Qrels naming an
    unknown query or document are skipped and counted in `issues`, not fatal: public sets
    often carry a few.

    Raises:
        BeirFormatError: When a file of the layout is missing or malformed, or no query is
            left to evaluate.
    """
    files = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / "test.tsv"]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise BeirFormatError(f"{folder} is not a BEIR folder: missing {', '.join(missing)}")
    corpus_file, queries_file, qrels_file = files
    doc_ids = {str(record["_id"]) for _, record in _jsonl_records(corpus_file)}
    all_queries = {
        str(record["_id"]): str(record.get("text", ""))
        for _, record in _jsonl_records(queries_file)
    }
    qrels: dict[str, dict[str, int]] = {}
    unknown_queries = unknown_documents = 0
    for query_id, doc_id, grade in _read_qrels(qrels_file):
        if query_id not in all_queries:
            unknown_queries += 1
        elif doc_id not in doc_ids:
            unknown_documents += 1
        else:
            qrels.setdefault(query_id, {})[doc_id] = grade
    queries = {query_id: all_queries[query_id] for query_id in qrels if all_queries[query_id]}
    qrels = {query_id: qrels[query_id] for query_id in queries}
    if not queries:
        raise BeirFormatError(
            f"{folder}: no query to evaluate ({len(all_queries)} queries in {queries_file.name}, "
            f"none with a known document in {qrels_file.name})"
        )
    issues = QrelsIssues(unknown_queries, unknown_documents, len(all_queries) - len(queries))
    if unknown_queries or unknown_documents:
        logger.warning(
            "%s: skipped %d qrels of unknown queries and %d of unknown documents",
            qrels_file,
            unknown_queries,
            unknown_documents,
        )
    return BeirSet(folder.name, corpus_file, len(doc_ids), queries, qrels, issues)
