"""`python -m cli` runs the `cardiorag` command."""

from __future__ import annotations

from cli.main import main

main()
