from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

FRAILTY = "frailty in older patients with heart failure"


def test_a_pdf_hit_opens_its_page_and_pages_through_the_file(
    open_app: Callable[..., AppTest],
) -> None:
    app = open_app()
    app.multiselect(key="search.doc_types").select("article")
    app.text_input(key="search.query").input("frailty in older patients with heart failure").run()
    link = app.get("page_link")[0].proto
    page = int(link.label.rsplit(" ", 1)[1])
    app.query_params.update(dict(parse_qsl(link.query_string)))
    app.switch_page("views/source.py").run()
    assert not app.exception
    assert app.markdown[0].value == f"**ehag110.pdf**, page {page} of 13"
    viewer = app.get("bidi_component")[0]
    assert viewer.key == f"source.pdf.{page}"  # the PDF itself, cut to the cited page
    assert viewer.proto.component_name == "streamlit-pdf.pdf_viewer"
    text = _indexed_text(app)
    assert "frailty" in text.lower()
    assert all(label.startswith("chunk ") for label in _chunk_labels(app))
    app.button(key="source.next").click().run()
    assert app.markdown[0].value == f"**ehag110.pdf**, page {page + 1} of 13"
    assert app.get("bidi_component")[0].key == f"source.pdf.{page + 1}"
    assert _indexed_text(app) != text


def test_the_page_text_is_the_index_s_not_the_pdf_furniture(
    open_app: Callable[..., AppTest],
) -> None:
    app = open_app()
    app.multiselect(key="search.doc_types").select("article")
    app.text_input(key="search.query").input(FRAILTY).run()
    link = app.get("page_link")[0].proto
    app.query_params.update({**dict(parse_qsl(link.query_string)), "page": "3"})
    app.switch_page("views/source.py").run()
    text = _indexed_text(app)
    # pypdf's text of p. 3 has the running head "3054 de Boer et al."; the index dropped it.
    assert "Heart failure affects" in text or "incidence" in text
    assert "de Boer et al." not in text


def _indexed_text(app: AppTest) -> str:
    (expander,) = app.expander
    return "\n".join(block.value for block in expander.markdown)


def _chunk_labels(app: AppTest) -> list[str]:
    (expander,) = app.expander
    return [caption.value for caption in expander.caption]


@pytest.mark.parametrize("doc", ["../../../etc/passwd", "/etc/passwd", "passwd"])
def test_the_source_page_opens_only_catalogued_documents(
    open_app: Callable[..., AppTest], doc: str
) -> None:
    app = open_app()
    app.query_params.update({"corpus": "cardiology", "doc": doc, "page": "1"})
    app.switch_page("views/source.py").run()
    assert not app.exception
    assert "No PDF to show" in app.warning[0].value


def test_the_source_page_links_back_to_the_same_results(open_app: Callable[..., AppTest]) -> None:
    app = open_app()
    app.segmented_control(key="search.mode").set_value("dense")
    app.multiselect(key="search.doc_types").select("article")
    app.text_input(key="search.query").input(FRAILTY).run()
    results = [s.value for s in app.subheader]
    link = app.get("page_link")[0].proto
    assert "/" not in dict(parse_qsl(link.query_string))["doc"]  # no server path in the URL
    app.query_params.update(dict(parse_qsl(link.query_string)))
    app.switch_page("views/source.py").run()
    assert [p.proto.label for p in app.get("page_link")] == ["Back to the results"]
    app.switch_page("views/search.py").run()
    assert not app.exception, app.exception
    assert app.text_input(key="search.query").value == FRAILTY
    assert app.segmented_control(key="search.mode").value == "dense"
    assert app.multiselect(key="search.doc_types").value == ["article"]
    assert [s.value for s in app.subheader] == results
