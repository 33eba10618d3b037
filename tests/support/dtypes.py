"""The dtypes numerics tests run in, and the placement request that makes a load compute in one."""

from __future__ import annotations

import os

from adapters import Encoder, PlacementRequest

# Every test marked `numerics` runs once in each, whatever this CPU has: bf16 is emulated
# (slower, same rounding) where the CPU lacks it. CARDIORAG_DTYPE sets the rest of the suite's.
DTYPES = ("float32", "bfloat16")
SESSION_DTYPE = os.environ.get("CARDIORAG_DTYPE", "auto")


def in_dtype(dtype: str = SESSION_DTYPE) -> PlacementRequest:
    """The request a test passes to a load (or its Settings) to compute in `dtype`."""
    return PlacementRequest(dtype=dtype)


def computing_in(encoder: Encoder, dtype: str) -> Encoder:
    """`encoder`, checked to compute in `dtype`: a forced dtype that did not take would let a
    test pass in the wrong one. `auto` and int8 specs are the host's and the spec's choice."""
    import torch

    if dtype != "auto" and encoder.spec.quantize == "none":
        assert encoder.placement.dtype == dtype, (encoder.spec.id, encoder.placement, dtype)
        assert encoder.model.dtype == getattr(torch, dtype), (encoder.spec.id, encoder.model.dtype)
    return encoder
