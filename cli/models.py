"""`cardiorag models`: the model specs, whether each loads offline, and where it runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from adapters import ModelNotFoundError, ModelSpec
from adapters.adapter_files import local_adapter_dir
from adapters.placement import describe_placement
from adapters.weights import resolve_base
from cli.options import (
    Common,
    JsonFlagOpt,
    common_options,
)
from retrieval import Runtime, Settings, open_runtime

ALL_COLUMNS = ("id", "base", "adapter", "weight", "max_tokens", "runs_on", "offline")


def _offline(spec: ModelSpec, settings: Settings) -> tuple[str, str]:
    """Whether the spec loads here ("yes", or what it lacks), and what to do if not."""
    try:
        resolve_base(spec, cache_dir=settings.model_cache_dir, allow_downloads=False)
    except ModelNotFoundError as error:
        return "base needs a download", error.hint
    if spec.adapter and local_adapter_dir(spec.adapter) is None:
        return "adapter needs a hub", f"{spec.adapter} is a hub id, not a local folder"
    return "yes", ""


def model_rows(runtime: Runtime) -> list[dict[str, Any]]:
    """One row per spec of the runtime (the shipped ones with the user's models file over them)."""
    rows = []
    for spec in runtime.specs.values():
        offline, why = _offline(spec, runtime.settings)
        rows.append(
            {
                "id": spec.id,
                "base": spec.base,
                "adapter": spec.adapter or "",
                "weight": f"{spec.adapter_scale:g}" if spec.adapter else "",
                "max_tokens": spec.max_seq_length,
                "runs_on": describe_placement(spec, runtime.settings.placement),
                "offline": offline,
                "why_not": why,
            }
        )
    return rows


def models_table(rows: list[dict[str, Any]], columns: Sequence[str] = ALL_COLUMNS) -> Table:
    """The rows as a table whose cells fold rather than cut: ids and paths stay whole."""
    table = Table(title="model specs")
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    return table


@common_options()
def models(
    as_json: JsonFlagOpt = False,
    *,
    common: Common,
) -> None:
    """List the model specs: base, adapter, weight, max tokens, device, dtype, offline or not."""
    with open_runtime(common.settings()) as runtime:
        rows = model_rows(runtime)
    show_models(rows, as_json=as_json)


def show_models(
    rows: list[dict[str, Any]], *, as_json: bool, columns: Sequence[str] = ALL_COLUMNS
) -> None:
    """The rows as JSON (every field, whole) or as a table of `columns`."""
    if as_json:
        typer.echo(json.dumps({"models": rows}, indent=2))
    else:
        Console().print(models_table(rows, columns))
