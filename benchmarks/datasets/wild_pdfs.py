"""The wider PDF set: drug labels, a booklet and other publishers' articles, and one scan.

The PDF reader was tuned on the two shared journal articles; these PDFs are of other kinds
(benchmarks/datasets/wild_pdfs.json lists each one's repository, commit, sha256, licence and
the words of the document that state it). They stay out of the project: `datasets download
wild-pdfs` fetches them at their pinned commits and checks their hashes. No scanned
cardiology document with an open licence was found, so the scanned one is built here from
three pages of the NHLBI booklet (a US federal work): rendered, tilted, blurred, speckled and
saved as images only, the same way each time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

from benchmarks.datasets._output import staged
from benchmarks.datasets.errors import RawDataError
from benchmarks.datasets.sources import Source

MANIFEST = Path(__file__).with_name("wild_pdfs.json")
NAME = "wild-pdfs"
OUTPUT = "pdfs_wild"
# The tilt of each scanned page (degrees) and the seed of its speckles.
_TILTS = (0.8, -0.6, 1.1)
_SEED = 118


@dataclass(frozen=True, slots=True)
class WildPdf:
    """One PDF of the set: where it is published and what it is."""

    file: str
    kind: str  # drug_label, booklet, article
    title: str
    source: Source  # its repository at the pinned commit; `files` holds its path there
    sha256: str


def wild_pdfs(manifest: Path = MANIFEST) -> list[WildPdf]:
    """The PDFs of the manifest, each with the Source that fetches it."""
    rows = json.loads(manifest.read_text(encoding="utf-8"))["pdfs"]
    return [
        WildPdf(row["file"], row["kind"], row["title"], _source(row), row["sha256"]) for row in rows
    ]


def _source(row: dict[str, str]) -> Source:
    """The repository file of one manifest row, as `datasets` fetches and credits sources."""
    return Source(
        name=f"{NAME}/{row['file']}", title=row["title"], repo=row["repo"],
        commit=row["commit"], licence=row["licence"], licence_url="",
        attribution=row["licence_evidence"], gives=row["kind"], outputs=(OUTPUT,),
        files=(row["path"],),
    )  # fmt: skip


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_raw(raw: Path, pdfs: list[WildPdf]) -> None:
    """Every PDF is in `raw` with the bytes the manifest pins.

    Raises:
        RawDataError: One is missing or differs (a later commit, a cut download).
    """
    for pdf in pdfs:
        path = raw / pdf.file
        if not path.is_file():
            raise RawDataError(path, f"missing; `datasets download {NAME}` fetches it")
        if sha256_of(path) != pdf.sha256:
            raise RawDataError(path, f"its SHA-256 is not the pinned {pdf.sha256[:12]}...")


def build_scan(booklet: Path, pages: list[int], dest: Path, dpi: int) -> None:
    """An image-only PDF of `pages` of `booklet`, as a tilted, blurred, speckled scan."""
    document = pdfium.PdfDocument(booklet)
    rng = np.random.default_rng(_SEED)
    images = []
    for page_number, tilt in zip(pages, _TILTS, strict=False):
        image = document[page_number - 1].render(scale=dpi / 72).to_pil().convert("L")
        image = image.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        image = image.filter(ImageFilter.GaussianBlur(0.6))
        pixels = np.asarray(image, dtype=np.int16)
        speckles = rng.random(pixels.shape) < 0.002
        pixels = np.where(speckles, 255 - pixels, pixels).clip(0, 255).astype(np.uint8)
        images.append(Image.fromarray(pixels))
    document.close()
    images[0].save(dest, "PDF", resolution=dpi, save_all=True, append_images=images[1:])


def fetch_all(raw: Path, fetch: Callable[[Source, str, Path], Path]) -> Path:
    """Each PDF fetched into `raw` (those already there with the pinned bytes are kept)."""
    for pdf in wild_pdfs():
        path = raw / pdf.file
        if not (path.is_file() and sha256_of(path) == pdf.sha256):
            fetch(pdf.source, pdf.source.raw_url(pdf.source.files[0]), path)
    return raw


def convert(raw: Path, out: Path, *, force: bool) -> dict[str, int]:
    """Copy the checked PDFs into OUT/pdfs_wild, build the scan, and credit each source."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    pdfs = wild_pdfs()
    check_raw(raw, pdfs)
    scan = manifest["scanned"]
    with staged(out, (OUTPUT,), force=force) as stages:
        folder = stages[OUTPUT]
        for pdf in pdfs:
            shutil.copyfile(raw / pdf.file, folder / pdf.file)
        build_scan(raw / scan["from"], scan["pages"], folder / scan["file"], scan["dpi"])
        credits = [
            pdf.source.sources_text(f"{pdf.file} ({pdf.kind}): the file itself") for pdf in pdfs
        ]
        credits.append(f"{scan['file']}: pages {scan['pages']} of {scan['from']}. {scan['why']}\n")
        # No suffix: `ingest` of the folder reads the PDFs, not this.
        (folder / "SOURCES").write_text("\n".join(credits), encoding="utf-8")
    return {"PDFs": len(pdfs) + 1}
