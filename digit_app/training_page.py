"""The training page: how the models learned, every curve they recorded, to overlay and explore."""

from __future__ import annotations

import html

import streamlit as st

from digit_app.curve_charts import X_TITLES, ChartChoice, chosen_records, explorer_charts, explorer_csv, model_color
from digit_app.loaders import ensemble_size, folder_of, shipped_models, trained_on_harder_digits
from mnist_core.curves import matching_models
from mnist_core.smoothing import METHODS

AXIS_LABELS = {"epoch": "Epoch", "step": "Step", "time": "Wall-clock time"}
SMOOTHING_LABELS = {
    "none": "None",
    "ema": "Exponential, debiased (TensorBoard's)",
    "trailing": "Moving average, trailing",
    "centred": "Moving average, centred",
}
DEFAULT_EMA_WEIGHT, DEFAULT_WINDOW = 0.6, 9
CHART_ORDER = ("accuracy", "accuracy gap", "loss", "loss gap", "learning rate")


def training_page_entry() -> st.Page:
    """This page in the app's navigation (app.py), and for links to it."""
    return st.Page(training_page, title="Training", icon=":material/monitoring:", url_path="training")


def training_page() -> None:
    st.title("How the models learned")
    st.caption("Accuracy and loss on the batches each model trained on (solid) and on digits held out "
               "from training (validation, dashed, once per epoch), as scripts/train.py recorded them. "
               "Hover a curve for its values; drag or scroll a chart to zoom along x, double-click to reset.")
    choice = choices_ui()
    if not choice.folders:
        st.info("Pick at least one model to see how it learned.")
        return
    models, problems = chosen_records(choice.folders)
    for problem in problems:
        st.warning(problem)
    if not models:
        return
    notes_ui(choice, [records.name for records in models if records.steps is None])
    st.html(legend_html(choice))
    charts = explorer_charts(choice)
    # Each metric's gap right under it, on the same x axis: where the two curves part is where the gap grows.
    for name in CHART_ORDER:
        if name in charts:
            spec, table = charts[name]
            st.vega_lite_chart(table, spec, width="stretch")
    if "learning rate" not in charts:
        st.caption("None of these models recorded its learning rate: the seed presets shipped before it was "
                   "recorded were trained with Adam's constant 0.001.")
    st.download_button(
        "Download every point shown (CSV)", file_name=f"training-curves-by-{choice.x_axis}.csv", mime="text/csv",
        data=lambda: explorer_csv(choice.folders, choice.x_axis, choice.smoothing, choice.strength),
        on_click="ignore", icon=":material/download:",
        help="One row per point: model, metric, split (training, validation or gap), its epoch, step and minute, "
             "the raw value, the smoothed one, and whether it is the best validation epoch",
    )


def choices_ui() -> ChartChoice:
    """The models, axis, smoothing and scales chosen, in rows of controls."""
    names = shipped_models()
    filter_column, smoothing_column = st.columns(2, gap="medium")
    pattern = filter_column.text_input(
        "Filter models", placeholder="a name or a regular expression: mlp, ^cnn",
        help="Shows the models whose names match, as TensorBoard's run filter").strip()
    smoothing = smoothing_column.selectbox(
        "Smoothing", METHODS, format_func=SMOOTHING_LABELS.get, key="smoothing",
        help="The raw curve stays drawn, faint, behind the smoothed one. The exponential average is "
             "bias-corrected: it starts at the first value, not at 0.")
    matching = matching_models(names, pattern)
    if not matching:
        st.caption(f"No model's name matches “{pattern}”: models are {', '.join(names)}.")
    # A new filter is a new widget: every model it matches starts chosen.
    chosen = st.pills("Models", matching, selection_mode="multi", default=matching, key=f"models:{pattern}")
    axis_column, strength_column = st.columns(2, gap="medium")
    with axis_column:
        x_axis = st.segmented_control("x axis", list(AXIS_LABELS), format_func=AXIS_LABELS.get, default="epoch",
                                      required=True, key="x_axis")
        with st.container(horizontal=True):
            log_y = st.toggle("Log y", key="log_y")
            log_x = st.toggle("Log x", key="log_x", disabled=x_axis != "step",
                              help="On the step axis: the first steps spread out") and x_axis == "step"
    strength = 0.0
    if smoothing == "ema":
        strength = strength_column.slider("Weight", 0.0, 0.99, DEFAULT_EMA_WEIGHT, 0.01, key="ema_weight",
                                          help="0: no smoothing; 0.9: each new point weighs a tenth")
    elif smoothing in ("trailing", "centred"):
        where = "the point and those before it" if smoothing == "trailing" else "the point and as many either side"
        strength = float(strength_column.slider("Window (points)", 1, 51, DEFAULT_WINDOW, 2, key="window",
                                                help=f"The mean of {where}; fewer near the ends"))
    folders = tuple((name, folder_of(name)) for name in chosen or [])
    return ChartChoice(folders, tuple(names), x_axis, smoothing, strength, log_y, log_x)


def legend_html(choice: ChartChoice) -> str:
    """One legend for every chart: each model shown in its colour, how the lines are drawn, and what x is."""
    swatches = "".join(
        f'<span><i style="background:{model_color(choice.palette, name)}"></i>{html.escape(name)}</span>'
        for name, _ in choice.folders)
    return (f'<div class="curves-legend">{swatches}<span class="styles">── training &nbsp; ╌╌ validation '
            f'&nbsp; ◆ best validation epoch</span><span class="axis">x: {X_TITLES[choice.x_axis]}</span></div>')


def notes_ui(choice: ChartChoice, without_steps: list[str]) -> None:
    """What a reader needs to read these curves right: models the axis cannot place, means of
    ensembles, and why an augmented model's training curve sits below its validation one."""
    names = [name for name, _ in choice.folders]
    notes = []
    if without_steps and choice.x_axis != "epoch":
        listed = ", ".join(without_steps)
        notes.append(f"{listed}: no step records (trained before they were kept, or by scripts/tune.py), so "
                     + ("the step axis cannot place them: see them on the epoch or time axis."
                        if choice.x_axis == "step" else "one point per epoch, at its end."))
    for name in names:
        if members := ensemble_size(name):
            notes.append(f"{name} draws the mean of its {members} networks' curves, each network trained apart.")
    if any(trained_on_harder_digits(name) for name in names):
        notes.append("A model trained on distorted and redrawn digits, with dropout, does worse on those than on the "
                     "clean validation digits: its training accuracy sits below its validation accuracy, its gap below 0.")
    notes.append("◆ marks each model's best validation epoch: its highest accuracy, its lowest loss.")
    st.caption(" ".join(notes))
