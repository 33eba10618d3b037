from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adapters import Encoder, ModelNotFoundError, ModelSpec, load_encoder
from tests.support.dtypes import in_dtype
from tests.support.paths import MODEL_CACHE


@pytest.mark.numerics
def test_minilm_encodes_normalised_384_dim_vectors(minilm_each: Encoder, each_dtype: str) -> None:
    import torch

    assert minilm_each.placement.dtype == each_dtype
    assert minilm_each.model.dtype == getattr(torch, each_dtype)
    vectors = minilm_each.encode_documents(["The heart has four chambers.", "Aspirin after MI."])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    # Normalised in float32 whatever the model computes in (bf16 alone leaves norms of 1.0016).
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-6)
    assert minilm_each.max_seq_length == 256


def test_bf16_vectors_are_close_to_fp32_but_their_own(
    minilm_fp32: Encoder, specs: dict[str, ModelSpec]
) -> None:
    bf16 = load_encoder(specs["minilm"], cache_dir=MODEL_CACHE, placement=in_dtype("bfloat16"))
    texts = ["Atrial fibrillation with rapid ventricular response", "What causes syncope?"]
    cosines = np.sum(bf16.encode_documents(texts) * minilm_fp32.encode_documents(texts), axis=1)
    assert cosines.min() >= 0.99
    assert not np.allclose(cosines, 1.0, atol=1e-6)  # really computed in bf16
    assert bf16.model is not minilm_fp32.model  # one process holds both, one per placement
    assert (bf16.placement.dtype, minilm_fp32.placement.dtype) == ("bfloat16", "float32")


@pytest.mark.numerics
def test_related_texts_are_closer_than_unrelated(minilm_each: Encoder) -> None:
    query = minilm_each.encode_queries(["what does the mitral valve do"])[0]
    docs = minilm_each.encode_documents(
        [
            "The mitral valve separates the left atrium from the left ventricle.",
            "Insulin is produced by beta cells of the pancreas.",
        ]
    )
    assert float(docs[0] @ query) > float(docs[1] @ query) + 0.2


def test_encoder_is_loaded_once_per_spec(minilm: Encoder) -> None:
    assert load_encoder(minilm.spec, cache_dir=MODEL_CACHE, placement=in_dtype()) is minilm


@pytest.mark.numerics
def test_query_prefix_changes_query_vectors(minilm_each: Encoder, each_dtype: str) -> None:
    prefixed = minilm_each.spec.model_copy(update={"id": "minilm-q", "query_prefix": "query: "})
    other = load_encoder(prefixed, cache_dir=MODEL_CACHE, placement=in_dtype(each_dtype))
    text = ["syncope work-up"]
    assert not np.allclose(other.encode_queries(text), minilm_each.encode_queries(text))
    assert np.allclose(other.encode_documents(text), minilm_each.encode_documents(text), atol=1e-5)


def test_mpnet_loads_from_its_packaged_volumes(specs: dict[str, ModelSpec]) -> None:
    mpnet = load_encoder(specs["mpnet"], cache_dir=MODEL_CACHE, placement=in_dtype())
    assert mpnet.dimension == 768
    assert mpnet.encode_documents(["left ventricular hypertrophy"]).shape == (1, 768)


@pytest.mark.parametrize(
    ("base", "hint"),
    [
        ("michiyasunaga/BioLinkBERT-base", "CARDIORAG_ALLOW_DOWNLOADS"),
        ("pkg:no-such-packaged-model", "known:"),
    ],
)
def test_weights_not_available_offline_fail_clearly(base: str, hint: str) -> None:
    spec = ModelSpec(id="biolinkbert", base=base)
    with pytest.raises(ModelNotFoundError) as info:
        load_encoder(spec, cache_dir=MODEL_CACHE)
    message = str(info.value)
    assert "biolinkbert" in message and base in message and hint in message


def test_adapter_that_is_not_available_offline_fails_clearly(minilm: Encoder) -> None:
    spec = minilm.spec.model_copy(
        update={"id": "cardioembed", "adapter": "richardyoung/CardioEmbed-MiniLM"}
    )
    with pytest.raises(ModelNotFoundError, match="cardioembed"):
        load_encoder(spec, cache_dir=MODEL_CACHE)


def test_base_that_is_a_file_is_refused(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"x")
    with pytest.raises(ModelNotFoundError, match="folder"):
        load_encoder(ModelSpec(id="m", base=str(weights)), cache_dir=MODEL_CACHE)


def test_token_counts_ignore_the_padding_and_truncation_left_by_encoding(minilm: Encoder) -> None:
    long_text = "ventricle " * 600
    minilm.encode_documents([long_text, "short"])  # leaves the tokenizer padding/truncating
    expected = len(minilm.tokenizer.encode(long_text, add_special_tokens=False, verbose=False))
    assert minilm.count_tokens(long_text) == expected > 256
    assert minilm.count_tokens("heart") == 1


def test_bf16_batches_are_padded_to_16_tokens_without_changing_the_vectors(
    specs: dict[str, ModelSpec], shared_data: Path
) -> None:
    # A few widths of real text: each batch is padded up to a multiple of 16 tokens on a bf16
    # CPU (fewer kernel shapes, flat memory), and masked padding leaves the vectors as they were.
    from adapters.encoder import PAD_MULTIPLE

    lines = (shared_data / "medquad" / "medquad_visible.jsonl").read_text().splitlines()[:24]
    texts = [json.loads(line)["answer"][: 40 + 37 * n] for n, line in enumerate(lines)]
    encoder = load_encoder(
        specs["minilm"], cache_dir=MODEL_CACHE, placement=in_dtype("bfloat16"), instance="padding"
    )
    module = encoder.model[0]
    assert module.processing_kwargs["text"]["pad_to_multiple_of"] == PAD_MULTIPLE
    widths = {encoder.model.preprocess([text])["input_ids"].shape[1] for text in texts}
    assert len(widths) > 3 and all(width % PAD_MULTIPLE == 0 for width in widths)
    padded = encoder.encode_documents(texts, batch_size=4)
    saved = module.processing_kwargs
    module.processing_kwargs = {}
    try:
        unpadded = encoder.encode_documents(texts, batch_size=4)
    finally:
        module.processing_kwargs = saved
    cosines = np.sum(padded * unpadded, axis=1)
    assert cosines.min() > 0.999, cosines.min()
