"""`cardiorag search` and `cardiorag answer`: the retrieval API from the shell.

Examples:
    cardiorag search "first-line treatment for HFrEF" --mode hybrid --k 5
    cardiorag search "mitral valve" --filter doc_type=textbook --filter page=3-5 --json
    cardiorag answer "What is the lifetime risk of heart failure after 50?"
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding

from cli.options import (
    Common,
    CorpusOpt,
    JsonFlagOpt,
    common_options,
)
from retrieval import DEFAULT_PARTS, DOCUMENT_PARTS, Hit, SearchMode, open_runtime

QueryArg = Annotated[str, typer.Argument(help="What to look for, in words.")]
SearchModelOpt = Annotated[
    str | None, typer.Option("--model", "-m", help="Model spec id [default: the corpus's].")
]
ModeOpt = Annotated[SearchMode, typer.Option("--mode", help="dense, sparse (BM25) or hybrid.")]
KOpt = Annotated[int, typer.Option("--k", "-k", min=1, help="How many hits.")]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        help="FIELD=VALUE; repeat (one field twice: either value). page=3 or page=3-5.",
    ),
]
AllPartsOpt = Annotated[
    bool,
    typer.Option("--all-parts", help="Search references, title block and back matter too."),
]
RerankOpt = Annotated[
    bool | None,
    typer.Option(
        "--rerank/--no-rerank",
        help="Reorder the first stage's best hits with the reranker [default: the `rerank` "
        "setting, on].",
    ),
]
ExpandOpt = Annotated[
    bool | None,
    typer.Option(
        "--expand/--no-expand",
        help="Read abbreviations with their long forms and long forms with their "
        "abbreviations [default: the `expand_abbreviations` setting, on].",
    ),
]
_SNIPPET_CHARS = 300


def parse_filters(pairs: list[str]) -> dict[str, Any]:
    """`["doc_type=textbook", "page=3-5"]` -> the `filters` of `Retriever.search`."""
    filters: dict[str, list[Any]] = {}
    for pair in pairs:
        field, sep, raw = pair.partition("=")
        if not sep or not field or not raw:
            raise typer.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--filter")
        first, dash, last = raw.partition("-")
        value: Any = raw
        if field == "page" and dash and first.isdigit() and last.isdigit():
            value = (int(first), int(last))
        elif raw.isdigit():
            value = int(raw)
        filters.setdefault(field, []).append(value)
    return {field: values[0] if len(values) == 1 else values for field, values in filters.items()}


def _print_hits(console: Console, hits: list[Hit]) -> None:
    """Each hit: rank, citation, section and score, then the start of its text, indented."""
    for hit in hits:
        where = f" · {hit.section}" if hit.section and hit.section not in hit.citation else ""
        flags = " · OCR (scanned page)" if hit.ocr else ""
        moved = (
            f", reranker {hit.rerank_score:.2f}, first stage #{hit.first_rank}"
            if hit.rerank_score is not None
            else ""
        )
        console.print(
            f"{hit.rank}. {hit.citation}{where}{flags}  (score {hit.score:.3f}{moved})",
            highlight=False,
            markup=False,
        )
        text = " ".join(hit.text.split())
        snippet = text[:_SNIPPET_CHARS] + ("…" if len(text) > _SNIPPET_CHARS else "")
        console.print(Padding(snippet, (0, 0, 1, 3)), highlight=False, markup=False)


@common_options(verbose=0)
def search(
    query: QueryArg,
    corpus: CorpusOpt = None,
    model: SearchModelOpt = None,
    mode: ModeOpt = SearchMode.HYBRID,
    k: KOpt = 10,
    filters: FilterOpt = None,
    all_parts: AllPartsOpt = False,
    rerank: RerankOpt = None,
    expand: ExpandOpt = None,
    as_json: JsonFlagOpt = False,
    *,
    common: Common,
) -> None:
    """Search a corpus and print how the query was read, then the hits with their citations."""
    settings = common.settings()
    with open_runtime(settings) as runtime:
        retriever = runtime.retriever(corpus, model)
        hits = retriever.search(
            query,
            k,
            mode=mode,
            filters=parse_filters(filters or []),
            parts=DOCUMENT_PARTS if all_parts else DEFAULT_PARTS,
            rerank=rerank,
            expand=expand,
        )
        reading = retriever.read_query(query, expand)
        used = {
            "corpus": retriever.corpus,
            "model": retriever.model,
            "mode": str(mode),
            "reranker": settings.reranker if hits and hits[0].first_rank is not None else None,
        }
    if as_json:
        record = {
            "query": query,
            **used,
            "reading": reading.record(),
            "hits": [hit.record() for hit in hits],
        }
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    console = Console()
    reranked = f", reranked by {used['reranker']}" if used["reranker"] else ""
    console.print(
        f"{len(hits)} hits in {used['corpus']} ({used['model']}, {used['mode']}{reranked})"
    )
    if reading.expansions:
        console.print(f"Read: {reading.describe()}", highlight=False, markup=False)
    _print_hits(console, hits)


@common_options(verbose=0)
def answer(
    query: QueryArg,
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="Hits the answer reads.")] = 3,
    corpus: CorpusOpt = None,
    model: SearchModelOpt = None,
    mode: ModeOpt = SearchMode.HYBRID,
    rerank: RerankOpt = None,
    expand: ExpandOpt = None,
    as_json: JsonFlagOpt = False,
    *,
    common: Common,
) -> None:
    """Answer from the top hits: a chat model's answer when one is set, else quoted sentences."""
    with open_runtime(common.settings()) as runtime:
        retriever = runtime.retriever(corpus, model)
        given = runtime.answerer.answer(
            retriever, query, k, mode=mode, rerank=rerank, expand=expand
        )
        reading = retriever.read_query(query, expand)
    if as_json:
        record = {**given.record(), "reading": reading.record()}
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    console = Console()
    if reading.expansions:
        console.print(f"Read: {reading.describe()}", highlight=False, markup=False)
    if given.chat_error:
        console.print(f"The chat model gave no answer ({given.chat_error}); quoting instead.")
    console.print(given.text, highlight=False, markup=False)
    for number, hit in enumerate(given.hits, start=1):
        console.print(f"[{number}] {hit.citation}", highlight=False, markup=False)
