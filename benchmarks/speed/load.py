"""`cardiorag bench load`: many users searching at once through the HTTP API, on 127.0.0.1.

The API (`cardiorag api`) starts as a child process on a free loopback port over the given
data dir, exactly as a user would run it; the run waits for `/health`, then for each
concurrency level sends `requests` searches from that many client threads at once, each a
different real question (the queries of the BEIR sets), so the retriever's query cache never
answers. Latency is the client's wall time from sending the request to holding the hits;
the server's own `took_ms` is kept beside it, so queueing shows as the difference. The
server is stopped at the end, after an error, or when `max_seconds` run out.

JSON document (`kind` "load"): `settings` {corpus, model, mode, k, concurrency, requests,
queries, request_timeout_s}, `server` {startup_seconds}, `levels` [{concurrency, requests,
errors, error_samples, seconds, requests_per_s, latency: {p50_ms, p95_ms, p99_ms, max_ms},
server_took: {p50_ms, p95_ms, p99_ms}}], `targets` {p95_under_1s_at_8, no_errors}.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.report import RunOutput, line_plot, markdown_table, provenance, targets_line
from benchmarks.speed.search_speed import percentiles
from retrieval import SearchMode, Settings

HOST = "127.0.0.1"
TARGET_CONCURRENCY = 8
TARGET_P95_MS = 1000.0
HEADER = (
    "concurrent", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
    "server p50 ms", "server p95 ms",
)  # fmt: skip


class ServerStartError(RuntimeError):
    """The API did not come up; the message holds the end of its log."""


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """What a load run sends, and its limits."""

    queries_files: tuple[Path, ...]
    corpus: str | None = None
    model: str | None = None
    mode: SearchMode = SearchMode.HYBRID
    k: int = 10
    concurrency: tuple[int, ...] = (1, 2, 4, 8)
    requests: int = 120
    request_timeout_s: float = 30.0
    startup_timeout_s: float = 300.0
    max_seconds: float = 900.0


@dataclass(frozen=True, slots=True)
class LevelResult:
    """One concurrency level: latency as clients saw it, the server's share, errors."""

    concurrency: int
    requests: int
    errors: int
    error_samples: list[str]
    seconds: float
    requests_per_s: float
    latency: dict[str, float]
    server_took: dict[str, float]


