"""Real MTSamples notes from ../shared/data: read in place, or a few written to a test's folder."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.paths import NOTES

ECHO = "10"  # 2-D Echocardiogram - 4: "DESCRIPTION:,1.  Normal cardiac chambers size.,..."
CONSULT = "4859"  # Consult - Atrial Fibrillation: "REASON FOR CONSULTATION:,  Atrial ..."
# With the two above: an echo with colon-less labels (its last part a Summary), a stress
# test and a catheterization (each with an Impression, as the echo), and an operation.
SOME_NOTES = (ECHO, CONSULT, "12", "4742", "4921", "17")


def note_rows(shared_data: Path) -> dict[str, dict[str, str]]:
    """Every row of the real notes CSV, by note id, in file order."""
    csv.field_size_limit(sys.maxsize)
    with (shared_data / NOTES).open(newline="", encoding="utf-8") as handle:
        return {row["note_id"]: row for row in csv.DictReader(handle)}


def write_notes(shared_data: Path, path: Path, ids: Sequence[str] = SOME_NOTES) -> Path:
    """The real notes with these ids, as a CSV with the real file's columns, at `path`."""
    rows = note_rows(shared_data)
    missing = [note_id for note_id in ids if note_id not in rows]
    if missing:
        pytest.fail(f"{shared_data / NOTES} lacks the notes {missing}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[ids[0]]))
        writer.writeheader()
        writer.writerows(rows[note_id] for note_id in ids)
    return path
