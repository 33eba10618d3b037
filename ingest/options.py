"""What an ingest run is asked to do, and the callbacks it is given."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters import Encoder, ModelSpec
from ingest.loaders import LoadOptions
from retrieval.settings import Settings

EncoderLoader = Callable[[ModelSpec], Encoder]
# Told (stage, done, total) as work advances: stage "parse" counts files, "load <model>" the
# models loaded so far (of the run's), "embed <model>" chunks, "check <file>" and "write <file>"
# the records of a JSONL or CSV file read so far (total 0: not known until the end).
ProgressCallback = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """The default progress callback: nobody is listening."""


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Which corpus and models a run writes, and how it reads, cuts and embeds the files.

    `context_template` is what dense vectors embed (`ContextTemplate`); None keeps an existing
    corpus's own and gives a new one `DEFAULT_TEMPLATE`. Another than the corpus's is refused
    unless `recreate` rebuilds the corpus with it. `overlap_tokens` counts tokens of the
    corpus's tokenizer; `show_progress` draws tqdm bars on stderr.

    Example:
        >>> IngestOptions(corpus="cardiology", models=[], dry_run=True).recreate
        False
    """

    corpus: str
    models: Sequence[ModelSpec]
    load: LoadOptions = field(default_factory=LoadOptions)
    recreate: bool = False
    dry_run: bool = False
    overlap_tokens: int = 32
    context_template: str | None = None
    batch_size: int = 32
    show_progress: bool = False
    # Processes parsing files ahead of the writes (`ingest.loaders.parse_ahead`).
    parse_workers: int = 1

    @classmethod
    def from_settings(
        cls, settings: Settings, corpus: str, models: Sequence[ModelSpec], **fields: Any
    ) -> IngestOptions:
        """Options with the settings' overlap, context template and batch size; `fields` win."""
        chosen: dict[str, Any] = {
            "overlap_tokens": settings.chunk_overlap_tokens,
            "context_template": settings.context_template,
            "batch_size": settings.embed_batch_size,
            "parse_workers": settings.parse_workers,
        }
        return cls(corpus=corpus, models=models, **(chosen | fields))
