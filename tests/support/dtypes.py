"""The dtypes numerics tests run in, and forcing one while a block runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from adapters import configure_torch
from adapters.placement import requested_dtype

# Every test marked `numerics` runs once in each, whatever this CPU has: bf16 is emulated
# (slower, same rounding) where the CPU lacks it. CARDIORAG_DTYPE sets the rest of the suite's.
DTYPES = ("float32", "bfloat16")
SESSION_DTYPE = os.environ.get("CARDIORAG_DTYPE", "auto")


@contextmanager
def dtype_forced(dtype: str) -> Iterator[None]:
    """Every spec loaded meanwhile computes in `dtype` (CARDIORAG_DTYPE within the process)."""
    before = requested_dtype()
    configure_torch(1, dtype=dtype)
    try:
        yield
    finally:
        configure_torch(1, dtype=before)
