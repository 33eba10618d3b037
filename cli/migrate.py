"""`cardiorag migrate`: copy a corpus to a Qdrant server and another catalog (PostgreSQL).

Points go first, then catalog rows, each checked by counts (`retrieval.migrate`). The same
copy is `cardiorag ingest --corpus C --migrate-to URL --migrate-sql-url SQL`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.options import Common, CorpusOpt, common_options
from retrieval import Index, Settings, open_runtime
from retrieval.migrate import migrate_corpus


def copy_corpus(
    corpus: str, index: Index, settings: Settings, url: str, sql_url: str, api_key: str | None
) -> None:
    """Copy `corpus` from `index` to the server at `url` and the catalog at `sql_url`."""
    target_settings = Settings.load(
        data_dir=settings.data_dir, qdrant_url=url, sql_url=sql_url, qdrant_api_key=api_key
    )
    with open_runtime(target_settings) as target:
        report = migrate_corpus(corpus, index, target.index, show_progress=sys.stderr.isatty())
        target_url = target.catalog.safe_url
    table = Table(title=f"corpus {corpus!r} copied to {url} and {target_url}")
    table.add_column("", overflow="fold")
    table.add_column("count (source = target)", justify="right")
    for name, points in report.points.items():
        table.add_row(f"points in {name}", str(points))
    for name, rows in report.rows.items():
        table.add_row(f"catalog {name}", str(rows))
    Console().print(table)


@common_options(store=True)
def migrate(
    to: Annotated[str, typer.Option("--to", help="URL of the Qdrant server to copy to.")],
    to_sql_url: Annotated[
        str,
        typer.Option(
            "--to-sql-url",
            envvar="CARDIORAG_MIGRATE_SQL_URL",
            help="Catalog to copy the rows into (e.g. postgresql+psycopg://...).",
        ),
    ],
    corpus: CorpusOpt = None,
    to_api_key: Annotated[
        str | None,
        typer.Option(
            "--to-api-key",
            envvar="CARDIORAG_MIGRATE_QDRANT_API_KEY",
            help="API key of the target server (better given by the environment variable).",
        ),
    ] = None,
    *,
    common: Common,
) -> None:
    """Copy a corpus (its points and catalog rows) to a Qdrant server and another catalog."""
    settings = common.settings()
    with open_runtime(settings) as runtime:
        corpus = corpus or settings.default_corpus
        copy_corpus(corpus, runtime.index, settings, to, to_sql_url, to_api_key)
