"""CardioRAG's web app: routes to the pages and draws the shared sidebar, nothing else.

Run with `streamlit run ui/app.py` (or `make demo`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import resources
from ui.auth import password_accepted

PAGES = Path(__file__).parent / "views"


def _locked() -> None:
    """The only page before the password is given: the form above it is all there is."""


def main() -> None:
    """Set up the page, ask for the password if one is set, then run the chosen page."""
    st.set_page_config(page_title="CardioRAG", page_icon=":anatomical_heart:", layout="wide")
    if not password_accepted(resources.settings()):
        # Navigation is still declared: without it Streamlit would list the pages.
        st.navigation([st.Page(_locked, title="CardioRAG")], position="hidden").run()
        return
    st.sidebar.markdown("### CardioRAG")
    resources.warm_up()
    page = st.navigation(
        {
            "Search": [
                st.Page(
                    PAGES / "search.py", title="Search", icon=":material/search:", default=True
                ),
                st.Page(PAGES / "compare.py", title="Compare models", icon=":material/compare:"),
            ],
            "Documents": [
                st.Page(PAGES / "library.py", title="Library", icon=":material/library_books:"),
                st.Page(PAGES / "source.py", title="Source", visibility="hidden"),
            ],
            "Models": [
                st.Page(PAGES / "models.py", title="Models", icon=":material/model_training:"),
                st.Page(PAGES / "benchmarks.py", title="Benchmarks", icon=":material/speed:"),
            ],
        }
    )
    page.run()


main()
