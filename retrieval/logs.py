"""Logging set-up for entry points; library modules only ever call `logging.getLogger`."""

from __future__ import annotations

import logging
import sys

from tqdm.auto import tqdm


class _TqdmHandler(logging.Handler):
    """Writes log lines through tqdm so that they do not break progress bars."""

    def emit(self, record: logging.LogRecord) -> None:
        tqdm.write(self.format(record), file=sys.stderr)


def configure_logging(verbosity: int, *, quiet: bool = False) -> None:
    """0: warnings, 1: info, 2+: debug, for CardioRAG's own loggers; quiet: errors only."""
    level = (
        logging.ERROR
        if quiet
        else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbosity, 2)]
    )
    handler = _TqdmHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for name in ("adapters", "retrieval", "ingest", "benchmarks", "ui"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
