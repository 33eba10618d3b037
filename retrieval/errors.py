"""Errors of the index: the store, the catalog and collections."""

from __future__ import annotations

from pathlib import Path


class RetrievalError(Exception):
    """Base class of every error this package raises on purpose."""


class StoreUnavailableError(RetrievalError, ConnectionError):
    """The vector store cannot be opened or reached."""


class StoreLockedError(StoreUnavailableError):
    """Another process holds the embedded store; Qdrant Edge allows one process per folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"another process holds the embedded store at {path} (Qdrant Edge allows one "
            "process per folder); stop it (e.g. the Streamlit app) or set CARDIORAG_DATA_DIR "
            "to another folder"
        )


class CollectionMismatchError(RetrievalError, ValueError):
    """A collection whose vectors do not fit the model that should fill or search it."""

    def __init__(self, collection: str, expected: int, found: int) -> None:
        self.collection = collection
        self.expected = expected
        self.found = found
        super().__init__(
            f"collection {collection!r} stores {found}-dim vectors, the model gives {expected}; "
            "ingest with --recreate, or pick the matching model"
        )


class QuantizationMismatchError(RetrievalError, ValueError):
    """A collection built with other vector storage than the settings ask for."""

    def __init__(self, collection: str, built: str, asked: str) -> None:
        self.collection = collection
        self.built = built
        self.asked = asked
        super().__init__(
            f"collection {collection!r} was built with quantization {built!r}, the settings "
            f"ask for {asked!r}: a collection cannot change it in place; rebuild the corpus "
            f"with `cardiorag ingest PATH... --corpus CORPUS --recreate --quantization {asked}`, "
            f"or unset the quantization setting (CARDIORAG_QUANTIZATION) to keep {built!r}"
        )


class InsufficientDiskError(RetrievalError, OSError):
    """Points that would not fit on the store's disk: refused before the first one is written."""

    def __init__(
        self, collection: str, location: str, points: int, needed: int, free: int, reserve: int
    ) -> None:
        self.needed = needed
        self.free = free
        super().__init__(
            f"not enough disk at {location} for {points:,} points of {collection!r}: about "
            f"{needed / 2**30:.2f} GiB needed, {free / 2**30:.2f} GiB free (keeping "
            f"{reserve / 2**20:.0f} MiB spare, the setting disk_reserve_mb). Nothing was "
            "written to the collection; the chunks wait in the catalog, and the next "
            "`cardiorag ingest` embeds them once there is room (free space, or point "
            "CARDIORAG_DATA_DIR at a larger disk)"
        )


class CorpusConfigError(RetrievalError, ValueError):
    """A corpus asked to change settings that its stored chunks depend on."""


class UnknownCorpusError(RetrievalError, KeyError):
    """A corpus name the catalog does not know."""

    def __init__(self, corpus: str, known: list[str]) -> None:
        self.corpus = corpus
        self.known = known
        super().__init__(
            f"unknown corpus {corpus!r}; known corpora: {', '.join(known) or 'none'}. "
            f"Create it with `ingest PATH --corpus {corpus}`"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class CorpusNotEmbeddedError(RetrievalError, LookupError):
    """A model that has not embedded the corpus it is asked to search."""

    def __init__(self, corpus: str, model_id: str, embedded_by: list[str]) -> None:
        self.corpus = corpus
        self.model_id = model_id
        self.embedded_by = embedded_by
        super().__init__(
            f"model {model_id!r} has not embedded corpus {corpus!r} (embedded by: "
            f"{', '.join(embedded_by) or 'none'}); run `ingest --corpus {corpus} --model "
            f"{model_id} PATH...` with the corpus's files"
        )


class StaleEmbeddingsError(RetrievalError, ValueError):
    """A corpus embedded by an earlier version of a model spec (e.g. a retrained adapter)."""

    def __init__(self, corpus: str, model_id: str, stored_hash: str, current_hash: str) -> None:
        self.corpus = corpus
        self.model_id = model_id
        super().__init__(
            f"corpus {corpus!r} was embedded by an earlier version of model {model_id!r} "
            f"(spec hash {stored_hash}, now {current_hash}: its base, adapter weights or "
            f"settings changed), so its vectors no longer match the queries; run `ingest "
            f"--corpus {corpus} PATH...` again, which re-embeds the corpus with the current spec"
        )


class InvalidRequestError(RetrievalError, ValueError):
    """A search argument the API does not accept: it names the argument and what it takes.

    Attributes:
        argument: The argument's name as `Retriever.search` spells it (`k`, `mode`...).
        value: What the caller passed.
        allowed: What the argument takes, in words (`an integer >= 1`, `dense, sparse, hybrid`).
    """

    def __init__(
        self, argument: str, value: object, allowed: str, *, problem: str = "", message: str = ""
    ) -> None:
        self.argument = argument
        self.value = value
        self.allowed = allowed
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        found = f"{argument}={shown} ({type(value).__name__}) is not accepted"
        super().__init__(
            message or f"{found}{': ' + problem if problem else ''}; {argument} takes {allowed}"
        )


class RequestTooLargeError(InvalidRequestError):
    """A request that reaches deeper into the ranking than the `max_results` setting allows.

    Attributes:
        limit: The setting's value.
    """

    def __init__(
        self, argument: str, value: int, limit: int, *, problem: str, allowed: str
    ) -> None:
        self.limit = limit
        super().__init__(
            argument,
            value,
            f"{allowed} (the setting max_results, CARDIORAG_MAX_RESULTS); ask for fewer "
            "results per page, or raise the setting",
            problem=problem,
        )


class UnknownFilterError(InvalidRequestError):
    """A filter on a metadata field that no document of the corpus has."""

    def __init__(self, field: str, known: list[str]) -> None:
        self.field = field
        self.known = known
        super().__init__(
            "filters",
            field,
            ", ".join(known),
            message=f"filters: no document has a field {field!r} to filter on; fields: "
            f"{', '.join(known)}",
        )


class EmptyQueryError(InvalidRequestError):
    """A query with no text."""

    def __init__(self) -> None:
        super().__init__(
            "query",
            "",
            "text with a non-space character",
            message="the query is empty; type what you are looking for",
        )


class SearchTimeoutError(RetrievalError, TimeoutError):
    """A search that ran past the `search_timeout_s` setting; nothing partial is returned."""

    def __init__(self, request: str, elapsed_s: float, limit_s: float) -> None:
        self.request = request
        self.elapsed_s = elapsed_s
        self.limit_s = limit_s
        super().__init__(
            f"{request} took {elapsed_s:.1f} s, past the limit of {limit_s:g} s (the setting "
            "search_timeout_s, CARDIORAG_SEARCH_TIMEOUT_S); ask for fewer results or narrow "
            "the filters"
        )


class CatalogUnavailableError(RetrievalError, ConnectionError):
    """The SQL catalog cannot be reached (wrong URL, server down, bad credentials)."""
