"""`cardiorag`: clinical semantic search and RAG over cardiology text, in one command.

Examples:
    cardiorag ingest ../shared/data/textbook ../shared/data/pdfs --corpus cardiology
    cardiorag search "first-line treatment for HFrEF" --mode hybrid --k 5
    cardiorag answer "What is the lifetime risk of heart failure after 50?" --json
    cardiorag models
    cardiorag abbreviations --corpus cardiology --query "HFrEF after CABG"
    cardiorag adapters list
    cardiorag bench quality --dataset openstax_glossary -m minilm
    cardiorag app
    cardiorag api --port 8000
    cardiorag migrate --corpus cardiology --to http://qdrant:6333 --to-sql-url postgresql+psycopg://...
"""

from __future__ import annotations

import typer

from adapters import AdapterError
from cli.adapters.commands import app as adapters_app
from cli.api import api
from cli.bench.commands import FAILURES as BENCH_FAILURES
from cli.bench.commands import app as bench_app
from cli.console import run_app
from cli.datasets import app as datasets_app
from cli.ingest import ingest
from cli.migrate import migrate
from cli.models import models
from cli.search import answer, search
from cli.serve import serve
from cli.shorthand import abbreviations
from ingest.errors import IngestError
from retrieval import RetrievalError

# "\b" keeps click from re-wrapping the examples into one paragraph.
HELP = (__doc__ or "").replace("Examples:\n", "Examples:\n\n\b\n")
app = typer.Typer(add_completion=False, help=HELP, rich_markup_mode=None, no_args_is_help=True)
app.command("ingest")(ingest)
app.command("search")(search)
app.command("answer")(answer)
app.command("models")(models)
app.command("app")(serve)
app.command("api")(api)
app.command("migrate")(migrate)
app.command("abbreviations")(abbreviations)
app.add_typer(adapters_app, name="adapters", help="Train, evaluate, register and list adapters.")
app.add_typer(bench_app, name="bench", help="Quality, separation, speed and calibration runs.")
app.add_typer(datasets_app, name="datasets", help="Download and convert the public data sets.")

HANDLED = (AdapterError, RetrievalError, IngestError, *BENCH_FAILURES)


def main() -> None:
    """Console entry point: our errors become one line and exit code 1, misuse exit code 2."""
    run_app(app, HANDLED)


if __name__ == "__main__":
    main()
