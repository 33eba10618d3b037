"""`python -m ingest` runs the `ingest` command."""

from __future__ import annotations

from ingest.cli import main

main()
