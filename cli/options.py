"""Options shared by CardioRAG's command-line tools (after huggingface_hub's `_cli_utils`).

Every command takes the same five (`--data-dir`, `--models-file`, `-v`, `-q`, `--debug`):
`common_options` adds them to a command's signature and hands them over as one `Common`.
Commands that reach the store or torch opt in to `--qdrant-url`/`--sql-url` and `--threads`
the same way, so each is declared and passed to the settings in one place.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, get_type_hints

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

# The opt-in options of `common_options`: parameter -> (its option, the setting it gives).
_STORE_OPTIONS = {"qdrant_url": (QdrantUrlOpt, "qdrant_url"), "sql_url": (SqlUrlOpt, "sql_url")}
_THREADS_OPTIONS = {"threads": (ThreadsOpt, "torch_threads")}


@dataclass(frozen=True, slots=True)
class Common:
    """The options every command takes, as given on its command line."""

    data_dir: Path | None
    models_file: Path | None
    verbose: int
    quiet: bool
    debug: bool  # read by `cli.console.run_app` from the command line, before parsing
    given: dict[str, Any] = field(default_factory=dict)  # settings of the opt-in options

    def settings(self, **overrides: Any) -> Settings:
        """Logging set up, then the settings with the command line's values over the rest.

        `overrides` are a command's own settings options (`quantization=...`), over those of
        the opt-in options; None means "not given".
        """
        configure_logging(self.verbose, quiet=self.quiet)
        settings = Settings.load(
            data_dir=self.data_dir, models_file=self.models_file, **(self.given | overrides)
        )
        settings.configure_torch()
        return settings


def _common_parameters(verbose: int) -> list[inspect.Parameter]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("data_dir", keyword, default=None, annotation=DataDirOpt),
        inspect.Parameter("models_file", keyword, default=None, annotation=ModelsFileOpt),
        inspect.Parameter("verbose", keyword, default=verbose, annotation=VerboseOpt),
        inspect.Parameter("quiet", keyword, default=False, annotation=QuietOpt),
        inspect.Parameter("debug", keyword, default=False, annotation=DebugOpt),
    ]


def common_options(
    *, verbose: int = 1, store: bool = False, threads: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the common options; it receives them as its `common: Common` argument.

    `verbose` is the default log level (0: warnings only, for commands whose output is read).
    `store` adds `--qdrant-url` and `--sql-url`, `threads` adds `--threads`: `common.settings()`
    applies them. Typer reads the returned function's signature: the command's own options,
    then the opt-in ones, then the common ones.
    """
    opted = (_STORE_OPTIONS if store else {}) | (_THREADS_OPTIONS if threads else {})
    keyword = inspect.Parameter.KEYWORD_ONLY
    opt_in = [
        inspect.Parameter(name, keyword, default=None, annotation=option)
        for name, (option, _) in opted.items()
    ]

    def common(**values: Any) -> Common:
        given = {setting: values.pop(name) for name, (_, setting) in opted.items()}
        return Common(**values, given=given)

    return bundled_options("common", [*opt_in, *_common_parameters(verbose)], common)


def bundled_options(
    name: str, parameters: Sequence[inspect.Parameter], bundle: Callable[..., Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add `parameters` to a command's signature; it receives them as one `name` argument.

    Why: options that many commands share are declared once, and the command gets them as one
    object, `bundle(**their values)`. Typer reads the returned function's signature: the
    command's own parameters (less `name`), then `parameters`.
    """
    names = [parameter.name for parameter in parameters]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        hints = get_type_hints(command, include_extras=True)
        own = [
            parameter.replace(annotation=hints[parameter.name])
            for parameter in inspect.signature(command).parameters.values()
            if parameter.name != name
        ]
        signature = inspect.Signature([*own, *parameters])

        @functools.wraps(command)
        def with_bundle(*args: Any, **kwargs: Any) -> Any:
            bundled = bundle(**{option: kwargs.pop(option) for option in names})
            return command(*args, **{name: bundled}, **kwargs)

        del with_bundle.__wrapped__  # typer must see the signature below, not the command's
        with_bundle.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        with_bundle.__signature__ = signature  # type: ignore[attr-defined]
        return with_bundle

    return decorate
