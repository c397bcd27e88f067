"""Draw a digit, watch a neural network read it.

    streamlit run app.py

The page is UI only: reading digits lives in mnist_core, models are trained by scripts/train.py.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from mnist_core import artifacts, display  # noqa: E402
from mnist_core.config import DEFAULT_MODEL, MODEL_FILE, MODELS_DIR  # noqa: E402
from mnist_core.image_io import decode_canvas_png, decode_image  # noqa: E402
from mnist_core.predictor import EMPTY, UNSURE, DigitReading, Predictor, Reading  # noqa: E402

CANVAS_PIXELS = 320  # the drawing's resolution; on screen it scales to its column
CANVAS_MAX_DISPLAY_WIDTH = 560  # CSS pixels: big on a projector, the full width on a phone
DEFAULT_BRUSH = 20
CANVAS_COMPONENT_NAME = "streamlit-drawable-canvas.streamlit_drawable_canvas"
CANVAS_SEND_BUTTON = 'button[title="Update the app with this drawing"]'  # in the canvas's toolbar

# streamlit-drawable-canvas 0.13.0 floats its toolbar over the canvas's top-right corner,
# invisible at rest yet catching the pointer: a stroke begun there is silently lost, and on a
# phone a tap there hits "reset". This CSS (inside the component's shadow root) puts the
# toolbar under the canvas, always visible, and lets the canvas scale to its column's width
# (Fabric maps the pointer through the CSS scale, so the drawing keeps its pixel size). Its
# "send" button is hidden: every stroke is sent anyway (CANVAS_SEND_NOW_JS).
CANVAS_FIX_CSS = """
.dc-toolbar { position: static; opacity: 1; justify-content: flex-end; padding: .25rem 0 0 0; transition: none; }
.dc-root { width: 100%; }
.dc-scroll { overflow: hidden !important; }
.dc-container { width: 100% !important; height: auto !important; aspect-ratio: var(--canvas-aspect-ratio, 1); }
.dc-container .canvas-container, .dc-container canvas { width: 100% !important; height: 100% !important; }
""" + f".dc-toolbar {CANVAS_SEND_BUTTON} {{ display: none; }}\n"


# ---------------------------------------------------------------- data, cached once per process


@st.cache_resource
def skip_streamlit_keras_cleanup() -> None:
    """Stop Streamlit from calling keras.backend.clear_session() after every run of the page.

    Streamlit does it for apps that build models per rerun. Here the model is built once and
    shared, so the clean-up only costs: a full gc.collect() and an emptied TensorFlow kernel
    cache, which made each stroke take ~1.4 s instead of tens of ms (profiled with py-spy).
    The shipped models are served in NumPy and never load Keras; this matters for a model folder
    that needs Keras. Private API, hence the pinned Streamlit version and the guard.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = lambda: None


@st.cache_resource
def tolerate_malformed_widget_json() -> None:
    """Let a widget state that is not JSON reach the widget's own deserializer as text.

    Streamlit parses every JSON widget state before the page runs and lets a JSONDecodeError
    escape: one malformed canvas state (no browser sends it; a crafted message can) showed a
    traceback and broke that visitor's session for good. As text, the canvas component's own
    deserializer turns it into an empty state, the page says nothing is drawn, and the next
    stroke works. Private API, hence the pinned Streamlit version and the guard.
    """
    import json

    from streamlit.runtime.state import session_state

    original = getattr(session_state, "unpack_widget_state_value", None)
    if original is None or getattr(original, "tolerant", False):
        return

    def unpack(widget_state):
        try:
            return original(widget_state)
        except json.JSONDecodeError:
            return widget_state.json_value

    unpack.tolerant = True
    session_state.unpack_widget_state_value = unpack


# Cached by folder path (not preset name), so that a different models folder never hits a stale entry.


@st.cache_resource(show_spinner="Loading the model…")
def load_predictor(folder: str) -> Predictor:
    """One Predictor per model for the whole server: loaded once, shared by every session."""
    return Predictor(folder)


