"""Search latency as a person sees it: the real app in Debian's chromium, through Playwright.

Starts the app (`python -m ui.serve`, as `make app` does) on a data dir that holds an
ingested corpus, types a query, and times from Enter until the page shows that query's hit
cards, and until the app is idle (the answer box filled, the status widget gone). The first
search after start includes what is left of loading the model; later ones are different
queries.

    .venv/bin/python -m experiments.ui_latency --data-dir .cardiorag   # after `make demo-ingest`
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.speed.load import free_port

QUERIES = (
    "what causes the heart sounds",
    "heart failure in the elderly",
    "exercise and endothelial function",
    "echocardiogram left ventricular ejection fraction",
    "ABO blood group antigens",
    "pulmonary circulation",
)
BUSY = '[data-testid="stStatusWidget"], [data-testid="stSpinner"]'


def _start(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CARDIORAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("streamlit did not start")


def _timed_search(page, query: str) -> tuple[float, float]:
    """Seconds from Enter until this query's hits are drawn, and until the app is idle.

    The page draws the hit cards first and then fills the answer box above them, so the
    second figure includes the extractive answer.
    """
    box = page.get_by_label("Query")
    box.fill(query)
    started = time.perf_counter()
    box.press("Enter")
    hits_drawn = """q => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                        .some(e => e.innerText.includes(` hits for “${q}” in `))"""
    page.wait_for_function(hits_drawn, arg=query, timeout=300_000, polling=50)
    hits = time.perf_counter() - started
    page.wait_for_function(
        f"""q => ({hits_drawn})(q) && !document.querySelector('[data-testid="stStatusWidget"]')""",
        arg=query,
        timeout=300_000,
        polling=50,
    )
    return hits, time.perf_counter() - started


def main() -> None:
    """Measure and print (or write) the first and later search times."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".cardiorag"))
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    port = free_port()
    started = time.perf_counter()
    process = _start(args.data_dir, port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic"],
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}")
            page.wait_for_selector('input[aria-label="Query"]', timeout=120_000)
            page_ready = time.perf_counter() - started
            first_hits, first = _timed_search(page, QUERIES[0])
            later_hits, later = zip(
                *(_timed_search(page, query) for query in QUERIES[1:]), strict=True
            )
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    result = {
        "server_start_to_search_box_s": round(page_ready, 2),
        "first_search_s": round(first, 2),
        "first_search_hits_s": round(first_hits, 2),
        "later_searches_s": [round(t, 2) for t in later],
        "later_searches_hits_s": [round(t, 2) for t in later_hits],
        "later_max_s": round(max(later), 2),
        "later_hits_max_s": round(max(later_hits), 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
