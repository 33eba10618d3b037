"""One-off measurements behind figures that docs/ keeps; run from the repository root only.

Not installed: each runs as `.venv/bin/python -m experiments.NAME`, its docstring says what it
measured.
"""

from __future__ import annotations
