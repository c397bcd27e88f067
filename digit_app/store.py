"""The drawings database, one per server: answers from every session, read by the wall."""

from __future__ import annotations

import os

import streamlit as st

from mnist_core.drawings import DB_URL_ENV, DrawingStore, open_store


def drawings_store() -> DrawingStore:
    """The store at $DRAWINGS_DB (else data/drawings.sqlite3), opened (and its schema upgraded) once.

    Raises StoreUnavailable when it cannot be opened; nothing is cached then, so the next answer
    tries again.
    """
    return store_at(os.environ.get(DB_URL_ENV) or None)


@st.cache_resource(show_spinner=False)
def store_at(url: str | None) -> DrawingStore:
    return open_store(url)
