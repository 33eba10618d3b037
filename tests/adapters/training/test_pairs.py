from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.errors import PairsFileError
from adapters.training.cloze_pairs import cloze_pairs, sentences_of
from adapters.training.pairs import (
    PairFields,
    TextPair,
    read_pairs,
    read_query_texts,
    split_heldout,
    training_data,
)
from adapters.training.span_pairs import span_pairs

MEDQUAD = "medquad/medquad_visible.jsonl"
DEV_QUERIES = "eval/medquad_cardio_dev/queries.jsonl"
QA = PairFields("question", "answer")


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_medquad_pairs_read_with_field_names(shared_data: Path) -> None:
    pairs = read_pairs(shared_data / MEDQUAD, QA)
    assert len(pairs) == 16147
    assert all(pair.query and pair.positive for pair in pairs[:100])
    assert pairs[0].negative is None


@pytest.mark.parametrize(
    ("rows", "line", "reason"),
    [
        ([{"query": "q", "positive": "p"}, {"query": "q2"}], 2, "no 'positive' field"),
        ([{"query": "q", "positive": "p"}] * 2 + [{"query": "  ", "positive": "p"}], 3, "empty"),
        ([{"query": "q", "positive": "p", "negative": 3}], 1, "'negative' must be text"),
    ],
)
def test_bad_jsonl_rows_name_file_and_line(
    tmp_path: Path, rows: list[dict], line: int, reason: str
) -> None:
    path = _write_jsonl(tmp_path / "pairs.jsonl", rows)
    with pytest.raises(PairsFileError) as info:
        read_pairs(path)
    assert info.value.line == line
    assert str(path) in str(info.value) and f"line {line}" in str(info.value)
    assert reason in str(info.value)


