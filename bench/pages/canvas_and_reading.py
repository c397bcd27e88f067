"""The floor of a Streamlit page that reads each stroke: the canvas, the reading, the answer; nothing else.

The app's canvas (as loadtest.py draws on it), the default model's full reading of every stroke
(mnist_core.predictor, as the app reads), and the "Prediction" metric with its text. No fragment,
no answer controls, no details, no sidebar: what one process serves of this page bounds what any
page that reads each stroke in a Streamlit rerun can serve on the same machine
(docs/deployment.md, "The floor").

    python bench/loadtest.py --compare bench/pages/canvas_and_reading.py app.py --users 150 --duration 45 --interval 2
"""

# First, as in the app: digit_app sets one OpenBLAS thread per matrix product before NumPy loads
# (the canvas package imports NumPy); a second thread would spin for a core under load.
import digit_app  # noqa: F401, I001

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from bench.loadtest import CanvasStyle
from mnist_core.config import PREDICTION_LABEL
from mnist_core.image_io import decode_canvas_png
from mnist_core.predictor import Predictor

STYLE = CanvasStyle()  # the load test's defaults, which are the app's canvas


@st.cache_resource
def predictor() -> Predictor:
    return Predictor()  # the default model, found as the app finds it ($DIGIT_MODELS_DIR too)


canvas = st_canvas(
    stroke_width=STYLE.stroke_width, stroke_color=STYLE.stroke_color, background_color=STYLE.background_color,
    height=STYLE.size, width=STYLE.size, drawing_mode="freedraw", return_image_data=True, key="canvas",
)
prediction = "–"
if (canvas.json_data or {}).get("objects") and canvas.image_bytes:
    prediction = predictor().read(decode_canvas_png(canvas.image_bytes), multi=True).text
st.metric(PREDICTION_LABEL, prediction)
