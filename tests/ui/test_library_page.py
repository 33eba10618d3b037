from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from retrieval import Catalog

NOTE = """# Pericarditis follow-up

## Assessment

Sharp pleuritic chest pain relieved by leaning forward, a pericardial friction rub and
diffuse ST elevation: acute pericarditis. Colchicine with ibuprofen for two weeks.
"""


def _wait_for_jobs(app: AppTest, timeout: float = 240) -> AppTest:
    """Rerun until no job is running (a real browser polls through the page's fragment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.run()
        assert not app.exception, app.exception
        if not any(" · running · " in m.value for m in app.markdown):
            return app
        time.sleep(0.5)
    raise AssertionError("the ingest job did not finish")


def _upload(app: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    app.file_uploader(key="library.files").set_value(files)
    next(b for b in app.button if b.label == "Ingest").click().run()
    assert not app.exception, app.exception
    return app


def test_an_upload_is_ingested_and_searchable(
    open_app: Callable[..., AppTest], demo_dir: Path
) -> None:
    app = _upload(
        open_app("views/library.py"), [("pericarditis.md", NOTE.encode(), "text/markdown")]
    )
    app = _wait_for_jobs(app)
    assert any("1 added" in c.value and "0 failed" in c.value for c in app.caption)
    table = app.dataframe[0].value
    row = table[table["file"] == "pericarditis.md"].iloc[0]
    assert row["status"] == "ready" and row["chunks"] >= 1
    assert set(row["models"].split(", ")) == {"minilm", "minilm-cardio"}
    saved = demo_dir / "uploads" / "cardiology" / "pericarditis.md"
    assert saved.read_text() == NOTE
    app.switch_page("views/search.py").run()
    app.text_input(key="search.query").input("friction rub and chest pain on leaning forward").run()
    assert app.subheader[0].value.startswith("1. Pericarditis follow-up")


def test_bad_uploads_show_their_errors_and_do_not_stop_the_others(
    open_app: Callable[..., AppTest], demo_dir: Path
) -> None:
    app = _upload(
        open_app("views/library.py"),
        [
            ("../../evil.exe", b"MZ\x90\x00", "application/octet-stream"),
            ("broken.pdf", b"%PDF-1.7 this is not really a PDF", "application/pdf"),
            ("../notes/pericarditis.md", NOTE.encode(), "text/markdown"),
        ],
    )
    errors = [e.value for e in app.error]
    assert errors[0].startswith("../../evil.exe was not ingested: unsupported file type .exe")
    app = _wait_for_jobs(app)
    errors = [e.value for e in app.error]
    assert any(e.startswith("broken.pdf was not ingested: ") for e in errors), errors
    assert not any(str(demo_dir.parent) in e for e in errors), errors  # no server path
    assert any("1 added" in c.value and "1 failed" in c.value for c in app.caption)
    uploads = demo_dir / "uploads" / "cardiology"
    assert sorted(p.name for p in uploads.iterdir()) == ["broken.pdf", "pericarditis.md"]
    assert not (demo_dir.parent / "evil.exe").exists()
    table = app.dataframe[0].value
    broken = table[table["file"] == "broken.pdf"].iloc[0]
    assert broken["status"] == "failed" and str(demo_dir.parent) not in broken["error"]


def test_a_file_over_the_upload_limit_is_refused(
    open_app: Callable[..., AppTest], monkeypatch
) -> None:
    monkeypatch.setenv("CARDIORAG_UPLOAD_MAX_MB", "1")
    app = _upload(open_app("views/library.py"), [("big.txt", b"heart " * 400_000, "text/plain")])
    assert [e.value for e in app.error] == [
        "big.txt was not ingested: 2.3 MB is over the upload limit of 1 MB "
        "(setting upload_max_mb, CARDIORAG_UPLOAD_MAX_MB)"
    ]


def test_remove_asks_first_then_says_what_it_removed(
    open_app: Callable[..., AppTest], demo_dir: Path
) -> None:
    app = open_app("views/library.py")
    remove = app.selectbox(key="library.remove")
    assert "ehag110.pdf" in remove.options  # relative to the corpus's source root
    assert not any(str(demo_dir.parent) in option for option in remove.options)
    remove.select_index(remove.options.index("ehag110.pdf"))
    app.button(key="library.remove_button").click().run()
    [question] = [w.value for w in app.warning if w.value.startswith("Remove ehag110.pdf")]
    assert "1 document, " in question and "embedded by minilm, minilm-cardio" in question
    assert "ehag110.pdf" in list(app.dataframe[0].value["file"])  # nothing gone yet
    app.button(key="library.remove_confirm").click().run()
    assert not app.exception
    [done] = [s.value for s in app.success]
    assert done.startswith("Removed ehag110.pdf: 1 document, ")
    assert done.endswith(" chunks, embedded by minilm, minilm-cardio.")
    catalog = Catalog(f"sqlite:///{demo_dir / 'catalog.db'}")
    sources = {d.source for d in catalog.list_documents("cardiology")}
    catalog.close()
    assert sources and not any(s.endswith("ehag110.pdf") for s in sources)
    assert all(not f.endswith("ehag110.pdf") for f in app.dataframe[0].value["file"])
    app.run()
    assert not app.success  # said once
    app.switch_page("views/search.py").run()
    assert "ehag110.pdf" not in app.multiselect(key="search.sources").options  # not 30 s later


def test_cancel_removes_nothing(open_app: Callable[..., AppTest]) -> None:
    app = open_app("views/library.py")
    app.button(key="library.remove_button").click().run()
    app.button(key="library.remove_cancel").click().run()
    assert not app.warning and not app.success
    assert len(app.dataframe[0].value) == 16


def test_the_documents_table_leaves_empty_cells_blank(open_app: Callable[..., AppTest]) -> None:
    app = open_app("views/library.py")
    table = app.dataframe[0]
    assert table.value["pages"].isna().any()  # textbook sections have no pages
    assert table.proto.placeholder == ""  # shown blank, not "None"


def test_embedding_with_another_model_counts_its_chunks_and_time(
    open_app: Callable[..., AppTest],
) -> None:
    app = open_app("views/library.py")
    app.selectbox(key="library.model").select("minilm-int8")
    app.button(key="library.embed").click().run()
    app = _wait_for_jobs(app)
    [summary] = [c.value for c in app.caption if "minilm-int8" in c.value]
    assert re.fullmatch(r"minilm-int8 embedded \d+ chunks in [\d.]+ s · [\d.]+ s in all", summary)
    chunks = int(summary.split()[2])
    assert chunks == sum(app.dataframe[0].value["chunks"])
