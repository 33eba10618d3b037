"""Library: upload and ingest documents, follow the work, list, remove, re-embed with a model.

Ingest and re-embedding run as background jobs: their progress shows here (polled once a
second while they run) and the other pages stay usable meanwhile.
"""

from __future__ import annotations

import streamlit as st

from ingest import DocType, IngestReport
from ui import resources
from ui.corpus import choose_corpus, embedded_models, facets, model_label, shown_paths
from ui.guard import shows_errors, without_server_paths
from ui.jobs.board import Job
from ui.jobs.ingest import (
    IngestContext,
    embed_corpus,
    ingest_files,
    progress_text,
    report_summary,
)
from ui.library.removal import removal_form, show_flash
from ui.library.uploads import save_uploads, upload_folder

AUTO_TYPE = "detect"


def _context() -> IngestContext:
    return IngestContext(resources.runtime())


def _upload_form(corpus: str | None) -> None:
    settings = resources.settings()
    with st.form("library.upload", clear_on_submit=True):
        st.markdown("**Add documents**: PDF, text, Markdown, JSONL or CSV notes")
        files = st.file_uploader(
            f"Files (up to {settings.upload_max_mb} MB each)",
            accept_multiple_files=True,
            max_upload_size=settings.upload_max_mb,
            key="library.files",
        )
        left, right = st.columns(2)
        target = left.text_input(
            "Corpus", value=corpus or settings.default_corpus, key="library.corpus"
        )
        kind = right.selectbox(
            "Document type", [AUTO_TYPE, *(t.value for t in DocType)], key="library.type"
        )
        submitted = st.form_submit_button("Ingest", type="primary")
    if not submitted or not files:
        return
    target = target.strip() or settings.default_corpus
    saved, refused = save_uploads(
        files, upload_folder(settings.data_dir, target), settings.upload_max_mb
    )
    for refusal in refused:
        st.error(f"{refusal.name} was not ingested: {refusal.reason}")
    if saved:
        doc_type = None if kind == AUTO_TYPE else DocType(kind)
        names = ", ".join(path.name for path in saved)
        resources.jobs().start(
            f"ingest {names} into {target}", ingest_files(_context(), saved, target, doc_type)
        )


def _report(report: IngestReport) -> None:
    st.caption(report_summary(report))
    paths = shown_paths(report.corpus)
    for failure in report.failed:
        reason = paths.scrub(failure.reason).removeprefix(f"{paths.shown(failure.path)}: ")
        st.error(f"{paths.shown(failure.path)} was not ingested: {reason}")


def _job(job: Job) -> None:
    with st.container(border=True):
        st.markdown(f"**{job.label}** · {job.status} · {job.seconds:.0f} s")
        if job.status == "running":
            st.progress(job.fraction, text=progress_text(job.stage, job.done, job.total))
        elif job.status == "failed":
            st.error(without_server_paths(job.error or "failed"))
        elif isinstance(job.result, IngestReport):
            _report(job.result)


def _jobs() -> None:
    """Running and finished jobs; polls while one runs, then refreshes the whole page once."""
    board = resources.jobs()
    running = board.running()

    @st.fragment(run_every=1.0 if running else None)
    def show() -> None:
        for job in board.jobs()[:5]:
            _job(job)
        if running and not board.running():
            facets.clear()  # the filters, the shown paths and the Source page see them at once
            st.rerun()  # the document list and the pickers now see the new documents

    show()


def _documents(corpus: str) -> None:
    documents = resources.catalog().list_documents(corpus)
    paths = shown_paths(corpus)
    st.markdown(f"**Documents in {corpus}** ({len(documents)})")
    st.dataframe(
        [
            {
                "file": paths.shown(d.source),
                "title": d.title,
                "type": d.doc_type,
                "pages": d.pages,
                "pages OCR'd": d.ocr_pages,
                "chunks": d.chunks,
                "models": ", ".join(d.models),
                "status": d.status,
                "error": paths.scrub(d.error or ""),
            }
            for d in documents
        ],
        hide_index=True,
        placeholder="",  # an empty cell is blank, not "None"
        key="library.documents",
    )
    removal_form(corpus, documents, paths)


def _reembed(corpus: str) -> None:
    embedded = set(embedded_models(corpus))
    others = [model_id for model_id in resources.specs() if model_id not in embedded]
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Embed this corpus with another model",
        others,
        format_func=model_label,
        key="library.model",
    )
    if right.button("Embed", key="library.embed", disabled=not others) and chosen:
        resources.jobs().start(
            f"embed {corpus} with {chosen}", embed_corpus(_context(), corpus, chosen)
        )
        st.rerun()


def main() -> None:
    """Draw the page."""
    st.title("Library")
    show_flash()
    with shows_errors():
        corpus = choose_corpus()
        _upload_form(corpus)
        _jobs()
        if corpus is not None:
            _documents(corpus)
            _reembed(corpus)


main()
