"""`cardiorag abbreviations`: what a corpus's documents define, and how a query would be read.

Examples:
    cardiorag abbreviations --corpus cardiology
    cardiorag abbreviations --corpus cardiology --query "HFrEF after CABG" --json
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.options import Common, CorpusOpt, JsonFlagOpt, common_options
from retrieval import open_runtime
from retrieval.search.query_reader import QueryReader


@common_options(verbose=0)
def abbreviations(
    corpus: CorpusOpt = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Also show how this query is read.")
    ] = None,
    as_json: JsonFlagOpt = False,
    *,
    common: Common,
) -> None:
    """The abbreviations the corpus's documents define (they win over the shipped list)."""
    settings = common.settings()
    with open_runtime(settings) as runtime:
        name = corpus or settings.default_corpus
        defined = sorted(
            runtime.catalog.corpus_definitions(name), key=lambda d: (d.short, -d.count)
        )
        reader = QueryReader(runtime.catalog, name)  # reading needs no model
        reading = reader.read(query, expand=True) if query else None
    if as_json:
        record = {"corpus": name, "definitions": [asdict(d) for d in defined]}
        if reading is not None:
            record["reading"] = reading.record()
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"abbreviations {name} defines ({len(defined)})")
    for column in ("short", "long form", "times", "documents"):
        table.add_column(column, overflow="fold")
    for definition in defined:
        table.add_row(
            definition.short, definition.long, str(definition.count), str(definition.documents)
        )
    console = Console()
    console.print(table)
    if reading is not None:
        console.print(f"Read: {reading.describe() or 'as typed'}", highlight=False, markup=False)
