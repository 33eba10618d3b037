"""Fetch the pinned public sources into a raw cache folder, then convert them.

Kept small on purpose: it cannot be exercised here (no internet), so it only fetches files
(stdlib urllib) and unpacks MedQuAD's archive; all conversion lives in the source modules,
which the tests run on ../shared/data/raw.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import urllib.request
import zipfile
from pathlib import Path

from tqdm.auto import tqdm

from benchmarks.datasets import medquad, mtsamples, openstax, wild_pdfs
from benchmarks.datasets._output import check_free
from benchmarks.datasets.errors import DownloadError
from benchmarks.datasets.sources import (
    MEDQUAD,
    MTSAMPLES,
    OPENSTAX,
    OPENSTAX_COLLECTION,
    SOURCES,
    Source,
)

logger = logging.getLogger(__name__)

TIMEOUT_S = 60
CHUNK = 1 << 16


def fetch(source: Source, url: str, dest: Path, *, show_progress_bar: bool = True) -> Path:
    """Download `url` to `dest` (through a .partial file, so a cut download is never used)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=dest.name,
                disable=not show_progress_bar,
            ) as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
    # RuntimeError: sandboxes and pytest-socket refuse sockets with one, not with an OSError.
    except (OSError, http.client.HTTPException, RuntimeError) as err:
        partial.unlink(missing_ok=True)
        reason = getattr(err, "reason", None) or err
        raise DownloadError(source.name, url, str(reason) or type(err).__name__) from err
    os.replace(partial, dest)
    logger.info("downloaded %s", url)
    return dest


def fetch_raw(name: str, cache: Path, *, show_progress_bar: bool = True) -> Path:
    """The raw files of one source under `cache/<name>`, fetched unless already there."""
    source = SOURCES[name]
    raw = cache / name
    done = raw / ".complete"
    if done.exists():
        logger.info("%s: using the raw files in %s", name, raw)
        return raw
    if source is MEDQUAD:
        archive = fetch(
            source,
            source.archive_url,
            cache / f"medquad-{source.commit[:7]}.zip",
            show_progress_bar=show_progress_bar,
        )
        _unpack_medquad(archive, raw)
        archive.unlink()
    else:
        for path in source.files:
            # The OpenStax collection sits at the top of raw/, as in ../shared/data/raw.
            local = openstax.COLLECTION_FILE if path == OPENSTAX_COLLECTION else path
            fetch(source, source.raw_url(path), raw / local, show_progress_bar=show_progress_bar)
    done.touch()
    return raw


def _unpack_medquad(archive: Path, raw: Path) -> None:
    """The answered subset folders, LICENSE.txt and readme.txt of the repository archive."""
    keep = (*medquad.ANSWERED_FOLDERS, "LICENSE.txt", "readme.txt")
    shutil.rmtree(raw, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            inner = member.filename.split("/", 1)[-1]  # drop "MedQuAD-<commit>/"
            if member.is_dir() or not inner.startswith(keep) or ".." in inner:
                continue
            target = raw / inner
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zipped.read(member))


def convert_raw(name: str, raw: Path, out: Path, *, force: bool) -> dict[str, int]:
    """Convert the raw files of one source (a folder; for mtsamples the folder or the CSV)."""
    if name == MEDQUAD.name:
        return medquad.convert(raw, out, force=force)
    if name == OPENSTAX.name:
        return openstax.convert(raw, out, force=force)
    if name == MTSAMPLES.name:
        csv_path = raw / MTSAMPLES.files[0] if raw.is_dir() else raw
        return mtsamples.convert(csv_path, out, force=force)
    if name == wild_pdfs.NAME:
        return wild_pdfs.convert(raw, out, force=force)
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(SOURCES)}")


def download(name: str, out: Path, cache: Path, *, force: bool) -> dict[str, int]:
    """Fetch one source into `cache` and convert it into `out` (refused early if it exists)."""
    if name == wild_pdfs.NAME:
        check_free(out, (wild_pdfs.OUTPUT,), force=force)
        return wild_pdfs.convert(wild_pdfs.fetch_all(cache / name, fetch), out, force=force)
    check_free(out, SOURCES[name].outputs, force=force)
    return convert_raw(name, fetch_raw(name, cache), out, force=force)
