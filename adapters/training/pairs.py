"""Training pairs: read them from JSONL or CSV, drop evaluation queries, split off a held-out set.

A pair is a query and a passage that answers it, optionally with a passage that does not
(a hard negative). Multiple Negatives Ranking loss needs nothing else: the other pairs'
passages in a batch serve as negatives.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.errors import PairsFileError
from adapters.training.span_pairs import passage_span_pairs
from adapters.training.text_pair import TextPair, headed


@dataclass(frozen=True, slots=True)
class PairFields:
    """Which columns of a pairs file hold the texts; `negative` is optional in every row.

    `positive_title` names a column (e.g. MedQuAD's `title`) that goes in front of the
    positive passage, as the context header does for the vectors an adapter will serve.
    """

    query: str = "query"
    positive: str = "positive"
    negative: str = "negative"
    positive_title: str | None = None


def _text(row: dict[str, object], column: str, role: str, path: Path, line: int) -> str:
    if column not in row:
        raise PairsFileError(path, line, f"no {column!r} field (the {role} text)")
    value = row[column]
    if not isinstance(value, str) or not value.strip():
        raise PairsFileError(path, line, f"empty {column!r} field (the {role} text)")
    return value.strip()


def _pair_from_row(row: dict[str, object], fields: PairFields, path: Path, line: int) -> TextPair:
    negative = row.get(fields.negative)
    if negative is not None and not isinstance(negative, str):
        raise PairsFileError(path, line, f"{fields.negative!r} must be text")
    title = row.get(fields.positive_title) if fields.positive_title else None
    if title is not None and not isinstance(title, str):
        raise PairsFileError(path, line, f"{fields.positive_title!r} must be text")
    return TextPair(
        _text(row, fields.query, "query", path, line),
        headed((title or "").strip(), _text(row, fields.positive, "positive", path, line)),
        (negative or "").strip() or None,
    )


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise PairsFileError(path, number, f"not valid JSON ({err.msg})") from err
            if not isinstance(row, dict):
                raise PairsFileError(path, number, "expected a JSON object")
            yield number, row


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            # line_num is the line the row ended on: right for one-line rows, the last
            # line of a row whose quoted field spans lines.
            yield reader.line_num, {key: value for key, value in row.items() if key is not None}


def read_pairs(path: Path, fields: PairFields | None = None) -> list[TextPair]:
    """Every pair of a `.jsonl` or `.csv` file, in file order.

    Raises:
        PairsFileError: On the first row with a missing field or an empty text (with its line
            number), an unreadable file, or a file with no pairs.
    """
    fields = fields or PairFields()
    readers = {".jsonl": _jsonl_rows, ".csv": _csv_rows}
    if path.suffix.lower() not in readers:
        raise PairsFileError(path, None, "pairs files must be .jsonl or .csv")
    try:
        pairs = [
            _pair_from_row(row, fields, path, line)
            for line, row in readers[path.suffix.lower()](path)
        ]
    except OSError as err:
        raise PairsFileError(path, None, f"cannot read: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise PairsFileError(path, None, "not UTF-8 text") from err
    if not pairs:
        raise PairsFileError(path, None, "holds no pairs")
    return pairs


def normalise_query(text: str) -> str:
    """Case- and whitespace-insensitive form, so "What causes X ?" matches "what causes x?"."""
    return re.sub(r"\s+", "", text.casefold())


def read_query_texts(path: Path) -> set[str]:
    """Normalised query texts of a BEIR `queries.jsonl` (field `text`) or a plain text file."""
    if path.is_dir():
        path = path / "queries.jsonl"
    try:
        if path.suffix.lower() == ".jsonl":
            return {normalise_query(str(row.get("text", ""))) for _, row in _jsonl_rows(path)}
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise PairsFileError(path, None, f"cannot read: {err.strerror}") from err
    return {normalise_query(line) for line in lines if line.strip()}


def without_queries(pairs: Iterable[TextPair], excluded: set[str]) -> list[TextPair]:
    """The pairs whose query is not one of `excluded` (normalised texts)."""
    return [pair for pair in pairs if normalise_query(pair.query) not in excluded]


def pair_fingerprint(pair: TextPair) -> str:
    """A short hash of a pair's texts: how an adapter's record names its held-out pairs."""
    text = f"{normalise_query(pair.query)}\x00{pair.positive}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _heldout_bucket(query: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}\x00{normalise_query(query)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_heldout(
    pairs: Iterable[TextPair], fraction: float, seed: int
) -> tuple[list[TextPair], list[TextPair]]:
    """(train, held-out) by a hash of the normalised query.

    Hashing the query, not the row, keeps every pair of one question on the same side, and
    the split is the same on every machine for the same seed, so `adapters eval` can rebuild
    the held-out set from the pairs file and the seed in the model card.
    """
    train: list[TextPair] = []
    heldout: list[TextPair] = []
    for pair in pairs:
        (heldout if _heldout_bucket(pair.query, seed) < fraction else train).append(pair)
    return train, heldout


HELDOUT_MAX = 1000  # enough for a stable score; each evaluation encodes all of them


@dataclass(frozen=True, slots=True)
class TrainingData:
    """Pairs split into train and held-out, and where they came from (for the model card)."""

    train: list[TextPair]
    heldout: list[TextPair]
    sources: dict[str, Any] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def training_data(
    files: Sequence[Path],
    *,
    fields: PairFields | None = None,
    exclude: Sequence[Path] = (),
    extra: Sequence[TextPair] = (),
    extra_label: str = "",
    heldout_fraction: float = 0.05,
    max_pairs: int | None = None,
    passage_spans: int = 0,
    seed: int = 42,
) -> TrainingData:
    """Read, drop evaluation queries, split by query hash, then cap the training side.

    `extra` pairs (e.g. mined from a corpus) and `passage_spans` span pairs mined from the
    kept pairs' passages are held out in the same proportion. Passage spans add
    statement-to-passage pairs to question-to-answer ones, so the adapter does not learn that
    only questions find passages. `max_pairs` thins the files' pairs only: mined pairs are
    few and chosen on purpose, so all of them train.
    """
    pairs: list[TextPair] = []
    described: list[str] = []
    for path in files:
        read = read_pairs(path, fields)
        described.append(f"{path.name}: {len(read)} pairs (sha256 {_sha256(path)[:16]})")
        pairs += read
    excluded: set[str] = set()
    for path in exclude:
        excluded |= read_query_texts(path)
    kept = without_queries(pairs, excluded)
    if extra:
        described.append(f"{extra_label or 'self-supervised'}: {len(extra)} pairs")
    spans = passage_span_pairs([pair.positive for pair in kept], passage_spans, seed=seed)
    if spans:
        described.append(f"passages of the pairs above: {len(spans)} span pairs")
    train, heldout = split_heldout(kept, heldout_fraction, seed)
    mined_train, mined_heldout = split_heldout([*extra, *spans], heldout_fraction, seed)
    rng = random.Random(seed)
    if max_pairs is not None and len(train) + len(mined_train) > max_pairs:
        train = rng.sample(train, max(0, max_pairs - len(mined_train)))
    train += mined_train
    heldout += mined_heldout
    if len(heldout) > HELDOUT_MAX:
        heldout = rng.sample(heldout, HELDOUT_MAX)
    return TrainingData(
        train,
        heldout,
        {
            "files": described,
            "excluded_queries": len(pairs) - len(kept),
            "exclude_files": [path.name for path in exclude],
            "fields": {
                "query": fields.query if fields else "query",
                "positive": fields.positive if fields else "positive",
                "negative": fields.negative if fields else "negative",
            },
            "heldout_fraction": heldout_fraction,
            "max_pairs": max_pairs,
            "passage_spans": len(spans),
            "split_seed": seed,
        },
    )
