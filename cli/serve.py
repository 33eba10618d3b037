"""`cardiorag app`: the Streamlit app, with the default model loaded before the first search."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli.options import DataDirOpt, ModelsFileOpt


def serve(
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8501,
    data_dir: DataDirOpt = None,
    models_file: ModelsFileOpt = None,
    headless: Annotated[
        bool, typer.Option("--headless", help="Do not open a browser (servers, CI).")
    ] = False,
) -> None:
    """Start the web app (search, compare, library, models, benchmarks)."""
    from ui import serve as ui_serve

    for name, value in (("CARDIORAG_DATA_DIR", data_dir), ("CARDIORAG_MODELS_FILE", models_file)):
        if value is not None:
            os.environ[name] = str(value)
    sys.argv = ["cardiorag-app", "--server.port", str(port)]
    if headless:
        sys.argv += ["--server.headless", "true"]
    ui_serve.main()
