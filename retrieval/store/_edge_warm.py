"""Warm-up searches run when a large embedded collection opens, before any user searches it.

Measured at a million MiniLM points without quantization (docs/scale.md): the first 25 dense
searches after the collection opened took 28 ms each at the median and the engine's CPU time,
spent scoring HNSW neighbours, was ten times that of later searches; they reached their steady
3-5 ms only after about 150 searches, whether or not the vectors were already in the page
cache or pinned in RAM. 256 searches for random unit vectors, which wander the whole graph,
take 1.7 s there and leave the next real searches at p50 4 ms, p95 6 ms. Search engines do the
same (OpenSearch's k-NN users run random queries in a warm-up period before serving). int8
collections are not warmed: their first searches were as fast as the later ones.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import qdrant_edge as qe

logger = logging.getLogger(__name__)

# Below this many points the first searches are already fast (a few ms at 100k).
WARM_FROM_POINTS = 50_000
WARM_SEARCHES = 256


def warm_dense_search(shard: qe.EdgeShard, vector_name: str, dimension: int) -> None:
    """Run `WARM_SEARCHES` dense searches for random unit vectors if the shard is large."""
    points = shard.info().points_count
    if points < WARM_FROM_POINTS:
        return
    started = time.perf_counter()
    vectors = np.random.default_rng(0).standard_normal((WARM_SEARCHES, dimension))
    for vector in vectors / np.linalg.norm(vectors, axis=1, keepdims=True):
        shard.query(
            qe.QueryRequest(
                query=qe.Query.Nearest(vector.tolist(), using=vector_name),
                limit=10,
                with_payload=False,
            )
        )
    logger.info(
        "warmed dense search over %d points with %d searches in %.1f s",
        points,
        WARM_SEARCHES,
        time.perf_counter() - started,
    )
