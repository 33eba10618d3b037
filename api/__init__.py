"""The HTTP search API: many users at once over one process's store, catalog and models.

`cardiorag api` serves it with uvicorn; `create_app(settings)` builds it for tests and
embedding in other ASGI servers.
"""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
