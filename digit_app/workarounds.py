"""Every workaround of Streamlit's and the canvas component's behaviour, in one place.

Each says why it exists and the version it is written for: the versions are pinned in
requirements.txt (streamlit 1.67.0, streamlit-drawable-canvas 0.13.0), and each one checks for the
private API it changes, so that a newer version without it runs unchanged rather than broken.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import gc
import json
import threading
import time
from pathlib import Path

import streamlit as st

from digit_app.style import asset_text
from mnist_core.config import CANVAS_COMPONENT_NAME

# The canvas's toolbar button that sends the drawing to the app at once.
CANVAS_SEND_BUTTON = 'button[title="Update the app with this drawing"]'
# How often the server collects the garbage of sessions gone (collect_garbage_periodically).
GARBAGE_COLLECTION_SECONDS = 30


def apply_workarounds() -> None:
    """All of them, once per process (each is a cached resource)."""
    skip_streamlit_keras_cleanup()
    tolerate_malformed_widget_json()
    refuse_other_file_types_in_words()
    fix_canvas_component()
    collect_garbage_periodically()
    build_theme_message_once()


@st.cache_resource
def skip_streamlit_keras_cleanup() -> None:
    """Stop Streamlit (1.67) from calling keras.backend.clear_session() after every run of the page.

    Streamlit does it for apps that build models per rerun. Here the model is built once and
    shared, so the clean-up only costs: a full gc.collect() and an emptied TensorFlow kernel
    cache, which made each stroke take ~1.4 s instead of tens of ms (profiled with py-spy).
    The shipped models are served in NumPy and never load Keras; this matters for a model folder
    that needs Keras. Private API, hence the guard.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = lambda: None


@st.cache_resource
def tolerate_malformed_widget_json() -> None:
    """Let a widget state that is not JSON reach the widget's own deserializer as text.

    Streamlit (1.67) parses every JSON widget state before the page runs and lets a JSONDecodeError
    escape: one malformed canvas state (no browser sends it; a crafted message can) showed a
    traceback and broke that visitor's session for good. As text, the canvas component's own
    deserializer turns it into an empty state, the page says nothing is drawn, and the next
    stroke works. JSON nested thousands deep raises RecursionError instead: the same.
    Private API, hence the guard.
    """
    from streamlit.runtime.state import session_state

    original = getattr(session_state, "unpack_widget_state_value", None)
    if original is None or getattr(original, "tolerant", False):
        return

    def unpack(widget_state):
        try:
            return original(widget_state)
        except (json.JSONDecodeError, RecursionError):
            return widget_state.json_value

    unpack.tolerant = True
    session_state.unpack_widget_state_value = unpack
    tolerate_deep_component_json()


def tolerate_deep_component_json() -> None:
    """Read a component state nested too deep to parse (RecursionError) as an empty one.

    Streamlit 1.67's components-v2 state deserializer turns a JSONDecodeError into an empty state
    but lets the RecursionError of JSON nested thousands deep escape, before the page runs: the
    visitor got an error and the session stayed broken. Private API, hence the guard.
    """
    from streamlit.components.v2.bidi_component import serialization

    serde = getattr(serialization, "BidiComponentSerde", None)
    original = getattr(serde, "deserialize", None)
    if original is None or getattr(original, "tolerant", False):
        return

    def deserialize(self, ui_value):
        try:
            return original(self, ui_value)
        except RecursionError:
            return original(self, None)

    deserialize.tolerant = True
    serde.deserialize = deserialize


@st.cache_resource
def refuse_other_file_types_in_words() -> None:
    """Let an upload of a type st.file_uploader does not list reach the page, which refuses it in words.

    Streamlit (1.67) checks an uploaded file's name against the uploader's `type` when it reads the
    widget's value before the page runs, and raises: the browser's file picker never sends such a
    file, but a hand-made client can (a .gif), and got "This app has encountered an error" on
    every run until the file was gone. Without that check the page reads the file's own bytes
    (mnist_core.image_io), refuses anything but PNG, JPEG, BMP or WebP in a sentence, and the
    drawing goes on. Private API, hence the guard.
    """
    from streamlit.elements.widgets import file_uploader

    serde = getattr(file_uploader, "FileUploaderSerde", None)
    original = getattr(serde, "deserialize", None)
    if original is None or not dataclasses.is_dataclass(serde) or getattr(original, "tolerant", False):
        return

    def deserialize(self, ui_value):
        return original(dataclasses.replace(self, allowed_types=None), ui_value)

    deserialize.tolerant = True
    serde.deserialize = deserialize


