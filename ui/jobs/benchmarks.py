"""The Benchmarks page's parts: start a quality run in the background, list and show runs.

A run started here is the same as `benchmarks quality`: recorded in the catalog as running,
then finished with its JSON (or failed with its reason), its files under `<data dir>/runs`.
It shares the app's store and catalog, so it never fights the app for the embedded store.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from benchmarks.quality.beir import BeirFormatError, read_beir
from benchmarks.quality.retrieval_quality import QualityOptions, run_quality
from benchmarks.report import recorded_run
from benchmarks.views import render
from retrieval import BenchmarkRun, SearchMode
from ui import resources
from ui.jobs.board import Job, Progress

JOB_PREFIX = "benchmark: "


def dataset_folders() -> dict[str, Path]:
    """BEIR sets found under `<datasets_dir>/eval` and `<data dir>/data/eval`, by name."""
    settings = resources.settings()
    found: dict[str, Path] = {}
    for root in (settings.datasets_dir, settings.data_dir / "data"):
        eval_dir = root / "eval"
        if eval_dir.is_dir():
            for folder in sorted(eval_dir.iterdir()):
                if (folder / "qrels").is_dir():
                    found.setdefault(folder.name, folder)
    return found


def start_quality_run(folder: Path, models: list[str], modes: list[SearchMode]) -> Job:
    """Validate the set here (so a bad folder is an error on the page), then run it in a job.

    Raises:
        BeirFormatError: When the folder is not a usable BEIR set.
    """
    beir = read_beir(folder)
    runtime = resources.runtime()

    def work(progress: Progress) -> int:
        runs_dir = runtime.settings.data_dir / "runs"
        with recorded_run(runtime.runs, "quality", beir.name, runs_dir) as run:
            run.output = run_quality(
                beir, models, modes, runtime, options=QualityOptions(), on_step=progress
            )
        return run.run_id

    return resources.jobs().start(f"{JOB_PREFIX}{beir.name} ({', '.join(models)})", work)


def start_form() -> None:
    """Dataset, models and modes; starting is refused with the reason, never a traceback."""
    folders = dataset_folders()
    if not folders:
        st.info(
            "No evaluation sets found. Set CARDIORAG_DATA to a folder with eval/<name> BEIR "
            "sets, or run `benchmarks datasets download all`."
        )
        return
    specs = resources.specs()
    with st.form("benchmarks.start"):
        dataset = st.selectbox("Dataset", list(folders), key="benchmarks.dataset")
        models = st.multiselect(
            "Models (the first is the one the others are tested against)",
            list(specs),
            default=[resources.settings().default_model],
            key="benchmarks.models",
        )
        modes = st.multiselect(
            "Search modes", [str(mode) for mode in SearchMode], default=["dense", "hybrid"]
        )
        submitted = st.form_submit_button("Start quality run")
    if not submitted:
        return
    if not models or not modes:
        st.error("Choose at least one model and one search mode.")
        return
    try:
        job = start_quality_run(folders[dataset], models, [SearchMode(mode) for mode in modes])
    except BeirFormatError as error:
        st.error(str(error))
        return
    st.success(f"Started: {job.label}. It runs in the background; keep searching meanwhile.")


@st.fragment(run_every=2)
def job_progress() -> None:
    """Running and recent benchmark jobs of this server process, refreshed every 2 s."""
    jobs = [job for job in resources.jobs().jobs() if job.label.startswith(JOB_PREFIX)]
    for job in jobs[:5]:
        label = job.label.removeprefix(JOB_PREFIX)
        if job.status == "running":
            st.progress(job.fraction, text=f"{label}: {job.stage} ({job.seconds:.0f} s)")
        elif job.status == "failed":
            st.error(f"{label}: {job.error}")
        else:
            st.success(f"{label}: finished in {job.seconds:.0f} s (run {job.result})")


def runs_table(runs: list[BenchmarkRun]) -> None:
    """One row per stored run, newest first."""
    st.dataframe(
        [
            {
                "id": run.id,
                "kind": run.kind,
                "name": run.name,
                "status": run.status,
                "models": ", ".join((run.results or {}).get("models", {})),
                "started": run.started_at,
                "seconds": (run.results or {}).get("seconds"),
                "commit": str((run.results or {}).get("commit", ""))[:10],
                "error": run.error or "",
            }
            for run in runs
        ],
        hide_index=True,
        key="benchmarks.runs",
    )


def show_run(run: BenchmarkRun) -> None:
    """A finished run's tables and plots, rebuilt from its stored JSON."""
    if run.results is None:
        st.warning(f"Run {run.id} is {run.status}: it has no results. {run.error or ''}")
        return
    try:
        markdown, figures = render(run.kind, run.results)
    except KeyError:
        st.warning(f"This version cannot show {run.kind!r} runs; its JSON is below.")
        st.json(run.results, expanded=False)
        return
    st.markdown(markdown)
    columns = st.columns(max(1, min(2, len(figures))))
    for index, figure in enumerate(figures.values()):
        columns[index % len(columns)].pyplot(figure)
    with st.expander("JSON"):
        st.json(run.results, expanded=False)
