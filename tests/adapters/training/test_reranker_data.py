"""The reranker's training groups, from the real MedQuAD file and textbook: hard, and clean."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from adapters.training.pairs import normalise_query
from adapters.training.reranker.data import (
    QaRecord,
    kept_records,
    medquad_groups,
    read_medquad,
    split_by_topic,
    textbook_windows,
    window_groups,
)


@pytest.fixture(scope="module")
def records(shared_data: Path) -> list[QaRecord]:
    return read_medquad(shared_data / "medquad" / "medquad_visible.jsonl")


def word_overlap_neighbours(questions: Sequence[str], passages: Sequence[str]) -> np.ndarray:
    """Passages ranked by shared words: a first stage with no model, to keep the test fast."""
    words = [set(p.casefold().split()) for p in passages]
    scores = np.asarray(
        [[len(set(q.casefold().split()) & w) for w in words] for q in questions], dtype=float
    )
    return np.argsort(-scores, axis=1, kind="stable")[:, :30]


def test_every_question_about_an_evaluation_topic_is_dropped(
    records: list[QaRecord], shared_data: Path
) -> None:
    dev = shared_data / "eval" / "medquad_cardio_dev"
    kept, dropped = kept_records(records, [dev])
    dev_questions = {
        normalise_query(line.split('"text": "')[1].rsplit('"', 1)[0])
        for line in (dev / "queries.jsonl").read_text().splitlines()
    }
    judged = {
        line.split("\t")[1] for line in (dev / "qrels" / "test.tsv").read_text().splitlines()[1:]
    }
    judged_focuses = {r.focus.casefold() for r in records if r.doc_id in judged}
    assert dropped["evaluation_focuses"] > 100
    assert len(kept) == len(records) - dropped["dropped_pairs"]
    assert not any(r.focus.casefold() in judged_focuses for r in kept)
    assert not any(normalise_query(r.question) in dev_questions for r in kept)
    assert not {r.doc_id for r in kept} & judged


def test_a_topic_lands_on_one_side_of_the_split(records: list[QaRecord]) -> None:
    train, heldout = split_by_topic(records, 0.05, seed=42)
    assert 0.02 < len(heldout) / len(records) < 0.1
    assert not {r.focus.casefold() for r in train} & {r.focus.casefold() for r in heldout}
    again, _ = split_by_topic(records, 0.05, seed=42)
    assert again == train


def test_groups_hold_siblings_of_the_same_topic_and_never_an_answer_to_the_question(
    records: list[QaRecord],
) -> None:
    heart = [r for r in records if "heart" in r.focus.casefold()][:400]
    groups = medquad_groups(heart, word_overlap_neighbours, negatives=5, count=60, seed=1)
    assert len(groups) == 60
    by_passage: dict[str, list[QaRecord]] = {}
    for record in heart:
        by_passage.setdefault(record.passage, []).append(record)
    with_sibling = 0
    for group in groups:
        assert len(group.negatives) == 5 and group.positive not in group.negatives
        asker = next(r for r in heart if r.question == group.query and r.passage == group.positive)
        for negative in group.negatives:
            for owner in by_passage[negative]:
                assert normalise_query(owner.question) != normalise_query(group.query)
        with_sibling += any(
            owner.focus == asker.focus for n in group.negatives for owner in by_passage[n]
        )
    assert with_sibling > 40  # most questions have other answers about their focus


def test_textbook_groups_take_a_span_of_their_own_window(shared_data: Path) -> None:
    sections = textbook_windows(
        shared_data / "textbook" / "openstax_ap2e_cardiovascular_sections.jsonl"
    )
    groups = window_groups(sections, negatives=4, count=50, seed=3)
    assert len(groups) > 20
    for group in groups:
        assert group.query in group.positive
        assert all(group.query not in negative for negative in group.negatives)
        assert group.positive.count("\n") >= 2  # module and section titles as its header
