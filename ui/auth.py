"""An optional password in front of the app, for when it listens beyond localhost.

Set `CARDIORAG_UI_PASSWORD`; without it the app is open (bound to 127.0.0.1 by `make demo`).
For several users or single sign-on, put the app behind a reverse proxy that authenticates
(see docker/README.md).
"""

from __future__ import annotations

import hmac

import streamlit as st

from retrieval import Settings

_STATE_KEY = "auth.ok"


def password_accepted(settings: Settings) -> bool:
    """True when no password is set or this session gave it; else draws the password form."""
    if settings.ui_password is None or st.session_state.get(_STATE_KEY):
        return True
    expected = settings.ui_password.get_secret_value().encode()
    with st.form("auth.form"):
        given = st.text_input("Password", type="password", key="auth.password")
        submitted = st.form_submit_button("Enter")
    if submitted:
        if hmac.compare_digest(given.encode(), expected):
            st.session_state[_STATE_KEY] = True
            st.session_state.pop("auth.password", None)
            st.rerun()
        st.error("Wrong password.")
    return False
