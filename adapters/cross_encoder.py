"""A cross-encoder: the question and a passage read together, one relevance score out.

A bi-encoder embeds the two apart and compares vectors, so it sees that a passage is about the
question's topic but not whether it answers it. A cross-encoder attends across both, at the cost
of one forward pass per pair, which is why it only reorders a first stage's few best hits.

Ours is a BERT-style base (the same weights as an embedding model) with a LoRA adapter and a
one-number scoring head, both in a small peft folder.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from adapters.errors import AdapterBaseMismatchError, LayerCountError, ModelNotFoundError
from adapters.placement import AUTO_PLACEMENT, PlacementRequest, placement_for
from adapters.specs import RerankerSpec
from adapters.weights import resolve_base

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

SCORE_BATCH = 32
ADAPTER_WEIGHTS = "adapter_model.safetensors"
LAYER_KEY = re.compile(r"\.layer\.(\d+)\.")  # a transformer layer's index in a weight's name


def load_sequence_classifier(
    base: str, dtype: torch.dtype, *, num_labels: int = 1, layers: int | None = None
) -> Any:
    """The base's weights with a fresh (or saved) sequence-classification head on top.

    `layers` keeps only the base's first transformer layers: a shallower reranker does a
    fraction of the work per candidate (docs/reranker.md, latency) and loads from the same
    weights as the embedding model.
    """
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as transformers_logging

    # The base has no head yet (its load report calls it "newly initialized"): the adapter
    # folder, or training, brings it.
    level = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=num_labels, dtype=dtype
        )
    finally:
        transformers_logging.set_verbosity(level)
    if layers is not None:
        _keep_first_layers(model, layers, base)
    return model


def _keep_first_layers(model: Any, layers: int, base: str) -> None:
    """Drop the encoder's layers past the first `layers` (BERT- and MPNet-style encoders).

    Raises:
        LayerCountError: The base has fewer layers (or `layers` is below 1).
    """
    stack = model.base_model.encoder.layer
    if not 1 <= layers <= len(stack):
        raise LayerCountError(base, layers, len(stack))
    model.base_model.encoder.layer = stack[:layers]
    model.config.num_hidden_layers = layers


def tokenize_pairs(
    tokenizer: PreTrainedTokenizerBase,
    queries: Sequence[str],
    passages: Sequence[str],
    max_length: int,
) -> Any:
    """Question and passage as one input; the longer is cut first when both do not fit."""
    return tokenizer(
        list(queries),
        list(passages),
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )


def _check_depth(adapter: Path, kept_layers: int, name: str) -> None:
    """Refuse an adapter trained on another number of layers than the base keeps.

    peft would load it anyway: LoRA weights for layers the model lacks are dropped, and layers
    the adapter lacks run untrained, so the scores would be wrong without a word.
    """
    from safetensors import safe_open

    weights = adapter / ADAPTER_WEIGHTS
    if not weights.is_file():
        return
    with safe_open(str(weights), "pt") as saved:
        names = list(saved.keys())  # a safetensors handle is not iterable
    indices = {int(m.group(1)) for key in names if (m := LAYER_KEY.search(key))}
    if indices and max(indices) + 1 != kept_layers:
        depth = max(indices) + 1
        raise AdapterBaseMismatchError(
            name,
            str(adapter),
            f"its LoRA weights cover {depth} layers and the base keeps {kept_layers}; "
            f"set layers = {depth} in its spec.",
        )


class CrossEncoder:
    """Scores (question, passage) pairs; thread-safe (one scoring at a time per model)."""

    def __init__(
        self, model: Any, tokenizer: PreTrainedTokenizerBase, max_length: int, name: str
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.name = name
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        base: str,
        adapter: Path | None,
        *,
        dtype: torch.dtype,
        max_length: int,
        name: str,
        layers: int | None = None,
    ) -> CrossEncoder:
        """The base (its first `layers` only, if given) with the adapter's LoRA weights and head.

        Without an adapter (None) the base is a ready cross-encoder, its head included.
        """
        from peft import PeftModel
        from transformers import AutoTokenizer

        model = load_sequence_classifier(base, dtype, layers=layers)
        if adapter is not None:
            _check_depth(adapter, model.config.num_hidden_layers, name)
            model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        return cls(model, AutoTokenizer.from_pretrained(base), max_length, name)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, special tokens left out (what a passage takes of `max_length`).

        Under the scoring lock: a fast tokenizer's padding and truncation are state that a
        scoring call in another thread sets and resets.
        """
        if not texts:
            return []
        with self._lock:
            encoded = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """One logit per passage (higher: more likely to answer the query)."""
        import torch

        scores: list[np.ndarray] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(passages), SCORE_BATCH):
                batch = passages[start : start + SCORE_BATCH]
                inputs = tokenize_pairs(
                    self.tokenizer, [query] * len(batch), batch, self.max_length
                )
                logits = self.model(**inputs).logits[:, 0]
                scores.append(logits.float().numpy())
        return np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)


_loaded: dict[tuple[str, str], CrossEncoder] = {}
_load_lock = threading.Lock()


def load_reranker(
    spec: RerankerSpec,
    *,
    cache_dir: Path,
    allow_downloads: bool,
    placement: PlacementRequest = AUTO_PLACEMENT,
) -> CrossEncoder:
    """Load a reranker once per process (per dtype) and return the same one later.

    `placement` is the device and dtype asked for (`Settings.placement`), as for an encoder.

    Raises:
        ModelNotFoundError: When the base or the adapter folder is not available offline.
        PlacementError: When the dtype cannot run here.
    """
    with _load_lock:
        as_model = spec.as_model_spec()
        resolved = placement_for(as_model, placement)
        key = (spec.spec_hash, str(resolved))
        if key not in _loaded:
            base = resolve_base(as_model, cache_dir=cache_dir, allow_downloads=allow_downloads)
            adapter = Path(spec.adapter) if spec.adapter else None
            if adapter is not None and not (adapter / "adapter_config.json").is_file():
                raise ModelNotFoundError(
                    spec.id, spec.adapter or "", "the adapter folder holds no adapter_config.json."
                )
            _loaded[key] = CrossEncoder.load(
                base, adapter, dtype=resolved.torch_dtype, max_length=spec.max_length,
                name=spec.id, layers=spec.layers,
            )  # fmt: skip
        return _loaded[key]
