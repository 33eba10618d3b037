"""kill -9 in the middle of `ingest`, and of `ingest --recreate`: a rerun completes the corpus
with nothing lost or half-written (store points = catalog chunks = embedded chunks), and a
third run has nothing left to do."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval import Catalog
from retrieval.store._edge import EdgeStore

INGEST = Path(sys.executable).parent / "ingest"
CORPUS = "crash"
RECORDS = 100  # MedQuAD records: about 560 chunks, three embedding windows of 256
WINDOW = 256  # ingest.pipeline.EMBED_WINDOW: chunks recorded together
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CARDIORAG_")} | {
    "HF_HUB_OFFLINE": "1"
}


def command(source: Path, data_dir: Path, *extra: str) -> list[str]:
    return [str(INGEST), str(source), "--corpus", CORPUS, "--data-dir", str(data_dir),
            "--threads", "1", "--json", str(data_dir / "report.json"), *extra]  # fmt: skip


def run(source: Path, data_dir: Path, *extra: str) -> dict:
    done = subprocess.run(
        command(source, data_dir, *extra), capture_output=True, text=True, timeout=600,
        env=ENV, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads((data_dir / "report.json").read_text())


def embedded(data_dir: Path) -> int:
    """Chunks the catalog marks embedded (0 while it has no table yet); read-only."""
    try:
        with sqlite3.connect(f"file:{data_dir / 'catalog.db'}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def kill_mid_embedding(source: Path, data_dir: Path, *extra: str) -> None:
    """Start ingest and SIGKILL it once one window is recorded and more are to come."""
    process = subprocess.Popen(
        command(source, data_dir, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=ENV,
    )  # fmt: skip
    try:
        # --recreate first forgets what is embedded: wait for that before counting windows.
        deadline, reset = time.monotonic() + 300, not extra
        while process.poll() is None and time.monotonic() < deadline:
            count = embedded(data_dir)
            reset = reset or count < WINDOW
            if reset and count >= WINDOW:
                break
            time.sleep(0.05)
        assert process.poll() is None, "ingest finished before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL


def assert_complete(data_dir: Path, documents: int) -> int:
    """Every chunk in the catalog is a point and marked embedded, nothing else is stored; the
    number of chunks."""
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.db'}")
    store = EdgeStore(data_dir / "qdrant")
    try:
        chunk_ids = catalog.chunk_ids(CORPUS)
        assert len(catalog.list_documents(CORPUS)) == documents
        assert chunk_ids and catalog.chunk_ids(CORPUS, "minilm") == chunk_ids
        assert store.point_ids(f"{CORPUS}__minilm") == chunk_ids  # no orphans, none missing
        assert catalog.pending_chunks(CORPUS, "minilm") == []
        return len(chunk_ids)
    finally:
        store.close()
        catalog.close()


def assert_nothing_left(report: dict) -> None:
    """A run after a complete one: every document unchanged, no chunk written or embedded."""
    assert report["skipped"] == RECORDS and report["chunks"] == 0
    assert not any(model["chunks"] for model in report["models"])


@pytest.fixture
def source(tmp_path: Path, shared_data: Path) -> Path:
    corpus = shared_data / "eval" / "medquad_cardio_dev" / "corpus.jsonl"
    with corpus.open(encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(RECORDS)]
    path = tmp_path / "medquad.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.slow
def test_kill_9_during_ingest_then_a_rerun_loses_nothing(source: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    kill_mid_embedding(source, data_dir)
    rerun = run(source, data_dir)
    assert rerun["failed"] == []
    chunks = assert_complete(data_dir, RECORDS)
    assert 0 < rerun["models"][0]["chunks"] <= chunks - WINDOW  # it finished the killed run
    assert_nothing_left(run(source, data_dir))


@pytest.mark.slow
def test_kill_9_during_recreate_then_a_rerun_loses_nothing(source: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = run(source, data_dir)
    kill_mid_embedding(source, data_dir, "--recreate")
    rerun = run(source, data_dir)
    assert rerun["failed"] == []
    assert assert_complete(data_dir, RECORDS) == first["chunks"]  # the same chunks again
    assert 0 < rerun["models"][0]["chunks"] <= first["chunks"] - WINDOW
    assert_nothing_left(run(source, data_dir))
