"""How a stored run is shown again: its kind's Markdown and figures, rebuilt from its JSON.

The CLI renders a run when it finishes; the web app renders runs from the catalog later,
with the very same functions, so both always show the same tables and plots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.quality.calibration import calibration_markdown
from benchmarks.quality.pdf_questions import pdf_questions_markdown
from benchmarks.quality.retrieval_quality import quality_figures, quality_markdown
from benchmarks.quality.separation import separation_figures, separation_markdown
from benchmarks.quality.shorthand_questions import shorthand_markdown
from benchmarks.speed.ingest_and_search import speed_figures, speed_markdown
from benchmarks.speed.ingest_memory import memory_figures, memory_markdown
from benchmarks.speed.load import load_figures, load_markdown
from benchmarks.speed.rerank_latency import rerank_latency_figures, rerank_latency_markdown

Renderer = tuple[Callable[[dict[str, Any]], str], Callable[[dict[str, Any]], dict[str, Any]]]


def _no_figures(_payload: dict[str, Any]) -> dict[str, Any]:
    return {}


# One entry per kind that `recorded_run` stores, so every stored run can be shown again.
RENDERERS: dict[str, Renderer] = {
    "quality": (quality_markdown, quality_figures),
    "separation": (separation_markdown, separation_figures),
    "speed": (speed_markdown, speed_figures),
    "calibration": (calibration_markdown, _no_figures),
    "load": (load_markdown, load_figures),
    "ingest_memory": (memory_markdown, memory_figures),
    "rerank_latency": (rerank_latency_markdown, rerank_latency_figures),
    "pdf_questions": (pdf_questions_markdown, _no_figures),
    "shorthand": (shorthand_markdown, _no_figures),
}


def render(kind: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Markdown and named figures of a finished run of `kind`.

    Raises:
        KeyError: For a kind this version cannot show.
    """
    markdown, figures = RENDERERS[kind]
    return markdown(payload), figures(payload)