@st.cache_data(show_spinner=False)
def shipped_models(models_dir: str) -> list[str]:
    """The model folders in models_dir that hold a trained model, by name (not a training run's staging copies)."""
    folders = [folder for folder in Path(models_dir).iterdir() if (folder / MODEL_FILE).is_file()]
    return sorted(f.name for f in folders if not f.name.startswith(".") and not f.name.endswith(".previous"))


@st.cache_data(show_spinner=False)
def load_history(folder: str) -> dict:
    return artifacts.read_history(Path(folder))


@st.cache_data(show_spinner=False)
def load_metrics(folder: str) -> dict:
    return artifacts.read_metrics(Path(folder))


@st.cache_data(show_spinner=False)
def load_mistakes(folder: str):
    return artifacts.read_mistakes(Path(folder))


def folder_of(name: str) -> str:
    return str(MODELS_DIR / name)


# ---------------------------------------------------------------- sidebar


def model_picker_ui() -> str:
    """The model select box; returns the chosen preset name."""
    names = shipped_models(str(MODELS_DIR))
    if not names:
        st.error(f"No trained models in {MODELS_DIR}. Train one with: python scripts/train.py --model cnn")
        st.stop()
    default = names.index(DEFAULT_MODEL) if DEFAULT_MODEL in names else 0
    return st.selectbox("Model", names, index=default, help="Every preset was trained by scripts/train.py")


@st.cache_data(show_spinner=False)
def training_curves_specs(folders: tuple[tuple[str, str], ...]) -> tuple[list[dict], list[str]]:
    """Vega-Lite specs of accuracy and loss per epoch for these (name, folder) models, and the problems met.

    Built with Altair once per choice of models: building and validating Altair charts costs
    tens of milliseconds, which every visitor's first page load would otherwise pay.
    """
    import altair as alt
    histories, problems = {}, []
    for name, folder in folders:
        try:
            histories[name] = load_history(folder)
        except (FileNotFoundError, ValueError) as error:
            problems.append(str(error))
    if not histories:
        return [], problems
    frame = display.history_frame(histories)
    several = len(histories) > 1
    specs = []
    for metric, title in (("accuracy", "Accuracy"), ("loss", "Loss")):
        chart = (
            alt.Chart(frame[frame.metric == metric], title=title)
            .mark_line(point=alt.OverlayMarkDef(size=18))
            .encode(
                x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)),
                y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
                color=alt.Color("model:N", legend=alt.Legend(orient="top", title=None) if several else None),
                strokeDash=alt.StrokeDash("split:N", legend=None),
                tooltip=["model", "split", "epoch", alt.Tooltip("value:Q", format=".4f")],
            )
            .properties(height=200, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
            .interactive()
        )
        specs.append(chart.to_dict())
    return specs, problems


def metrics_or_nothing(name: str) -> dict:
    """The model's metrics.json, or {} when it is missing or malformed (the Model tab says why)."""
    try:
        return load_metrics(folder_of(name))
    except (FileNotFoundError, ValueError):
        return {}


def trained_on_harder_digits(name: str) -> bool:
    """Whether this model trained on augmented, redrawn digits (its metrics.json says so)."""
    return bool(metrics_or_nothing(name).get("redrawn_share"))


def ensemble_size(name: str) -> int:
    """How many networks this model averages (0 for a single network), from its metrics.json."""
    return len(metrics_or_nothing(name).get("members") or [])


