"""The drawing page: draw (or upload) digits, watch the model read them after every stroke."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from digit_app import canvas
from digit_app.answers import answer_controls_ui, forget_my_drawings_ui
from digit_app.inside_model import inside_model_ui
from digit_app.loaders import folder_of, load_predictor
from digit_app.reading_view import answer_ui, details_ui
from digit_app.sidebar import model_in_use_changed, model_picker_ui, sidebar_tabs_ui
from mnist_core import display
from mnist_core.decode_worker import decode_image_in_worker
from mnist_core.predictor import Predictor

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # as server.maxUploadSize in .streamlit/config.toml
UPLOAD_DECODE_SECONDS = 5.0  # a photo decodes in well under a second; a crafted file is stopped here
UPLOAD_SHOWN_SIDE = 640  # the upload is shown as a thumbnail, never as its full array
DECODED_UPLOAD_KEY = "decoded_upload"


def draw_page() -> None:
    with st.sidebar:
        name = model_picker_ui()
    st.title("✏️ Draw a digit")
    with st.container(key="page_subtitle"):  # hidden on a phone: the prompt says it there
        st.caption("Anywhere on the canvas, any size, any brush, one digit or several. "
                   "The model reads it after every stroke.")
    try:
        predictor = load_predictor(folder_of(name))
    except (FileNotFoundError, ValueError) as error:
        st.error(str(error))
    else:
        brush = canvas.drawing_controls_ui()
        draw_and_read_ui(predictor, brush)
        upload_ui(predictor)
    # Last, so that a new visitor's canvas is on screen before the charts (the slowest part of
    # the page to build and to draw) and Altair is imported.
    sidebar_tabs_ui(name)


@st.fragment
def draw_and_read_ui(predictor: Predictor, brush: int) -> None:
    """Canvas, live reading and answers; a fragment, so a stroke or an answer reruns only this part
    of the page (an answer's callback starts a new canvas: its key is read here)."""
    if model_in_use_changed():  # the presenter put another model in use: the whole page follows
        st.rerun()
    canvas_key = canvas.canvas_key()
    drawing_column, details_column = st.columns([1, 1], gap="large")
    with drawing_column:
        # Above the canvas, so that on a phone the answer stays in view; its height is fixed
        # (assets/page.css) so that the canvas does not move under the pen when the answer appears.
        answer_box = st.container(key="answer")
        drawing = canvas.canvas_ui(brush, canvas_key)
    reading = None
    if drawing is not None:
        try:
            reading = predictor.read(drawing, multi=True)
        except ValueError as error:
            answer_box.error(f"Could not read the drawing: {error}")
            return
    with answer_box:
        answer_ui(reading)
    with details_column:
        # First on the right: on a desktop in view beside the canvas, on a phone right under it.
        answer_controls_ui(drawing, reading, predictor.folder.name, canvas_key)
        forget_my_drawings_ui()
        details_ui(reading)
    # Full width under both columns: its pictures need the room, on a projector and on a phone.
    inside_model_ui(reading, predictor.folder)


def upload_ui(predictor: Predictor) -> None:
    """A photo or scan of handwritten digits, read by the same pipeline."""
    expander = st.expander(
        "Or upload a photo or scan of handwritten digits", icon=":material/photo_camera:", key="upload", on_change="rerun"
    )
    if not expander.open:
        return  # built only when opened: see sidebar_tabs_ui
    with expander:
        upload = st.file_uploader("PNG, JPEG, BMP or WebP", type=["png", "jpg", "jpeg", "bmp", "webp"])
        if upload is None:
            return
        try:
            image = decoded_upload(upload)
            reading = predictor.read(image, multi=True)
        except ValueError as error:
            st.error(str(error))
            return
        left, right = st.columns(2)
        left.image(display.shrunk(image, UPLOAD_SHOWN_SIDE), caption=upload.name, width="stretch")
        with right:
            answer_ui(reading, label="Prediction for the upload")
            details_ui(reading)


def decoded_upload(upload: UploadedFile) -> np.ndarray:
    """The uploaded file as uint8 pixels, decoded once per file in this session (ValueError: refused).

    In a child process killed after a timeout: a crafted file costs its visitor a few seconds, never
    a server core for minutes or the interpreter lock others' strokes need. The outcome, refusal
    included, is kept for the file on screen, so that later runs of the page do not decode it again.
    """
    file_id, outcome = st.session_state.get(DECODED_UPLOAD_KEY, (None, None))
    if file_id != upload.file_id:
        try:
            outcome = decode_image_in_worker(upload.getvalue(), name=upload.name, timeout=UPLOAD_DECODE_SECONDS,
                                             max_bytes=MAX_UPLOAD_BYTES)
        except ValueError as error:
            outcome = str(error)  # the refusal's message
        st.session_state[DECODED_UPLOAD_KEY] = (upload.file_id, outcome)
    if isinstance(outcome, str):
        raise ValueError(outcome)
    return outcome
