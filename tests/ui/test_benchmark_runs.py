"""The Benchmarks page starts a real quality run in the background and shows it when done."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from retrieval import RunStore
from tests.support.corpora import TINY_BEIR_QUERIES, write_tiny_beir
from ui import resources

# ranx's own warnings (escape sequences in its LaTeX templates, a numba cast), not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:unsafe cast"),
]


def _wait_for_jobs(timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while resources.jobs().running():
        assert time.monotonic() < deadline, "the benchmark job did not finish"
        time.sleep(0.5)


def test_a_quality_run_started_on_the_page_is_stored_and_shown(
    open_app: Callable[..., AppTest],
    demo_dir: Path,
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    datasets = tmp_path / "datasets"
    write_tiny_beir(shared_data, datasets / "eval" / "openstax_tiny")
    monkeypatch.setenv("CARDIORAG_DATA", str(datasets))
    app = open_app("views/benchmarks.py")
    assert app.selectbox(key="benchmarks.dataset").options == ["openstax_tiny"]
    app.multiselect(key="benchmarks.models").set_value(["minilm"])
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert any("Started" in message.value for message in app.success)
    _wait_for_jobs()

    app.run()
    assert not app.exception, app.exception
    (run,) = RunStore(f"sqlite:///{demo_dir / 'catalog.db'}").benchmark_runs("quality")
    assert run.status == "finished", run.error
    assert run.results is not None and run.results["queries"] == TINY_BEIR_QUERIES
    assert list(app.dataframe[0].value["status"]) == ["finished"]
    shown = "\n".join(block.value for block in app.markdown)
    assert "| minilm | dense |" in shown and "| minilm | hybrid |" in shown
    assert (demo_dir / "runs").is_dir()


def test_a_folder_that_is_no_beir_set_is_not_offered(
    open_app: Callable[..., AppTest], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "datasets" / "eval" / "not_a_set").mkdir(parents=True)
    monkeypatch.setenv("CARDIORAG_DATA", str(tmp_path / "datasets"))
    app = open_app("views/benchmarks.py")
    assert any("No evaluation sets found" in message.value for message in app.info)
