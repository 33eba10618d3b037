"""Retrieval-augmented answers with cited sources: a LangChain (LCEL) chain over CardioRAG.

The chain numbers the retrieved chunks with their citations, asks a chat model to answer from
them only with [n] markers, and returns the answer with the documents the numbers refer to.
Like `langchain_retriever`, this module imports LangChain and `retrieval/__init__` does not
import it.

Example:
    >>> from retrieval.answer.rag import build_rag_chain, load_chat_model
    >>> llm = load_chat_model("llama3.1", provider="ollama")  # doctest: +SKIP
    >>> chain = build_rag_chain(CardioRetriever(retriever=base, k=4), llm)  # doctest: +SKIP
    >>> chain.invoke("What causes the heart sounds?")["answer"]  # doctest: +SKIP
    'The closing of the valves [1] ...'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import (
    Runnable,
    RunnableBranch,
    RunnableLambda,
    RunnableParallel,
    RunnablePassthrough,
)

from retrieval.answer.confidence import WEAK_MESSAGE
from retrieval.answer.langchain_retriever import hit_to_document
from retrieval.errors import RetrievalError
from retrieval.search.hits import Hit

if TYPE_CHECKING:
    from retrieval.settings import Settings

SYSTEM_PROMPT = (
    "You answer questions from clinicians using only the numbered sources below. Cite the "
    "source of every statement with its number in square brackets, like [1] or [2][3]. If the "
    "sources do not answer the question, say so; do not add outside knowledge."
)
HUMAN_PROMPT = "Sources:\n\n{sources}\n\nQuestion: {question}"
WEAK_ANSWER = (
    f"{WEAK_MESSAGE}: the sources found are unlikely to answer the question, so no answer is "
    "given from them."
)
# init_chat_model's ImportError: "Initializing ChatOllama requires the langchain-ollama package."
_REQUIRES_PACKAGE = re.compile(r"requires the ([\w.-]+) package")


class ChatModelError(RetrievalError):
    """A chat model that cannot be built from the settings."""


class MissingProviderError(ChatModelError, ImportError):
    """The chat model integration for a provider is not installed."""

    def __init__(self, provider: str, package: str) -> None:
        self.provider = provider
        self.package = package
        super().__init__(
            f"provider {provider!r} needs the {package} package; install it with "
            f"`.venv/bin/pip install {package}`"
        )


def format_sources(documents: Sequence[Document]) -> str:
    """Number the documents for the prompt: `[n] citation`, then the chunk text.

    Args:
        documents: Retrieved documents, best first, with a `citation` in their metadata
            (as `CardioRetriever` gives them; others fall back to `source`).

    Returns:
        The numbered sources, separated by blank lines.
    """
    blocks = []
    for number, doc in enumerate(documents, start=1):
        citation = doc.metadata.get("citation") or doc.metadata.get("source", "")
        blocks.append(f"[{number}] {citation}\n{doc.page_content.strip()}")
    return "\n\n".join(blocks)


def weak_evidence(documents: Sequence[Document]) -> bool:
    """No sources, or a best source that `CardioRetriever` marked too weak to answer from."""
    return not documents or bool(documents[0].metadata.get("weak_evidence"))


def build_answer_chain(llm: BaseChatModel) -> Runnable[dict[str, Any], str]:
    """A chain from `{"question", "sources"}` (documents already retrieved) to the answer.

    With weak evidence (`weak_evidence`) the chat model is not asked: the answer says so,
    instead of an answer composed from passages that do not answer.
    """
    prompt = ChatPromptTemplate.from_messages([("system", SYSTEM_PROMPT), ("human", HUMAN_PROMPT)])
    generate = (
        {
            "sources": itemgetter("sources") | RunnableLambda(format_sources),
            "question": itemgetter("question"),
        }
        | prompt
        | llm
        | StrOutputParser()
    )
    return RunnableBranch(
        (lambda inputs: weak_evidence(inputs["sources"]), RunnableLambda(lambda _: WEAK_ANSWER)),
        generate,
    )


def build_rag_chain(retriever: BaseRetriever, llm: BaseChatModel) -> Runnable[str, dict[str, Any]]:
    """A chain from a question to `{"question", "sources", "answer"}`.

    Args:
        retriever: Finds the sources (e.g. `CardioRetriever`; its `k` sets how many).
        llm: Any LangChain chat model.

    Returns:
        A runnable whose output holds the question, the retrieved documents (`sources`; the
        answer's [n] is `sources[n - 1]`) and the model's answer as a string.
    """
    return RunnableParallel(question=RunnablePassthrough(), sources=retriever).assign(
        answer=build_answer_chain(llm)
    )


def answer_from_hits(
    llm: BaseChatModel, question: str, hits: Sequence[Hit], *, mode: str, model: str
) -> str:
    """The chat model's answer from hits already found; its [n] is `hits[n - 1]`.

    The app searches once and shows the same hits it gives the model, so the numbers in the
    answer link to the cards on the page.
    """
    sources = [hit_to_document(hit, mode=mode, model=model) for hit in hits]
    return build_answer_chain(llm).invoke({"question": question, "sources": sources})


def _missing_package(error: ImportError, provider: str) -> str:
    """The pip package LangChain says is missing (its message names it), else a guess."""
    named = _REQUIRES_PACKAGE.search(str(error))
    return named.group(1) if named else f"langchain-{provider.replace('_', '-')}"


def load_chat_model(
    model: str,
    *,
    provider: str = "",
    base_url: str = "",
    api_key: str | None = None,
    temperature: float = 0.0,
) -> BaseChatModel:
    """A chat model through LangChain's `init_chat_model`, with its integration's own client.

    Args:
        model: The provider's model name (`llama3.1`), or `provider:model`.
        provider: `ollama`, `openai` (any OpenAI-compatible server with `base_url`), ...;
            empty: inferred from the model name.
        base_url: The server's URL; empty: the integration's default.
        api_key: The server's key, if it needs one.
        temperature: Sampling temperature (0: the same answer to the same sources).

    Raises:
        MissingProviderError: When the provider's integration package is not installed.
        ChatModelError: When the provider is unknown or cannot be inferred.
    """
    from langchain.chat_models import init_chat_model

    options: dict[str, Any] = {"temperature": temperature}
    if base_url:
        options["base_url"] = base_url
    if api_key:
        options["api_key"] = api_key
    try:
        return init_chat_model(model, model_provider=provider or None, **options)
    except ImportError as err:
        raise MissingProviderError(provider or model, _missing_package(err, provider)) from err
    except ValueError as err:
        raise ChatModelError(f"cannot build chat model {model!r}: {err}".splitlines()[0]) from err


def chat_model_from_settings(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None when `chat_model` is unset (extractive answers)."""
    if not settings.chat_model:
        return None
    return load_chat_model(
        settings.chat_model,
        provider=settings.chat_provider,
        base_url=settings.chat_base_url,
        api_key=settings.chat_api_key.get_secret_value() if settings.chat_api_key else None,
    )
