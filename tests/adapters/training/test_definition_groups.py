"""Definition questions from the real textbook and MedQuAD: the answer against its mentions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.training.cloze_pairs import sentences_of
from adapters.training.reranker.data import (
    evaluation_focuses,
    kept_records,
    medquad_definitions,
    read_medquad,
)
from adapters.training.reranker.data import textbook_definitions as split_textbook_definitions
from adapters.training.reranker.definitions import definition_of
from adapters.training.reranker.group import RerankGroup


@pytest.fixture(scope="module")
def textbook_definitions(shared_data: Path) -> tuple[list[RerankGroup], list[RerankGroup]]:
    return split_textbook_definitions(
        shared_data / "textbook" / "openstax_ap2e_cardiovascular_sections.jsonl",
        negatives=7,
        seed=42,
    )


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("The small P wave represents the depolarization of the atria.",
         "What does the small P wave represent?"),
        ("S1 is the sound created by the closing of the atrioventricular valves.", "What is S1?"),
        ("Bradycardia is the condition in which resting rate drops below 60 bpm.",
         "What is bradycardia?"),
        ("Beta-thalassemia is caused by mutations in the HBB gene.",
         "What causes beta-thalassemia?"),
        ("The tunica media consists of layers of smooth muscle.",
         "What does the tunica media consist of?"),
    ],
)  # fmt: skip
def test_a_defining_sentence_gives_the_question_it_answers(sentence: str, question: str) -> None:
    definition = definition_of(sentence)
    assert definition is not None and definition.question == question


@pytest.mark.parametrize(
    "sentence",
    [
        "There are five prominent points on the ECG: the P wave, the QRS complex, and the T wave.",
        "The PR interval is more clinically relevant, as it measures the duration.",
        "Little is known about the signs, symptoms, and severity of types 7, 8, and 9.",
        "This is the most common form of the disease in adults over sixty.",
    ],
)
def test_a_sentence_that_only_mentions_a_term_defines_nothing(sentence: str) -> None:
    assert definition_of(sentence) is None


def _sentence(unit: str) -> str:
    return unit.rpartition("\n")[2]


def test_sentence_negatives_mention_the_term_without_defining_it(
    textbook_definitions: tuple[list[RerankGroup], list[RerankGroup]],
) -> None:
    train, _ = textbook_definitions
    sentences = [g for g in train if g.source == "definition-sentence"]
    assert len(sentences) >= 50
    for group in sentences:
        assert len(group.negatives) == 7 and group.positive not in group.negatives
        assert group.query.startswith(("What", "Where")) and group.query.endswith("?")
        definition = definition_of(_sentence(group.positive))
        assert definition is not None and definition.question == group.query
        core = re.compile(rf"\b{re.escape(' '.join(definition.term.split()[-2:]))}\b", re.I)
        for negative in [n for n in group.negatives if core.search(n)]:
            other = definition_of(_sentence(negative))
            assert other is None or not core.search(other.term)
    p_wave = next(g for g in sentences if g.query == "What does the small P wave represent?")
    assert any("five prominent points" in n for n in p_wave.negatives)


def test_passage_groups_answer_with_the_window_holding_the_definition(
    textbook_definitions: tuple[list[RerankGroup], list[RerankGroup]],
) -> None:
    train, _ = textbook_definitions
    passages = [g for g in train if g.source == "definition-passage"]
    assert len(passages) >= 50
    for group in passages:
        defining = [
            s
            for s in sentences_of(_sentence(group.positive))
            if (d := definition_of(s)) is not None and d.question == group.query
        ]
        assert defining, group.query
        assert not any(defining[0] in negative for negative in group.negatives)


def test_held_out_sections_give_no_training_definition(
    textbook_definitions: tuple[list[RerankGroup], list[RerankGroup]],
) -> None:
    train, heldout = textbook_definitions
    assert heldout and train
    train_answers = {g.positive for g in train}
    assert not {g.positive for g in heldout} & train_answers
    train_headers = {g.positive.split("\n")[1] for g in train}
    heldout_headers = {g.positive.split("\n")[1] for g in heldout}
    assert not train_headers & heldout_headers


def test_medquad_definitions_come_from_kept_topics_only(shared_data: Path) -> None:
    records = read_medquad(shared_data / "medquad" / "medquad_visible.jsonl")
    dev = shared_data / "eval" / "medquad_cardio_dev"
    kept, _ = kept_records(records, [dev])
    groups = medquad_definitions(kept, negatives=7, count=300, seed=42)
    assert len(groups) == 300
    judged = evaluation_focuses(dev, records)
    for group in groups:
        focus, _, sentence = group.positive.rpartition("\n")
        assert focus.casefold() not in judged
        assert any(sentence in r.answer for r in kept if r.focus == focus)
