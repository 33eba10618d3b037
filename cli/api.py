"""`cardiorag api`: the HTTP search API, one process that owns the store (see `api`)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import Common, common_options

HostOpt = Annotated[
    str, typer.Option(help="Address to listen on (0.0.0.0: every interface; put a proxy in front).")
]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


@common_options(verbose=1)
def api(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, *, common: Common) -> None:
    """Serve search and answers over HTTP (POST /search, POST /answer; docs at /docs).

    One process only: the embedded store is locked by the process that opens it. Requests
    run concurrently in a thread pool; store calls and each model's encodes are serialised.
    """
    import uvicorn

    from api import create_app

    settings = common.settings()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", workers=1)
