"""The `eval` extra: packages only benchmarks use, checked where a run first needs them.

They are imported inside the functions that use them, so `cardiorag --help` and every other
command work without the extra; a run that needs one fails at once, naming what to install.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = "install the eval extra: `make install`, or `pip install 'cardiorag[eval]'`"


class EvalExtraMissingError(ImportError):
    """A benchmark needs a package of the `eval` extra that is not installed."""

    def __init__(self, package: str, or_else: str | None = None) -> None:
        """Name the missing package, how to install it, and what else would do."""
        hint = INSTALL_HINT + (f"; or {or_else}" if or_else else "")
        super().__init__(f"benchmarks need {package}, which is not installed: {hint}")
        self.package = package


def require_eval(module: str, *, or_else: str | None = None) -> None:
    """Check that a module of the `eval` extra can be imported, without importing it.

    `or_else` names a way around the module (an option that leaves its step out).

    Raises:
        EvalExtraMissingError: When it is not installed.
    """
    if importlib.util.find_spec(module) is None:
        raise EvalExtraMissingError(module, or_else)
