"""Removing a file from a corpus on the Library page: pick, confirm, then one line of what went.

The outcome is kept in session state as a flash message, because the page reruns right after
the removal (its tables must drop the file) and a message drawn before the rerun is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from ingest import remove_source
from retrieval.catalog.records import DocumentSummary
from ui import resources
from ui.corpus import facets
from ui.library.paths import ShownPaths

PENDING_KEY = "library.remove_pending"  # the source waiting for its confirmation
FLASH_KEY = "library.flash"  # the last removal's report, shown once after the rerun


def _what(documents: Sequence[DocumentSummary]) -> str:
    chunks = sum(d.chunks for d in documents)
    models = sorted({model for d in documents for model in d.models})
    embedded = f", embedded by {', '.join(models)}" if models else ", embedded by no model"
    count = len(documents)
    return f"{count} document{'' if count == 1 else 's'}, {chunks} chunks{embedded}"


def show_flash() -> None:
    """The report of a removal made in the previous run, once."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/delete:")


def removal_form(corpus: str, documents: Sequence[DocumentSummary], paths: ShownPaths) -> None:
    """Pick a file, then confirm (naming what will go) before its documents are removed."""
    sources = sorted({d.source for d in documents})
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Remove a file and all its documents",
        sources,
        format_func=paths.shown,
        key="library.remove",
    )
    if right.button("Remove…", key="library.remove_button", disabled=not sources) and chosen:
        st.session_state[PENDING_KEY] = chosen
    pending = st.session_state.get(PENDING_KEY)
    if pending not in sources:
        return
    going = [d for d in documents if d.source == pending]
    with st.container(border=True):
        st.warning(
            f"Remove {paths.shown(pending)} from {corpus}: {_what(going)}? "
            "Its vectors go from every model's collection; the file itself stays on disk.",
            icon=":material/warning:",
        )
        yes, no = st.columns(2)
        if yes.button("Remove it", type="primary", key="library.remove_confirm"):
            remove_source(Path(pending), corpus=corpus, index=resources.index())
            st.session_state[FLASH_KEY] = f"Removed {paths.shown(pending)}: {_what(going)}."
            facets.clear()  # the Search filters and the Source page forget the file now
            del st.session_state[PENDING_KEY]
            st.rerun()
        if no.button("Cancel", key="library.remove_cancel"):
            del st.session_state[PENDING_KEY]
            st.rerun()
