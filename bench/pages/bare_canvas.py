"""Bare benchmark page: only the drawable canvas and a metric.

Used as the baseline for latency comparisons: the metric shows how many
objects (strokes) the server has received, or "–" when the canvas is empty.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

canvas_result = st_canvas(
    stroke_width=18,
    stroke_color="#FFFFFF",
    background_color="#000000",
    height=280,
    width=280,
    drawing_mode="freedraw",
    return_image_data=True,
    key="canvas",
)

objects = (canvas_result.json_data or {}).get("objects", [])
st.metric("Prediction", len(objects) if objects else "–")
