"""Run a typer app as a console script: our errors become one line on stderr, not a traceback.

With `--json` on the command line, the same line also goes to stdout as `{"error": ...}`, so a
script reading the output always gets JSON.
"""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from retrieval.settings import Settings


def _json_error(message: str, code: int) -> None:
    """`{"error": ...}` on stdout when the command line asked for JSON."""
    if "--json" in sys.argv[1:]:
        print(json.dumps({"error": message, "exit_code": code}))


def _fail(message: str, code: int) -> NoReturn:
    """Say what went wrong in one line (and as JSON where JSON was asked for), then exit."""
    Console(stderr=True).print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
    _json_error(message, code)
    sys.exit(code)


def run_app(app: typer.Typer, handled: tuple[type[Exception], ...]) -> NoReturn:
    """Exit 1 on a `handled` error (traceback with --debug or CARDIORAG_DEBUG), 2 on misuse."""
    debug = "--debug" in sys.argv[1:] or Settings.debug_enabled()
    try:
        # Without standalone mode, click returns the code of a `typer.Exit` instead of raising.
        code = app(standalone_mode=False)
    except typer.Exit as stop:
        sys.exit(stop.exit_code)
    except handled as error:
        if debug:
            raise
        _fail(str(error), 1)
    except ValidationError as error:
        if debug or error.title != Settings.__name__:
            raise
        _fail(
            "; ".join(
                f"setting {name} (CARDIORAG_{name.upper()}): {problem['msg']}"
                for problem in error.errors()
                for name in ["__".join(str(part) for part in problem["loc"])]
            ),
            1,
        )
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as error:
        # Usage errors (exit code 2). Typer vendors its own click, so they are not
        # `click.ClickException`s and `except click.ClickException` would miss them.
        show = getattr(error, "show", None)
        if show is None:
            _fail(error.format_message(), error.exit_code)
        show()
        _json_error(error.format_message(), error.exit_code)
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
