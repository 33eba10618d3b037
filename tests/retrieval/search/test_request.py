"""The search request model: one definition of the arguments `Retriever.search` takes."""

from __future__ import annotations

import doctest
import inspect

import retrieval.search.deadline
import retrieval.search.request
from retrieval import Retriever, SearchRequest


def test_docstring_examples_run() -> None:
    for module in (retrieval.search.request, retrieval.search.deadline):
        failures, tried = doctest.testmod(module, verbose=False)
        assert tried and not failures, module.__name__


def test_the_model_and_the_search_signature_name_the_same_arguments_and_defaults() -> None:
    parameters = inspect.signature(Retriever.search).parameters
    assert list(SearchRequest.model_fields) == [p for p in parameters if p != "self"]
    for name, field in SearchRequest.model_fields.items():
        if name != "query":
            assert parameters[name].default == field.default, name
