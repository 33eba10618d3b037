"""Training groups for the reranker: a question, the passage that answers it, and hard negatives.

A cross-encoder learns to rank from the passages a first stage confuses with the answer, not
from random ones. In MedQuAD those are the other answers about the same focus (symptoms,
causes, treatment, outlook differ only by question type) and the answers an encoder puts near
the question; in a textbook, the neighbouring windows of the same section and its sibling
sections. Evaluation material stays out by topic, not just by question text: every focus that
one of an evaluation set's answers is about is dropped, with all of its questions.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adapters.training.cloze_pairs import sentences_of
from adapters.training.pairs import normalise_query, read_query_texts
from adapters.training.reranker.definitions import definition_groups
from adapters.training.reranker.group import RerankGroup
from adapters.training.text_pair import headed

SIBLING_NEGATIVES = 3  # same focus, another question type: the difference the reranker must see
NEIGHBOUR_POOL = 30  # encoder neighbours a negative is drawn from


@dataclass(frozen=True, slots=True)
class QaRecord:
    """One MedQuAD question-answer pair, with what groups it: its focus and question type."""

    doc_id: str
    focus: str
    qtype: str
    question: str
    answer: str

    @property
    def passage(self) -> str:
        """The answer as a chunk of it is embedded and reranked: behind its focus, as a title."""
        return headed(self.focus, self.answer)


@dataclass(slots=True)
class RerankData:
    """Training and held-out groups, and what was kept out (for the model card)."""

    train: list[RerankGroup]
    heldout: list[RerankGroup]
    heldout_definitions: list[RerankGroup]
    sources: dict[str, Any] = field(default_factory=dict)


def read_medquad(path: Path) -> list[QaRecord]:
    """The answered pairs of a MedQuAD JSONL file (`doc_id`, `focus`, `qtype`, `question`, ...)."""
    records = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            answer = " ".join(str(row.get("answer") or "").split())
            question = str(row.get("question") or "").strip()
            if answer and question:
                records.append(
                    QaRecord(
                        str(row["doc_id"]),
                        str(row.get("focus") or "").strip(),
                        str(row.get("qtype") or ""),
                        question,
                        answer,
                    )
                )
    return records


def evaluation_focuses(beir_folder: Path, records: Sequence[QaRecord]) -> set[str]:
    """The focuses (case-folded) of every document an evaluation set's qrels judge relevant."""
    qrels = beir_folder / "qrels" / "test.tsv"
    judged = {
        line.split("\t")[1]
        for line in qrels.read_text(encoding="utf-8").splitlines()[1:]
        if line.strip()
    }
    return {record.focus.casefold() for record in records if record.doc_id in judged}


def _topic_key(focus: str) -> str:
    return re.sub(r"\W+", " ", focus.casefold()).strip()


def medquad_groups(
    records: Sequence[QaRecord],
    neighbours: Callable[[Sequence[str], Sequence[str]], np.ndarray],
    *,
    negatives: int,
    count: int,
    seed: int,
) -> list[RerankGroup]:
    """`count` groups drawn from `records`: siblings of the same focus, then encoder neighbours.

    `neighbours(questions, passages)` gives, per question, passage indices best first (the
    base encoder's ranking). A passage is never a negative for a question it answers: answers
    to the same question text (MedQuAD repeats questions across NIH sites) and answers of the
    same focus and question type are skipped.
    """
    rng = random.Random(seed)
    chosen = rng.sample(list(records), min(count, len(records)))
    by_focus: dict[str, list[QaRecord]] = defaultdict(list)
    for record in records:
        by_focus[_topic_key(record.focus)].append(record)
    passages = list(dict.fromkeys(record.passage for record in records))
    owners: dict[str, list[QaRecord]] = defaultdict(list)
    for record in records:
        owners[record.passage].append(record)
    ranked = neighbours([record.question for record in chosen], passages)
    groups = []
    for record, order in zip(chosen, ranked, strict=True):

        def answers_it(passage: str, asked: QaRecord = record) -> bool:
            return any(
                normalise_query(other.question) == normalise_query(asked.question)
                or (
                    _topic_key(other.focus) == _topic_key(asked.focus)
                    and other.qtype == asked.qtype
                )
                for other in owners[passage]
            )

        siblings = [
            other.passage
            for other in by_focus[_topic_key(record.focus)]
            if not answers_it(other.passage)
        ]
        picked = rng.sample(siblings, min(SIBLING_NEGATIVES, len(siblings)))
        close = [
            passages[i]
            for i in order[:NEIGHBOUR_POOL]
            if passages[i] not in picked and not answers_it(passages[i])
        ]
        picked += rng.sample(close, min(negatives - len(picked), len(close)))
        while len(picked) < negatives:
            candidate = rng.choice(passages)
            if candidate not in picked and not answers_it(candidate):
                picked.append(candidate)
        groups.append(RerankGroup(record.question, record.passage, tuple(picked), "medquad"))
    return groups


