"""Stored runs shown again from their JSON: every recorded kind, committed results, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from benchmarks.views import RENDERERS, render
from cli.bench.commands import app

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
RECORDED = sorted(
    path
    for path in RESULTS.glob("*.json")
    if isinstance(document := json.loads(path.read_text(encoding="utf-8")), dict)
    and "kind" in document
)


def test_every_kind_of_committed_run_has_a_renderer() -> None:
    kinds = {json.loads(path.read_text(encoding="utf-8"))["kind"] for path in RECORDED}
    assert {"speed", "quality", "load", "ingest_memory", "calibration"} <= kinds <= set(RENDERERS)


@pytest.mark.parametrize("path", RECORDED, ids=lambda path: path.stem)
def test_each_committed_run_renders_its_table_and_plots(path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    markdown, figures = render(payload["kind"], payload)
    assert markdown.count("\n|") >= 2  # a table: its header and at least one row
    for figure in figures.values():
        assert figure.axes and any(axes.has_data() for axes in figure.axes)


def test_show_prints_the_report_and_writes_the_plots(tmp_path: Path) -> None:
    source = RESULTS / "ingest_memory_int8_1m.json"
    result = CliRunner().invoke(app, ["show", str(source), "--plots", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    assert "1,000,000" in result.output
    assert "peak_anon_flat_within_20pct True" in result.output
    plot = tmp_path / "plots" / "peak_rss_vs_records.png"
    assert f"plot: {plot}" in result.output.replace("\n", "")
    with Image.open(plot) as image:
        assert image.width > 300 and image.height > 200


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "Expecting property name"),
        ('{"kind": "tea"}', "its kind is 'tea'"),
        ("[1, 2]", "its kind is None"),
    ],
)
def test_show_names_the_file_and_why_it_cannot_be_shown(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["show", str(path)])
    assert result.exit_code == 2
    flat = " ".join(result.output.split())
    assert "odd.json" in flat and reason in flat