def read_questions(paths: Sequence[Path]) -> list[str]:
    """Distinct query texts of BEIR `queries.jsonl` files, in file order."""
    texts: dict[str, None] = {}
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            texts.update(dict.fromkeys(json.loads(line)["text"] for line in lines if line.strip()))
    return list(texts)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _log_tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def api_server(settings: Settings, timeout_s: float) -> Iterator[tuple[str, float]]:
    """`cardiorag api` on a free loopback port over `settings.data_dir`; its URL and start time.

    Raises:
        ServerStartError: It exited, or `/health` did not answer within `timeout_s`.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "cli", "api", "--host", HOST, "--port", str(port),
        "--data-dir", str(settings.data_dir), "--quiet",
    ]  # fmt: skip
    if settings.models_file is not None:
        command += ["--models-file", str(settings.models_file)]
    env = os.environ | {"CARDIORAG_TORCH_THREADS": str(settings.torch_threads)}
    url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="cardiorag-load-") as scratch:
        log = Path(scratch) / "api.log"
        with log.open("wb") as output:
            server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        try:
            started = time.perf_counter()
            _wait_healthy(server, url, log, timeout_s)
            yield url, time.perf_counter() - started
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_healthy(server: subprocess.Popen[bytes], url: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerStartError(f"the API exited with {server.returncode}:\n{_log_tail(log)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise ServerStartError(
        f"the API did not answer /health in {timeout_s:.0f} s:\n{_log_tail(log)}"
    )


def run_level(
    client: httpx.Client,
    url: str,
    bodies: Sequence[dict[str, Any]],
    concurrency: int,
    deadline: float,
) -> LevelResult:
    """Send `bodies` to /search from `concurrency` threads at once; time each one."""

    def send(body: dict[str, Any]) -> tuple[float, float | None, str | None]:
        if time.monotonic() > deadline:
            return 0.0, None, "not sent: the run's max_seconds ran out"
        started = time.perf_counter()
        try:
            response = client.post(f"{url}/search", json=body)
        except httpx.HTTPError as error:
            return (time.perf_counter() - started) * 1000, None, f"{type(error).__name__}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return elapsed, None, f"HTTP {response.status_code}: {response.text[:200]}"
        return elapsed, float(response.json()["took_ms"]), None

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(send, bodies))
    seconds = time.perf_counter() - started
    good = [(wall, took) for wall, took, error in outcomes if error is None and took is not None]
    errors = [error for _, _, error in outcomes if error is not None]
    walls = [wall for wall, _ in good] or [float("nan")]
    tooks = [took for _, took in good] or [float("nan")]
    return LevelResult(
        concurrency=concurrency,
        requests=len(bodies),
        errors=len(errors),
        error_samples=errors[:3],
        seconds=round(seconds, 2),
        requests_per_s=round(len(good) / seconds, 1),
        latency=percentiles(walls) | {"max_ms": round(float(np.max(walls)), 2)},
        server_took=percentiles(tooks),
    )


def _body(options: LoadOptions, query: str) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query, "k": options.k, "mode": str(options.mode)}
    if options.corpus is not None:
        body["corpus"] = options.corpus
    if options.model is not None:
        body["model"] = options.model
    return body


def run_load(settings: Settings, options: LoadOptions) -> RunOutput:
    """Start the API, load it level by level, stop it; the run's outputs.

    Raises:
        ServerStartError: The API did not come up.
    """
    started = provenance()
    questions = read_questions(options.queries_files)
    needed = options.requests * len(options.concurrency)
    deadline = time.monotonic() + options.max_seconds
    levels: list[LevelResult] = []
    with (
        api_server(settings, options.startup_timeout_s) as (url, startup_seconds),
        httpx.Client(timeout=options.request_timeout_s) as client,
    ):
        run_level(client, url, [_body(options, questions[-1])], 1, deadline)  # warm-up
        for index, concurrency in enumerate(options.concurrency):
            first = index * options.requests
            bodies = [
                _body(options, questions[(first + n) % len(questions)])
                for n in range(options.requests)
            ]
            levels.append(run_level(client, url, bodies, concurrency, deadline))
    at_target = [level for level in levels if level.concurrency == TARGET_CONCURRENCY]
    payload = {
        **started,
        "kind": "load",
        "settings": {
            "corpus": options.corpus,
            "model": options.model,
            "mode": str(options.mode),
            "k": options.k,
            "concurrency": list(options.concurrency),
            "requests": options.requests,
            "queries": {
                "files": [str(path) for path in options.queries_files],
                "distinct": len(questions),
                "repeated": needed > len(questions),
            },
            "request_timeout_s": options.request_timeout_s,
            "torch_threads": settings.torch_threads,
        },
        "server": {"url": url, "startup_seconds": round(startup_seconds, 1)},
        "levels": [asdict(level) for level in levels],
        "targets": {
            "p95_under_1s_at_8": None
            if not at_target
            else at_target[0].latency["p95_ms"] < TARGET_P95_MS,
            "no_errors": all(level.errors == 0 for level in levels),
        },
    }
    return RunOutput(payload, load_markdown(payload), load_figures(payload))


def load_markdown(payload: dict[str, Any]) -> str:
    """The levels as a table, with the machine and what each request asked for."""
    rows = [
        [level["concurrency"], level["requests"], level["errors"], level["requests_per_s"],
         level["latency"]["p50_ms"], level["latency"]["p95_ms"], level["latency"]["p99_ms"],
         level["latency"]["max_ms"], level["server_took"]["p50_ms"],
         level["server_took"]["p95_ms"]]
        for level in payload["levels"]
    ]  # fmt: skip
    machine, run = payload["machine"], payload["settings"]
    errors = [sample for level in payload["levels"] for sample in level["error_samples"]]
    return "\n\n".join(
        [
            f"## Load ({machine['cpu']}, {machine['cores']} cores, {run['torch_threads']} torch "
            "threads)",
            f"`POST /search` ({run['mode']}, k={run['k']}, corpus {run['corpus'] or 'default'}, "
            f"model {run['model'] or 'the corpus default'}) on {payload['server']['url']}; "
            f"{run['queries']['distinct']} distinct questions. Latency: the client's wall "
            "time to the hits; server: the API's own time per search.",
            markdown_table(HEADER, rows),
            targets_line(payload["targets"]),
            *(["Errors (first ones): " + "; ".join(errors)] if errors else []),
        ]
    )


def load_figures(payload: dict[str, Any]) -> dict[str, Any]:
    """Client latency p50/p95 and server time against the number of concurrent searches."""
    levels = payload["levels"]
    series = {
        "client p50": [(lv["concurrency"], lv["latency"]["p50_ms"]) for lv in levels],
        "client p95": [(lv["concurrency"], lv["latency"]["p95_ms"]) for lv in levels],
        "server p95": [(lv["concurrency"], lv["server_took"]["p95_ms"]) for lv in levels],
    }
    return {
        "latency_vs_concurrency": line_plot(
            "Search latency under concurrent users",
            "concurrent searches",
            "ms",
            series,
            log_x=False,
        )
    }
