"""`ingest`: files and folders into a corpus, embedded by one or several models.

Examples:
    ingest ../shared/data/textbook ../shared/data/pdfs --corpus cardiology
    ingest notes.csv --model minilm --model mpnet --type note
    ingest --list --corpus cardiology
    ingest --remove ../shared/data/pdfs/ehag110.pdf
    ingest --corpus cardiology --migrate-to https://qdrant.example.org:6333 \
        --migrate-sql-url postgresql+psycopg://cardiorag@db.example.org/cardiorag
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters import (
    AdapterError,
    get_spec,
)
from cli.console import run_app
from cli.migrate import copy_corpus
from cli.models import model_rows, models_table
from cli.options import (
    Common,
    CorpusOpt,
    JsonOpt,
    ModelOpt,
    common_options,
)
from ingest.documents import DocType
from ingest.errors import IngestError
from ingest.loaders import LoadOptions
from ingest.options import IngestOptions
from ingest.pipeline import ingest_paths, remove_source, run_model_ids
from ingest.records import FieldMap
from ingest.report import IngestReport
from retrieval import Catalog, Quantization, RetrievalError, open_runtime

app = typer.Typer(add_completion=False, help=__doc__, rich_markup_mode=None)
out = Console()
err = Console(stderr=True)


def _report_table(report: IngestReport) -> Table:
    prefix = "would be " if report.dry_run else ""
    table = Table(
        title=f"ingest into corpus {report.corpus!r}" + (" (dry run)" if report.dry_run else "")
    )
    table.add_column("", overflow="fold")
    table.add_column("count", justify="right")
    for label, value in (
        (f"documents {prefix}new", report.added),
        (f"documents {prefix}changed", report.updated),
        ("documents unchanged", report.skipped),
        (f"documents {prefix}removed from their files", report.deleted),
        ("files failed", len(report.failed)),
        ("pages left out (of files ingested)", len(report.failed_pages)),
        ("records without text (skipped)", report.empty_records),
        ("chunks written", report.chunks),
        ("seconds", f"{report.seconds:.1f}"),
    ):
        table.add_row(label, str(value))
    for run in report.models:
        table.add_row(f"{run.model_id}: chunks embedded", str(run.chunks))
        table.add_row(f"{run.model_id}: chunks/s", f"{run.chunks_per_second:.1f}")
    return table


def _list_table(catalog: Catalog, corpus: str) -> Table:
    table = Table(title=f"documents of corpus {corpus!r}")
    for column in ("doc_id", "type", "title", "pages", "chunks", "models", "status"):
        table.add_column(column, overflow="fold")
    for doc in catalog.list_documents(corpus):
        table.add_row(
            Path(doc.source).name if doc.doc_id in ("", doc.source) else doc.doc_id,
            doc.doc_type,
            doc.error or doc.title,
            "" if doc.pages is None else str(doc.pages),
            str(doc.chunks),
            ", ".join(doc.models),
            doc.status,
        )
    return table


@app.command()
@common_options(store=True, threads=True)
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to ingest.")] = None,
    corpus: CorpusOpt = None,
    model: ModelOpt = None,
    doc_type: Annotated[
        DocType | None,
        typer.Option("--type", help="Document type for every file [default: by rule]."),
    ] = None,
    recreate: Annotated[
        bool, typer.Option("--recreate", help="Drop the corpus and its collections first.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    list_documents: Annotated[
        bool, typer.Option("--list", help="List the corpus's documents.")
    ] = False,
    remove: Annotated[
        Path | None, typer.Option("--remove", help="Remove a source file (or folder) everywhere.")
    ] = None,
    models: Annotated[bool, typer.Option("--models", help="List the model specs.")] = False,
    migrate_to: Annotated[
        str | None,
        typer.Option(
            "--migrate-to",
            help="Copy the corpus (points and catalog rows) to this Qdrant server URL.",
        ),
    ] = None,
    migrate_sql_url: Annotated[
        str | None,
        typer.Option(
            "--migrate-sql-url",
            envvar="CARDIORAG_MIGRATE_SQL_URL",
            help="Catalog to copy the rows into (e.g. postgresql+psycopg://...).",
        ),
    ] = None,
    migrate_api_key: Annotated[
        str | None,
        typer.Option(
            "--migrate-api-key",
            envvar="CARDIORAG_MIGRATE_QDRANT_API_KEY",
            help="API key of the target server (better given by the environment variable).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Skip files in folders whose name matches, e.g. 'README*'."),
    ] = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="Text encoding of .txt/.md/.csv/.jsonl.")
    ] = "utf-8",
    id_field: Annotated[str | None, typer.Option("--id-field", help="JSONL/CSV id field.")] = None,
    text_field: Annotated[
        str | None, typer.Option("--text-field", help="JSONL/CSV text field.")
    ] = None,
    title_field: Annotated[
        str | None, typer.Option("--title-field", help="JSONL/CSV title field.")
    ] = None,
    section_field: Annotated[
        str | None, typer.Option("--section-field", help="JSONL/CSV section field.")
    ] = None,
    context_template: Annotated[
        str | None,
        typer.Option(
            "--context-template",
            help="What dense vectors embed, with \\n for new lines; '' the text alone "
            "[default: the corpus's own; new corpora '{title}\\n{section}\\n{text}'].",
        ),
    ] = None,
    quantization: Annotated[
        Quantization | None,
        typer.Option(
            "--quantization",
            help="Dense vectors of a new corpus: none, or int8 in RAM with the floats on disk "
            "(a built corpus keeps its own; changing it needs --recreate).",
        ),
    ] = None,
    parse_workers: Annotated[
        int | None,
        typer.Option(
            "--parse-workers",
            min=1,
            max=64,
            help="Processes parsing files ahead of the writes [default: the `parse_workers` "
            "setting, 1]; more pay off for batches of PDFs.",
        ),
    ] = None,
    json_path: JsonOpt = None,
    *,
    common: Common,
) -> None:
    """Ingest files into a corpus; or list, remove, or show the model specs."""
    actions = sum([bool(paths), list_documents, remove is not None, models, bool(migrate_to)])
    if actions != 1:
        raise typer.BadParameter(
            "give PATH... to ingest, or exactly one of --list, --remove SOURCE, --models, "
            "--migrate-to URL"
        )
    if bool(migrate_to) != bool(migrate_sql_url):
        raise typer.BadParameter("--migrate-to and --migrate-sql-url go together")
    if recreate and dry_run:
        raise typer.BadParameter("--recreate and --dry-run exclude each other")
    settings = common.settings(
        quantization=quantization,
        parse_workers=parse_workers,
        context_template=None
        if context_template is None
        else context_template.replace("\\n", "\n"),
    )
    with open_runtime(settings) as runtime:
        if models:
            out.print(models_table(model_rows(runtime)))
            return
        corpus = corpus or settings.default_corpus
        if list_documents:  # the catalog alone: works while another process holds the store
            out.print(_list_table(runtime.catalog, corpus))
            return
        if migrate_to and migrate_sql_url:
            copy_corpus(
                corpus, runtime.index, settings, migrate_to, migrate_sql_url, migrate_api_key
            )
            return
        if remove is not None:
            removed = remove_source(remove, corpus=corpus, index=runtime.index)
            out.print(f"removed {removed} documents of {remove} from corpus {corpus!r}")
            return
        model_ids = run_model_ids(runtime.catalog, corpus, model or [], settings.default_model)
        options = IngestOptions.from_settings(
            settings,
            corpus,
            [get_spec(runtime.specs, model_id) for model_id in model_ids],
            load=LoadOptions(
                doc_type=doc_type,
                encoding=encoding,
                fields=FieldMap(id_field, text_field, title_field, section_field),
                exclude=tuple(exclude or ()),
            ),
            recreate=recreate,
            dry_run=dry_run,
            show_progress=not common.quiet and sys.stderr.isatty(),
        )
        report = ingest_paths(paths or [], options, index=runtime.index)
    out.print(_report_table(report))
    for failure in report.failed:
        err.print(
            f"[red]failed[/red] {failure.reason}", highlight=False, markup=True, soft_wrap=True
        )
    for failure in report.failed_pages:
        err.print(
            f"[yellow]page left out[/yellow] {failure.reason}",
            highlight=False,
            markup=True,
            soft_wrap=True,
        )
    if json_path is not None:
        payload = dataclasses.asdict(report) | {
            "models": [
                dataclasses.asdict(run) | {"chunks_per_second": run.chunks_per_second}
                for run in report.models
            ]
        }
        json_path.write_text(json.dumps(payload, indent=2))
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    """Console entry point: CardioRAG errors become one line on stderr and exit code 1."""
    run_app(app, (AdapterError, RetrievalError, IngestError))


if __name__ == "__main__":
    main()
