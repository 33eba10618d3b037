"""CardioRAG's own errors as a red box with their hint, never a traceback on screen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from adapters import AdapterError
from ingest import IngestError
from retrieval import RetrievalError, StoreLockedError

# Errors whose message says what to do; anything else is a bug and propagates.
USER_ERRORS = (RetrievalError, AdapterError, IngestError)


@contextmanager
def shows_errors() -> Iterator[None]:
    """Run a page's work; a CardioRAG error becomes `st.error` with its message."""
    try:
        yield
    except StoreLockedError as error:
        st.error(
            f"The document store is in use by another process. {error}. Then reload this page.",
            icon=":material/lock:",
        )
    except USER_ERRORS as error:
        st.error(str(error), icon=":material/error:")
