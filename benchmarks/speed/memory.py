"""Resident memory and disk use of a measurement, read from Linux's /proc and the file system."""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

Result = TypeVar("Result")

_STATUS = Path("/proc/self/status")
_FIELDS = {"VmRSS": "rss_mb", "VmHWM": "peak_rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb"}


def memory_mb() -> dict[str, float]:
    """This process's RSS now and at its peak, split into anonymous and file-backed pages.

    File-backed pages (memory-mapped vectors on disk) count in RSS while they stay cached, but
    the kernel can drop them under pressure; anonymous pages cannot be dropped.
    """
    if not _STATUS.is_file():
        peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return {"peak_rss_mb": peak}
    found = {}
    for line in _STATUS.read_text().splitlines():
        name, _, value = line.partition(":")
        if name in _FIELDS:
            found[_FIELDS[name]] = round(int(value.split()[0]) / 1024, 1)
    return found


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    Linux's VmHWM first: getrusage's ru_maxrss survives fork + exec, so a child process
    (the LangChain reference) would report its parent's peak when that was higher.
    """
    return memory_mb()["peak_rss_mb"]


class PeakAnonymous:
    """The highest anonymous RSS seen while it runs, sampled every `interval` seconds.

    VmHWM counts the file-backed pages of memory-mapped stores too; this is the memory the
    process itself holds, which is what has to stay flat.
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, memory_mb().get("anon_mb", 0.0))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakAnonymous:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, memory_mb().get("anon_mb", 0.0))


def disk_mb(folder: Path) -> float:
    """Disk blocks really allocated under `folder` (sparse, memory-mapped files count as used)."""
    used = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                used += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:  # a temporary file removed while we walk
                continue
    return round(used / 2**20, 1)


def in_fresh_process(function: Callable[..., Result], *args: Any) -> Result:
    """`function(*args)` in a new (spawned) process, so its peak RSS is its own.

    Memory an earlier measurement left in this process (allocator pools, caches) never
    counts; the function and its arguments must be picklable.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()
