"""The server backend against a local HTTP server that records what qdrant-client sends.

No Qdrant server runs here, so these tests check the exact requests (collection layout from
the server settings) and the error paths: retries on 5xx, a refused API key, a closed port.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from retrieval.errors import StoreUnavailableError
from retrieval.search.deadline import Deadline
from retrieval.search.fetch import StoreFetch
from retrieval.settings import ServerSettings
from retrieval.store._server import ServerStore
from retrieval.store.interface import StoredPoint
from retrieval.store.query import SearchMode, StoreQuery
from retrieval.store.sparse import SparseVector

FAST = {"retry_backoff_seconds": 0.01, "timeout_seconds": 5}
# qdrant-client's own warning about a key over http: these servers are local test doubles.
pytestmark = pytest.mark.filterwarnings("ignore:Api key is used with an insecure connection")


@dataclass
class FakeQdrant:
    """What a Qdrant server would receive, and scripted failures per (method, path prefix)."""

    url: str = ""
    requests: list[tuple[str, str, dict]] = field(default_factory=list)
    query_strings: list[str] = field(default_factory=list)
    failures: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def answer(self, method: str, path: str) -> tuple[int, dict]:
        for (fail_method, prefix), statuses in self.failures.items():
            if method == fail_method and path.startswith(prefix) and statuses:
                return statuses.pop(0), {"status": {"error": "scripted failure"}, "time": 0}
        if method == "GET" and path == "/collections":
            result: object = {"collections": []}
        elif path.endswith("/points/query"):
            result = {"points": []}
        elif path.endswith("/points") or "/points/" in path or path.endswith("/index"):
            result = {"operation_id": 1, "status": "completed"}
        else:
            result = True
        return 200, {"result": result, "status": "ok", "time": 0.0}


@pytest.fixture
def fake_qdrant() -> Iterator[FakeQdrant]:
    state = FakeQdrant()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            path, _, query_string = self.path.partition("?")
            state.requests.append((self.command, path, body))
            state.query_strings.append(query_string)
            status, payload = state.answer(self.command, path)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _point(n: int) -> StoredPoint:
    return StoredPoint(
        chunk_id=f"00000000-0000-0000-0000-{n:012d}",
        dense=[0.1, 0.2, 0.3],
        sparse=SparseVector(indices=[1, 5], values=[0.5, 1.0]),
        text="The left ventricle pumps blood into the aorta.",
        metadata={"doc_id": f"d{n}", "doc_type": "textbook", "source": "x.jsonl"},
    )


def test_collection_layout_follows_the_cluster_settings(fake_qdrant: FakeQdrant) -> None:
    cluster = ServerSettings(
        shard_number=6,
        replication_factor=2,
        write_consistency_factor=1,
        on_disk_vectors=True,
        hnsw_m=32,
        hnsw_ef_construct=200,
        quantization="int8",
        **FAST,
    )
    store = ServerStore.connect(fake_qdrant.url, SecretStr("secret-key"), cluster)
    store.create_collection("cardiology__minilm", 384)

    creates = [
        r for r in fake_qdrant.requests if r[:2] == ("PUT", "/collections/cardiology__minilm")
    ]
    assert len(creates) == 1
    body = creates[0][2]
    assert body["vectors"] == {"dense": {"size": 384, "distance": "Cosine", "on_disk": True}}
    assert body["sparse_vectors"] == {"bm25": {"modifier": "idf"}}
    assert body["shard_number"] == 6
    assert body["replication_factor"] == 2
    assert body["write_consistency_factor"] == 1
    assert body["on_disk_payload"] is True
    assert body["hnsw_config"] == {"m": 32, "ef_construct": 200}
    assert body["quantization_config"] == {
        "scalar": {"type": "int8", "quantile": 0.99, "always_ram": True}
    }
    indexes = [r[2]["field_name"] for r in fake_qdrant.requests if r[1].endswith("/index")]
    assert indexes == ["metadata.doc_id", "metadata.doc_type", "metadata.source", "metadata.part"]


def test_single_server_defaults_send_no_quantization(fake_qdrant: FakeQdrant) -> None:
    store = ServerStore.connect(fake_qdrant.url, None, ServerSettings(**FAST))
    store.create_collection("c__m", 8)
    body = next(r[2] for r in fake_qdrant.requests if r[:2] == ("PUT", "/collections/c__m"))
    assert body["shard_number"] == 1 and body["replication_factor"] == 1
    assert body.get("quantization_config") is None
    assert body["vectors"]["dense"]["on_disk"] is False


def test_a_failed_batch_is_retried_then_lands(fake_qdrant: FakeQdrant) -> None:
    store = ServerStore.connect(fake_qdrant.url, None, ServerSettings(retries=3, **FAST))
    fake_qdrant.failures[("PUT", "/collections/c__m/points")] = [503, 502]
    store.upsert("c__m", [_point(1), _point(2)])
    upserts = [r for r in fake_qdrant.requests if r[:2] == ("PUT", "/collections/c__m/points")]
    assert len(upserts) == 3  # two failures, then the same batch again
    assert all(len(r[2]["points"]) == 2 for r in upserts)


def test_retries_give_up_with_the_status_named(fake_qdrant: FakeQdrant) -> None:
    store = ServerStore.connect(fake_qdrant.url, None, ServerSettings(retries=1, **FAST))
    fake_qdrant.failures[("PUT", "/collections/c__m/points")] = [503, 503, 503]
    with pytest.raises(StoreUnavailableError, match="HTTP 503"):
        store.upsert("c__m", [_point(1)])


def test_a_client_error_is_not_retried(fake_qdrant: FakeQdrant) -> None:
    store = ServerStore.connect(fake_qdrant.url, None, ServerSettings(retries=3, **FAST))
    fake_qdrant.failures[("POST", "/collections/c__m/points/delete")] = [400]
    with pytest.raises(StoreUnavailableError, match="HTTP 400"):
        store.delete_documents("c__m", ["d1"])
    deletes = [r for r in fake_qdrant.requests if r[1] == "/collections/c__m/points/delete"]
    assert len(deletes) == 1


def test_a_wrong_api_key_is_said_plainly(fake_qdrant: FakeQdrant) -> None:
    fake_qdrant.failures[("GET", "/collections")] = [401]
    with pytest.raises(
        StoreUnavailableError, match=r"refused the API key.*CARDIORAG_QDRANT_API_KEY"
    ):
        ServerStore.connect(fake_qdrant.url, SecretStr("wrong"), ServerSettings(**FAST))


def test_a_closed_port_is_unreachable_not_a_traceback() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(
        StoreUnavailableError,
        match=re.escape(f"cannot reach the Qdrant server at http://127.0.0.1:{port}"),
    ):
        ServerStore.connect(f"http://127.0.0.1:{port}", None, ServerSettings(retries=1, **FAST))


def test_a_search_sends_the_time_left_and_prefetches_past_the_page(
    fake_qdrant: FakeQdrant,
) -> None:
    store = ServerStore.connect(fake_qdrant.url, None, ServerSettings(**FAST))
    query = StoreQuery(
        SearchMode.HYBRID, k=10, offset=200, dense=[0.1, 0.2, 0.3],
        sparse=SparseVector([1], [1.0]), candidates=100,
    )  # fmt: skip
    assert StoreFetch(store, "c__m", query, Deadline(7.0, "a hybrid search")).page() == []
    (index,) = [i for i, r in enumerate(fake_qdrant.requests) if r[1].endswith("/points/query")]
    body = fake_qdrant.requests[index][2]
    assert "timeout=7" in fake_qdrant.query_strings[index]
    assert (body["limit"], body["offset"]) == (10, 200)
    assert [prefetch["limit"] for prefetch in body["prefetch"]] == [210, 210]


def test_a_failed_search_is_one_line_naming_the_server(fake_qdrant: FakeQdrant) -> None:
    fake_qdrant.failures[("POST", "/collections/c__m/points/query")] = [503]
    store = ServerStore.connect(fake_qdrant.url, None, ServerSettings(**FAST))
    with pytest.raises(StoreUnavailableError, match="answered HTTP 503"):
        store.search("c__m", StoreQuery(SearchMode.DENSE, k=3, dense=[0.1, 0.2, 0.3]))
