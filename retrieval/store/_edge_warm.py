"""Warm-up searches when a large float collection opens, before anyone searches it.

Its first dense searches are several times slower than later ones, whatever the page cache
holds; searches for random unit vectors, which walk the whole HNSW graph, pay that cost up
front. int8 collections start fast (figures: docs/benchmarks.md#a-million-chunks).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import qdrant_edge as qe

logger = logging.getLogger(__name__)

# Below this many points the first searches are already fast.
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
