"""What one search asks for, checked once for every entry point (API, LangChain, CLI, app).

A pydantic model rather than checks spread over callers: `k="10"`, `query=None` or
`mode="fuzzy"` end in one `InvalidRequestError` that names the argument and what it takes,
wherever the request came from. Limits that depend on settings (`max_results`) and on the
corpus (filter fields) are checked by the retriever, which knows both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from retrieval.errors import EmptyQueryError, InvalidRequestError
from retrieval.parts import DEFAULT_PARTS, DOCUMENT_PARTS
from retrieval.store.query import (
    DEFAULT_CANDIDATES,
    DEFAULT_FUSION,
    DEFAULT_RRF_K,
    FusionMethod,
    SearchMode,
)

# Qdrant's default beam loses some nDCG@10 to exact search; a wider one recovers most of it
# for well under a millisecond more per query (docs/benchmarks.md#figures-behind-the-codes-choices).
DEFAULT_HNSW_EF = 256

_MODES = ", ".join(m.value for m in SearchMode)
_FUSIONS = ", ".join(f.value for f in FusionMethod)

# Annotated types that CardioRetriever's fields reuse, so both check the same way.
TopK = Annotated[StrictInt, Field(ge=1, description="an integer >= 1")]
Offset = Annotated[StrictInt, Field(ge=0, description="an integer >= 0")]
Mode = Annotated[SearchMode, Field(description=f"one of {_MODES}")]
Filters = Annotated[
    Mapping[str, Any] | None,
    Field(
        description="None or a mapping of field -> value, list of values, "
        "{'gte': x, 'lte': y}, or for page a number or (first, last)"
    ),
]
ModelId = Annotated[str | None, Field(description="None or a model id (see `ingest --models`)")]
# The values of retrieval.parts.DocPart, as a Literal so that pydantic checks them.
Part = Literal[DOCUMENT_PARTS]  # type: ignore[valid-type]
Parts = Annotated[
    tuple[Part, ...] | None,
    Field(min_length=1, description=f"None (every part) or some of {', '.join(DOCUMENT_PARTS)}"),
]


class SearchRequest(BaseModel):
    """The arguments of `Retriever.search`, validated; build it with `SearchRequest.of`.

    Example:
        >>> SearchRequest.of("heart valves", k=5, mode="hybrid").mode
        <SearchMode.HYBRID: 'hybrid'>
        >>> SearchRequest.of("heart valves", k="5")
        Traceback (most recent call last):
        ...
        retrieval.errors.InvalidRequestError: k='5' (str) is not accepted: Input should be a \
valid integer; k takes an integer >= 1
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: Annotated[str, Field(strict=True, description="the text to search for")]
    k: TopK = 10
    mode: Mode = SearchMode.DENSE
    model: ModelId = None
    filters: Filters = None
    parts: Parts = DEFAULT_PARTS
    offset: Offset = 0
    score_threshold: Annotated[float | None, Field(description="None or a number")] = None
    fusion: Annotated[FusionMethod, Field(description=f"one of {_FUSIONS}")] = DEFAULT_FUSION
    mmr: Annotated[StrictBool, Field(description="True or False")] = False
    mmr_lambda: Annotated[float, Field(ge=0.0, le=1.0, description="a number in [0, 1]")] = 0.5
    dedupe: Annotated[StrictBool, Field(description="True or False")] = True
    rrf_k: Annotated[StrictInt, Field(ge=1, description="an integer >= 1")] = DEFAULT_RRF_K
    candidates: Annotated[StrictInt, Field(ge=1, description="an integer >= 1")] = (
        DEFAULT_CANDIDATES
    )
    hnsw_ef: Annotated[StrictInt | None, Field(ge=1, description="None or an integer >= 1")] = (
        DEFAULT_HNSW_EF
    )
    rerank: Annotated[
        StrictBool | None, Field(description="True, False or None (the `rerank` setting)")
    ] = None
    rerank_candidates: Annotated[
        StrictInt | None,
        Field(ge=1, le=200, description="None (the setting) or an integer from 1 to 200"),
    ] = None
    expand: Annotated[
        StrictBool | None,
        Field(description="True, False or None (the `expand_abbreviations` setting)"),
    ] = None
    spread_tables: Annotated[StrictBool, Field(description="True or False")] = True

    @classmethod
    def of(cls, query: object, **options: Any) -> SearchRequest:
        """Validate a request; the first problem becomes an `InvalidRequestError`.

        Raises:
            EmptyQueryError: A query with no text.
            InvalidRequestError: Any other argument of the wrong type or out of range, or an
                unknown one.
        """
        try:
            request = cls(query=query, **options)  # type: ignore[arg-type]
        except ValidationError as error:
            raise _invalid(error, {"query": query, **options}) from None
        if not request.query.strip():
            raise EmptyQueryError()
        return request

    @property
    def depth(self) -> int:
        """The deepest rank the request reaches: `offset + k`."""
        return self.offset + self.k


def _invalid(error: ValidationError, given: Mapping[str, Any]) -> InvalidRequestError:
    """The first problem of `error`, named after the argument and what that argument takes."""
    problem = error.errors()[0]
    argument = str(problem["loc"][0]) if problem["loc"] else "request"
    field = SearchRequest.model_fields.get(argument)
    if field is None:
        allowed = ", ".join(SearchRequest.model_fields)
        return InvalidRequestError(
            argument, given.get(argument), f"no such argument; the arguments are {allowed}",
            message=f"unknown search argument {argument!r}; the arguments are {allowed}",
        )  # fmt: skip
    return InvalidRequestError(
        argument, given.get(argument), field.description or "", problem=problem["msg"]
    )
