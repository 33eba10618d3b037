from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.paths import APP


def test_every_page_is_listed_and_opens_without_error(open_app: Callable[..., AppTest]) -> None:
    app = open_app()
    assert [title.value for title in app.title] == ["Search"]
    assert app.sidebar.selectbox(key="app.corpus_picker").value == "cardiology"
    for page, title in [
        ("views/compare.py", "Compare models"),
        ("views/library.py", "Library"),
        ("views/models.py", "Models"),
        ("views/benchmarks.py", "Benchmarks"),
        ("views/source.py", "Source"),
    ]:
        app.switch_page(page).run()
        assert not app.exception, (page, app.exception)
        assert [t.value for t in app.title] == [title]


def test_password_guards_every_page_when_set(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDIORAG_DATA_DIR", str(demo_dir))
    monkeypatch.setenv("CARDIORAG_UI_PASSWORD", "s3cret-heart")
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.run()
    assert not app.exception
    assert not app.title  # no page drawn, and no page of ui/views/ reachable
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("views/library.py")
    app.text_input(key="auth.password").input("wrong")
    app.button[0].click().run()
    assert [e.value for e in app.error] == ["Wrong password."]
    app.text_input(key="auth.password").input("s3cret-heart")
    app.button[0].click().run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Search"]


def test_an_empty_data_dir_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDIORAG_DATA_DIR", str(tmp_path / "empty"))
    app = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not app.exception
    assert "upload documents on the Library page" in app.info[0].value
