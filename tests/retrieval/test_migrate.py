"""Moving a corpus from the embedded store and SQLite to a server store and another catalog."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from qdrant_client import QdrantClient
from typer.testing import CliRunner

from cli.ingest import app
from cli.main import app as cardiorag_app
from retrieval import Catalog, Retriever, Settings
from retrieval.index import Index
from retrieval.migrate import MigrationError, migrate_corpus
from retrieval.store._edge import EdgeStore
from retrieval.store._server import ServerStore
from tests.support.databases import throwaway_sql_url

QUERY = "what carries blood away from the heart"


def test_corpus_moves_with_every_point_and_row(
    textbook_corpus: str, store: EdgeStore, catalog: Catalog, settings: Settings, tmp_path: Path,
    sql_backend: str,
) -> None:  # fmt: skip
    target_store = ServerStore(QdrantClient(":memory:"), "memory")
    with throwaway_sql_url(tmp_path / "target.db", sql_backend) as url:
        target_catalog = Catalog(url)
        target_catalog.create_schema()
        report = migrate_corpus(
            textbook_corpus,
            Index(catalog, store),
            Index(target_catalog, target_store),
        )
        collection = f"{textbook_corpus}__minilm"
        assert report.points == {collection: store.collection_info(collection).points}
        assert report.rows["documents"] == 15
        assert (
            report.rows["embeddings:minilm"] == report.rows["chunks"] == report.points[collection]
        )
        assert target_catalog.corpus_counts(textbook_corpus) == report.rows
        assert target_catalog.corpus_models(textbook_corpus) == catalog.corpus_models(
            textbook_corpus
        )

        def top(store_, catalog_) -> list[str]:
            with Retriever(
                textbook_corpus, "minilm", settings=settings, store=store_, catalog=catalog_
            ) as retriever:
                return [hit.chunk_id for hit in retriever.search(QUERY, k=5, mode="dense")]

        assert top(target_store, target_catalog) == top(store, catalog)

        with pytest.raises(MigrationError, match="already has corpus"):
            migrate_corpus(
                textbook_corpus,
                Index(catalog, store),
                Index(target_catalog, target_store),
            )
        target_catalog.close()


@pytest.mark.parametrize("command", ["ingest --migrate-to", "cardiorag migrate"])
def test_unreachable_target_fails_clearly_and_copies_no_rows(
    textbook_corpus: str, store: EdgeStore, catalog: Catalog, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, command: str,
) -> None:  # fmt: skip
    store.close()  # the command opens the embedded store itself
    catalog.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = tmp_path / "target.db"
    monkeypatch.setenv("CARDIORAG_SERVER__RETRIES", "0")
    source = [
        "--corpus", textbook_corpus,
        "--data-dir", str(tmp_path),
        "--sql-url", str(catalog.engine.url.render_as_string(hide_password=False)),
    ]  # fmt: skip
    to = [f"http://127.0.0.1:{port}", f"sqlite:///{target}"]
    if command == "cardiorag migrate":
        args = ["migrate", *source, "--to", to[0], "--to-sql-url", to[1]]
        result = CliRunner().invoke(cardiorag_app, args)
    else:
        args = [*source, "--migrate-to", to[0], "--migrate-sql-url", to[1]]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert f"cannot reach the Qdrant server at http://127.0.0.1:{port}" in str(result.exception)
    assert Catalog(f"sqlite:///{target}").corpus_names() == []
