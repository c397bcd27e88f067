"""The sidebar: the model picker, and tabs on how the chosen model trained and what it is."""

from __future__ import annotations

import streamlit as st

from digit_app.charts import confusion_matrix_spec, training_curves_specs
from digit_app.loaders import (
    ensemble_size,
    folder_of,
    load_metrics,
    load_mistakes,
    shipped_models,
    trained_on_harder_digits,
)
from digit_app.store import drawings_store
from digit_app.training_page import training_page_entry
from digit_app.tuning_view import tuning_dialog
from mnist_core import display
from mnist_core.config import DEFAULT_MODEL
from mnist_core.drawings import StoreUnavailable

SIDEBAR_TAB_KEY = "sidebar_tab"
MODEL_IN_USE_KEY = "model_in_use_seen"  # the model in use when this session's picker was last built
MODEL_IN_USE_SECONDS = 2.0  # how soon every page follows the presenter's choice
GALLERY_SIZE = 24


def model_picker_ui() -> str:
    """The model select box; returns the chosen model's name."""
    names = shipped_models()
    if not names:
        st.error("No trained models found. Train one with: python scripts/train.py --model cnn")
        st.stop()
    preferred = st.session_state[MODEL_IN_USE_KEY] = model_in_use()
    default = names.index(preferred) if preferred in names else names.index(DEFAULT_MODEL) if DEFAULT_MODEL in names else 0
    # The index is part of the widget's identity: when the presenter puts another model in use,
    # every page's picker starts again from it at its next run, without a restart.
    return st.selectbox("Model", names, index=default,
                        help="Every model here was trained by scripts/train.py or fine-tuned by scripts/finetune.py")


@st.cache_data(ttl=MODEL_IN_USE_SECONDS, show_spinner=False)
def model_in_use() -> str:
    """The model the presenter put in use from the wall (stored in the answers database), else the
    default; read from the database at most once per MODEL_IN_USE_SECONDS for the whole server."""
    try:
        return drawings_store().model_in_use() or DEFAULT_MODEL
    except StoreUnavailable:  # no database at hand: drawing still works, with the default
        return DEFAULT_MODEL


def model_in_use_changed() -> bool:
    """Whether the presenter put another model in use since this page's picker was last built: the
    drawing fragment then reruns the whole page, so that a drawer who keeps drawing reads with it."""
    shown = st.session_state.get(MODEL_IN_USE_KEY)
    return shown is not None and model_in_use() != shown


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


def training_curves_ui(current: str) -> None:
    """Per-epoch accuracy and loss, training vs validation, for one or several models."""
    st.page_link(training_page_entry(), label="Explore them: steps, time, smoothing, every model")
    chosen = st.multiselect("Compare models", shipped_models(), default=[current])
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
    st.caption(f"{metrics.get('parameters', 0):,} parameters. {where_it_comes_from(metrics)} {how} on {data}, 2 CPU cores.")
    if metrics.get("tuning") and st.button("How it was tuned", key="tuning_view"):
        tuning_dialog(folder_of(name))
    layers = st.expander("Layers", key="layers", on_change="rerun")
    if layers.open:
        with layers:
            st.dataframe(display.layers_frame(metrics.get("layers", [])), hide_index=True, width="stretch")
    st.markdown("**Confusion matrix** (10,000 test digits)")
    st.vega_lite_chart(confusion_matrix_spec(metrics["confusion_matrix"]), width="stretch")
    mistakes_gallery_ui(name)


def where_it_comes_from(metrics: dict) -> str:
    """Which project a model reproduces, in words a visitor can place (metrics.json's origin)."""
    origin = str(metrics.get("origin", ""))
    if metrics.get("tuning"):
        return "A multilayer perceptron whose depth, widths, dropout, learning rate and batch size a Keras Tuner search chose."
    if origin == "ours":
        return "Our own convolutional network, made for drawn digits."
    projects = origin.replace("seeds", "projects").replace("seed", "project")
    claimed = metrics.get("claimed_accuracy")
    return (f"Rebuilt from one of the five small Keras MNIST projects this app grew out of ({projects})"
            + (f", which reported {claimed}." if claimed else "."))


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
