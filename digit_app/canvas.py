"""The drawing canvas (streamlit-drawable-canvas 0.13, fixed by workarounds.fix_canvas_component)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core.config import (
    CANVAS_BACKGROUND_COLOR,
    CANVAS_MAX_DISPLAY_WIDTH,
    CANVAS_PIXELS,
    CANVAS_STROKE_COLOR,
    DEFAULT_BRUSH,
)
from mnist_core.image_io import decode_canvas_png

MAX_STROKES = 150  # far beyond any digits; its state (~4 MB of scribbles) nears server.maxWidgetStateSize


def drawing_controls_ui() -> int:
    """Brush width and Clear, above the canvas; returns the brush.

    Outside the drawing fragment: a stroke then reruns only the canvas and the answer.
    """
    # One row, also on a phone (columns would stack there, pushing the canvas off the first screen).
    with st.container(horizontal=True, wrap=False, vertical_alignment="bottom", width=CANVAS_MAX_DISPLAY_WIDTH,
                      key="drawing_controls"):
        brush = st.slider("Brush", 4, 48, DEFAULT_BRUSH, help="Any width works: it is normalized")
        if st.button("Clear", type="primary"):
            new_canvas()
    return brush


def new_canvas() -> None:
    """Start an empty canvas: a new canvas key is the one clear that always empties it."""
    st.session_state.canvas_round = st.session_state.get("canvas_round", 0) + 1


def canvas_key() -> str:
    """The canvas's key now: it changes with every Clear and every answer."""
    return f"canvas-{st.session_state.get('canvas_round', 0)}"


def canvas_ui(brush: int, key: str) -> np.ndarray | None:
    """The drawing canvas; returns its image (uint8 gray), or None while nothing is drawn."""
    from streamlit_drawable_canvas import st_canvas  # importable only inside a running app

    try:
        result = st_canvas(
            stroke_width=brush, stroke_color=CANVAS_STROKE_COLOR, background_color=CANVAS_BACKGROUND_COLOR,
            width=CANVAS_PIXELS, height=CANVAS_PIXELS, drawing_mode="freedraw", return_image_data=True,
            key=key,
        )
        strokes = (result.json_data or {}).get("objects") if result is not None else None
        if not strokes or not result.image_bytes:
            return None
        if len(strokes) > MAX_STROKES:
            st.warning(f"Over {MAX_STROKES} strokes: too much to read. Clear the canvas to draw again.")
            return None
        return decode_canvas_png(result.image_bytes)
    except (ValueError, TypeError, AttributeError, OSError, RecursionError):  # a malformed canvas state
        st.error("Could not read the drawing. Clear the canvas and draw again.")
        return None
