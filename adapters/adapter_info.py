"""Our record of how an adapter was made (`cardiorag_adapter.json`): what its card shows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AdapterInfo(BaseModel):
    """How an adapter was made and how it scored; the model card is rendered from it."""

    model_config = ConfigDict(extra="forbid")

    format: int = 1
    base: str
    base_spec: str
    architecture: dict[str, Any]
    max_seq_length: int
    options: dict[str, Any]
    data: dict[str, Any]
    training: dict[str, Any]
    heldout: dict[str, Any]
    evaluations: list[dict[str, Any]] = Field(default_factory=list)
