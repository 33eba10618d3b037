"""The search-mode picker that Search and Compare share, so both open on the same mode."""

from __future__ import annotations

from streamlit.delta_generator import DeltaGenerator

from retrieval import SearchMode

# Hybrid is the app's default: BM25 rescues exact drug and gene names that dense misses.
DEFAULT_MODE = SearchMode.HYBRID


def choose_mode(where: DeltaGenerator, key: str, default: str = DEFAULT_MODE.value) -> str:
    """Draw the mode control in `where` (a column); a cleared control means the default."""
    mode = where.segmented_control("Mode", [m.value for m in SearchMode], default=default, key=key)
    return mode or DEFAULT_MODE.value
