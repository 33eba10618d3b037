"""Will a collection's new points fit on the embedded store's disk? Asked before writing any.

Qdrant Edge's HNSW build rewrites segments while the old ones still exist, so for a while a
point takes about twice its final size. The estimate per point: float vectors (plus int8
copies when quantized), the payload (the chunk's text with its metadata) and a fixed share for
the sparse vector, ids, graph links and indexes, all doubled for that transient copy.
"""

from __future__ import annotations

from retrieval.errors import InsufficientDiskError
from retrieval.store.interface import VectorStore

_TRANSIENT_COPIES = 2
_FIXED_BYTES_PER_POINT = 1024  # sparse vector, id tracker, HNSW links, payload index entries
_PAYLOAD_BYTES_PER_CHAR = 2  # text (UTF-8) plus its metadata, JSON-encoded


def estimated_bytes(points: int, dimension: int, quantization: str, text_chars: int) -> int:
    """Disk a collection needs, at its peak, to take `points` with `text_chars` of text."""
    vector_bytes = 4 * dimension + (dimension if quantization == "int8" else 0)
    per_point = vector_bytes + _FIXED_BYTES_PER_POINT
    total = points * per_point + _PAYLOAD_BYTES_PER_CHAR * text_chars
    return _TRANSIENT_COPIES * total


def check_disk_space(
    store: VectorStore,
    collection: str,
    *,
    points: int,
    dimension: int,
    quantization: str,
    text_chars: int,
    reserve_bytes: int,
) -> None:
    """Refuse (InsufficientDiskError) points that would leave less than `reserve_bytes` free.

    A server's disk is not checked here: the server refuses writes it cannot hold itself.
    """
    free = store.free_disk_bytes()
    if free is None or points == 0:
        return
    needed = estimated_bytes(points, dimension, quantization, text_chars)
    if needed + reserve_bytes > free:
        raise InsufficientDiskError(collection, store.location, points, needed, free, reserve_bytes)
