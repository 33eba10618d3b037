"""Fetch the public sources of the demo and eval data; convert them to the shared layout."""

from __future__ import annotations

from benchmarks.datasets.errors import DatasetError, DownloadError, OutputExistsError, RawDataError
from benchmarks.datasets.sources import SOURCES, Source

__all__ = [
    "SOURCES",
    "DatasetError",
    "DownloadError",
    "OutputExistsError",
    "RawDataError",
    "Source",
]
