from __future__ import annotations

import doctest
from pathlib import Path

import ui.library.paths
from ui.library.paths import ShownPaths

UPLOADS = Path("/srv/app/.cardiorag/uploads/cardiology")


def test_uploads_and_sources_are_shown_from_their_own_roots() -> None:
    paths = ShownPaths.for_corpus(
        UPLOADS, [f"{UPLOADS}/a.txt", "/data/shared/pdfs/x.pdf", "/data/shared/textbook/t.jsonl"]
    )
    assert paths.shown(f"{UPLOADS}/a.txt") == "a.txt"
    assert paths.shown("/data/shared/pdfs/x.pdf") == "pdfs/x.pdf"
    assert paths.shown("/etc/passwd") == "passwd"  # under no root: the name alone


def test_an_error_message_loses_the_server_path() -> None:
    paths = ShownPaths.for_corpus(UPLOADS, [])
    message = f"{UPLOADS}/junk_renamed.pdf: invalid PDF header"
    assert paths.scrub(message) == "junk_renamed.pdf: invalid PDF header"


def test_sources_with_nothing_in_common_but_the_root_are_shown_by_name() -> None:
    paths = ShownPaths.for_corpus(UPLOADS, ["/data/x.pdf", "/home/me/y.pdf"])
    assert paths.roots == [str(UPLOADS)]  # "/" would show, and scrub, every absolute path
    assert (paths.shown("/data/x.pdf"), paths.scrub("/data/x.pdf: bad")) == (
        "x.pdf",
        "/data/x.pdf: bad",
    )


def test_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(ui.library.paths, verbose=False)
    assert tried and not failures
