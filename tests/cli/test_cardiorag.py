"""`cardiorag`, as a user runs it: ingest, search, answer and models on a real corpus.

The commands run in this process through `cli.main.main` (the console script's entry), so
exit codes and what goes to stdout and stderr are the script's own.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from tests.support.corpora import SMALL_TEXTBOOK_SECTIONS, write_textbook_sections
from tests.support.paths import MODEL_CACHE


def cardiorag(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run `cardiorag ARGS`; its exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["cardiorag", *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    return int(stopped.value.code or 0), out, err


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Path]:
    """A data dir holding the small textbook corpus, ingested by `cardiorag ingest`."""
    folder = tmp_path_factory.mktemp("cardiorag")
    source = write_textbook_sections(shared_data, folder)
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("CARDIORAG_")]:
            patch.delenv(name)
        patch.setenv("CARDIORAG_MODEL_CACHE_DIR", str(MODEL_CACHE))
        patch.setattr(sys, "argv", ["cardiorag", "ingest", str(source), "--data-dir", str(folder)])
        with pytest.raises(SystemExit) as stopped:
            main()
        assert stopped.value.code in (0, None)
        yield folder


@pytest.fixture
def run(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator:
    for name in [n for n in os.environ if n.startswith("CARDIORAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CARDIORAG_MODEL_CACHE_DIR", str(MODEL_CACHE))

    def invoke(*args: str, data: bool = True) -> tuple[int, str, str]:
        extra = ["--data-dir", str(data_dir)] if data else []
        return cardiorag([*args, *extra], capsys, monkeypatch)

    return invoke


def test_search_json_gives_ranked_hits_with_citations(run) -> None:
    code, out, _ = run("search", "ABO blood group antigens", "--json", "--k", "3")
    assert code == 0
    found = json.loads(out)
    assert (found["corpus"], found["model"], found["mode"]) == ("cardiology", "minilm", "hybrid")
    assert [hit["rank"] for hit in found["hits"]] == [1, 2, 3]
    assert found["hits"][0]["citation"].startswith("Blood Typing")
    assert all(hit["text"] and hit["chunk_id"] for hit in found["hits"])
    assert found["reranker"] == "cardio-rerank"  # on by default: each hit keeps its first rank
    assert all(hit["first_rank"] >= 1 and "rerank_score" in hit for hit in found["hits"])
    code, out, _ = run("search", "ABO blood group antigens", "--json", "--no-rerank")
    plain = json.loads(out)
    assert plain["reranker"] is None and "first_rank" not in plain["hits"][0]


def test_search_says_how_it_read_the_shorthand_and_can_read_it_as_typed(run) -> None:
    code, out, _ = run("search", "CO at rest", "--json", "--k", "2", "--no-rerank")
    assert code == 0
    reading = json.loads(out)["reading"]
    assert reading["description"] == "CO read as cardiac output"  # the textbook's definition
    assert reading["dense_text"] == "cardiac output (CO) at rest"
    assert reading["expansions"][0]["source"] == "corpus"
    code, out, _ = run("search", "CO at rest", "--k", "1", "--no-rerank")
    assert "Read: CO read as cardiac output" in out
    code, out, _ = run("search", "CO at rest", "--json", "--no-expand", "--no-rerank")
    assert json.loads(out)["reading"] == {
        "dense_text": "CO at rest", "sparse_text": "CO at rest", "sparse_abbreviations": "",
        "expansions": [], "description": "",
    }  # fmt: skip


def test_abbreviations_lists_the_corpus_definitions_and_reads_a_query(run) -> None:
    code, out, _ = run("abbreviations", "--json", "--query", "SV and HR")
    assert code == 0
    listed = json.loads(out)
    defined = {(d["short"], d["long"].casefold()) for d in listed["definitions"]}
    assert {("CO", "cardiac output"), ("SV", "stroke volume"), ("HR", "heart rate")} <= defined
    assert listed["reading"]["description"] == ("SV read as stroke volume; HR read as heart rate")
    code, _, err = run("abbreviations", "--corpus", "nope")
    assert code != 0 and "no corpus named 'nope'" in err


def test_search_prints_hits_with_their_citations(run) -> None:
    code, out, _ = run("search", "fibrinolysis dissolves the clot", "--mode", "dense", "--k", "2")
    assert code == 0
    assert out.startswith("2 hits in cardiology (minilm, dense, reranked by cardio-rerank)")
    assert "1. Hemostasis - Fibrinolysis" in out


def test_a_filter_narrows_and_a_malformed_one_is_a_usage_error(run) -> None:
    code, out, _ = run("search", "heart", "--filter", "doc_type=note", "--json")
    assert code == 0 and json.loads(out)["hits"] == []
    code, out, err = run("search", "heart", "--filter", "doc_type", "--json")
    assert code == 2 and "FIELD=VALUE" in err
    assert json.loads(out)["exit_code"] == 2


def test_an_unknown_corpus_is_one_line_and_json_with_json(run) -> None:
    code, out, err = run("search", "heart", "--corpus", "nope", "--json")
    assert code == 1
    assert err.startswith("error: unknown corpus 'nope'") and err.count("\n") == 1
    assert json.loads(out)["error"].startswith("unknown corpus 'nope'")


def test_a_model_that_did_not_embed_the_corpus_is_named(run) -> None:
    code, _, err = run("search", "heart", "--model", "minilm-cardio")
    assert code == 1
    assert "'minilm-cardio' has not embedded corpus 'cardiology'" in err


def test_an_unknown_option_is_a_usage_error(run) -> None:
    code, _, err = run("search", "heart", "--bogus")
    assert code == 2 and "No such option: --bogus" in err


def test_answer_quotes_sentences_of_the_hits_it_cites(run) -> None:
    code, out, _ = run("answer", "What are the antigens of the ABO blood group?", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["kind"] == "extractive" and not answer["weak"]
    assert "[1]" in answer["answer"] or "[2]" in answer["answer"]
    assert len(answer["sources"]) == 3


def test_models_json_lists_every_spec_whole(run) -> None:
    code, out, _ = run("models", "--json", data=False)
    assert code == 0
    rows = {row["id"]: row for row in json.loads(out)["models"]}
    assert {"minilm", "mpnet", "minilm-cardio", "cardioembed-mpnet"} <= rows.keys()
    assert rows["minilm"]["offline"] == "yes"
    # Its base is installed, its adapter is on the hub: not usable offline.
    assert rows["cardioembed-mpnet"]["offline"] == "adapter needs a hub"
    assert "hub id" in rows["cardioembed-mpnet"]["why_not"]


def test_models_on_a_narrow_terminal_folds_rather_than_cuts(run, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run("models", data=False)
    assert code == 0 and "…" not in out


def test_the_document_list_folds_on_a_narrow_terminal_and_lists_every_section(
    run, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run("ingest", "--list")
    assert code == 0 and "…" not in out
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run("ingest", "--list")
    assert code == 0 and out.count("│ textbook │") == len(SMALL_TEXTBOOK_SECTIONS)


def test_int8_asked_of_a_float_corpus_is_one_line_naming_the_rebuild(
    run, tmp_path: Path, shared_data: Path
) -> None:
    source = write_textbook_sections(shared_data, tmp_path, ("m46661-s00",))
    code, _, err = run("ingest", str(source), "--quantization", "int8")
    assert code == 1 and err.count("\n") == 1
    assert "built with quantization 'none'" in err
    assert "--recreate --quantization int8" in err
