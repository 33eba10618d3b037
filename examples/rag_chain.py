"""Retrieval-augmented answers with cited sources: a LangChain (LCEL) chain over CardioRAG.

The chain retrieves with `CardioRetriever`, numbers the chunks with their citations, asks a
chat model to answer from them only with [n] markers, and returns the answer together with
the documents the numbers refer to.

Usage: see `EXAMPLES` (or `--help`); ingest a corpus first (`.venv/bin/ingest ...`).

From Python, with any LangChain chat model:

    chain = build_rag_chain(CardioRetriever(retriever=Retriever("cardiology"), k=4), llm)
    result = chain.invoke("What causes the heart sounds?")
    result["answer"], [doc.metadata["citation"] for doc in result["sources"]]
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

EXAMPLES = """examples (ingest a corpus first: .venv/bin/ingest PATH... --corpus cardiology):
  .venv/bin/pip install langchain-openai     # or langchain-ollama
  OPENAI_API_KEY=... .venv/bin/python examples/rag_chain.py \\
      "What does the ABO blood group depend on?" --provider openai
  .venv/bin/python examples/rag_chain.py "What causes the heart sounds?" \\
      --provider ollama --chat-model llama3.1 --mode dense -k 6
"""

SYSTEM_PROMPT = (
    "You answer questions from clinicians using only the numbered sources below. Cite the "
    "source of every statement with its number in square brackets, like [1] or [2][3]. If the "
    "sources do not answer the question, say so; do not add outside knowledge."
)
HUMAN_PROMPT = "Sources:\n\n{sources}\n\nQuestion: {question}"

# Chat model integrations by provider: (module, class, pip package, default model). langchain-core
# has no generic factory (`init_chat_model` lives in the `langchain` package), so the script
# imports the integration itself, only when asked for it.
PROVIDERS = {
    "openai": ("langchain_openai", "ChatOpenAI", "langchain-openai", "gpt-4o-mini"),
    "ollama": ("langchain_ollama", "ChatOllama", "langchain-ollama", "llama3.1"),
}


class MissingProviderError(ImportError):
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


def build_rag_chain(retriever: BaseRetriever, llm: BaseChatModel) -> Runnable[str, dict[str, Any]]:
    """A chain from a question to `{"question", "sources", "answer"}`.

    Args:
        retriever: Finds the sources (e.g. `CardioRetriever`; its `k` sets how many).
        llm: Any LangChain chat model.

    Returns:
        A runnable whose output holds the question, the retrieved documents (`sources`; the
        answer's [n] is `sources[n - 1]`) and the model's answer as a string.
    """
    prompt = ChatPromptTemplate.from_messages([("system", SYSTEM_PROMPT), ("human", HUMAN_PROMPT)])
    answer = (
        {
            "sources": itemgetter("sources") | RunnableLambda(format_sources),
            "question": itemgetter("question"),
        }
        | prompt
        | llm
        | StrOutputParser()
    )
    return RunnableParallel(question=RunnablePassthrough(), sources=retriever).assign(answer=answer)


def load_chat_model(provider: str, model: str | None = None) -> BaseChatModel:
    """Build the provider's chat model (temperature 0), importing its integration lazily.

    Args:
        provider: A key of `PROVIDERS`.
        model: The provider's model name; default: the one in `PROVIDERS`.

    Returns:
        The chat model.

    Raises:
        MissingProviderError: When the provider's integration package is not installed.
    """
    module_name, class_name, package, default_model = PROVIDERS[provider]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise MissingProviderError(provider, package) from err
    return getattr(module, class_name)(model=model or default_model, temperature=0)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Answer a question from a CardioRAG corpus with cited sources.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("question")
    parser.add_argument(
        "--provider", choices=sorted(PROVIDERS), required=True, help="who runs the chat model"
    )
    parser.add_argument("--chat-model", help="the provider's model name")
    parser.add_argument("--corpus", help="default: the configured default corpus")
    parser.add_argument("--model", help="embedding model id; default: the configured one")
    parser.add_argument("-k", type=int, default=4, help="sources to retrieve (default 4)")
    parser.add_argument(
        "--mode", choices=["dense", "sparse", "hybrid"], default="hybrid", help="default hybrid"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Answer one question on stdout, followed by its numbered sources.

    Returns:
        The exit code: 0 on success, 1 when the chat model integration is missing or
        CardioRAG reports an error (one line on stderr).
    """
    # Imported here so that importing this module for `build_rag_chain` stays light.
    from adapters import AdapterError
    from retrieval import RetrievalError, Retriever, Settings
    from retrieval.langchain_retriever import CardioRetriever

    args = _parse_args(argv)
    try:
        llm = load_chat_model(args.provider, args.chat_model)
        settings = Settings()
        with Retriever(args.corpus, args.model, settings=settings) as base:
            retriever = CardioRetriever(retriever=base, k=args.k, mode=args.mode)
            result = build_rag_chain(retriever, llm).invoke(args.question)
    except (MissingProviderError, RetrievalError, AdapterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(result["answer"])
    print()
    for number, doc in enumerate(result["sources"], start=1):
        print(f"[{number}] {doc.metadata['citation']} (doc_id {doc.metadata['doc_id']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
