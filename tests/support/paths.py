"""Where the tests find the repository, the real data and the installed model weights."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("CARDIORAG_DATA", REPO.parent / "shared" / "data"))
MODEL_CACHE = Path("~/.cache/cardiorag/models").expanduser()
TEXTBOOK = "textbook/openstax_ap2e_cardiovascular_sections.jsonl"
NOTES = "notes/mtsamples_cardiovascular_pulmonary.csv"
APP = REPO / "ui" / "app.py"