def answer_sentence(answer: str, min_words: int = 6) -> str | None:
    """The sentence that answers, in a MedQuAD answer: its first statement of enough words.

    Many answers open by restating the question ("Is X inherited?") or with a "Key Points"
    list; the first sentence after those is the one a reader quotes.
    """
    for sentence in sentences_of(answer):
        if sentence.endswith("?") or sentence.casefold().startswith("key points"):
            continue
        if len(sentence.split()) >= min_words:
            return sentence
    return None


def sentence_group(group: RerankGroup) -> RerankGroup | None:
    """The passage group at sentence level: each answer cut to the sentence that answers.

    A question must find the sentence that says what it asks, not one that mentions its words:
    the negatives' sentences are about the same focus (siblings) or near it, and say something
    else (how it is inherited, how common it is...).
    """
    cut = []
    for passage in (group.positive, *group.negatives):
        header, _, answer = passage.partition("\n")
        sentence = answer_sentence(answer)
        if sentence is None:
            return None
        cut.append(headed(header, sentence))
    if len(set(cut)) < len(cut):
        return None
    return RerankGroup(group.query, cut[0], tuple(cut[1:]), "medquad-sentence")


def window_groups(
    documents: dict[str, list[tuple[str, str]]],
    *,
    negatives: int,
    count: int,
    seed: int,
    min_words: int = 12,
    max_words: int = 30,
) -> list[RerankGroup]:
    """Statement-to-passage groups from ordered (header, window) lists, one list per section.

    The query is a span of one window; its negatives are the other windows of its section
    first (they share its words and topic), then windows of other sections.
    """
    rng = random.Random(seed)
    everything = [(doc, n) for doc, windows in documents.items() for n in range(len(windows))]
    groups = []
    for doc, n in rng.sample(everything, min(count, len(everything))):
        header, text = documents[doc][n]
        words = text.split()
        if len(words) < min_words + 10:
            continue
        length = rng.randint(min_words, min(max_words, len(words) - 10))
        start = rng.randint(0, len(words) - length)
        query = " ".join(words[start : start + length])
        same_section = [headed(h, w) for i, (h, w) in enumerate(documents[doc]) if i != n]
        picked = rng.sample(same_section, min(negatives // 2, len(same_section)))
        while len(picked) < negatives:
            other_doc, other_n = rng.choice(everything)
            candidate = headed(*documents[other_doc][other_n])
            if other_doc != doc and candidate not in picked:
                picked.append(candidate)
        groups.append(RerankGroup(query, headed(header, text), tuple(picked), "textbook"))
    return groups


def textbook_windows(path: Path, window_words: int = 150) -> dict[str, list[tuple[str, str]]]:
    """Each textbook section (OpenStax JSONL) as (header, window) pairs of ~chunk size."""
    documents: dict[str, list[tuple[str, str]]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            words = str(row["text"]).split()
            header = f"{row['module_title']}\n{row['section_title']}"
            documents[str(row["id"])] = [
                (header, " ".join(words[start : start + window_words]))
                for start in range(0, len(words), window_words)
            ]
    return documents


def medquad_definitions(
    records: Sequence[QaRecord], *, negatives: int, count: int, seed: int
) -> list[RerankGroup]:
    """Definition sentence groups from MedQuAD answers; a term's mentions sought in its focus."""
    by_focus: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record in records:
        by_focus[_topic_key(record.focus)].append((record.focus, record.answer))
    return definition_groups(by_focus, negatives=negatives, count=count, seed=seed, passages=False)


def textbook_definitions(
    path: Path, *, negatives: int, seed: int, heldout_fraction: float = 0.2
) -> tuple[list[RerankGroup], list[RerankGroup]]:
    """(train, held-out) definition groups of a textbook, sentences and passages, by section."""
    train: list[tuple[str, str]] = []
    heldout: list[tuple[str, str]] = []
    for section, units in textbook_windows(path).items():
        (heldout if heldout_side(section, heldout_fraction, seed) else train).extend(units)

    def every_group(units: list[tuple[str, str]]) -> list[RerankGroup]:
        return [
            group
            for passages in (False, True)
            for group in definition_groups(
                {"textbook": units}, negatives=negatives, seed=seed, passages=passages
            )
        ]

    return every_group(train), every_group(heldout)


def heldout_side(key: str, fraction: float, seed: int) -> bool:
    """Whether a topic goes to the held-out side: a hash, so a split is the same everywhere."""
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_by_topic(
    records: Iterable[QaRecord], fraction: float, seed: int
) -> tuple[list[QaRecord], list[QaRecord]]:
    """(train, held-out) with every question of one focus on the same side."""
    train, heldout = [], []
    for record in records:
        (heldout if heldout_side(_topic_key(record.focus), fraction, seed) else train).append(
            record
        )
    return train, heldout


def kept_records(
    records: Sequence[QaRecord], exclude: Sequence[Path]
) -> tuple[list[QaRecord], dict[str, int]]:
    """The records whose focus no evaluation set judges and whose question none asks."""
    focuses: set[str] = set()
    questions: set[str] = set()
    for folder in exclude:
        focuses |= {_topic_key(f) for f in evaluation_focuses(folder, records)}
        questions |= read_query_texts(folder)
    kept = [
        r
        for r in records
        if _topic_key(r.focus) not in focuses and normalise_query(r.question) not in questions
    ]
    return kept, {"evaluation_focuses": len(focuses), "dropped_pairs": len(records) - len(kept)}


def build_rerank_data(
    medquad: Path,
    textbook: Path | None,
    exclude: Sequence[Path],
    neighbours: Callable[[Sequence[str], Sequence[str]], np.ndarray],
    *,
    medquad_groups_count: int,
    sentence_groups_count: int,
    textbook_groups_count: int,
    definition_groups_count: int,
    negatives: int,
    heldout_fraction: float = 0.05,
    heldout_groups: int = 300,
    seed: int = 42,
) -> RerankData:
    """The reranker's training and held-out groups, evaluation topics kept out.

    Held-out groups come from MedQuAD topics (focuses) that training never sees, so their
    scores say how the reranker does on a new topic; held-out definition groups come from
    textbook sections whose definitions training never sees.
    """
    records = read_medquad(medquad)
    kept, dropped = kept_records(records, exclude)
    train_records, heldout_records = split_by_topic(kept, heldout_fraction, seed)
    mined = medquad_groups(
        train_records,
        neighbours,
        negatives=negatives,
        count=medquad_groups_count + sentence_groups_count,
        seed=seed,
    )
    train = mined[:medquad_groups_count]
    sentences = [
        cut for cut in map(sentence_group, mined[medquad_groups_count:]) if cut is not None
    ]
    heldout = medquad_groups(
        heldout_records, neighbours, negatives=negatives, count=heldout_groups, seed=seed + 1
    )
    textbook_part: list[RerankGroup] = []
    definitions_heldout: list[RerankGroup] = []
    if textbook is not None and textbook_groups_count:
        textbook_part = window_groups(
            textbook_windows(textbook),
            negatives=negatives,
            count=textbook_groups_count,
            seed=seed,
        )
    definitions = medquad_definitions(
        train_records, negatives=negatives, count=definition_groups_count, seed=seed
    )
    if textbook is not None and definition_groups_count:
        seen, unseen = textbook_definitions(textbook, negatives=negatives, seed=seed)
        definitions += seen
        definitions_heldout = unseen
    groups = train + sentences + textbook_part + definitions
    random.Random(seed).shuffle(groups)
    return RerankData(
        groups,
        heldout,
        definitions_heldout,
        {
            "medquad": f"{medquad.name}: {len(records)} pairs",
            "evaluation_sets": [folder.name for folder in exclude],
            "evaluation_focuses": dropped["evaluation_focuses"],
            "dropped_pairs": dropped["dropped_pairs"],
            "train_topics_pairs": len(train_records),
            "heldout_topics_pairs": len(heldout_records),
            "medquad_groups": len(train),
            "sentence_groups": len(sentences),
            "textbook": textbook.name if textbook else None,
            "textbook_groups": len(textbook_part),
            "definition_groups": len(definitions),
            "heldout_definition_groups": len(definitions_heldout),
            "heldout_groups": len(heldout),
            "negatives": negatives,
        },
    )
