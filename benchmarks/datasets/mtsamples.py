"""MTSamples CSV -> notes/mtsamples_cardiovascular_pulmonary.csv (one specialty's notes).

Reads either the Kaggle CSV the download fetches (an unnamed 0-based row index, fields with
stray blanks, specialty " Cardiovascular / Pulmonary") or a CSV that already has `note_id`
(clinspacy's export, or the shipped file itself). note_id is the 1-based row number, as in
clinspacy's mtsamples.rda; fields are stripped and missing values are empty strings.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path

from benchmarks.datasets._output import staged, write_credits, write_csv
from benchmarks.datasets._raw import require
from benchmarks.datasets.errors import RawDataError
from benchmarks.datasets.sources import MTSAMPLES

logger = logging.getLogger(__name__)

SPECIALTY = "Cardiovascular / Pulmonary"
NOTES_FILE = "mtsamples_cardiovascular_pulmonary.csv"
COLUMNS = (
    "note_id",
    "description",
    "medical_specialty",
    "sample_name",
    "transcription",
    "keywords",
)
LICENCE_TEXT = (
    "MTSamples transcriptions as redistributed on Kaggle (tboyle10/medicaltranscriptions) under\n"
    "CC0 1.0 Universal (public domain dedication):\n"
    "https://creativecommons.org/publicdomain/zero/1.0/legalcode\n"
    "The upstream site (mtsamples.com) hosts user-contributed sample transcriptions of unclear\n"
    "copyright: fine for development and testing; check before redistributing in a product.\n"
)


def read_notes(path: Path, specialty: str = SPECIALTY) -> Iterator[dict[str, str]]:
    """The notes of one specialty, with the shipped columns, in file order."""
    require(path, "MTSamples CSV")
    csv.field_size_limit(1 << 24)  # some transcriptions are longer than csv's 128 kB default
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS[1:] if c not in header]
        if missing:
            raise RawDataError(path, f"no column {', '.join(missing)}; found {', '.join(header)}")
        kaggle = "note_id" not in header
        if kaggle and (not header or header[0] != ""):
            raise RawDataError(path, "neither a note_id column nor Kaggle's unnamed row index")
        for line, row in enumerate(reader, start=2):
            if (row["medical_specialty"] or "").strip() != specialty:
                continue
            try:
                note_id = int(row[""]) + 1 if kaggle else int(row["note_id"])
            except (TypeError, ValueError) as err:
                raise RawDataError(f"{path}:{line}", f"row id is not a number ({err})") from err
            note = {column: (row[column] or "").strip() for column in COLUMNS[1:]}
            yield {"note_id": str(note_id), **note}


def convert(csv_path: Path, out: Path, *, force: bool = False) -> dict[str, int]:
    """Write notes/ under `out` from an MTSamples CSV; returns counts: notes.

    Raises:
        RawDataError: the CSV is missing or lacks the expected columns.
        OutputExistsError: notes/ exists and `force` is off.
    """
    notes = list(read_notes(csv_path))
    if not notes:
        raise RawDataError(csv_path, f'no note with medical_specialty "{SPECIALTY}"')
    with staged(out, MTSAMPLES.outputs, force=force) as stage:
        write_csv(stage["notes"] / NOTES_FILE, COLUMNS, notes)
        write_credits(
            stage["notes"],
            MTSAMPLES,
            f'{NOTES_FILE}: the {len(notes)} notes with medical_specialty "{SPECIALTY}"',
            LICENCE_TEXT,
        )
    logger.info("MTSamples: %d notes", len(notes))
    return {"notes": len(notes)}
