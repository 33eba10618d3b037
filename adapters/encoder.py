"""The Encoder: one loaded model spec that turns documents and queries into vectors."""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from adapters.adapter_files import check_adapter_fits
from adapters.errors import AdapterError, ModelNotFoundError
from adapters.placement import AUTO_PLACEMENT, Placement, PlacementRequest, placement_for
from adapters.specs import ModelSpec
from adapters.weights import resolve_base

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedTokenizerBase

logger = logging.getLogger(__name__)


class Encoder:
    """A loaded model spec. Build it with `load_encoder`, which keeps one per spec per process.

    Vectors are float32 numpy rows, L2-normalised in float32 when the spec says so (cosine = dot
    product), whatever dtype the model computes in.
    sentence-transformers sorts each call's texts by length before batching, so padding is small.

    Example:
        >>> enc = load_encoder(spec, cache_dir=Path(".cardiorag/models"))  # doctest: +SKIP
        >>> enc.encode_documents(["The heart has four chambers."]).shape
        (1, 384)
    """

    def __init__(self, spec: ModelSpec, base: SharedBase, adapter_name: str | None = None) -> None:
        self.spec = spec
        self.model = base.model
        self._base = base
        self._adapter_name = adapter_name
        model = base.model
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise AdapterError(f"model {spec.id!r} does not report its embedding dimension")
        self.dimension: int = dimension
        # A private copy of the Rust tokenizer: the model's own is left padding and truncating
        # by whatever call ran last, which would cap or inflate the counts.
        from tokenizers import Tokenizer

        backend = getattr(model.tokenizer, "backend_tokenizer", None)
        self._counting_tokenizer = Tokenizer.from_str(backend.to_str()) if backend else None
        if self._counting_tokenizer is not None:
            self._counting_tokenizer.no_truncation()
            self._counting_tokenizer.no_padding()
        self._count_tokens = functools.lru_cache(maxsize=1 << 16)(self._count_tokens_uncached)

    @property
    def max_seq_length(self) -> int:
        """Tokens the model reads per text, special tokens included; the rest is cut off."""
        return self.spec.max_seq_length or self._base.default_max_seq_length

    @property
    def placement(self) -> Placement:
        """The device and dtype this encoder runs in."""
        return self._base.placement

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The model's own tokenizer, which chunking counts tokens with."""
        return self.model.tokenizer

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` without special tokens.

        Chunking calls this for every word and merge it considers, so it goes straight to the
        Rust tokenizer and remembers recent answers.
        """
        return self._count_tokens(text)

    def _count_tokens_uncached(self, text: str) -> int:
        if self._counting_tokenizer is None:  # a slow (pure Python) tokenizer
            return len(self.tokenizer.encode(text, add_special_tokens=False, verbose=False))
        return len(self._counting_tokenizer.encode(text, add_special_tokens=False))

    def _encode(
        self, texts: Sequence[str], prefix: str, batch_size: int, *, show_progress_bar: bool
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._base.lock:
            self._base.activate(self._adapter_name, self.max_seq_length)
            vectors = self.model.encode(
                list(texts),
                prompt=prefix or None,
                batch_size=batch_size,
                convert_to_tensor=True,
                show_progress_bar=show_progress_bar,
            )
        # float32 before normalising: bf16 is too coarse to give a unit norm.
        rows = vectors.float().cpu().numpy()
        if self.spec.normalize:
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return rows

    def encode_documents(
        self, texts: Sequence[str], *, batch_size: int = 32, show_progress_bar: bool = False
    ) -> np.ndarray:
        """Vectors for passages, with the spec's document prefix."""
        return self._encode(
            texts, self.spec.document_prefix, batch_size, show_progress_bar=show_progress_bar
        )

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Vectors for queries, with the spec's query prefix."""
        return self._encode(texts, self.spec.query_prefix, batch_size, show_progress_bar=False)


@dataclass(slots=True)
class SharedBase:
    """One loaded base model and the LoRA adapters attached to it.

    Specs that share a base (same weights, revision and dtype) share this: each adapter is
    loaded once by name, and switching between specs is peft's `set_adapter` (or
    `disable_adapters` for the plain base), never a reload.
    """

    model: SentenceTransformer
    default_max_seq_length: int
    placement: Placement
    lock: threading.RLock = field(default_factory=threading.RLock)
    adapters: set[str] = field(default_factory=set)

    def activate(self, adapter_name: str | None, max_seq_length: int) -> None:
        """Make the model embed as one spec does. Call with `lock` held."""
        self.model.max_seq_length = max_seq_length
        if adapter_name is not None:
            self.model.enable_adapters()
            self.model.set_adapter(adapter_name)
        elif self.adapters:
            self.model.disable_adapters()


_loaded: dict[tuple[str, Placement, str], Encoder] = {}
_bases: dict[tuple[object, ...], SharedBase] = {}
_load_lock = threading.Lock()


def _base_key(
    spec: ModelSpec, source: str, placement: Placement, instance: str
) -> tuple[object, ...]:
    """Specs with equal keys share one loaded base; an int8 base has its adapter merged in."""
    if spec.quantize == "none":
        return (instance, source, spec.revision, placement, spec.trust_remote_code)
    return (
        instance,
        source,
        spec.revision,
        placement,
        spec.trust_remote_code,
        spec.quantize,
        spec.adapter_key,
    )


# Batches padded to a multiple of this many tokens: at most max_seq_length / 16 input widths.
PAD_MULTIPLE = 16


def pad_to_few_shapes(model: SentenceTransformer) -> None:
    """Pad each batch to a multiple of PAD_MULTIPLE tokens on bf16 CPUs.

    oneDNN builds and keeps bf16 kernels per input shape, so memory grew with every new batch
    width (docs/scale.md). Padded tokens are masked, so the vectors are the same.
    """
    module = model[0]
    if hasattr(module, "processing_kwargs"):
        text = {**module.processing_kwargs.get("text", {}), "pad_to_multiple_of": PAD_MULTIPLE}
        module.processing_kwargs = {**module.processing_kwargs, "text": text}


def _load_base(
    spec: ModelSpec,
    source: str,
    adapter_dir: Path | None,
    placement: Placement,
    *,
    allow_downloads: bool,
    instance: str,
) -> SharedBase:
    key = _base_key(spec, source, placement, instance)
    if key in _bases:
        return _bases[key]
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(
            source,
            device=placement.device,
            revision=spec.revision,
            trust_remote_code=spec.trust_remote_code,
            local_files_only=not allow_downloads,
            model_kwargs={"dtype": placement.torch_dtype},
        )
    except OSError as err:
        raise ModelNotFoundError(
            spec.id, spec.base, f"Loading failed: {err}".splitlines()[0]
        ) from err
    base = SharedBase(model, int(model.max_seq_length), placement)
    if placement.device == "cpu" and placement.dtype == "bfloat16":
        pad_to_few_shapes(model)
    if spec.quantize == "int8":
        from adapters.quantization import merge_lora, quantize_int8

        if spec.adapter is not None:
            _attach_adapter(base, spec, adapter_dir)
            merge_lora(model)
            base.adapters.clear()  # merged: nothing left to switch on or off
        quantize_int8(model)
    _bases[key] = base
    return base


SHARED = "shared"


def load_encoder(
    spec: ModelSpec,
    *,
    cache_dir: Path,
    placement: PlacementRequest = AUTO_PLACEMENT,
    allow_downloads: bool = False,
    instance: str = SHARED,
) -> Encoder:
    """Load a spec once per process (per device and dtype) and return the same Encoder later.

    `placement` is the device and dtype asked for (`Settings.placement`); the spec is kept per
    resolved placement, so one process can hold it in two dtypes.

    Encoders of one `instance` share their base's weights and its lock, which an encode holds
    from its first batch to its last. A background job names its own instance (the app's
    `jobs`): its long embedding runs then never hold the lock that a search waits for, at the
    cost of one more copy of the base in memory.

    Raises:
        PlacementError: When the spec or `placement` name a device or dtype not available here.
        ModelNotFoundError: When the base or the adapter is not available offline.
        AdapterBaseMismatchError: When the adapter was made for another base (checked before
            any weights load).
    """
    with _load_lock:
        resolved = placement_for(spec, placement)
        key = (spec.spec_hash, resolved, instance)
        if key in _loaded:
            return _loaded[key]
        source = resolve_base(spec, cache_dir=cache_dir, allow_downloads=allow_downloads)
        adapter_dir = _local_adapter(spec, source, allow_downloads=allow_downloads)
        started = time.perf_counter()
        base = _load_base(
            spec, source, adapter_dir, resolved, allow_downloads=allow_downloads, instance=instance
        )
        adapter_name = None
        if spec.adapter is not None and spec.quantize == "none":  # int8: merged into the base
            adapter_name = _attach_adapter(base, spec, adapter_dir)
        encoder = Encoder(spec, base, adapter_name)
        logger.info(
            "loaded model %s (%d dims, %s) in %.1f s",
            spec.id,
            encoder.dimension,
            base.placement,
            time.perf_counter() - started,
        )
        _loaded[key] = encoder
        return encoder


def _local_adapter(spec: ModelSpec, source: str, *, allow_downloads: bool) -> Path | None:
    """The adapter's folder, checked against the base; None for a hub id (downloads allowed)."""
    if spec.adapter is None:
        return None
    adapter = Path(spec.adapter).expanduser()
    if adapter.is_dir():
        check_adapter_fits(spec.id, spec.base, source, adapter)
        return adapter
    if not allow_downloads:
        raise ModelNotFoundError(
            spec.id,
            spec.adapter,
            "The adapter is not a local folder; download it where a hub is reachable, "
            "or set CARDIORAG_ALLOW_DOWNLOADS=1.",
        )
    return None


def _attach_adapter(base: SharedBase, spec: ModelSpec, adapter_dir: Path | None) -> str:
    """Load a LoRA adapter onto the shared base (once per adapter); its peft name."""
    try:
        import peft  # noqa: F401
    except ImportError as err:
        raise AdapterError(f"model {spec.id!r} has a LoRA adapter; install `peft`") from err
    adapter_key = spec.adapter_key  # hashes the adapter's files: read them once
    assert adapter_key is not None
    name = "adapter_" + hashlib.sha256(adapter_key.encode()).hexdigest()[:12]
    if name not in base.adapters:
        with base.lock, warnings.catch_warnings(), _reports_silenced():
            # Several adapters on one base is the point here, not the accident peft warns of.
            warnings.filterwarnings("ignore", "Already found a `peft_config`", UserWarning)
            warnings.filterwarnings("ignore", "Adapter .* was active which is now deleted")
            # The base resolved from the spec, never the path peft's config recorded.
            loading = base.model.load_adapter(
                str(adapter_dir) if adapter_dir is not None else spec.adapter, adapter_name=name
            )
            missing = sorted(
                key for key in getattr(loading, "missing_keys", ()) if f".{name}." in key
            )
            if missing:
                base.model.delete_adapter(name)
                raise AdapterError(
                    f"model {spec.id!r}: the adapter {spec.adapter} has no weights for "
                    f"{len(missing)} of its LoRA tensors (e.g. {missing[0]}); retrain or re-save it"
                )
            if spec.adapter_scale != 1.0:
                _scale_adapter(base.model, name, spec.adapter_scale)
            base.adapters.add(name)
    return name


def _scale_adapter(model: SentenceTransformer, name: str, scale: float) -> None:
    """Weigh adapter `name`'s update by `scale` in every LoRA layer (peft: scale x alpha / r)."""
    from peft.tuners.lora import LoraLayer

    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.set_scale(name, scale)


@contextmanager
def _reports_silenced() -> Iterator[None]:
    """Hide transformers' load report for an adapter; `_attach_adapter` checks it instead.

    Why: transformers 5 expects the keys of every adapter already on the base, so loading a
    second adapter reports the first one's tensors as missing ("newly initialized"), a false
    alarm; the keys of the adapter being loaded are checked above.
    """
    report_logger = logging.getLogger("transformers.integrations.peft")
    level = report_logger.level
    report_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        report_logger.setLevel(level)
