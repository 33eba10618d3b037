"""Two quality runs of one set, made apart (e.g. before and after a change), paired per query.

`benchmarks quality` keeps nDCG@10, Recall@10 and MRR@10 per query in its JSON. Pairing two
runs on the same queries gives an interval for the change that two independent intervals
cannot: most of the spread between queries is shared and cancels.
"""

from __future__ import annotations

from typing import Any

from benchmarks.quality.evaluation import ModeResult
from benchmarks.quality.retrieval_quality import PER_QUERY, difference_cell, paired_differences
from benchmarks.report import markdown_table


class RunsNotComparableError(ValueError):
    """The two runs cannot be paired: another set, or no per-query values."""


def _mode_results(run: dict[str, Any], name: str) -> dict[tuple[str, str], ModeResult]:
    if "per_query" not in run:
        raise RunsNotComparableError(
            f"{name} holds no per-query values (a quality run older than `benchmarks compare`); "
            "run `benchmarks quality` again"
        )
    return {
        (model, mode): ModeResult(run["results"][model][mode], values)
        for model, modes in run["per_query"].items()
        for mode, values in modes.items()
    }


def compare_runs(before: dict[str, Any], after: dict[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """`after - before` per model and mode that both runs hold, with 95% interval and p-value.

    Raises:
        RunsNotComparableError: Runs of different sets (by the hash of the set's files), or
            without per-query values, or with no model and mode in common.
    """
    if before.get("dataset_hash") != after.get("dataset_hash"):
        raise RunsNotComparableError(
            f"the runs are of different sets: {before.get('dataset')} "
            f"({before.get('dataset_hash')}) and {after.get('dataset')} "
            f"({after.get('dataset_hash')})"
        )
    first, second = _mode_results(before, "the first run"), _mode_results(after, "the second run")
    shared = [key for key in second if key in first]
    if not shared:
        raise RunsNotComparableError(
            f"no model and mode in common: {sorted(first)} and {sorted(second)}"
        )
    return {
        "dataset": after["dataset"],
        "before": {"run_id": before.get("run_id"), "options": before.get("options")},
        "after": {"run_id": after.get("run_id"), "options": after.get("options")},
        "rows": [
            {
                "model": model,
                "mode": mode,
                "before": {metric: first[model, mode].metrics[metric] for metric in PER_QUERY},
                "after": {metric: second[model, mode].metrics[metric] for metric in PER_QUERY},
                "difference": paired_differences(
                    second[model, mode], first[model, mode], PER_QUERY, seed=seed
                ),
            }
            for model, mode in shared
        ],
    }


def comparison_markdown(compared: dict[str, Any]) -> str:
    """One row per model and mode: each metric before, after, and the paired difference."""
    header = ["model", "mode"] + [
        column for metric in PER_QUERY for column in (f"{metric} before", "after", "difference")
    ]
    rows = [
        [row["model"], row["mode"]]
        + [
            cell
            for metric in PER_QUERY
            for cell in (
                f"{row['before'][metric]:.3f}",
                f"{row['after'][metric]:.3f}",
                difference_cell(row["difference"][metric]),
            )
        ]
        for row in compared["rows"]
    ]
    return "\n".join(
        [
            f"## {compared['dataset']}: second run minus first, paired on the same queries",
            "",
            "Mean difference [95% bootstrap interval] (paired permutation p-value).",
            "",
            markdown_table(header, rows),
        ]
    )
