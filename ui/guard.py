"""CardioRAG's own errors as a red box with their hint, never a traceback on screen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from adapters import AdapterError
from ingest import IngestError
from retrieval import RetrievalError, StoreLockedError
from ui import resources
from ui.library.paths import ShownPaths

# Errors whose message says what to do; anything else is a bug and propagates.
USER_ERRORS = (RetrievalError, AdapterError, IngestError)


def without_server_paths(message: str) -> str:
    """An error message with the data dir's absolute path taken out: a browser shows it."""
    data_dir = resources.settings().data_dir
    return ShownPaths([data_dir, data_dir.resolve()]).scrub(message)


@contextmanager
def shows_errors() -> Iterator[None]:
    """Run a page's work; a CardioRAG error becomes `st.error` with its message."""
    try:
        yield
    except StoreLockedError as error:
        st.error(
            f"The document store is in use by another process. {without_server_paths(str(error))}. "
            "Then reload this page.",
            icon=":material/lock:",
        )
    except USER_ERRORS as error:
        st.error(without_server_paths(str(error)), icon=":material/error:")
