"""Run a typer app as a console script: our errors become one line on stderr, not a traceback."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from retrieval.settings import Settings


def run_app(app: typer.Typer, handled: tuple[type[Exception], ...]) -> NoReturn:
    """Exit 1 on a `handled` error (traceback with --debug or CARDIORAG_DEBUG), 2 on misuse."""
    err = Console(stderr=True)
    debug = "--debug" in sys.argv[1:] or Settings.debug_enabled()
    try:
        # Without standalone mode, click returns the code of a `typer.Exit` instead of raising.
        code = app(standalone_mode=False)
    except typer.Exit as stop:
        sys.exit(stop.exit_code)
    except handled as error:
        if debug:
            raise
        err.print(f"error: {error}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except ValidationError as error:
        if debug or error.title != Settings.__name__:
            raise
        for problem in error.errors():
            name = "__".join(str(part) for part in problem["loc"])
            err.print(
                f"error: setting {name} (CARDIORAG_{name.upper()}): {problem['msg']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        sys.exit(1)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as error:
        # Usage errors (exit code 2). Typer vendors its own click, so they are not
        # `click.ClickException`s and `except click.ClickException` would miss them.
        show = getattr(error, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"error: {error.format_message()}", highlight=False, markup=False)
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
