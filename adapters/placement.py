"""Where a model runs and in which precision: the `device` and `dtype` settings, resolved.

Why one place: ingest, search, the app, training and benchmarks must embed alike, and a CPU with
native bf16 gives other vectors than one without. A `PlacementRequest` carries the settings
(CARDIORAG_DEVICE, CARDIORAG_DTYPE) to every load as an argument, so two loads in one process
may ask for different dtypes; a spec may name its own device, while a forced dtype applies to
every spec at once.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adapters.errors import PlacementError
from adapters.hardware import cpu_supports_bf16
from adapters.specs import DTYPE_SETTINGS, ModelSpec

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

CPU_DTYPES = ("auto", "float32", "bfloat16")


@dataclass(frozen=True, slots=True)
class Placement:
    """A resolved device and dtype, e.g. cpu and bfloat16; `int8` for a quantized spec."""

    device: str
    dtype: str

    @property
    def torch_dtype(self) -> torch.dtype:
        """The dtype the weights load in (an int8 spec loads float32, then quantizes)."""
        import torch

        return torch.float32 if self.dtype == "int8" else getattr(torch, self.dtype)

    def __str__(self) -> str:
        return f"{self.device} {self.dtype}"


_DEVICE_SETTING = "the device setting (CARDIORAG_DEVICE)"
_DTYPE_SETTING = "CARDIORAG_DTYPE"


@dataclass(frozen=True, slots=True)
class PlacementRequest:
    """The device and dtype asked for (`Settings.placement`), checked against this machine.

    `auto` leaves the choice to each spec (its own device or dtype) and to the hardware. Built
    once at the entry point and passed to every load, rather than kept process-wide.

    Raises:
        PlacementError: A device this machine lacks, or a dtype the device cannot run.
    """

    device: str = "auto"
    dtype: str = "auto"

    def __post_init__(self) -> None:
        device = self.device
        if device != "auto" or self.dtype not in CPU_DTYPES:  # else: nothing to ask torch
            device = resolve_device(device, _DEVICE_SETTING)
        _check_dtype(self.dtype, device, _DTYPE_SETTING)


def configure_torch(threads: int) -> None:
    """Set torch's intra-op threads (before loading models; the rest is per load)."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
        logger.debug("torch threads set to %d", threads)


def available_devices() -> list[str]:
    """Devices torch can use here, CPU first: e.g. ['cpu', 'cuda:0', 'cuda:1'] or ['cpu', 'mps']."""
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{index}" for index in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def resolve_device(requested: str, owner: str) -> str:
    """`auto` picks CUDA, then Apple MPS, then the CPU; a named device must exist here.

    Raises:
        PlacementError: A device this machine does not have, naming `owner` and what it has.
    """
    found = available_devices()
    if requested == "auto":
        return next((d for d in found if d.startswith("cuda")), "mps" if "mps" in found else "cpu")
    wanted = "cuda:0" if requested == "cuda" else requested
    if wanted not in found:
        raise PlacementError(
            f"{owner} asks for device {requested!r}, which this machine does not have; "
            f"devices found: {', '.join(found)}"
        )
    return requested


def _auto_dtype(device: str) -> str:
    """bf16 where the hardware computes it natively, else the fastest safe choice."""
    if device.startswith("cuda"):
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device == "mps":
        return "float32"  # half precision on MPS is left to an explicit setting
    return "bfloat16" if cpu_supports_bf16() else "float32"


def _check_dtype(dtype: str, device: str, owner: str) -> None:
    if dtype not in DTYPE_SETTINGS:
        raise PlacementError(
            f"{owner}: unknown dtype {dtype!r}; allowed: {', '.join(DTYPE_SETTINGS)}"
        )
    if device == "cpu" and dtype not in CPU_DTYPES:
        raise PlacementError(
            f"{owner}: dtype {dtype!r} is not supported on the CPU; "
            f"allowed there: {', '.join(CPU_DTYPES)}"
        )


def placement_for(spec: ModelSpec, request: PlacementRequest) -> Placement:
    """Where and in which precision `spec` runs under `request`.

    The spec's own device wins over the setting; a forced dtype (not `auto`) wins over the
    spec's. An int8 spec runs on the CPU (dynamic quantization is a CPU kernel).

    Raises:
        PlacementError: A device missing here, or a dtype the device cannot run.
    """
    owner = f"model {spec.id!r}"
    device = resolve_device(spec.device or request.device, owner)
    if spec.quantize == "int8":
        if device != "cpu" and spec.device:
            raise PlacementError(f"{owner}: int8 quantization runs on the CPU only, not {device}")
        return Placement("cpu", "int8")
    dtype = spec.dtype if request.dtype == "auto" else request.dtype
    _check_dtype(dtype, device, owner)
    resolved = _auto_dtype(device) if dtype == "auto" else dtype
    if resolved == "bfloat16" and device == "cpu" and not cpu_supports_bf16():
        warnings.warn(
            f"model {spec.id!r} runs in bfloat16, which this CPU only emulates (slow)",
            stacklevel=2,
        )
    return Placement(device, resolved)


def describe_placement(spec: ModelSpec, request: PlacementRequest) -> str:
    """Where `spec` runs under `request`, for listings ("cpu bfloat16"), or why it cannot run."""
    try:
        return str(placement_for(spec, request))
    except PlacementError as err:
        return f"cannot run: {err}"


# Each spec's own device and dtype, else the hardware's choice: the default of every load.
AUTO_PLACEMENT = PlacementRequest()
