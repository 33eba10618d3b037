"""Which model, and how it embeds: model specs, weights resolution and the Encoder."""

from __future__ import annotations

from adapters.encoder import Encoder, load_encoder
from adapters.errors import AdapterError, ModelNotFoundError, SpecFileError, UnknownModelError
from adapters.hardware import cpu_supports_bf16
from adapters.placement import Placement, PlacementRequest, configure_torch, placement_for
from adapters.specs import ModelSpec, get_spec, load_model_specs

__all__ = [
    "AdapterError",
    "Encoder",
    "ModelNotFoundError",
    "ModelSpec",
    "Placement",
    "PlacementRequest",
    "SpecFileError",
    "UnknownModelError",
    "configure_torch",
    "cpu_supports_bf16",
    "get_spec",
    "load_encoder",
    "load_model_specs",
    "placement_for",
]
