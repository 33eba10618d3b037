"""The system programs some tests drive, and the skip that names the install line when one is
missing (`make install` installs them where it can)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ingest.pdf.ocr import INSTALL_HINT as TESSERACT_HINT
from ingest.pdf.ocr import OCR_LANGUAGE

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_HINT = "install chromium: apt-get install chromium (or make install)"


def _tesseract_reads_english() -> bool:
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    )
    return OCR_LANGUAGE in listed.stdout.split()


needs_tesseract = pytest.mark.skipif(
    not _tesseract_reads_english(),
    reason=f"no Tesseract with {OCR_LANGUAGE} data on this machine: {TESSERACT_HINT}",
)


def skip_without_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM}: {CHROMIUM_HINT}", allow_module_level=True)
