"""Benchmarks: start a quality run without blocking the app; past runs as tables and plots."""

from __future__ import annotations

import streamlit as st

from ui import resources
from ui.guard import shows_errors
from ui.jobs.benchmarks import job_progress, runs_table, show_run, start_form


def main() -> None:
    """Draw the page: the start form, running jobs, the stored runs and the chosen one."""
    st.title("Benchmarks")
    with shows_errors():
        with st.expander("New quality run", expanded=False):
            start_form()
        job_progress()
        runs = resources.runs().benchmark_runs()
        if not runs:
            st.info(
                "No benchmark runs yet: start one above, or run `benchmarks quality`, "
                "`benchmarks separation` or `benchmarks speed` with this data dir."
            )
            return
        runs_table(runs)
        chosen = st.selectbox(
            "Show run",
            runs,
            format_func=lambda run: f"{run.id}: {run.kind} {run.name} ({run.status})",
            key="benchmarks.show",
        )
        if chosen is not None:
            show_run(chosen)


main()
