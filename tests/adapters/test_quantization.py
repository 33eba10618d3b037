"""int8 specs (`quantize = "int8"`) against the fp32 torch encoder, on real textbook text.

Tolerance: per text, cosine to the fp32 vector at least 0.93, mean at least 0.97 (measured
with MiniLM on textbook paragraphs: min 0.967, mean 0.984; nDCG@10 on openstax_glossary
0.898 against 0.905, a difference within its 95% interval).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adapters import Encoder, ModelSpec, load_encoder
from tests.support.dtypes import in_dtype
from tests.support.paths import MODEL_CACHE, TEXTBOOK

MIN_COSINE = 0.93
MEAN_COSINE = 0.97


@pytest.fixture(scope="module")
def passages(shared_data: Path) -> list[str]:
    lines = (shared_data / TEXTBOOK).read_text(encoding="utf-8").splitlines()[:12]
    paragraphs = [p for line in lines for p in json.loads(line)["text"].split("\n\n")]
    return [p[:1100] for p in paragraphs if len(p) > 300][:24]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


@pytest.mark.numerics
def test_int8_vectors_match_fp32_within_tolerance(
    each_dtype: str, minilm_fp32: Encoder, specs: dict[str, ModelSpec], passages: list[str]
) -> None:
    # An int8 spec quantizes float32 weights on the CPU, whichever dtype the others are forced to.
    minilm = minilm_fp32
    forced = in_dtype(each_dtype)
    int8 = load_encoder(specs["minilm-int8"], cache_dir=MODEL_CACHE, placement=forced)
    assert (int8.placement.device, int8.placement.dtype) == ("cpu", "int8")
    assert int8.model is not minilm.model  # its own weights: the shared base stays fp32
    cosines = _cosines(int8.encode_documents(passages), minilm.encode_documents(passages))
    assert cosines.min() >= MIN_COSINE
    assert cosines.mean() >= MEAN_COSINE
    assert not np.allclose(cosines, 1.0, atol=1e-4)  # really quantized
    assert int8.spec.spec_hash != minilm.spec.spec_hash


def test_int8_replaces_every_linear_layer(specs: dict[str, ModelSpec]) -> None:
    import torch

    int8 = load_encoder(specs["minilm-int8"], cache_dir=MODEL_CACHE)
    layers = int8.model[0].auto_model.modules()
    assert not any(type(module) is torch.nn.Linear for module in layers)


def test_int8_with_a_lora_adapter_merges_it(
    minilm_fp32: Encoder, specs: dict[str, ModelSpec], passages: list[str]
) -> None:
    minilm = minilm_fp32
    cardio = load_encoder(
        specs["minilm-cardio"], cache_dir=MODEL_CACHE, placement=in_dtype("float32")
    )
    merged_spec = specs["minilm-cardio"].model_copy(
        update={"id": "minilm-cardio-int8", "quantize": "int8"}
    )
    before = minilm.encode_documents(passages)
    merged = load_encoder(merged_spec, cache_dir=MODEL_CACHE).encode_documents(passages)
    to_adapter = _cosines(merged, cardio.encode_documents(passages))
    assert to_adapter.min() >= MIN_COSINE
    assert to_adapter.mean() >= MEAN_COSINE
    # The adapter took effect: nearer to the adapted fp32 model than to the plain base.
    assert to_adapter.mean() > _cosines(merged, before).mean()
    # Merging worked on a copy: the shared base still embeds as before.
    np.testing.assert_allclose(minilm.encode_documents(passages), before, atol=1e-5)
