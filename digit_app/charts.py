"""The sidebar's charts as Vega-Lite specs, built with Altair once per choice and cached.

Building and validating Altair charts costs tens of milliseconds, which every visitor's page load
would otherwise pay; Altair itself is imported lazily (a second at start-up).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from digit_app.loaders import load_history
from mnist_core import display


def epoch_curves(frame: pd.DataFrame, metric: str, series: str = "model", show_legend: bool = True, log_y: bool = False):
    """display.history_frame rows -> an Altair chart of one metric per epoch: a colour per model
    (or trial: series names it in the tooltip), training solid and validation dashed."""
    import altair as alt

    return alt.Chart(frame[frame.metric == metric], title=metric.capitalize()).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False, type="log" if log_y else "linear")),
        color=alt.Color("model:N", legend=alt.Legend(orient="top", title=None) if show_legend else None),
        strokeDash=alt.StrokeDash("split:N", legend=None),  # the caption says which is which
        tooltip=[alt.Tooltip("model:N", title=series), "split", "epoch", alt.Tooltip("value:Q", format=".4f")],
    )


@st.cache_data(show_spinner=False)
def training_curves_specs(folders: tuple[tuple[str, str], ...]) -> tuple[list[dict], list[str]]:
    """Vega-Lite specs of accuracy and loss per epoch for these (name, folder) models, and the problems met."""
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
    # Where a fine-tuned model's epochs on people's drawings begin (scripts/finetune.py records it).
    starts = pd.DataFrame([(name, history["finetune_start_epoch"] - 0.5) for name, history in histories.items()
                           if isinstance(history.get("finetune_start_epoch"), int)], columns=["model", "epoch"])
    specs = []
    for metric in ("accuracy", "loss"):
        chart = epoch_curves(frame, metric, show_legend=len(histories) > 1)
        if len(starts):
            rule = alt.Chart(starts).encode(x="epoch:Q", color=alt.Color("model:N", legend=None))
            chart += rule.mark_rule(strokeDash=[2, 2]) + rule.mark_text(
                text="fine-tuned from here", align="left", dx=3, baseline="top", y=0, fontSize=10)
        chart = chart.properties(height=200, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).interactive()
        specs.append(chart.to_dict())
    return specs, problems


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
