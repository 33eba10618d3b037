"""PDF parsing speed: the old loader (pypdf text) against the layout parser, and OCR.

It also gives the parser's share of a whole ingest of the same PDFs. Each parse is timed
`repeats` times and the fastest run kept (other work on the machine only ever slows a run
down). The ingest reuses `benchmarks.speed.ingest_speed` (fresh temporary store).

    .venv/bin/python -m experiments.pdf_speed ../shared/data/pdfs \
        --json benchmarks/results/pdf_speed.json
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer

from benchmarks.speed.ingest_speed import measure_ingest
from ingest.pdf.loader import load_pdf
from ingest.pdf.ocr import OCR_DPI, ocr_page
from retrieval import Settings


@dataclass(frozen=True, slots=True)
class PdfSpeed:
    """Pages per second of each way of reading the PDFs, and the parser's share of ingest."""

    files: list[str]
    pages: int
    pypdf_pages_per_s: float
    layout_pages_per_s: float
    ocr_pages: int
    ocr_dpi: int
    ocr_pages_per_s: float
    ingest_seconds: float
    parse_share_of_ingest: float
    model: str
    cpus: int | None
    machine: str


def _fastest(run: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _pypdf(paths: Sequence[Path]) -> None:
    from pypdf import PdfReader

    for path in paths:
        for page in PdfReader(path).pages:
            page.extract_text()


def _layout(paths: Sequence[Path]) -> None:
    for path in paths:
        load_pdf(path, path.read_bytes(), "", None)


def _ocr(path: Path, pages: int) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(path.read_bytes())
    try:
        for index in range(pages):
            ocr_page(document, index, path)
    finally:
        document.close()


def measure_pdf_speed(
    paths: Sequence[Path], settings: Settings, *, model: str, ocr_pages: int, repeats: int
) -> PdfSpeed:
    """Time both parsers and OCR on `paths`, then ingest them once with `model`."""
    from pypdf import PdfReader

    pages = sum(len(PdfReader(path).pages) for path in paths)
    pypdf_seconds = _fastest(lambda: _pypdf(paths), repeats)
    layout_seconds = _fastest(lambda: _layout(paths), repeats)
    # OCR is timed on text pages rendered as images: the same work as on a scan.
    ocr_seconds = _fastest(lambda: _ocr(paths[0], ocr_pages), 1)
    ingest, _ = measure_ingest(paths, model, settings, ["heart failure"], show_progress=False)
    return PdfSpeed(
        files=[path.name for path in paths],
        pages=pages,
        pypdf_pages_per_s=round(pages / pypdf_seconds, 2),
        layout_pages_per_s=round(pages / layout_seconds, 2),
        ocr_pages=ocr_pages,
        ocr_dpi=OCR_DPI,
        ocr_pages_per_s=round(ocr_pages / ocr_seconds, 3),
        ingest_seconds=ingest.ingest_seconds,
        parse_share_of_ingest=round(layout_seconds / ingest.ingest_seconds, 3),
        model=model,
        cpus=os.cpu_count(),
        machine=f"{platform.machine()} {platform.processor() or platform.system()}",
    )


def main(
    folder: Annotated[Path, typer.Argument(help="Folder of PDFs (e.g. ../shared/data/pdfs).")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the figures here.")
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec id.")] = "minilm",
    ocr_pages: Annotated[int, typer.Option(help="Pages to OCR.")] = 3,
    repeats: Annotated[int, typer.Option(help="Runs per parser; the fastest counts.")] = 3,
) -> None:
    """Measure and print (and with --json, write) the PDF figures."""
    paths = sorted(folder.glob("*.pdf"))
    if not paths:
        raise typer.BadParameter(f"no PDF in {folder}", param_hint="FOLDER")
    figures = asdict(
        measure_pdf_speed(paths, Settings(), model=model, ocr_pages=ocr_pages, repeats=repeats)
    )
    typer.echo(json.dumps(figures, indent=2))
    if json_path is not None:
        json_path.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    typer.run(main)
