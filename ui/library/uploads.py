"""Uploaded files onto disk, checked first: a safe name, a supported type, the size limit.

Each file is judged on its own; a refused file is reported with its reason and never stops
the others. Files land in `<data_dir>/uploads/<corpus>/`, so that the catalog's source path
stays valid and uploading a new version of a file replaces the old one's chunks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from ingest.loaders import SUPPORTED_SUFFIXES

_UNSAFE = re.compile(r"[^A-Za-z0-9._() -]+")
MEGABYTE = 1024 * 1024


class UploadedFile(Protocol):
    """What Streamlit's UploadedFile offers that we use."""

    name: str
    size: int

    def getvalue(self) -> bytes:
        """The file's bytes."""
        ...


@dataclass(frozen=True, slots=True)
class Refusal:
    """An uploaded file that was not saved, and why."""

    name: str
    reason: str


def safe_name(name: str) -> str:
    """The last path component of `name`, reduced to plain characters; empty if nothing is left.

    Browsers send a bare name, but a crafted request may send `../../etc/passwd` or a
    Windows path: only the final component survives, and never as a hidden or dot file.
    """
    last = PurePosixPath(name.replace("\\", "/")).name
    plain = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("_", plain).strip(" .")


def upload_folder(data_dir: Path, corpus: str) -> Path:
    """Where a corpus's uploads are kept."""
    return data_dir / "uploads" / (safe_name(corpus) or "corpus")


def save_uploads(
    files: Sequence[UploadedFile], folder: Path, max_mb: int
) -> tuple[list[Path], list[Refusal]]:
    """Write the acceptable files into `folder`; return their paths and the refusals."""
    saved: list[Path] = []
    refused: list[Refusal] = []
    for upload in files:
        name = safe_name(upload.name)
        suffix = Path(name).suffix.lower()
        if not name or name == suffix:
            refused.append(Refusal(upload.name, "the file name has no usable characters"))
        elif suffix not in SUPPORTED_SUFFIXES:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            refused.append(
                Refusal(upload.name, f"unsupported file type {suffix or '(none)'}; use {supported}")
            )
        elif upload.size > max_mb * MEGABYTE:
            refused.append(
                Refusal(
                    upload.name,
                    f"{upload.size / MEGABYTE:.1f} MB is over the upload limit of {max_mb} MB "
                    "(setting upload_max_mb, CARDIORAG_UPLOAD_MAX_MB)",
                )
            )
        else:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            target.write_bytes(upload.getvalue())
            saved.append(target)
    return saved, refused
