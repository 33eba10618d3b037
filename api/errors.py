"""Retrieval errors as HTTP answers: a status that says whose fault it is, and the message."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from adapters import AdapterError, ModelNotFoundError, UnknownModelError
from retrieval.errors import (
    CatalogUnavailableError,
    CorpusNotEmbeddedError,
    InvalidRequestError,
    RequestTooLargeError,
    RetrievalError,
    SearchTimeoutError,
    StoreUnavailableError,
    UnknownCorpusError,
)

# Most specific first: the first class an error is an instance of gives its status.
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (RequestTooLargeError, 413),
    (InvalidRequestError, 400),
    (UnknownCorpusError, 404),
    (CorpusNotEmbeddedError, 404),
    (UnknownModelError, 404),
    (ModelNotFoundError, 404),
    (SearchTimeoutError, 504),
    (StoreUnavailableError, 503),
    (CatalogUnavailableError, 503),
    (RetrievalError, 409),  # the corpus and the settings disagree (a rebuild is named)
    (AdapterError, 409),
)


def status_for(error: Exception) -> int:
    """The HTTP status of a retrieval or model error."""
    return next(status for kind, status in _STATUS if isinstance(error, kind))


async def error_response(_request: Request, error: Exception) -> JSONResponse:
    """`{"error": message, "type": class}` with the error's status."""
    return JSONResponse(
        {"error": str(error), "type": type(error).__name__}, status_code=status_for(error)
    )
