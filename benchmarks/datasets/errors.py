"""Errors of `benchmarks datasets`: each names the file or URL and says how to fix it."""

from __future__ import annotations

from pathlib import Path

OFFLINE_HINT = (
    "Without internet, copy the data folder from a machine that has it and set CARDIORAG_DATA"
)


class DatasetError(Exception):
    """Base class: a public source could not be fetched or converted."""


class RawDataError(DatasetError, ValueError):
    """A raw source file is missing or cannot be parsed; carries the path and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class DownloadError(DatasetError, ConnectionError):
    """A download failed (offline, proxy, HTTP error); carries the source, URL and reason."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        self.source = source
        self.url = url
        self.reason = reason
        super().__init__(f"cannot download {source} from {url}: {reason}. {OFFLINE_HINT}")


class OutputExistsError(DatasetError, FileExistsError):
    """The output folder already holds this dataset and `--force` was not given."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path} already exists; pass --force to replace it")
