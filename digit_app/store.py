"""The drawings database, one per server: answers from every session, read by the wall."""

from __future__ import annotations

import streamlit as st

from mnist_core.drawings_db import DrawingStore, open_store


@st.cache_resource(show_spinner=False)
def drawings_store() -> DrawingStore:
    """The store at $DRAWINGS_DB (else data/drawings.sqlite3), opened (and its schema upgraded) once.

    Raises StoreUnavailable when it cannot be opened; nothing is cached then, so the next answer
    tries again.
    """
    return open_store()
