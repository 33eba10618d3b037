"""The app in a real browser: Streamlit started headless, Debian's chromium driven by Playwright.

Streamlit renders over a websocket after the page loads, so the test waits until the status
widget ("Running...") is gone before it reads the page. With CARDIORAG_SCREENSHOTS=1 it also
writes a screenshot of each page to docs/screenshots/ (for README.md).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval import RunStore
from tests.support.paths import MODEL_CACHE, REPO
from tests.support.system_tools import CHROMIUM, skip_without_chromium

SCREENSHOTS = REPO / "docs" / "screenshots"
QUALITY_RUN = "quality_openstax_glossary_3models.json"  # minilm, mpnet, minilm-cardio
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)"
)
pytestmark = pytest.mark.slow
skip_without_chromium()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(
    data_dir: Path, port: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`python -m ui.serve` (as `make app`) on 127.0.0.1:port over `data_dir`, once healthy."""
    env = {
        **os.environ,
        "CARDIORAG_DATA_DIR": str(data_dir),
        "CARDIORAG_MODEL_CACHE_DIR": str(MODEL_CACHE),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(
                    process.stderr.read().decode() if process.stderr else ""
                ) from None
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("streamlit did not start within 120 s")


def settle(page, timeout_s: float = 180, quiet_s: float = 1.5) -> None:
    """Wait until Streamlit is idle: no status widget ("Running...") or spinner for `quiet_s`.

    A rerun starts a moment after an input changes and one interaction can cause several,
    so a single wait for the widget to go away can return between two of them.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_s * 1000)
    busy = '[data-testid="stStatusWidget"], [data-testid="stSpinner"]'
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if page.locator(busy).count():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the app was still busy after {timeout_s} s")


@pytest.fixture
def app_url(demo_dir: Path) -> Iterator[str]:
    port = _free_port()
    process = start_app(demo_dir, port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def browser_page() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def _shoot(page, name: str) -> None:
    if os.environ.get("CARDIORAG_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def search(page, query: str) -> None:
    """Type a query in the search box and wait for the results."""
    box = page.get_by_label("Query")
    box.fill(query)
    box.press("Enter")
    settle(page)


def _record_measured_runs(data_dir: Path) -> None:
    """Store the speed and quality runs README.md quotes, as `benchmarks` stores its runs."""
    runs = RunStore(f"sqlite:///{data_dir / 'catalog.db'}")
    for kind, file in (("speed", "speed_minilm.json"), ("quality", QUALITY_RUN)):
        results = json.loads((REPO / "benchmarks" / "results" / file).read_text())
        name = results["dataset"] if kind == "quality" else "+".join(results["models"])
        run_id = runs.start_benchmark_run(kind, name)
        runs.finish_benchmark_run(run_id, results=results)
    runs.close()


def test_search_in_a_real_browser_shows_the_cited_answer_and_cards(
    app_url: str, demo_dir: Path, browser_page
) -> None:
    page = browser_page
    page.goto(app_url)
    settle(page)
    search(page, "what causes the heart sounds")
    headings = page.locator('[data-testid="stHeadingWithActionElements"] h3').all_inner_texts()
    assert headings[0].startswith("1. Cardiac Cycle · Heart Sounds"), headings
    body = page.inner_text('[data-testid="stMain"]')
    assert "Answer mode: extractive" in body
    assert "Traceback" not in body
    assert page.locator('a[href="#hit-1"]').count() >= 1  # the answer cites the first card
    _shoot(page, "search")

    page.goto(f"{app_url}/compare")
    settle(page)
    search(page, "what causes the heart sounds")
    assert "Agreement of the top 10" in page.inner_text('[data-testid="stMain"]')
    # Drawn on a canvas after the text: on a busy machine it can come after `settle` returns.
    playwright_api.expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(
        1, timeout=60_000
    )
    assert page.get_by_role("button", name="Relevant", exact=True).count() >= 10
    _shoot(page, "compare")

    page.goto(app_url)
    settle(page)
    search(page, "frailty in older patients with heart failure")
    page.get_by_role("link", name=re.compile(r"^Open ehag110\.pdf at page \d+")).first.click()
    settle(page)
    assert re.search(r"ehag110\.pdf, page \d+ of 13", page.inner_text('[data-testid="stMain"]'))
    page.locator("canvas").first.wait_for(timeout=60_000)  # pdf.js drew the page
    _shoot(page, "source")

    _record_measured_runs(demo_dir)
    for path, name, text in [
        ("library", "library", "Documents in cardiology"),
        ("models", "models", "minilm-cardio"),
        ("benchmarks", "benchmarks", "openstax_glossary: 447 queries, 97 documents"),
    ]:
        page.goto(f"{app_url}/{path}")
        settle(page)
        assert text in page.inner_text('[data-testid="stMain"]'), name
        assert "Traceback" not in page.inner_text("body")
        _shoot(page, name)


def test_first_clinical_question_gets_management_passages_not_bibliography(
    app_url: str, browser_page
) -> None:
    # Issue 16: this query used to return ehag110.pdf's title block and reference list.
    page = browser_page
    page.goto(app_url)
    settle(page)
    search(
        page, "What is the first-line treatment for heart failure with reduced ejection fraction?"
    )
    captions = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    cards = [text for text in captions if " score " in text]
    assert any(re.match(r"ehag110\.pdf, pp?\. [789]", text) for text in cards[:3]), cards
    assert not any("references" in text or "front" in text for text in cards), cards
    _shoot(page, "search_pdf")


def test_a_page_opened_by_its_address_asks_for_the_password_first(
    demo_dir: Path, browser_page
) -> None:
    # Streamlit serves a `pages/` folder beside the entry point by address, past app.py's
    # password form: /library opened the Library (uploads, Remove) to anyone.
    port = _free_port()
    process = start_app(demo_dir, port, {"CARDIORAG_UI_PASSWORD": "s3cret-heart"})
    try:
        for address in ("library", "models", "source"):
            browser_page.goto(f"http://127.0.0.1:{port}/{address}")
            settle(browser_page)
            assert browser_page.get_by_label("Password", exact=True).count() == 1, address
            assert browser_page.locator("h1").all_inner_texts() == [], address
    finally:
        process.terminate()
        process.wait(timeout=30)