def training_curves_ui(current: str) -> None:
    """Per-epoch accuracy and loss, training vs validation, for one or several models."""
    chosen = st.multiselect("Compare models", shipped_models(str(MODELS_DIR)), default=[current])
    specs, problems = training_curves_specs(tuple((name, folder_of(name)) for name in chosen))
    for problem in problems:
        st.warning(problem)
    if not specs:
        st.info("Pick a model to see how it trained.")
        return
    note = "Solid: training · dashed: validation (held-out training images)."
    if any(trained_on_harder_digits(name) for name in chosen):
        # Learners ask why training sits below validation: the training batches are the harder ones.
        note += (" A model trained on distorted and redrawn digits, with dropout, does worse on those than on"
                 " the clean validation digits: its solid accuracy line sits below the dashed one, its loss above.")
    for name in chosen:
        if members := ensemble_size(name):
            note += f" {name} draws the mean of its {members} networks' curves, each network trained apart."
    st.caption(note)
    for spec in specs:
        st.vega_lite_chart(spec, width="stretch")


@st.cache_data(show_spinner=False)
def confusion_matrix_spec(matrix: list[list[int]]) -> dict:
    """A Vega-Lite heatmap of the confusion matrix, counts written in the cells."""
    import altair as alt
    frame = display.confusion_frame(matrix)
    base = alt.Chart(frame).encode(
        x=alt.X("predicted:O", title="predicted"), y=alt.Y("true:O", title="true"),
        tooltip=["true", "predicted", "count", alt.Tooltip("share:Q", format=".1%")],
    )
    heat = base.mark_rect().encode(color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", type="sqrt"), legend=None))
    labels = base.mark_text(fontSize=11).encode(
        text="count:Q",
        color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value("#333")),
    )
    chart = (heat + labels).properties(height=340, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return chart.to_dict()


def model_details_ui(name: str) -> None:
    """Layers, parameters, test accuracy, confusion matrix and misclassified test digits."""
    try:
        metrics = load_metrics(folder_of(name))
    except (FileNotFoundError, ValueError) as error:
        st.warning(str(error))
        return
    st.metric("Test accuracy", f"{metrics['test_accuracy']:.2%}")
    minutes = metrics.get("training_seconds", 0) / 60
    members = metrics.get("members") or []
    how = (f"The average of {len(members)} networks trained apart, {metrics.get('epochs', '?')} epochs each, "
           f"in {minutes:.1f} min in all" if members else
           f"Trained {metrics.get('epochs', '?')} epochs in {minutes:.1f} min")
    fonts = metrics.get("training_fonts") or []
    data = f"{metrics.get('train_images', 0):,} MNIST digits" + (
        f" and the digits of {len(fonts)} handwriting fonts (other hands than MNIST's)" if fonts else "")
    st.caption(
        f"{metrics.get('parameters', 0):,} parameters. From {metrics.get('origin', '?')} "
        f"(claimed {metrics.get('claimed_accuracy', '?')}). {how} on {data}, 2 CPU cores."
    )
    layers = st.expander("Layers", key="layers", on_change="rerun")
    if layers.open:
        with layers:
            st.dataframe(display.layers_frame(metrics.get("layers", [])), hide_index=True, width="stretch")
    st.markdown("**Confusion matrix** (10,000 test digits)")
    st.vega_lite_chart(confusion_matrix_spec(metrics["confusion_matrix"]), width="stretch")
    mistakes_gallery_ui(name)


GALLERY_SIZE = 24


@st.cache_data(show_spinner=False)
def mistakes_gallery(folder: str) -> tuple[int, list[bytes], list[str]]:
    """How many test digits the model gets wrong, and the first GALLERY_SIZE as PNGs with captions."""
    records, images = load_mistakes(folder)
    shown = range(min(len(images), GALLERY_SIZE))
    pictures = [display.png_bytes(display.pixel_grid(images[index] / 255.0, cell=3)) for index in shown]
    captions = [f"{records[index]['true']} read as {records[index]['predicted']}" for index in shown]
    return len(records), pictures, captions


def mistakes_gallery_ui(name: str) -> None:
    try:
        count, pictures, captions = mistakes_gallery(folder_of(name))
    except (FileNotFoundError, ValueError) as error:
        st.warning(str(error))
        return
    st.markdown(f"**{count} test digits it gets wrong** (most confident mistakes first)")
    if pictures:
        st.image(pictures, caption=captions, width=85, output_format="PNG")


# The charts need more room than the default sidebar gives on a desktop.
SIDEBAR_CSS = """<style>
@media (min-width: 900px) { section[data-testid="stSidebar"] { width: 420px !important; } }
</style>"""


SIDEBAR_TAB_KEY = "sidebar_tab"


def sidebar_tabs_ui(name: str) -> None:
    """The learning tabs under the model choice: how the model trained, and what it is."""
    with st.sidebar:
        # Only the open tab is built: everything on the page, even outside the drawing's
        # fragment, costs the browser time on every stroke (the hidden tab was ~12 ms of it).
        curves_tab, model_tab = st.tabs(["Training curves", "Model"], key=SIDEBAR_TAB_KEY, on_change="rerun")
        if curves_tab.open:
            with curves_tab:
                training_curves_ui(name)
        if model_tab.open:
            with model_tab:
                model_details_ui(name)


# ---------------------------------------------------------------- drawing and reading


# The canvas waits 200 ms after each stroke before it sends the drawing, in case another change
# follows; the answer then comes 200 ms later than it could. This module wraps the package's
# own (served from its folder, unchanged) and, once a stroke on the canvas ends, presses the
# toolbar's own "Update the app with this drawing" button, which sends at once and cancels the
# wait. A timeout, not the pointerup itself: the canvas records the stroke in a microtask after it.
CANVAS_SEND_NOW_JS = """
// Relative to the page, as Streamlit serves it (also under a server.baseUrlPath); else from the root.
const canvasModule = import(new URL("__CANVAS_JS_PATH__", document.baseURI).href)
  .catch(() => import(new URL("/__CANVAS_JS_PATH__", document.baseURI).href));
const wired = new WeakSet();

function sendEachStrokeAtOnce(root) {
  if (wired.has(root)) return;
  wired.add(root);
  root.addEventListener("pointerdown", (event) => {
    if (!event.target.classList || !event.target.classList.contains("upper-canvas")) return;
    window.addEventListener("pointerup", () => setTimeout(() => {
      const send = root.querySelector(`__SEND_BUTTON__`);
      if (send) send.click();
    }), { once: true });
  });
}

export default async function (component) {
  const { default: mountCanvas } = await canvasModule;
  const cleanup = mountCanvas(component);
  sendEachStrokeAtOnce(component.parentElement);
  return cleanup;
}
"""


@st.cache_resource
def patch_canvas_component() -> None:
    """Re-register the canvas with CANVAS_FIX_CSS and CANVAS_SEND_NOW_JS, once per process (the last registration wins)."""
    import streamlit_drawable_canvas

    build_dir = Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build"
    (package_css,) = build_dir.glob("index-*.css")
    (package_js,) = build_dir.glob("index-*.js")
    # Where Streamlit serves the package's files (a path relative to the page, as its front end builds it).
    js_path = f"_stcore/bidi-components/{CANVAS_COMPONENT_NAME}/{package_js.name}"
    st.components.v2.component(
        CANVAS_COMPONENT_NAME,
        js=CANVAS_SEND_NOW_JS.replace("__CANVAS_JS_PATH__", js_path).replace("__SEND_BUTTON__", CANVAS_SEND_BUTTON),
        css=package_css.read_text() + CANVAS_FIX_CSS, html='<div class="canvas-root"></div>', isolate_styles=True,
    )


# The canvas's key changes with every Clear, so its CSS matches every key it can have. The
# prediction is written large enough to read from the back of a room.
CANVAS_CSS = f"""<style>
[class*="st-key-canvas-"] {{ width: 100% !important; max-width: {CANVAS_MAX_DISPLAY_WIDTH}px; --canvas-aspect-ratio: 1 / 1; }}
[class*="st-key-canvas-"] .stBidiComponent, [class*="st-key-canvas-"] [data-testid="stBidiComponentIsolated"] {{ width: 100% !important; }}
[data-testid="stMain"] [data-testid="stMetricValue"] {{ font-size: 4.5rem; line-height: 1.1; }}
.st-key-answer {{ min-height: 8.5rem; justify-content: center; }}
</style>"""


def drawing_controls_ui() -> tuple[int, str]:
    """Brush width and Clear, above the canvas; returns the brush and the canvas's key.

    Outside the drawing fragment: a stroke then reruns only the canvas and the answer.
    """
    state = st.session_state
    state.setdefault("canvas_round", 0)
    brush_column, clear_column, _ = st.columns([3, 1, 4], vertical_alignment="bottom")
    brush = brush_column.slider("Brush", 4, 48, DEFAULT_BRUSH, help="Any width works: it is normalized")
    if clear_column.button("Clear", width="stretch", type="primary"):
        state.canvas_round += 1  # a new canvas key is the one clear that always empties it
    return brush, f"canvas-{state.canvas_round}"


def canvas_ui(brush: int, key: str) -> np.ndarray | None:
    """The drawing canvas; returns its image (uint8 gray), or None while nothing is drawn."""
    from streamlit_drawable_canvas import st_canvas  # importable only inside a running app

    patch_canvas_component()
    try:
        result = st_canvas(
            stroke_width=brush, stroke_color="#111111", background_color="#FFFFFF",
            width=CANVAS_PIXELS, height=CANVAS_PIXELS, drawing_mode="freedraw", return_image_data=True,
            key=key,
        )
        if result is None or not (result.json_data or {}).get("objects") or not result.image_bytes:
            return None
        return decode_canvas_png(result.image_bytes)
    except (ValueError, TypeError, AttributeError, OSError) as error:  # a malformed canvas state
        st.error(f"Could not read the drawing ({type(error).__name__}). Clear the canvas and draw again.")
        return None


# A reading's details are plain HTML (bars and an inline PNG), one element per digit: a Vega
# chart and an st.image per digit cost the browser tens of milliseconds to build on every
# stroke, and the image a second request. Only numbers the model produced go into it.
READING_CSS = """<style>
.reading { display: flex; width: 100%; gap: 1.25rem; align-items: flex-end; flex-wrap: wrap; margin-bottom: .5rem; }
.reading .title { font-weight: 600; margin-bottom: .25rem; }
.reading .bars { display: flex; gap: 4px; align-items: flex-end; height: 150px; flex: 1 1 160px; min-width: 150px; }
.reading .bar { flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: flex-end; height: 100%; }
.reading .fill { width: 100%; background: #7f8fa6; border-radius: 3px 3px 0 0; min-height: 1px; }
.reading .top .fill { background: #e4572e; }
.reading .bar span { font-size: 1rem; margin-top: 2px; }
.reading .bar b { font-size: .75rem; font-weight: 600; }
.reading figure { margin: 0; text-align: center; font-size: .8rem; opacity: .85; }
.reading img { width: 140px; height: 140px; image-rendering: pixelated; display: block; }
</style>"""


def reading_html(digit: DigitReading, title: str = "") -> str:
    """One digit's 10 probabilities as bars and the 28x28 image the model saw, as HTML."""
    top = digit.digit
    bars = "".join(
        f'<div class="bar{" top" if index == top else ""}" title="{index}: {p:.1%}">'
        + (f"<b>{p:.0%}</b>" if index == top else "")
        + f'<div class="fill" style="height:{100 * p:.1f}%"></div><span>{index}</span></div>'
        for index, p in enumerate(float(p) for p in digit.probabilities)
    )
    picture = base64.b64encode(display.png_bytes(display.pixel_grid(digit.model_input, cell=6))).decode("ascii")
    heading = f'<div class="title">{title}</div>' if title else ""
    return (
        f'{heading}<div class="reading"><div class="bars" role="img" aria-label="probabilities of 0 to 9">{bars}</div>'
        f'<figure><img src="data:image/png;base64,{picture}" alt="the 28 by 28 image the model sees">'
        "<figcaption>What the model sees (28×28)</figcaption></figure></div>"
    )


PROMPT = "✏️ Draw a digit, or several, anywhere on the canvas."


def answer_ui(reading: Reading | None, label: str = "Prediction") -> None:
    """The answer at a glance: the digits large with how sure, or a prompt when nothing is drawn."""
    if reading is None or reading.status == EMPTY:
        st.info(PROMPT if reading is None else PROMPT + " Nothing there looks like one yet.")
        return
    digits = reading.digits
    if reading.status == UNSURE:
        note, color = "Not sure: " + " · ".join(
            f"{d.top_two[0][0]} ({d.top_two[0][1]:.0%}) or {d.top_two[1][0]} ({d.top_two[1][1]:.0%})"
            for d in digits if d.status == UNSURE
        ), "orange"
    else:
        confidence = min(d.confidence for d in digits)
        note = f"{confidence:.0%} sure" + (f" of each of its {len(digits)} digits" if len(digits) > 1 else "")
        color = "green"
    # One element, not columns of several: it is redrawn after every stroke.
    st.metric(label, reading.text, delta=note, delta_color=color, delta_arrow="off")


def details_ui(reading: Reading | None) -> None:
    """All 10 probabilities and what the model sees, per digit; the digits' boxes when several."""
    if reading is None or reading.status == EMPTY:
        st.caption("The model's view of your drawing, and how sure it is of each digit, appear here.")
        return
    digits = reading.digits
    if len(digits) > 1:
        picture = display.drawing_with_boxes(reading.ink, [d.box for d in digits])
        st.image(display.png_bytes(picture), width=320, caption="Digits found, left to right", output_format="PNG")
    for digit in digits[:4]:
        title = f"{digit.digit} · {digit.confidence:.0%}" if len(digits) > 1 else ""
        st.html(reading_html(digit, title))
    if len(digits) > 4:
        st.caption(f"Details shown for the first 4 of {len(digits)} digits.")


@st.fragment
def draw_and_read_ui(predictor: Predictor, brush: int, canvas_key: str) -> None:
    """Canvas and live reading; a fragment, so a stroke reruns only this part of the page."""
    drawing_column, details_column = st.columns([1, 1], gap="large")
    with drawing_column:
        # Above the canvas, so that on a phone the answer stays in view; its height is fixed
        # (CANVAS_CSS) so that the canvas does not move under the pen when the answer appears.
        answer_box = st.container(key="answer")
        drawing = canvas_ui(brush, canvas_key)
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
        details_ui(reading)


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
            image = decode_image(upload.getvalue(), name=upload.name)
            reading = predictor.read(image, multi=True)
        except ValueError as error:
            st.error(str(error))
            return
        left, right = st.columns(2)
        left.image(image, caption=upload.name, width="stretch")
        with right:
            answer_ui(reading, label="Prediction for the upload")
            details_ui(reading)


def main() -> None:
    st.set_page_config(page_title="Draw a digit", page_icon="✏️", layout="wide")
    skip_streamlit_keras_cleanup()
    tolerate_malformed_widget_json()
    st.html(CANVAS_CSS + READING_CSS + SIDEBAR_CSS)
    with st.sidebar:
        name = model_picker_ui()
    st.title("✏️ Draw a digit")
    st.caption("Anywhere on the canvas, any size, any brush, one digit or several. "
               "The model reads it after every stroke.")
    try:
        predictor = load_predictor(folder_of(name))
    except (FileNotFoundError, ValueError) as error:
        st.error(str(error))
    else:
        brush, canvas_key = drawing_controls_ui()
        draw_and_read_ui(predictor, brush, canvas_key)
        upload_ui(predictor)
    # Last, so that a new visitor's canvas is on screen before the charts (the slowest part of
    # the page to build and to draw) and Altair is imported (lazily: a second at start-up).
    sidebar_tabs_ui(name)


if __name__ == "__main__":
    main()
