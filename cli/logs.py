"""Logging set-up for entry points; library modules only ever call `logging.getLogger`."""

from __future__ import annotations

import logging
import sys

from tqdm.auto import tqdm


class _TqdmHandler(logging.Handler):
    """Writes log lines through tqdm so that they do not break progress bars."""

    def emit(self, record: logging.LogRecord) -> None:
        tqdm.write(self.format(record), file=sys.stderr)


# Libraries that log to stderr on their own (pypdf: "invalid pdf header", "EOF marker not
# found"); without a handler, Python prints their bare lines. Their warnings repeat a reason
# the ingest report already gives for the file, so they show from -vv on.
_LIBRARY_LOGGERS = ("pypdf",)
_OWN_LOGGERS = ("adapters", "retrieval", "ingest", "benchmarks", "ui")


def configure_logging(verbosity: int, *, quiet: bool = False) -> None:
    """0: warnings, 1: info, 2+: debug, for CardioRAG's own loggers; quiet: errors only.

    Libraries' loggers (`_LIBRARY_LOGGERS`) go through the same handler and format: their
    errors always, their warnings from -vv on.
    """
    level = (
        logging.ERROR
        if quiet
        else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbosity, 2)]
    )
    handler = _TqdmHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    library_level = logging.WARNING if verbosity >= 2 and not quiet else logging.ERROR
    for names, names_level in ((_OWN_LOGGERS, level), (_LIBRARY_LOGGERS, library_level)):
        for name in names:
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.setLevel(names_level)
            logger.propagate = False
