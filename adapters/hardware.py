"""What this CPU can do, and the process-wide torch settings that follow from it."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@functools.cache
def cpu_supports_bf16() -> bool:
    """True where the CPU has native bfloat16 math; elsewhere bf16 is emulated and slow."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return bool(flags & _BF16_FLAGS)


def configure_torch(threads: int) -> None:
    """Set torch's intra-op thread count once per process, from the `torch_threads` setting."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
        logger.debug("torch threads set to %d", threads)
