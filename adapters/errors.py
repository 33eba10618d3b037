"""Errors raised while resolving and loading embedding models."""

from __future__ import annotations

from pathlib import Path


class AdapterError(Exception):
    """Base class of every error this package raises on purpose."""


class UnknownModelError(AdapterError, KeyError):
    """A model id that no spec defines."""

    def __init__(self, model_id: str, known: list[str], *, kind: str = "model") -> None:
        self.model_id = model_id
        self.known = known
        table = "models" if kind == "model" else "rerankers"
        super().__init__(
            f"unknown {kind} {model_id!r}; known {kind}s: {', '.join(known) or 'none'}. "
            f"Add a [{table}.<id>] spec to your models.toml (setting `models_file`) to use "
            "another one."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class ModelNotFoundError(AdapterError, FileNotFoundError):
    """A spec whose weights are not available on this machine."""

    def __init__(self, spec_id: str, base: str, hint: str) -> None:
        self.spec_id = spec_id
        self.base = base
        self.hint = hint
        super().__init__(
            f"model {spec_id!r}: weights for {base!r} are not available offline. {hint}"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class SpecFileError(AdapterError, ValueError):
    """A models.toml that cannot be read or does not validate."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class PairsFileError(AdapterError, ValueError):
    """A training pairs file with a missing field, an empty text, or no pairs."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


class AdapterBaseMismatchError(AdapterError, ValueError):
    """A LoRA adapter trained on another base than the one its spec names."""

    def __init__(self, spec_id: str, adapter: str, reason: str) -> None:
        self.spec_id = spec_id
        self.adapter = adapter
        super().__init__(f"model {spec_id!r}: adapter {adapter} does not fit its base: {reason}")


class PlacementError(AdapterError, ValueError):
    """A device this machine does not have, or a dtype the chosen device cannot run."""


class LayerCountError(AdapterError, ValueError):
    """A spec's `layers` (or `train-reranker --layers`) that its base does not have."""

    def __init__(self, base: str, asked: int, available: int) -> None:
        self.base = base
        self.asked = asked
        self.available = available
        super().__init__(
            f"base {base!r} has {available} transformer layers; `layers` must be between 1 and "
            f"{available}, got {asked}"
        )
