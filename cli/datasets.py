"""`benchmarks datasets`: download the public sources of the demo/eval data, or convert them.

Mounted as the `datasets` sub-command of the `benchmarks` console script; also runs alone
as `python -m cli.datasets`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from benchmarks.datasets import wild_pdfs
from benchmarks.datasets.download import convert_raw, download
from benchmarks.datasets.errors import DatasetError
from benchmarks.datasets.sources import SOURCES

logger = logging.getLogger(__name__)

app = typer.Typer(
    help="Download the public sources of the demo and evaluation data and convert them into "
    "the layout of ../shared/data (textbook/, medquad/, notes/, eval/).",
    no_args_is_help=True,
)


class Name(StrEnum):
    """A source, or all of them."""

    MEDQUAD = "medquad"
    OPENSTAX = "openstax"
    MTSAMPLES = "mtsamples"
    WILD_PDFS = "wild-pdfs"
    ALL = "all"


NamesArg = Annotated[
    list[Name],
    typer.Argument(help="medquad, openstax, mtsamples, all (those three) or wild-pdfs."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="The data folder to write into.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace output folders that exist.")]


def _names(names: list[Name]) -> list[str]:
    chosen = [n.value for n in names if n is not Name.ALL]
    return list(SOURCES) if Name.ALL in names else list(dict.fromkeys(chosen))


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """A DatasetError becomes `error: ...` and exit 1, whichever CLI mounts this app."""
    try:
        yield
    except DatasetError as err:
        from retrieval import Settings

        if Settings.debug_enabled():
            raise
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err


def _report(name: str, counts: dict[str, int], out: Path) -> None:
    figures = ", ".join(f"{value} {key}" for key, value in counts.items())
    outputs = SOURCES[name].outputs if name in SOURCES else (wild_pdfs.OUTPUT,)
    typer.echo(f"{name}: {figures} -> {', '.join(str(out / o) for o in outputs)}")


@app.command("list")
def list_sources() -> None:
    """List the sources: name, what each gives, licence, pinned repository and commit."""
    for source in SOURCES.values():
        typer.echo(f"{source.name:<10} {source.gives}")
        typer.echo(f"{'':<10} {source.licence}; github.com/{source.repo}@{source.commit[:7]}")
    count = len(wild_pdfs.wild_pdfs()) + 1
    typer.echo(f"{wild_pdfs.NAME:<10} {count} PDFs of other kinds (labels, a booklet, a scan)")
    typer.echo(f"{'':<10} {wild_pdfs.MANIFEST.name} names each one's repository and licence")


@app.command("download")
def download_command(
    names: NamesArg,
    out: OutOpt = Path(".cardiorag/data"),
    force: ForceOpt = False,
    from_raw: Annotated[
        Path | None,
        typer.Option(
            "--from-raw",
            help="Convert raw files already on disk (a folder with medquad/, openstax/ and "
            "mtsamples/ or mtsamples.csv, like ../shared/data/raw; wild-pdfs/ holding the "
            "PDFs) instead of downloading.",
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Where downloads are kept (default: OUT/raw)."),
    ] = None,
) -> None:
    """Download NAME... at their pinned commits and convert them into OUT.

    Examples:
        benchmarks datasets download all --out .cardiorag/data
        benchmarks datasets download openstax medquad --out data --force
        benchmarks datasets download openstax --from-raw ../shared/data/raw --out data
    """
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with _one_line_errors():
        for name in _names(names):
            if from_raw is not None:
                raw = from_raw / name
                if name == "mtsamples" and not raw.exists():
                    raw = from_raw / "mtsamples.csv"
                counts = convert_raw(name, raw, out, force=force)
            else:
                counts = download(name, out, cache or out / "raw", force=force)
            _report(name, counts, out)


@app.command("convert")
def convert_command(
    name: Annotated[Name, typer.Argument(help="medquad, openstax, mtsamples or wild-pdfs.")],
    raw: Annotated[Path, typer.Argument(help="The raw folder (for mtsamples: the CSV).")],
    out: OutOpt = Path(".cardiorag/data"),
    force: ForceOpt = False,
) -> None:
    """Convert one source's raw files, e.g. fetched behind a proxy, into OUT.

    Examples:
        benchmarks datasets convert openstax ../shared/data/raw/openstax --out data
        benchmarks datasets convert mtsamples mtsamples.csv --out data
    """
    if name is Name.ALL:
        raise typer.BadParameter("convert takes one source; use `download all --from-raw DIR`")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with _one_line_errors():
        _report(name.value, convert_raw(name.value, raw, out, force=force), out)


def main() -> None:
    """Console entry point (`python -m cli.datasets`)."""
    app()


if __name__ == "__main__":
    main()
