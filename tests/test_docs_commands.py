"""Every command line README.md and docs/ show parses: its subcommands, options and values;
every `python -m` script they name exists.

A newcomer copies these lines; an option renamed in the code and not in the docs fails here.
Commands are parsed, not run (some take hours): click checks each option, choice and value.
The tour's commands are run for real in tests/cli/test_cardiorag.py.
"""

from __future__ import annotations

import importlib.util
import re
import shlex

import pytest
import typer
import typer.main

from cli.adapters.commands import app as adapters_app
from cli.bench.commands import app as bench_app
from cli.ingest import app as ingest_app
from cli.main import app as cardiorag_app
from tests.support.paths import REPO

APPS: dict[str, typer.Typer] = {
    "cardiorag": cardiorag_app,
    "ingest": ingest_app,
    "adapters": adapters_app,
    "benchmarks": bench_app,
}
_FENCE = re.compile(r"```(?:bash|sh|console)\n(.*?)```", re.DOTALL)
_PREFIX = re.compile(r"^(?:\$ )?(?:[\w.-]*/)*")
_MODULE = re.compile(r"\bpython -m ((?:experiments|benchmarks|cli|ui|api)(?:\.\w+)*)")


def _documented_lines() -> list[tuple[str, str]]:
    """(where, line) for each line of a bash block of the docs, continuations joined."""
    found = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for block in _FENCE.findall(path.read_text(encoding="utf-8")):
            joined = re.sub(r"\\\n\s*", " ", block)
            for raw in joined.splitlines():
                found.append((path.relative_to(REPO).as_posix(), _PREFIX.sub("", raw.strip())))
    return found


def documented_commands() -> list[tuple[str, str]]:
    """(where, command line) for each of our commands in a bash block of the docs."""
    return [
        (where, line)
        for where, line in _documented_lines()
        if line.split(" ", 1)[0] in APPS and "$" not in line
    ]


def parse(command, args: list[str], name: str, parent=None) -> None:
    """Parse `args` as click would run them, down through every subcommand.

    The docs name the reader's files (my-adapters/...): a path that does not exist here is
    not an error of the docs (options and their spelling are checked before paths).
    """
    try:
        context = command.make_context(name, list(args), parent=parent)
    except typer.BadParameter as error:
        if "does not exist" in error.format_message():
            return
        raise
    rest = [*context._protected_args, *context.args]
    if hasattr(command, "commands") and rest:
        sub = command.get_command(context, rest[0])
        assert sub is not None, f"no subcommand {rest[0]!r} of {name}"
        parse(sub, rest[1:], rest[0], context)


def test_the_docs_show_our_commands() -> None:
    names = {line.split(" ", 1)[0] for _, line in documented_commands()}
    assert "cardiorag" in names


@pytest.mark.parametrize(("where", "line"), documented_commands())
def test_a_documented_command_parses(where: str, line: str) -> None:
    name, *args = shlex.split(line, comments=True)
    if "--help" in args:
        return
    parse(typer.main.get_command(APPS[name]), args, name)


@pytest.mark.parametrize(
    ("where", "module"),
    sorted({(where, m) for where, line in _documented_lines() for m in _MODULE.findall(line)}),
)
def test_a_documented_script_exists(where: str, module: str) -> None:
    # `python -m experiments.NAME` and the like: a script moved or removed fails here.
    assert importlib.util.find_spec(module) is not None, f"{where}: no module {module}"