def test_blank_lines_keep_line_numbers_and_invalid_json_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"query": "a", "positive": "b"}\n\n{"query": "c", "positive": \n')
    with pytest.raises(PairsFileError, match="line 3: not valid JSON"):
        read_pairs(path)


def test_csv_pairs_with_an_empty_cell_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("description,transcription\nEcho report,Normal LV size\nStress test,\n")
    with pytest.raises(PairsFileError, match=r"line 3: empty 'transcription'"):
        read_pairs(path, PairFields("description", "transcription"))
    path.write_text("description,transcription\nEcho report,Normal LV size\n")
    assert read_pairs(path, PairFields("description", "transcription")) == [
        TextPair("Echo report", "Normal LV size")
    ]


@pytest.mark.parametrize(("name", "content"), [("pairs.txt", "a"), ("pairs.jsonl", "")])
def test_wrong_kind_of_file_or_no_pairs_is_refused(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(PairsFileError, match=str(path)):
        read_pairs(path)


def test_evaluation_queries_never_reach_training(shared_data: Path) -> None:
    data = training_data(
        [shared_data / MEDQUAD], fields=QA, exclude=[shared_data / DEV_QUERIES], seed=7
    )
    dev = read_query_texts(shared_data / DEV_QUERIES)
    assert len(dev) == 546
    assert data.sources["excluded_queries"] == 16147 - 15479
    seen = {pair.query.casefold().replace(" ", "") for pair in data.train + data.heldout}
    assert not seen & dev


def test_passage_spans_come_from_kept_answers_only(shared_data: Path) -> None:
    data = training_data(
        [shared_data / MEDQUAD],
        fields=QA,
        exclude=[shared_data / DEV_QUERIES],
        passage_spans=300,
        seed=7,
    )
    assert data.sources["passage_spans"] == 300
    plain = training_data(
        [shared_data / MEDQUAD], fields=QA, exclude=[shared_data / DEV_QUERIES], seed=7
    )
    questions = {pair.query for pair in plain.train + plain.heldout}
    spans = [pair for pair in data.train + data.heldout if pair.query not in questions]
    assert len(spans) == 300
    # Spans are cut on words: compare with whitespace-normalised answers.
    kept_answers = " ".join(" ".join(p.positive.split()) for p in plain.train + plain.heldout)
    for pair in spans[:50]:  # both sides are cut from answers of kept (non-dev) questions
        assert pair.query in kept_answers and pair.positive in kept_answers
        assert pair.query != pair.positive


def test_heldout_split_keeps_each_question_on_one_side_and_is_reproducible() -> None:
    pairs = [TextPair(f"What causes condition {n % 50} ?", f"answer {n}") for n in range(400)]
    train, heldout = split_heldout(pairs, 0.2, seed=3)
    assert {p.query for p in train}.isdisjoint({p.query for p in heldout})
    assert 0.05 < len(heldout) / len(pairs) < 0.4
    assert split_heldout(pairs, 0.2, seed=3) == (train, heldout)
    assert split_heldout(pairs, 0.2, seed=4) != (train, heldout)


def test_span_pairs_pair_an_anchor_with_the_next_chunk_of_the_same_document() -> None:
    first = " ".join(f"a{n}" for n in range(60))
    second = " ".join(f"b{n}" for n in range(60))
    pairs = span_pairs({"doc": [first, second]}, per_document=2, min_words=10, max_words=30)
    assert len(pairs) == 2
    for pair in pairs:
        anchor_words, positive_words = pair.query.split(), pair.positive.split()
        assert 10 <= len(anchor_words) <= 30 and len(positive_words) >= 10
        if anchor_words[0].startswith("a"):
            assert positive_words[0] == "b0"  # adjacent: the next chunk's start
        else:
            assert set(positive_words) <= set(second.split())  # overlapping, same chunk
    assert span_pairs({"doc": [first, second]}, min_words=10, max_words=30) == span_pairs(
        {"doc": [first, second]}, min_words=10, max_words=30
    )
    assert span_pairs({"short": ["too few words"]}, min_words=10) == []


def test_span_pairs_come_from_an_ingested_corpus(textbook_corpus: str, catalog) -> None:
    documents = catalog.chunk_texts_by_document(textbook_corpus)
    assert len(documents) == 15
    assert all(texts for texts in documents.values())
    pairs = span_pairs(documents, per_document=2)
    assert 15 <= len(pairs) <= 30
    every_chunk = " ".join(" ".join(texts) for texts in documents.values()).split()
    every_chunk = " ".join(every_chunk)
    assert all(pair.query in every_chunk for pair in pairs)  # spans of the real text


def test_cloze_pairs_ask_with_a_sentence_for_its_chunk_without_it() -> None:
    chunk = (
        "The heart has four chambers. Blood enters the right atrium from the venae cavae. "
        "The tricuspid valve opens into the right ventricle during diastole. "
        "Oxygenated blood returns from the lungs through four pulmonary veins."
    )
    assert len(sentences_of(chunk)) == 4
    pairs = cloze_pairs(
        {"doc": [chunk]},
        per_document=10,
        min_sentence_words=6,
        min_context_words=10,
        keep_sentence=0.0,
    )
    # "The heart has four chambers." is too short to be a query; the other three are used.
    assert sorted(pair.query for pair in pairs) == sorted(sentences_of(chunk)[1:])
    for pair in pairs:
        assert pair.query not in pair.positive
        assert set(pair.positive.split()) < set(chunk.split())
    kept = cloze_pairs({"doc": [chunk]}, per_document=10, min_context_words=10, keep_sentence=1)
    assert all(pair.positive == chunk for pair in kept)
    assert cloze_pairs({"doc": ["Too short to ask about anything here."]}) == []


def test_cloze_pairs_come_from_an_ingested_corpus(textbook_corpus: str, catalog) -> None:
    documents = catalog.chunk_texts_by_document(textbook_corpus)
    pairs = cloze_pairs(documents, per_document=3, seed=7)
    assert 30 <= len(pairs) <= 45
    assert pairs == cloze_pairs(documents, per_document=3, seed=7)
    chunks = [text for texts in documents.values() for text in texts]
    for pair in pairs:
        assert any(pair.query in chunk and pair.positive != chunk for chunk in chunks) or any(
            pair.positive == chunk for chunk in chunks
        )


def test_mined_passages_carry_the_corpus_context_header(textbook_corpus: str, catalog) -> None:
    from adapters.context_template import ContextTemplate

    documents = catalog.chunk_texts_by_document(textbook_corpus)
    contexts = catalog.chunk_contexts_by_document(textbook_corpus)
    assert {doc: len(texts) for doc, texts in documents.items()} == {
        doc: len(values) for doc, values in contexts.items()
    }
    template = ContextTemplate(catalog.corpus_chunking(textbook_corpus)["context_template"])
    headers = {doc: [template.header(v) for v in values] for doc, values in contexts.items()}
    for mined in (
        span_pairs(documents, per_document=2, headers=headers),
        cloze_pairs(documents, per_document=2, headers=headers),
    ):
        assert mined
        every_header = {h for hs in headers.values() for h in hs}
        for pair in mined:
            [header] = [h for h in every_header if pair.positive.startswith(h + "\n")]
            assert not pair.query.startswith(header)  # the query side stays bare text
            assert pair.positive[len(header) + 1 :].strip()
    # Without headers, the same seed gives the same pairs, bare.
    bare = span_pairs(documents, per_document=2)
    headed = span_pairs(documents, per_document=2, headers=headers)
    assert [p.query for p in bare] == [p.query for p in headed]
    assert all(h.positive.endswith(b.positive) for b, h in zip(bare, headed, strict=True))


def test_a_title_field_goes_in_front_of_the_positive(tmp_path: Path) -> None:
    rows = [
        {
            "question": "What is syncope?",
            "answer": "A brief loss of consciousness.",
            "t": "Syncope",
        },
        {"question": "What is a stent?", "answer": "A small mesh tube."},  # no title: bare
    ]
    pairs = read_pairs(
        _write_jsonl(tmp_path / "qa.jsonl", rows),
        PairFields("question", "answer", positive_title="t"),
    )
    assert [pair.positive for pair in pairs] == [
        "Syncope\nA brief loss of consciousness.",
        "A small mesh tube.",
    ]
    with pytest.raises(PairsFileError, match="'t' must be text"):
        read_pairs(
            _write_jsonl(tmp_path / "bad.jsonl", [{**rows[0], "t": 3}]),
            PairFields("question", "answer", positive_title="t"),
        )
