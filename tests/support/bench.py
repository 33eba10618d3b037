"""Running a `cardiorag bench` question set on the small textbook corpus, as its tests do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.bench.commands import app
from tests.support.corpora import CorpusTemplate


def run_question_bench(
    command: str, template: CorpusTemplate, tmp_path: Path
) -> tuple[Path, Path, dict[str, Any]]:
    """`bench COMMAND` without the reranker, k = 3, on a copy of the corpus.

    Returns the data folder, the JSON written and its payload. The corpus answers few of the
    questions: what this checks is the run, not the scores.
    """
    data_dir = template.copy_data_dir(tmp_path / "data")
    out = tmp_path / f"{command}.json"
    result = CliRunner().invoke(
        app,
        [command, "--data-dir", str(data_dir), "--no-rerank", "--k", "3",
         "--json", str(out), "--threads", "1", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return data_dir, out, json.loads(out.read_text(encoding="utf-8"))
