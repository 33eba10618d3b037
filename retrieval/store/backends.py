"""Where a store is built: a Qdrant server by URL, else the embedded Qdrant Edge in a folder.

The backends import `retrieval.store.interface` for the interface and its types; this module imports
them, so the interface never imports an implementation (no import circle).
"""

from __future__ import annotations

from pathlib import Path

from retrieval.settings import Settings
from retrieval.store.interface import VectorStore


def open_embedded_store(folder: Path) -> VectorStore:
    """The embedded store (Qdrant Edge) kept in `folder`; one process holds a folder at a time."""
    from retrieval.store._edge import EdgeStore

    return EdgeStore(folder)


def open_store(settings: Settings) -> VectorStore:
    """The one place that builds a backend: a URL means a server, else the embedded store."""
    if settings.qdrant_url:
        from retrieval.store._server import ServerStore

        return ServerStore.connect(settings.qdrant_url, settings.qdrant_api_key, settings.server)
    return open_embedded_store(settings.data_dir / "qdrant")
