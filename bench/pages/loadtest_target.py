"""Stand-in for the draw-a-digit app, for testing the load test itself.

Same contract as the real app: one drawable canvas (st_canvas with
return_image_data=True; here key="canvas") and the st.metric labelled
PREDICTION_LABEL showing "<digit>". Instead of a model it recognises the load test's own built-in
digit drawings by nearest template (28x28 grey levels), so every answer is
deterministic and a simulated user can tell its own answer from another
user's. Real figures need the real app:
`python bench/loadtest.py --start-server app.py`.

Run: streamlit run bench/pages/loadtest_target.py
"""

import io

import numpy as np
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from bench import loadtest
from mnist_core.config import PREDICTION_LABEL

# The load test's defaults, which are app.py's canvas (mnist_core.config).
CANVAS_STYLE = loadtest.CanvasStyle()


def _grey_28(png: bytes) -> np.ndarray:
    """The drawing as 28x28 grey levels, like an MNIST digit."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return np.asarray(image.resize((28, 28), Image.BOX), dtype=np.float32)


@st.cache_resource
def digit_templates() -> np.ndarray:
    """The ten built-in drawings, shared by every session."""
    return np.stack([_grey_28(loadtest.render_digit_png(d, CANVAS_STYLE)) for d in range(10)])


def recognise(png: bytes) -> int:
    distances = ((digit_templates() - _grey_28(png)) ** 2).sum(axis=(1, 2))
    return int(np.argmin(distances))


prediction = "–"
try:
    canvas = st_canvas(
        stroke_width=CANVAS_STYLE.stroke_width,
        stroke_color=CANVAS_STYLE.stroke_color,
        background_color=CANVAS_STYLE.background_color,
        height=CANVAS_STYLE.size,
        width=CANVAS_STYLE.size,
        drawing_mode="freedraw",
        return_image_data=True,
        key="canvas",
    )
    # An empty canvas has no objects; its blank PNG is not a digit.
    if (canvas.json_data or {}).get("objects") and canvas.image_bytes:
        prediction = str(recognise(canvas.image_bytes))
except Exception:  # noqa: BLE001
    # Whatever a client sends, answer with "no prediction" instead of a
    # traceback: the load test's --bad-input mode checks exactly that.
    st.caption("Could not read the drawing.")

st.metric(PREDICTION_LABEL, prediction)
