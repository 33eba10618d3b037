from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from retrieval import Retriever
from retrieval.answer.langchain_retriever import CardioRetriever
from tests.support.paths import REPO


def _load_example(name: str) -> ModuleType:
    """An example script as a module, loaded from its path (examples/ is not a package)."""
    path = REPO / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"examples_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rag_chain() -> ModuleType:
    return _load_example("rag_chain")


class PromptRecorder(BaseCallbackHandler):
    """Keeps the messages each chat model call received."""

    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.prompts.extend(messages)


def test_rag_chain_answers_from_numbered_cited_sources(
    rag_chain: ModuleType, textbook_retriever: Retriever
) -> None:
    question = "What does a person's ABO blood group depend on?"
    reply = "It depends on the A and B antigens on the erythrocytes [1]."
    llm = FakeListChatModel(responses=[reply])
    recorder = PromptRecorder()
    chain = rag_chain.build_rag_chain(CardioRetriever(retriever=textbook_retriever, k=3), llm)

    result = chain.invoke(question, config={"callbacks": [recorder]})

    hits = textbook_retriever.search(question, 3)
    assert result["question"] == question
    assert result["answer"] == reply
    assert [doc.id for doc in result["sources"]] == [hit.chunk_id for hit in hits]
    assert [doc.metadata["citation"] for doc in result["sources"]] == [h.citation for h in hits]
    assert hits[0].citation == "Blood Typing - The ABO Blood Group"

    [messages] = recorder.prompts
    system, human = messages
    assert "only the numbered sources" in system.content
    assert "square brackets, like [1]" in system.content
    prompt = human.content
    assert prompt.endswith(f"Question: {question}")
    positions = [prompt.index(f"[{n}] {hit.citation}\n") for n, hit in enumerate(hits, start=1)]
    assert positions == sorted(positions)
    for hit in hits:
        assert hit.text.strip() in prompt
    assert "[4]" not in prompt


def test_rag_chain_does_not_answer_from_weak_evidence(
    rag_chain: ModuleType, textbook_retriever: Retriever
) -> None:
    from retrieval.answer.rag import WEAK_ANSWER

    llm = FakeListChatModel(responses=["Timolol drops lower the eye pressure [1]."])
    recorder = PromptRecorder()
    chain = rag_chain.build_rag_chain(CardioRetriever(retriever=textbook_retriever, k=3), llm)

    result = chain.invoke(
        "How is glaucoma treated with eye drops?", config={"callbacks": [recorder]}
    )

    assert result["answer"] == WEAK_ANSWER
    assert recorder.prompts == []  # the chat model was not asked
    assert result["sources"] and all(d.metadata["weak_evidence"] for d in result["sources"])
    assert 0 < result["sources"][0].metadata["best_hit_confidence"] < 0.5


def test_format_sources_numbers_documents_with_their_citations(
    rag_chain: ModuleType, textbook_retriever: Retriever
) -> None:
    docs = CardioRetriever(retriever=textbook_retriever, k=2).invoke("heart sounds")
    text = rag_chain.format_sources(docs)
    first, second = text.split("\n\n[2] ")
    assert first.startswith(f"[1] {docs[0].metadata['citation']}\n{docs[0].page_content[:40]}")
    assert second.startswith(f"{docs[1].metadata['citation']}\n")
    assert rag_chain.format_sources([]) == ""


def test_main_names_the_package_a_provider_needs(
    rag_chain: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    if importlib.util.find_spec("langchain_ollama") is not None:
        pytest.skip("langchain-ollama is installed")

    code = rag_chain.main(["What causes the heart sounds?", "--provider", "ollama"])

    assert code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == (
        "error: provider 'ollama' needs the langchain-ollama package; install it with "
        "`.venv/bin/pip install langchain-ollama`"
    )


def test_main_rejects_an_unknown_provider(rag_chain: ModuleType) -> None:
    with pytest.raises(SystemExit) as exit_info:
        rag_chain.main(["What causes the heart sounds?", "--provider", "skynet"])
    assert exit_info.value.code == 2


def test_example_runs_as_a_script_from_anywhere(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "rag_chain.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--provider" in done.stdout
