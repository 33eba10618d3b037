"""Request bodies of the API: a search request (retrieval's own checks) plus the corpus."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from retrieval.search.request import SearchRequest


class SearchBody(SearchRequest):
    """`POST /search`: `Retriever.search`'s arguments and the corpus to search.

    Example:
        >>> SearchBody(query="mitral stenosis", corpus="cardiology", k=5).k
        5
    """

    corpus: Annotated[str | None, Field(description="None: the only (or default) corpus")] = None

    def request(self) -> SearchRequest:
        """The search request alone, checked as every other entry point checks it."""
        return SearchRequest.of(**self.model_dump(exclude={"corpus", "max_sentences"}))


class AnswerBody(SearchBody):
    """`POST /answer`: a search, and how many sentences the extractive answer may quote."""

    k: Annotated[StrictInt, Field(ge=1, description="hits the answer reads")] = 3
    max_sentences: Annotated[StrictInt, Field(ge=1, le=10)] = 3
