"""Models: every spec (base models and LoRA adapters), its size, and an adapter's model card."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from adapters import ModelSpec
from adapters.placement import describe_placement
from ui import resources
from ui.guard import shows_errors
from ui.highlight import escape_markdown
from ui.model_facts import (
    Measured,
    adapter_info,
    adapter_megabytes,
    heldout_rows,
    measure,
    model_card,
)

MEASURED_KEY = "models.measured"


def _dimensions() -> dict[str, int]:
    """Dimensions the catalog recorded when some corpus was embedded with each model."""
    catalog = resources.catalog()
    return {
        model.model_id: model.dimension
        for corpus in catalog.corpus_names()
        for model in catalog.corpus_models(corpus)
    }


def _shown(location: str) -> str:
    """A hub id or `pkg:` name as it is; a local folder by its name alone (no server path)."""
    return Path(location).name if Path(location).is_absolute() else location


def _adapter(spec: ModelSpec) -> str:
    """The adapter and the share of its update served."""
    return f"{_shown(spec.adapter)} ×{spec.adapter_scale:g}" if spec.adapter else ""


def _row(spec: ModelSpec, measured: Measured | None, dimension: int | None) -> dict[str, object]:
    adapter_mb = adapter_megabytes(spec)
    return {
        "model": spec.id,
        "LoRA adapter": _adapter(spec),
        "runs on": describe_placement(spec, resources.settings().placement),
        "dim": measured.dimension if measured else dimension,
        "max tokens": spec.max_seq_length,
        "params (M)": round(measured.parameters / 1e6, 1) if measured else None,
        "memory (MB)": round(measured.megabytes) if measured else None,
        "adapter (MB)": round(adapter_mb, 2) if adapter_mb is not None else None,
    }


# Eight columns, 680 px in all: the table fits even a centred page; base and description go
# below it.
COLUMNS = {
    "model": st.column_config.TextColumn(width=125),
    "LoRA adapter": st.column_config.TextColumn(width=115),
    "runs on": st.column_config.TextColumn(width=95),
    "dim": st.column_config.NumberColumn(width=45),
    "max tokens": st.column_config.NumberColumn(width=70),
    "params (M)": st.column_config.NumberColumn(width=70),
    "memory (MB)": st.column_config.NumberColumn(width=85),
    "adapter (MB)": st.column_config.NumberColumn(width=75),
}


def _descriptions(specs: dict[str, ModelSpec]) -> None:
    """Each spec's base and description: long text, read better as lines than as cells."""
    lines = [
        f"- **{escape_markdown(s.id)}** (`{_shown(s.base)}`): {escape_markdown(s.description)}"
        for s in specs.values()
    ]
    st.markdown("\n".join(lines))


def _details(spec: ModelSpec) -> None:
    info = adapter_info(spec)
    card = model_card(spec)
    if info is None and card is None:
        return
    with st.expander(f"{spec.id}: model card and evaluation"):
        if info is not None and info.heldout:
            st.markdown("**Held-out pairs: base vs adapter**")
            st.dataframe(heldout_rows(info), hide_index=True, key=f"models.eval.{spec.id}")
        if card is not None:
            st.markdown(card)


def main() -> None:
    """Draw the page."""
    st.title("Models")
    with shows_errors():
        specs = resources.specs()
        measured: dict[str, Measured] = st.session_state.setdefault(MEASURED_KEY, {})
        dimensions = _dimensions()
        st.dataframe(
            [_row(spec, measured.get(spec.id), dimensions.get(spec.id)) for spec in specs.values()],
            hide_index=True,
            width="stretch",
            column_config=COLUMNS,
            placeholder="",  # an empty cell is blank, not "None"
            key="models.table",
        )
        _descriptions(specs)
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox("Load a model to measure it", list(specs), key="models.load")
        if right.button("Load", key="models.load_button") and chosen:
            with st.spinner(f"Loading {chosen}..."):
                measured[chosen] = measure(resources.encoder(chosen))
            st.rerun()
        for spec in specs.values():
            _details(spec)


main()
