"""`adapters eval`: an adapted model beside another, on BEIR sets and on its held-out pairs.

Example:
    adapters eval --model minilm-cardio --against minilm
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters import AdapterError, get_spec
from adapters.adapter_files import local_adapter_dir, read_adapter_info, write_adapter_info
from adapters.training import PairFields, TextPair, pair_fingerprint, read_pairs
from benchmarks.quality.beir import BeirFormatError
from benchmarks.quality.comparison import compare_on_dataset, compare_separation
from cli.options import Common, common_options
from retrieval import SearchMode, Settings, open_runtime

out = Console()

DEFAULT_EVAL_SETS = ("openstax_glossary", "medquad_cardio_dev")


def _eval_sets(datasets: list[Path] | None, settings: Settings) -> list[Path]:
    """The sets asked for, else those of DEFAULT_EVAL_SETS in the datasets folder (setting)."""
    if datasets:
        return datasets
    folder = settings.datasets_dir / "eval"
    return [folder / name for name in DEFAULT_EVAL_SETS if (folder / name).is_dir()]


def _heldout_pairs(adapter_dir: Path, pairs_file: Path) -> list[TextPair]:
    """The pairs of `pairs_file` that the adapter's training held out (by their fingerprints)."""
    info = read_adapter_info(adapter_dir)
    if info is None or "heldout_fingerprints" not in info.data:
        return read_pairs(pairs_file)
    wanted = set(info.data["heldout_fingerprints"])
    pairs = read_pairs(pairs_file, PairFields(**info.data["fields"]))
    by_fingerprint = {pair_fingerprint(pair): pair for pair in pairs}
    heldout = [pair for fingerprint, pair in by_fingerprint.items() if fingerprint in wanted]
    if not heldout:
        raise AdapterError(f"{pairs_file} holds none of {adapter_dir.name}'s held-out pairs")
    return heldout


@common_options(threads=True)
def evaluate(
    model: Annotated[str, typer.Option(help="Spec id of the adapted model.")],
    against: Annotated[str, typer.Option(help="Spec id to compare with (its base).")],
    dataset: Annotated[
        list[Path] | None,
        typer.Option(help="BEIR folder; repeatable [default: the two sets in DATASETS_DIR/eval]."),
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option(
            help="Pairs file the adapter was trained on: separation on its held-out side."
        ),
    ] = None,
    mode: Annotated[SearchMode, typer.Option(help="Search mode of the retrieval metrics.")] = (
        SearchMode.DENSE
    ),
    update_card: Annotated[
        bool, typer.Option(help="Add the results to the adapter's model card.")
    ] = True,
    *,
    common: Common,
) -> None:
    """Separation score and nDCG@10 / Recall@10 / MRR@10 of a model beside another, with CIs."""
    settings = common.settings()
    with open_runtime(settings) as runtime:
        spec = get_spec(runtime.specs, model)
        get_spec(runtime.specs, against)
        adapter_dir = local_adapter_dir(spec.adapter)
        evaluations = []
        if pairs is not None:
            heldout = _heldout_pairs(adapter_dir, pairs) if adapter_dir else read_pairs(pairs)
            separation = compare_separation(model, against, heldout, runtime)
            evaluations.append({"separation": separation})
            _print_separation(separation)
        for folder in _eval_sets(dataset, settings):
            try:
                result = compare_on_dataset(
                    model, against, folder, runtime, mode=mode, show_progress=not common.quiet
                )
            except BeirFormatError as err:
                raise typer.BadParameter(str(err), param_hint="--dataset") from err
            evaluations.append(result)
            _print_comparison(result)
    for evaluation in evaluations:  # the card keeps each scale's results apart
        evaluation["adapter_scale"] = spec.adapter_scale
    info = read_adapter_info(adapter_dir) if adapter_dir else None
    if update_card and info is not None:
        info.evaluations = [
            *[e for e in info.evaluations if not _same_evaluation(e, evaluations)],
            *evaluations,
        ]
        write_adapter_info(adapter_dir, info)
        out.print(f"model card updated: {adapter_dir / 'README.md'}")


def _same_evaluation(old: dict, new: list[dict]) -> bool:
    key = ("dataset", "mode", "against")
    return any(
        all(old.get(k) == candidate.get(k) for k in key)
        and old.get("adapter_scale", 1.0) == candidate.get("adapter_scale", 1.0)
        and ("separation" in old) == ("separation" in candidate)
        for candidate in new
    )


def _interval(values: dict, sign: str = "") -> str:
    """`mean [low, high]` of a bootstrap interval; `sign="+"` for differences."""
    return f"{values['mean']:{sign}.4f} [{values['low']:{sign}.4f}, {values['high']:{sign}.4f}]"


def _print_table(title: str, columns: tuple[str, ...], rows: dict[str, tuple]) -> None:
    """Both kinds of result in one layout: a name, two scores, then their interval."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for name, (first, second, interval) in rows.items():
        table.add_row(name, f"{first:.4f}", f"{second:.4f}", interval)
    out.print(table)


def _print_comparison(result: dict) -> None:
    metrics = result["metrics"].items()
    _print_table(
        f"{result['dataset']}: {result['queries']} queries, {result['mode']}",
        ("metric", result["against"], result["model"], "difference [95% CI]"),
        {name: (v["against"], v["model"], _interval(v["difference"], "+")) for name, v in metrics},
    )


def _print_separation(result: dict) -> None:
    scores = result["scores"].items()
    _print_table(
        f"separation score on {result['pairs']} pairs",
        ("model", "similar", "different", "separation [95% CI]"),
        {name: (s["similar"], s["different"], _interval(s["separation"])) for name, s in scores},
    )
