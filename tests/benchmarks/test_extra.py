"""The `eval` extra: every command starts without it; a run that needs it says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks.extra import EvalExtraMissingError, require_eval
from tests.support.paths import REPO

# Run in a fresh interpreter where the extra's packages cannot be imported (None in
# sys.modules makes an import fail as if the package were not installed).
WITHOUT_THE_EXTRA = """
import sys
for name in ("ranx", "matplotlib", "langchain_huggingface"):
    sys.modules[name] = None
from typer.testing import CliRunner
from cli.main import app
for args in (["--help"], ["bench", "--help"], ["bench", "pdf-questions", "--help"]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
from benchmarks.extra import EvalExtraMissingError
from benchmarks.quality.scores import per_query_scores
from benchmarks.report import line_plot
for needs_the_extra in (
    lambda: per_query_scores({"q": {"d": 1}}, {}),
    lambda: line_plot("t", "x", "y", {}),
):
    try:
        needs_the_extra()
    except EvalExtraMissingError as error:
        assert "cardiorag[eval]" in str(error), error
    else:
        raise AssertionError("ran without the eval extra")
"""


def test_a_missing_package_is_named_with_the_extra_that_installs_it() -> None:
    with pytest.raises(EvalExtraMissingError) as raised:
        require_eval("no_such_package_here", or_else="run without it")
    assert raised.value.package == "no_such_package_here"
    message = str(raised.value)
    assert "make install" in message and "cardiorag[eval]" in message
    assert message.endswith("; or run without it")


def test_an_installed_package_passes() -> None:
    require_eval("json")


def test_the_commands_start_without_the_extra_and_its_runs_say_what_to_install() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_EXTRA], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
