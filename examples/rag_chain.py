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
import sys
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel

# The chain lives in the package, where the app uses it too; these names stay importable here.
from retrieval.answer.rag import MissingProviderError, build_rag_chain, format_sources
from retrieval.answer.rag import load_chat_model as _load_chat_model

EXAMPLES = """examples (ingest a corpus first: .venv/bin/ingest PATH... --corpus cardiology):
  .venv/bin/pip install langchain-openai     # or langchain-ollama
  OPENAI_API_KEY=... .venv/bin/python examples/rag_chain.py \\
      "What does the ABO blood group depend on?" --provider openai
  .venv/bin/python examples/rag_chain.py "What causes the heart sounds?" \\
      --provider ollama --chat-model llama3.1 --mode dense -k 6
"""

# Default chat model by provider; any other provider works from Python through
# `retrieval.answer.rag.load_chat_model` (LangChain's init_chat_model).
PROVIDERS = {"openai": "gpt-4o-mini", "ollama": "llama3.1"}

__all__ = ["MissingProviderError", "build_rag_chain", "format_sources", "load_chat_model", "main"]


def load_chat_model(provider: str, model: str | None = None) -> BaseChatModel:
    """The provider's chat model (temperature 0); default model: the one in `PROVIDERS`.

    Raises:
        MissingProviderError: When the provider's integration package is not installed.
    """
    return _load_chat_model(model or PROVIDERS[provider], provider=provider)


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
    # Imported here: `--help` and `build_rag_chain` need no store, catalog or model.
    from adapters import AdapterError
    from retrieval import RetrievalError, Retriever, Settings
    from retrieval.answer.langchain_retriever import CardioRetriever

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
