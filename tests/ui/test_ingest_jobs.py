"""Background jobs embed with encoders of their own, so a search never waits for their batches."""

from __future__ import annotations

import threading

from adapters import Encoder, ModelSpec
from retrieval import Catalog, Settings
from retrieval._edge import EdgeStore
from ui.ingest_jobs import IngestContext


def test_a_search_encodes_while_a_job_holds_its_model(
    settings: Settings,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    minilm: Encoder,
) -> None:
    context = IngestContext(settings, store, catalog, specs)
    # An adapter on minilm's base: before, the job and the search shared one base and its lock.
    job_encoder = context.load(specs["minilm-cardio"])
    assert context.load(specs["minilm-cardio"]) is job_encoder  # jobs share theirs
    vectors: list[object] = []
    search = threading.Thread(target=lambda: vectors.append(minilm.encode_queries(["syncope"])))

    with job_encoder._base.lock:  # a job in the middle of a long batch
        search.start()
        search.join(timeout=60)
        searched_meanwhile = not search.is_alive()
    search.join()

    assert searched_meanwhile
    assert len(vectors) == 1
