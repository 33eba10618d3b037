"""Compare: one query, two to four pipelines side by side, their agreement, and judging.

A pipeline is a model, with or without the reranker.

Rows are chunks, so a chunk several models found is one row with its rank under each model;
judging it stores (query, model, chunk, time) in the catalog, building an evaluation set.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from retrieval import Comparison, Hit
from retrieval.search import RERANKED, pipeline_options
from ui import resources
from ui.corpus import corpus_or_notice, embedded_models, model_label
from ui.guard import shows_errors
from ui.highlight import escape_markdown, highlight
from ui.mode import choose_mode
from ui.qrels import qrels_tsv, queries_jsonl

SNIPPET_CHARS = 400


@dataclass(frozen=True, slots=True)
class Row:
    """One chunk and its rank under each model (None: not in that model's top k)."""

    hit: Hit
    ranks: dict[str, Hit | None]
    finder: str  # the model that ranked it best; a judgment records it


def aligned_rows(comparison: Comparison) -> list[Row]:
    """Every chunk any model found, best rank first, with each model's hit for it."""
    by_chunk: dict[str, dict[str, Hit]] = {}
    for model_id, hits in comparison.hits.items():
        for hit in hits:
            by_chunk.setdefault(hit.chunk_id, {})[model_id] = hit
    rows = []
    for found in by_chunk.values():
        finder, best = min(found.items(), key=lambda item: item[1].rank)
        ranks = {model_id: found.get(model_id) for model_id in comparison.hits}
        rows.append(Row(best, ranks, finder))
    return sorted(rows, key=lambda row: (row.hit.rank, -len([h for h in row.ranks.values() if h])))


def _judge(corpus: str, query: str, model_id: str, chunk_id: str, *, relevant: bool) -> None:
    resources.runs().record_judgment(corpus, query, model_id, chunk_id, relevant=relevant)
    st.toast("Judgment saved: " + ("relevant" if relevant else "not relevant"))


def _agreement(comparison: Comparison) -> None:
    st.markdown(f"**Agreement of the top {comparison.k}** (1 = the same list)")
    st.dataframe(
        [
            {
                "models": f"{pair.first} / {pair.second}",
                f"overlap@{comparison.k}": round(pair.overlap_at_k, 3),
                "Jaccard": round(pair.jaccard, 3),
                "rank-biased overlap": round(pair.rbo, 3),
            }
            for pair in comparison.pairs
        ],
        hide_index=True,
        key="compare.agreement",
    )


def _row(row: Row, *, query: str, corpus: str, judged: dict[str, bool]) -> None:
    chunk_id = row.hit.chunk_id
    finders = [m for m, hit in row.ranks.items() if hit is not None]
    with st.container(border=True, key=f"compare.row.{chunk_id}"):
        cells = st.columns([4, *([1] * len(row.ranks)), 1.4])
        with cells[0]:
            only = f" :orange-badge[only {finders[0]}]" if len(finders) == 1 else ""
            st.markdown(f"**{escape_markdown(row.hit.citation)}**{only}")
            text = row.hit.text
            snippet = text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")
            st.markdown(highlight(snippet, query))
        for cell, (model_id, hit) in zip(cells[1:], row.ranks.items(), strict=False):
            cell.caption(model_id)
            cell.markdown(f"**#{hit.rank}** · {hit.score:.3f}" if hit else "—")
        with cells[-1]:
            state = judged.get(chunk_id)
            if state is not None:
                st.caption("judged: " + ("relevant" if state else "not relevant"))
            for relevant, label in ((True, "Relevant"), (False, "Not relevant")):
                st.button(
                    label,
                    key=f"compare.judge.{chunk_id}.{int(relevant)}",
                    on_click=_judge,
                    args=(corpus, query, row.finder, chunk_id),
                    kwargs={"relevant": relevant},
                    type="primary" if state is relevant else "secondary",
                )


def _export(corpus: str) -> None:
    judgments = resources.runs().judgments(corpus)
    queries = len({j.query for j in judgments})
    st.markdown(f"**Evaluation set**: {len(judgments)} judgments of {queries} queries in {corpus}.")
    files = (
        ("qrels (BEIR qrels/test.tsv)", qrels_tsv, "test.tsv", "text/tab-separated-values"),
        ("queries (BEIR queries.jsonl)", queries_jsonl, "queries.jsonl", "application/jsonl"),
    )
    for column, (what, write, name, mime) in zip(st.columns(2), files, strict=True):
        column.download_button(
            f"Download {what}", write(judgments), file_name=name, mime=mime, disabled=not judgments
        )


def _compare(corpus: str) -> None:
    """The pickers, then the comparison of the chosen pipelines and the judging rows."""
    models = embedded_models(corpus)
    pipelines = models + (
        [model + RERANKED for model in models] if resources.settings().reranker else []
    )
    if len(pipelines) < 2:
        st.info(
            "Comparing needs a corpus embedded by two models or more, or a reranker "
            "(setting `reranker`): re-embed it on Library."
        )
        return
    query = st.text_input("Query", key="compare.query", placeholder="e.g. syncope work-up")
    left, middle, right = st.columns([3, 2, 1])
    chosen = left.multiselect(
        "Pipelines (two to four): a model, or a model + rerank",
        pipelines,
        default=[models[0], models[0] + RERANKED] if len(pipelines) > len(models) else models[:2],
        max_selections=4,
        format_func=model_label,
        key="compare.models",
    )
    mode = choose_mode(middle, "compare.mode")
    k = int(right.number_input("Results", 1, 50, 10, key="compare.k"))
    if not query.strip() or len(chosen) < 2:
        st.caption("Type a query and pick two pipelines or more.")
        _export(corpus)
        return
    first_model = pipeline_options(chosen[0])["model"]
    comparison = resources.retriever(corpus, first_model).compare(
        query.strip(), chosen, k, mode=mode
    )
    _agreement(comparison)
    judged = {
        j.chunk_id: j.relevant
        for j in resources.runs().judgments(corpus)
        if j.query == comparison.query
    }
    for row in aligned_rows(comparison):
        _row(row, query=comparison.query, corpus=corpus, judged=judged)
    _export(corpus)


def main() -> None:
    """Draw the page."""
    st.title("Compare models")
    with shows_errors():
        corpus = corpus_or_notice()
        if corpus is not None:
            _compare(corpus)


main()
