"""The page's CSS and the canvas's assets, kept as files in digit_app/assets/."""

from __future__ import annotations

from pathlib import Path
from string import Template

import streamlit as st

from mnist_core.config import CANVAS_MAX_DISPLAY_WIDTH

ASSETS_DIR = Path(__file__).parent / "assets"


def asset_text(name: str, **values: str) -> str:
    """The text of an asset file with its `$name` placeholders filled in."""
    return Template((ASSETS_DIR / name).read_text()).substitute(values)


@st.cache_data(show_spinner=False)
def page_css() -> str:
    return asset_text("page.css", canvas_max_width=f"{CANVAS_MAX_DISPLAY_WIDTH}px")


def page_style_ui() -> None:
    """The page's CSS, inserted once per run."""
    st.html(f"<style>{page_css()}</style>")
