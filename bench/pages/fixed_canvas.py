"""Benchmark page: the bare canvas page plus the toolbar and width fix.

streamlit-drawable-canvas 0.13.0 floats its toolbar (send, undo, redo, edit,
reset) over the top-right corner of the drawing area. At rest it is invisible
(opacity 0) but still catches the pointer, so a stroke that starts there is
swallowed. The fix re-registers the canvas component under its own name with
the package's CSS plus overrides that put the toolbar in normal flow under
the canvas, and let the canvas scale to the column width (phones).
"""

import re
from pathlib import Path

import streamlit as st
import streamlit_drawable_canvas
from streamlit_drawable_canvas import st_canvas

CANVAS_KEY = "canvas"
CANVAS_PIXELS = 280
CANVAS_MAX_DISPLAY_WIDTH = 400

# Name under which streamlit_drawable_canvas registers its v2 component;
# `st_canvas` looks its definition up by this name on every call, so the
# last registration wins.
CANVAS_COMPONENT_NAME = "streamlit-drawable-canvas.streamlit_drawable_canvas"

# Goes inside the canvas's shadow root, after the package's own CSS.
CANVAS_FIX_CSS = """
/* The toolbar is a sibling of the canvas, absolutely positioned over its
   top-right corner and hit-testable even while invisible. Put it in normal
   flow under the canvas and keep it visible: phones have no hover to show it. */
.dc-toolbar {
  position: static;
  opacity: 1;
  justify-content: flex-end;
  padding: 0.25rem 0 0 0;
  transition: none;
}
/* Scale the canvas to the width its element is given. Its pixel size (and
   so image_data and json_data coordinates) is unchanged: Fabric maps the
   pointer through the CSS scale. --canvas-aspect-ratio is set from outside
   (custom properties inherit into the shadow root); the canvases are
   absolutely positioned, so the box needs it to get a height. */
.dc-root { width: 100%; }
.dc-scroll { overflow: hidden !important; }
.dc-container {
  width: 100% !important;
  height: auto !important;
  aspect-ratio: var(--canvas-aspect-ratio, 1);
}
.dc-container .canvas-container,
.dc-container canvas {
  width: 100% !important;
  height: 100% !important;
}
"""


@st.cache_resource
def patch_canvas_component() -> None:
    """Re-register the canvas component with the fix CSS, once per process."""
    build_dir = Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build"
    (package_css,) = build_dir.glob("index-*.css")
    # Same html/js/isolation as streamlit_drawable_canvas/__init__.py; only
    # the CSS becomes inline (package CSS + overrides) instead of a file.
    st.components.v2.component(
        CANVAS_COMPONENT_NAME,
        js="index-*.js",
        css=package_css.read_text() + CANVAS_FIX_CSS,
        html='<div class="canvas-root"></div>',
        isolate_styles=True,
    )


def fit_canvas_to_column(key: str, width: int, height: int, max_display_width: int) -> None:
    """Stretch the canvas with this widget key to its column's width, capped
    at `max_display_width` CSS pixels, keeping its width:height ratio.

    The component asks Streamlit for its content width, so its element
    container and wrappers are widened here, from the light DOM.
    """
    # Streamlit's class for a keyed element: see `st-key-` in its frontend.
    key_class = "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())
    st.html(
        f"""<style>
        .{key_class} {{
            width: 100% !important;
            max-width: {max_display_width}px;
            --canvas-aspect-ratio: {width} / {height};
        }}
        .{key_class} .stBidiComponent,
        .{key_class} [data-testid="stBidiComponentIsolated"] {{
            width: 100% !important;
        }}
        </style>"""
    )


patch_canvas_component()
fit_canvas_to_column(CANVAS_KEY, CANVAS_PIXELS, CANVAS_PIXELS, CANVAS_MAX_DISPLAY_WIDTH)

canvas_result = st_canvas(
    stroke_width=18,
    stroke_color="#FFFFFF",
    background_color="#000000",
    height=CANVAS_PIXELS,
    width=CANVAS_PIXELS,
    drawing_mode="freedraw",
    return_image_data=True,
    key=CANVAS_KEY,
)

objects = (canvas_result.json_data or {}).get("objects", [])
st.metric("Prediction", len(objects) if objects else "–")
