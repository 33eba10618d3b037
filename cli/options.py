"""Options shared by CardioRAG's command-line tools (after huggingface_hub's `_cli_utils`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.logs import configure_logging
from retrieval import Settings

CorpusOpt = Annotated[
    str | None,
    typer.Option("--corpus", "-c", help="Corpus name [default: setting default_corpus]."),
]
ModelOpt = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Model spec id; repeat for several (see --models)."),
]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Embedded store and catalog folder.")
]
QdrantUrlOpt = Annotated[
    str | None, typer.Option("--qdrant-url", help="Qdrant server URL; empty = embedded store.")
]
SqlUrlOpt = Annotated[str | None, typer.Option("--sql-url", help="SQLAlchemy URL of the catalog.")]
ModelsFileOpt = Annotated[
    Path | None, typer.Option("--models-file", help="Your models.toml, merged over ours.")
]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", min=1, help="torch threads.")]
JsonOpt = Annotated[
    Path | None, typer.Option("--json", help="Also write the result as JSON to this file.")
]
VerboseOpt = Annotated[
    int, typer.Option("--verbose", "-v", count=True, help="More log lines (-vv: debug).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or logs.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of CardioRAG errors.")]
JsonFlagOpt = Annotated[
    bool, typer.Option("--json", help='Print JSON on stdout (errors too: {"error": ...}).')
]


def command_settings(
    data_dir: Path | None,
    threads: int | None,
    verbose: int,
    *,
    quiet: bool,
    models_file: Path | None = None,
) -> Settings:
    """Logging set up, then the settings with the command line's values over the rest."""
    configure_logging(verbose, quiet=quiet)
    settings = Settings.load(data_dir=data_dir, torch_threads=threads, models_file=models_file)
    settings.configure_torch()
    return settings