@st.cache_resource
def fix_canvas_component() -> None:
    """Re-register streamlit-drawable-canvas 0.13.0's component with our CSS and JS (assets/).

    canvas_fix.css puts its toolbar under the canvas (floating over the canvas's top-right
    corner, invisible, it swallowed strokes begun there), hides its "Edit" switch (it silently
    turned drawing into moving strokes) and scales the canvas to its column; canvas.js sends each
    stroke at once instead of 200 ms later, and adds Ctrl+Z / Ctrl+Shift+Z. The package's own
    files are served unchanged; `st_canvas` looks its component up by name on every call, so the
    last registration wins, for the whole server.
    """
    import streamlit_drawable_canvas

    build_dir = Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build"
    (package_css,) = build_dir.glob("index-*.css")
    (package_js,) = build_dir.glob("index-*.js")
    # Where Streamlit serves the package's files (a path relative to the page, as its front end builds it).
    js_path = f"_stcore/bidi-components/{CANVAS_COMPONENT_NAME}/{package_js.name}"
    st.components.v2.component(
        CANVAS_COMPONENT_NAME,
        js=asset_text("canvas.js", canvas_js_path=js_path, send_button=CANVAS_SEND_BUTTON),
        css=package_css.read_text() + asset_text("canvas_fix.css", send_button=CANVAS_SEND_BUTTON),
        html='<div class="canvas-root"></div>',
        isolate_styles=True,
    )


@st.cache_resource
def collect_garbage_periodically() -> None:
    """Every GARBAGE_COLLECTION_SECONDS, a full gc.collect() and glibc's malloc_trim, in a thread.

    .streamlit/config.toml turns off Streamlit's (1.67) gc.collect() after every run
    (runner.postScriptGC): at 100 visitors it was half of the server's time. But a session that is
    gone is a web of reference cycles that only a full collection frees, and Python runs one
    rarely: 8 visitors who had each sent a 4.5 MB drawing left the server at 626 MB instead of
    245 MB long after their sessions expired; a full collection found 1.1 million unreachable
    objects, and with malloc_trim the server was back at 321 MB (bench/large_drawings.py). One
    collection every half minute costs milliseconds, not one per stroke.
    """
    libc_name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc_name), "malloc_trim", None) if libc_name else None  # glibc only

    def collect_forever() -> None:
        while True:
            time.sleep(GARBAGE_COLLECTION_SECONDS)
            gc.collect()
            if trim is not None:
                trim(0)  # freed memory back to the system, not only to Python's allocator

    threading.Thread(target=collect_forever, name="collect-garbage", daemon=True).start()


@st.cache_resource
def build_theme_message_once() -> None:
    """Build each theme section of the message that starts every run once per server, not per stroke.

    Streamlit (1.67) sends a new_session message at the start of every run, a stroke's fragment
    run too, and fills its six theme sections (theme, light, dark and their sidebars) by scanning
    every config option for each (app_session._populate_theme_msg): ~5% of the interpreter lock
    per stroke under load (py-spy, docs/deployment.md). The theme is read from the config when the
    server starts and never changes while it runs, so each section's message is built once and
    merged into each new message (a fresh one: the same message as building it). Private API, hence
    the guard.
    """
    from streamlit.runtime import app_session

    original = getattr(app_session, "_populate_theme_msg", None)
    if original is None or getattr(original, "built_once", False):
        return
    built = {}

    def populate(message, section: str = "theme") -> None:
        if section not in built:
            template = type(message)()
            original(template, section)
            built[section] = template
        if built[section].ByteSize():  # an empty section is left unset, as Streamlit leaves it
            message.MergeFrom(built[section])

    populate.built_once = True
    app_session._populate_theme_msg = populate
