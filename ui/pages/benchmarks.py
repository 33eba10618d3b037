"""Benchmarks: past benchmark runs from the catalog (a placeholder; the full page comes later)."""

from __future__ import annotations

import streamlit as st

from ui import resources
from ui.guard import shows_errors


def main() -> None:
    """Draw the page: one row per stored run, newest first."""
    st.title("Benchmarks")
    with shows_errors():
        runs = resources.catalog().benchmark_runs()
        if not runs:
            st.info("No benchmark runs yet: run `benchmarks ...` from the command line.")
            return
        st.dataframe(
            [
                {
                    "id": run.id,
                    "kind": run.kind,
                    "name": run.name,
                    "status": run.status,
                    "started": run.started_at,
                    "finished": run.finished_at,
                    "error": run.error or "",
                }
                for run in runs
            ],
            hide_index=True,
            key="benchmarks.runs",
        )


main()
