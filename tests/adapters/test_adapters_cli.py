"""The `adapters` command end to end: train (cut off, then resumed), register, list, eval."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.adapter_files import read_adapter_info
from adapters.training.lora import TrainingResult
from cli.adapters.commands import app
from retrieval import Settings
from tests.support.corpora import write_tiny_beir
from tests.support.paths import MODEL_CACHE, REPO
from tests.support.training import write_medquad_pairs

pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:unsafe cast"),
]


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CARDIORAG_MODELS_FILE": str(tmp_path / "models.toml"),
        "CARDIORAG_MODEL_CACHE_DIR": str(MODEL_CACHE),
        "CARDIORAG_DATA_DIR": str(tmp_path / "cardiorag"),
        "CARDIORAG_TORCH_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "200",  # rich tables, unwrapped
    }


def _train_args(pairs: Path, out: Path, shared_data: Path) -> list[str]:
    return [
        "train",
        "--base",
        "minilm",
        "--pairs",
        str(pairs),
        "--query-field",
        "question",
        "--positive-field",
        "answer",
        "--exclude-queries",
        str(shared_data / "eval" / "medquad_cardio_dev"),
        "--out",
        str(out),
        "--batch-size",
        "8",
        "--max-length",
        "32",
        "--max-pairs",
        "96",
        "--eval-steps",
        "2",
        "--patience",
        "50",
        "--heldout",
        "0.2",
        "--quiet",
    ]


@pytest.mark.slow
def test_cut_off_training_leaves_the_old_adapter_and_resumes(
    trained: TrainingResult, shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "minilm-cli"
    subprocess.run(["cp", "-r", str(trained.out), str(out)], check=True)
    good = (out / "adapter_model.safetensors").read_bytes()
    pairs = write_medquad_pairs(shared_data, tmp_path / "qa.jsonl", 200)
    command = [sys.executable, "-m", "cli.adapters.commands", *_train_args(pairs, out, shared_data)]
    env = _env(tmp_path)
    process = subprocess.Popen([*command, "--overwrite"], cwd=REPO, env=env)
    checkpoints = out.with_name(out.name + ".partial") / "checkpoints"
    deadline = time.monotonic() + 300
    while not any(checkpoints.glob("checkpoint-4")) and time.monotonic() < deadline:
        assert process.poll() is None, "training ended before it could be cut off"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert (out / "adapter_model.safetensors").read_bytes() == good  # untouched
    ledger = json.loads((checkpoints.parent / "ledger.json").read_text())
    assert ledger["seconds"] > 0 and "nDCG@10" in ledger["heldout_base"]
    # Resumed in mini-batches (as a run cut off for want of memory would be): same plan.
    resumed = subprocess.run(
        [*command, "--overwrite", "--resume", "--mini-batch-size", "4", "--register", "minilm-cli"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "adapter_model.safetensors").read_bytes() != good
    assert not checkpoints.parent.exists()
    info = read_adapter_info(out)
    assert info is not None and info.training["steps"] == 12  # 96 pairs / 8, one epoch
    assert "--resume" in info.training["command"] and info.options["mini_batch_size"] == 4
    # The card counts the time before the cut and keeps the base scores measured then.
    assert info.training["seconds"] > ledger["seconds"]
    assert info.heldout["base"] == ledger["heldout_base"]
    spec = Settings(models_file=tmp_path / "models.toml").model_specs()["minilm-cli"]
    assert spec.adapter == str(out.resolve()) and spec.max_seq_length == 32


def test_bad_pairs_file_fails_with_its_line_before_any_training(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pairs = tmp_path / "qa.jsonl"
    pairs.write_text(
        '{"question": "What is angina ?", "answer": "Chest pain."}\n{"question": "x"}\n'
    )
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, _train_args(pairs, tmp_path / "out", shared_data))
    assert result.exit_code == 1
    assert f"{pairs}, line 2: no 'answer' field" in str(result.exception)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_register_list_and_eval_beside_the_base(
    trained: TrainingResult, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    adapter = tmp_path / "minilm-tiny"
    subprocess.run(["cp", "-r", str(trained.out), str(adapter)], check=True)
    runner = CliRunner()
    registered = runner.invoke(app, ["register", str(adapter), "--id", "minilm-tiny"])
    assert registered.exit_code == 0, registered.output
    again = runner.invoke(app, ["register", str(adapter), "--id", "minilm-tiny"])
    assert again.exit_code == 1 and "--overwrite" in str(again.exception)
    listed = runner.invoke(app, ["list"])
    assert "minilm-tiny" in listed.output
    assert "richardyoung/CardioEmbed-BioLinkBERT" in listed.output
    assert "adapter needs a hub" in listed.output
    assert "cpu int8" in next(row for row in listed.output.splitlines() if "minilm-int8" in row)

    beir = write_tiny_beir(shared_data, tmp_path / "openstax_tiny")
    pairs = write_medquad_pairs(shared_data, tmp_path / "qa.jsonl", 240)
    evaluated_args = [
        "eval",
        "--model",
        "minilm-tiny",
        "--against",
        "minilm",
        "--dataset",
        str(beir),
        "--pairs",
        str(pairs),
        "--data-dir",
        str(tmp_path / "bench"),
        "--quiet",
    ]
    evaluated = runner.invoke(app, evaluated_args)
    assert evaluated.exit_code == 0, evaluated.output
    assert "separation score on" in evaluated.output and "openstax_tiny" in evaluated.output
    info = read_adapter_info(adapter)
    assert info is not None
    separation = info.evaluations[0]["separation"]
    assert separation["pairs"] == info.data["heldout_pairs"]  # the training's held-out side
    retrieval = info.evaluations[1]
    assert retrieval["dataset"] == "openstax_tiny" and set(retrieval["metrics"]) == {
        "nDCG@10",
        "Recall@10",
        "MRR@10",
    }
    difference = retrieval["metrics"]["nDCG@10"]["difference"]
    assert difference["low"] <= difference["mean"] <= difference["high"]
    assert "## Evaluation" in (adapter / "README.md").read_text()
    json.dumps(info.evaluations)  # the record stays JSON

    # The same files at half weight: a spec of its own, whose results sit beside the full ones.
    half = ["register", str(adapter), "--id", "minilm-tiny-half", "--scale", "0.5"]
    assert runner.invoke(app, half).exit_code == 0
    assert "adapter_scale = 0.5" in (tmp_path / "models.toml").read_text()
    [listed_half] = [
        row for row in runner.invoke(app, ["list"]).output.splitlines() if "-half" in row
    ]
    assert "│ 0.5 " in listed_half
    eval_half = ["eval", "--model", "minilm-tiny-half", "--against", "minilm", "--dataset"]
    eval_half += [str(beir), "--data-dir", str(tmp_path / "bench"), "--quiet"]
    assert runner.invoke(app, eval_half).exit_code == 0
    info = read_adapter_info(adapter)
    assert info is not None
    scales = [e["adapter_scale"] for e in info.evaluations if e.get("dataset") == "openstax_tiny"]
    assert scales == [1.0, 0.5]
    assert "dense search, the adapter's update weighed 0.5" in (adapter / "README.md").read_text()


def test_from_corpus_with_no_pairs_to_mine_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "o"
    args = ["train", "--base", "minilm", "--from-corpus", "cardiology", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--spans-per-document", "0"])
    assert result.exit_code == 2
    assert "--spans-per-document or --cloze-per-document" in result.output
    assert not out.exists()
