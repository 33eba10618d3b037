"""The adapter's model card (README.md), rendered from its `cardiorag_adapter.json` record."""

from __future__ import annotations

from typing import Any

from adapters.adapter_info import AdapterInfo


def _interval(estimate: dict[str, float]) -> str:
    return f"{estimate['mean']:+.4f} [{estimate['low']:+.4f}, {estimate['high']:+.4f}]"


def _options_table(options: dict[str, Any]) -> list[str]:
    rows = ["| hyper-parameter | value |", "|---|---|"]
    rows += [f"| {name} | {value} |" for name, value in options.items()]
    return rows


def _heldout_table(heldout: dict[str, Any]) -> list[str]:
    base, adapter = heldout["base"], heldout["adapter"]
    rows = ["| held-out pairs | base | adapter |", "|---|---|---|"]
    for metric in ("nDCG@10", "MRR@10", "Recall@10"):
        rows.append(f"| {metric} | {base[metric]:.4f} | {adapter[metric]:.4f} |")
    for side in ("similar", "different"):
        label = f"mean cosine, {side} pairs"
        rows.append(
            f"| {label} | {base['separation'][side]:.4f} | {adapter['separation'][side]:.4f} |"
        )
    rows.append(
        "| separation score [95% CI] | "
        f"{_interval(base['separation']['separation'])} | "
        f"{_interval(adapter['separation']['separation'])} |"
    )
    return rows


def _scale_note(evaluation: dict[str, Any]) -> str:
    scale = evaluation.get("adapter_scale", 1.0)
    return "" if scale == 1.0 else f", the adapter's update weighed {scale:g}"


def _separation_table(result: dict[str, Any], scale_note: str) -> list[str]:
    rows = [
        f"**Separation score** on {result['pairs']} held-out pairs{scale_note}",
        "",
        "| model | mean cosine, similar | mean cosine, different | separation [95% CI] |",
        "|---|---|---|---|",
    ]
    for model_id, score in result["scores"].items():
        rows.append(
            f"| {model_id} | {score['similar']:.4f} | {score['different']:.4f} | "
            f"{_interval(score['separation'])} |"
        )
    return [*rows, ""]


def _evaluation_table(evaluation: dict[str, Any]) -> list[str]:
    if "separation" in evaluation:
        return _separation_table(evaluation["separation"], _scale_note(evaluation))
    against = evaluation["against"]
    rows = [
        f"**{evaluation['dataset']}** ({evaluation['queries']} queries, "
        f"{evaluation['mode']} search{_scale_note(evaluation)}, "
        f"commit `{evaluation['commit'][:10]}`)",
        "",
        f"| metric | {against} | this adapter | difference [95% CI] |",
        "|---|---|---|---|",
    ]
    for metric, values in evaluation["metrics"].items():
        rows.append(
            f"| {metric} | {values['against']:.4f} | {values['model']:.4f} | "
            f"{_interval(values['difference'])} |"
        )
    return [*rows, ""]


def render_model_card(info: AdapterInfo) -> str:
    """Markdown with a Hugging Face style front matter, so the folder can be published as is."""
    training = info.training
    data = info.data
    lines = [
        "---",
        "library_name: peft",
        f"base_model: {info.base}",
        "tags: [sentence-transformers, lora, cardiology, cardiorag]",
        "---",
        "",
        f"# LoRA adapter for `{info.base_spec}` ({info.base})",
        "",
        "A CardioRAG adapter: LoRA on the attention projections, trained with Multiple "
        "Negatives Ranking loss (in-batch negatives) through sentence-transformers and peft.",
        "",
        "## Reproduce",
        "",
        "```",
        training.get("command") or "(command not recorded)",
        "```",
        "",
        f"Seed {info.options['seed']}; wall time {training['seconds'] / 60:.1f} min for "
        f"{training['steps']} steps (best held-out step: {training['best_step']}; "
        f"stopped early: {training['stopped_early']}). A reloaded copy reproduced the trained "
        f"model's embeddings to {training['reload_max_difference']:.1e}.",
        "",
        "## Data",
        "",
        f"{data['train_pairs']} training pairs and {data['heldout_pairs']} held-out pairs "
        "(split by a hash of the query, so one question never lands on both sides).",
        "",
    ]
    lines += [f"- {source}" for source in data.get("files", [])]
    if data.get("excluded_queries"):
        lines.append(
            f"- {data['excluded_queries']} pairs dropped because their query is an evaluation "
            f"query ({', '.join(data.get('exclude_files', []))})"
        )
    lines += ["", "## Hyper-parameters", "", *_options_table(info.options), ""]
    lines += ["## Held-out scores", "", *_heldout_table(info.heldout), ""]
    if info.evaluations:
        lines += ["## Evaluation (`adapters eval`)", ""]
        for evaluation in info.evaluations:
            lines += _evaluation_table(evaluation)
    return "\n".join(lines).rstrip() + "\n"
