"""Near-duplicate filtering and MMR on vectors: exact checks against the definitions."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from langchain_core.vectorstores.utils import maximal_marginal_relevance

import retrieval.search.diversity
from retrieval.search.diversity import NearDuplicateFilter, mmr_order
from retrieval.store.interface import ScoredChunk


def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(retrieval.search.diversity, verbose=False)
    assert tried and not failures


def unit_vectors(count: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("lambda_mult", [0.0, 0.3, 0.5, 1.0])
def test_mmr_picks_what_langchains_definition_picks(lambda_mult: float) -> None:
    vectors, query = unit_vectors(60, 16, seed=1), unit_vectors(1, 16, seed=2)[0]
    expected = maximal_marginal_relevance(query, vectors.tolist(), lambda_mult, 12)
    assert mmr_order(query, vectors, lambda_mult, 12) == expected


def test_pages_keep_what_one_pass_keeps() -> None:
    base = unit_vectors(40, 8, seed=3)
    # Every fifth chunk nearly repeats an earlier one (vector and words); every seventh repeats
    # a text.
    vectors = [base[i] if i % 5 else base[max(i - 3, 0)] * 0.999 + 0.001 for i in range(40)]
    texts = [
        f"chunk {0 if i % 7 == 0 else i} of forty this test passes to the filter in pages"
        for i in range(40)
    ]
    texts = [f"{texts[i - 3]} again" if i and not i % 5 else t for i, t in enumerate(texts)]
    chunks = [
        ScoredChunk(str(i), 1 - i / 100, text, dense=tuple(v))
        for i, (text, v) in enumerate(zip(texts, vectors, strict=True))
    ]
    whole = [c.chunk_id for c in NearDuplicateFilter(capacity=25).admit(chunks)]
    paged = NearDuplicateFilter(capacity=25)
    by_pages = [
        c.chunk_id for start in range(0, 40, 9) for c in paged.admit(chunks[start : start + 9])
    ]
    assert by_pages == whole and len(whole) == 25
    assert "0" in whole and "7" not in whole and "5" not in whole


def test_rows_of_one_table_are_not_copies_of_each_other() -> None:
    """Caption and header row repeat in every piece of a table; the rows differ."""
    head = (
        "Table 1 Efficacy of the four heart failure pillars for younger and older subjects\n"
        "| Class of drugs | Name of the drug | Lead trial(s) | Efficacy young vs elderly |\n"
    )
    rows = [
        "| Mineralocorticoid receptor antagonist (MRA) | Spironolactone Eplerenone | RALES |"
        " CV death/HHF Age < 75 years: .66 (.58–.74) |",
        "| Sodium–glucose co-transporter 2 inhibitor (SGLT2i) | Dapagliflozin Empagliflozin |"
        " DAPA-HF DELIVER | CV death/HHF Age ≥ 65 years: .77 (.71–.83) |",
    ]
    vector = tuple(unit_vectors(1, 8, seed=4)[0])
    pieces = [ScoredChunk(str(i), 0.9, head + row, dense=vector) for i, row in enumerate(rows)]
    repeat = ScoredChunk("2", 0.8, head + rows[1].replace("DAPA-HF", "DAPA-HF,"), dense=vector)
    kept = NearDuplicateFilter(capacity=10).admit([*pieces, repeat])
    assert [c.chunk_id for c in kept] == ["0", "1"]
