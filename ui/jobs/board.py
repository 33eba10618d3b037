"""Long work (ingest, re-embedding) in background threads, so people keep searching meanwhile.

A job reports progress into its own record; pages only read records (a fragment polls them),
and a worker thread never calls Streamlit. The board lives once per server process
(`resources.jobs()`), so a job outlives the browser tab that started it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters import AdapterError
from ingest import IngestError
from retrieval import RetrievalError

logger = logging.getLogger(__name__)

# Errors a job reports as its result; anything else is a bug and is logged with its traceback.
EXPECTED_ERRORS = (RetrievalError, AdapterError, IngestError, OSError)

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class Job:
    """One background task: what it is doing now, how far it got, and how it ended."""

    id: int
    label: str
    stage: str = "queued"
    done: int = 0
    total: int = 0
    status: str = "running"  # running, finished, failed
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    @property
    def fraction(self) -> float:
        """Progress of the current stage, in [0, 1]."""
        return min(self.done / self.total, 1.0) if self.total else 0.0

    @property
    def seconds(self) -> float:
        """Wall time so far, or until it ended."""
        return (self.ended or time.monotonic()) - self.started


class JobBoard:
    """Starts jobs in threads and keeps their records, newest first."""

    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, label: str, work: Callable[[Progress], Any]) -> Job:
        """Run `work(progress)` in a daemon thread; its return value becomes `job.result`."""
        with self._lock:
            job = Job(next(self._ids), label)
            self._jobs[job.id] = job

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        def run() -> None:
            try:
                job.result = work(progress)
                job.status = "finished"
            except EXPECTED_ERRORS as err:
                job.error, job.status = str(err), "failed"
            except Exception as err:
                logger.exception("job %r failed", label)
                job.error, job.status = f"unexpected error: {type(err).__name__}: {err}", "failed"
            finally:
                job.ended = time.monotonic()

        threading.Thread(target=run, name=f"cardiorag-job-{job.id}", daemon=True).start()
        return job

    def jobs(self) -> list[Job]:
        """Every job of this process, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda job: -job.id)

    def running(self) -> bool:
        """Whether any job is still working."""
        return any(job.status == "running" for job in self.jobs())
