"""Models: every spec (base models and LoRA adapters), its size, and an adapter's model card."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from adapters import ModelSpec
from adapters.placement import describe_placement
from ui import resources
from ui.guard import shows_errors
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


def _adapter(spec: ModelSpec) -> str:
    """The adapter and the share of its update served; a local folder by its name alone."""
    if not spec.adapter:
        return ""
    name = Path(spec.adapter).name if Path(spec.adapter).is_absolute() else spec.adapter
    return f"{name} ×{spec.adapter_scale:g}"


def _row(spec: ModelSpec, measured: Measured | None, dimension: int | None) -> dict[str, object]:
    adapter_mb = adapter_megabytes(spec)
    return {
        "model": spec.id,
        "base": spec.base,
        "LoRA adapter": _adapter(spec),
        "runs on": describe_placement(spec),
        "dim": measured.dimension if measured else dimension,
        "max tokens": spec.max_seq_length,
        "params (M)": round(measured.parameters / 1e6, 1) if measured else None,
        "memory (MB)": round(measured.megabytes) if measured else None,
        "adapter (MB)": round(adapter_mb, 2) if adapter_mb is not None else None,
        "description": spec.description,
    }


# Narrow numbers, room for the description: the table fits the page instead of scrolling.
COLUMNS = {
    "model": st.column_config.TextColumn(width="small", pinned=True),
    "dim": st.column_config.NumberColumn(width=50),
    "max tokens": st.column_config.NumberColumn(width=80),
    "params (M)": st.column_config.NumberColumn(width=80),
    "memory (MB)": st.column_config.NumberColumn(width=90),
    "adapter (MB)": st.column_config.NumberColumn(width=90),
    "description": st.column_config.TextColumn(width="large"),
}


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
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox("Load a model to measure it", list(specs), key="models.load")
        if right.button("Load", key="models.load_button") and chosen:
            with st.spinner(f"Loading {chosen}..."):
                measured[chosen] = measure(resources.encoder(chosen))
            st.rerun()
        for spec in specs.values():
            _details(spec)


main()
