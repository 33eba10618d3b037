"""What this CPU can do: native bf16 (avx512_bf16, AMX) or only emulated bf16."""

from __future__ import annotations

import functools
from pathlib import Path

_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@functools.cache
def cpu_supports_bf16() -> bool:
    """True where the CPU has native bfloat16 math; elsewhere bf16 is emulated and slow."""
    return any(cpu_bf16_flags().values())


def cpu_bf16_flags() -> dict[str, bool]:
    """Which native bf16 paths this CPU has: avx512_bf16 and AMX (benchmarks record them)."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        cpuinfo = ""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return {flag: flag in flags for flag in sorted(_BF16_FLAGS)}
