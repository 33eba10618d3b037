"""Start the web app with the default model already loaded: `python -m ui.serve [streamlit flags]`.

Streamlit runs a page's script only when a browser connects, so a warm-up started there makes
the first search wait for most of the model load (importing torch, transformers and
sentence-transformers is slow on a small CPU). This launcher loads the default model
in the server's own process first (a loaded model stays for the process, and the app's
runtime finds it there), then starts Streamlit on ui/app.py with the flags it was given.

Streamlit runs a full garbage collection after every script run; over the heap of torch,
transformers and a loaded model that took longer than the search itself
(docs/benchmarks.md#web-app-latency).
`gc.freeze()` after the preload moves that long-lived heap out of the collector's sight, so
each run's own garbage is still collected, in milliseconds.
"""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

from retrieval import Settings, open_runtime

APP = Path(__file__).with_name("app.py")
logger = logging.getLogger(__name__)


def preload_default_model(settings: Settings) -> None:
    """Load the default model once; a model that cannot load is left for the page to report."""
    with open_runtime(settings) as runtime:  # opens no store: the app's runtime will
        runtime.warm_up(reranker=False)


def main() -> None:
    """Preload, then hand over to `streamlit run ui/app.py` in this process."""
    from streamlit.web import cli

    preload_default_model(Settings())
    gc.freeze()  # the modules and the model stay for the process's life: no need to rescan them
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
