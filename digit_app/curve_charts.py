"""The curves explorer's charts: Vega-Lite specs built with Altair, each with its own table of points,
cached per choice of models, axis, smoothing and scales.

A spec holds no data: the page hands each chart its table apart (st.vega_lite_chart(table, spec)),
so that a change of smoothing or of models, which changes only the tables, lets the browser update
the charts it has instead of building them anew. The colours are fixed per model name for the same
reason, and so that a model keeps its colour whatever else is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from mnist_core.curves import X_AXES, TrainingRecords, csv_bytes, read_records, shown_points

X_TITLES = {"epoch": "epoch", "step": "step (batches)", "time": "minutes since training began"}
X_FORMATS = {"epoch": ".2f", "step": ",.0f", "minutes": ".1f"}
METRIC_TITLES = {"accuracy": "Accuracy", "loss": "Loss"}
GAP_TITLES = {
    "accuracy": "Accuracy gap: training − validation",
    "loss": "Loss gap: validation − training",
}
SPLIT_DASHES = {"training": [1, 0], "validation": [5, 3]}
# Vega's "tableau10" scheme, spelt out: the page's one legend (training_page.py) draws the same colours.
COLORS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")
MAIN_HEIGHT, SMALL_HEIGHT = 280, 120


@dataclass(frozen=True)
class ChartChoice:
    """What the explorer shows: every part of it a cache key."""

    folders: tuple[tuple[str, str], ...]  # (name, folder) of the models shown
    palette: tuple[str, ...]  # every model name that can be shown, for fixed colours
    x_axis: str = "epoch"
    smoothing: str = "none"
    strength: float = 0.0
    log_y: bool = False
    log_x: bool = False


@st.cache_data(show_spinner=False, max_entries=64)
def load_records(folder: str) -> TrainingRecords:
    return read_records(folder)


def chosen_records(folders: tuple[tuple[str, str], ...]) -> tuple[list[TrainingRecords], list[str]]:
    """The models' records, and the problems met reading them (a model with one is left out)."""
    models, problems = [], []
    for _name, folder in folders:
        try:
            models.append(load_records(folder))
        except (FileNotFoundError, ValueError) as error:
            problems.append(str(error))
    return models, problems


@st.cache_data(show_spinner=False, max_entries=64)
def explorer_points(folders: tuple[tuple[str, str], ...], x_axis: str, smoothing: str, strength: float) -> pd.DataFrame:
    """Every point the explorer draws (mnist_core/curves.py's shown_points)."""
    models, _ = chosen_records(folders)
    return shown_points(models, x_axis, smoothing, strength)


@st.cache_data(show_spinner=False, max_entries=64)
def explorer_csv(folders: tuple[tuple[str, str], ...], x_axis: str, smoothing: str, strength: float) -> bytes:
    return csv_bytes(explorer_points(folders, x_axis, smoothing, strength))


@st.cache_data(show_spinner=False, max_entries=64)
def explorer_charts(choice: ChartChoice) -> dict[str, tuple[dict, pd.DataFrame]]:
    """name -> (Vega-Lite spec, its table) of the charts: "accuracy", "loss", their gaps
    ("accuracy gap", "loss gap") and "learning rate" (absent when no model shown records one).
    Together the tables hold every row of explorer_points, each once."""
    points = explorer_points(choice.folders, choice.x_axis, choice.smoothing, choice.strength)
    models, _ = chosen_records(choice.folders)
    x_column = X_AXES[choice.x_axis]
    starts = [start for records in models if (start := records.finetune_start()) and pd.notna(start[x_column])]
    charts = {}
    for metric, title in METRIC_TITLES.items():
        curves = points[(points.metric == metric) & (points.split != "gap")]
        charts[metric] = (curve_spec(choice, title, starts), curves)
        gaps = points[(points.metric == metric) & (points.split == "gap")]
        charts[f"{metric} gap"] = (gap_spec(choice, GAP_TITLES[metric]), gaps)
    rates = points[points.metric == "learning_rate"]
    if len(rates):
        charts["learning rate"] = (learning_rate_spec(choice), rates)
    return charts


def x_encoding(choice: ChartChoice):
    import altair as alt

    column = X_AXES[choice.x_axis]
    scale = alt.Scale(type="log" if choice.log_x else "linear", zero=False, nice=False)
    axis = alt.Axis(tickMinStep=1) if choice.x_axis == "epoch" else alt.Axis()
    return alt.X(f"{column}:Q", title=X_TITLES[choice.x_axis], scale=scale, axis=axis)


def model_color(palette: tuple[str, ...], name: str) -> str:
    """A model's colour: its place among every model name, so it keeps it whatever else is shown."""
    return COLORS[palette.index(name) % len(COLORS)]


def color_encoding(choice: ChartChoice):
    """Colour by model, fixed per name; no legend in the charts (the page draws one for all)."""
    import altair as alt

    colors = [model_color(choice.palette, name) for name in choice.palette]
    return alt.Color("model:N", scale=alt.Scale(domain=list(choice.palette), range=colors), legend=None)


def tooltip(choice: ChartChoice, *values: tuple[str, str]) -> list:
    """Hover text: the model, the split, the point's epoch and its place on the axis shown, and these
    (field, title) values."""
    import altair as alt

    columns = dict.fromkeys(["epoch", X_AXES[choice.x_axis]])
    places = [alt.Tooltip(f"{column}:Q", title=column, format=X_FORMATS[column]) for column in columns]
    return ["model:N", "split:N", *places, *(alt.Tooltip(f"{field}:Q", title=title, format=".4~g") for field, title in values)]


def finished(chart, height: int) -> dict:
    """The layered chart's Vega-Lite spec, drawing the table the page hands it: Altair names a dataset
    for every layer ("empty" where it has none), and the browser would put the table into the only
    named one; so the layers without data are left to draw the table, and the others hold theirs inline."""
    import altair as alt

    spec = chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).to_dict()
    datasets = spec.pop("datasets", {})
    for layer in spec["layer"]:
        name = layer.pop("data")["name"]
        if name != "empty":
            layer["data"] = {"values": datasets[name]}
    return spec


def curve_spec(choice: ChartChoice, title: str, starts: list[dict]) -> dict:
    """Training (solid) and validation (dashed, a dot per epoch) curves by model; the raw values faint
    behind the smoothed ones; each model's best validation epoch a diamond; a dotted rule where a
    fine-tuned model's fine-tuning began. Hovering shows the nearest point's values."""
    import altair as alt

    x, color = x_encoding(choice), color_encoding(choice)
    y_scale = alt.Scale(type="log" if choice.log_y else "linear", zero=False)
    dash = alt.StrokeDash("split:N", scale=alt.Scale(domain=list(SPLIT_DASHES), range=list(SPLIT_DASHES.values())),
                          legend=None)
    # The line drawn in full: the smoothed value where there is one, else the raw value.
    base = alt.Chart().transform_calculate(line="isValid(datum.smoothed) ? datum.smoothed : datum.value")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    raw = base.mark_line(strokeWidth=1, opacity=0.3).encode(
        x=x, y=alt.Y("value:Q", title=None, scale=y_scale), color=color, strokeDash=dash).add_params(zoom)
    line = base.mark_line(strokeWidth=2).encode(x=x, y="line:Q", color=color, strokeDash=dash)
    epoch_dots = base.transform_filter("datum.split == 'validation'").mark_point(size=14, filled=True).encode(
        x=x, y="line:Q", color=color)
    hover = alt.selection_point(nearest=True, on="pointerover", clear="pointerout", empty=False,
                                fields=["model", "split", X_AXES[choice.x_axis]])
    hover_dots = base.mark_point(size=70, filled=True).encode(
        x=x, y="line:Q", color=color, opacity=alt.condition(hover, alt.value(1), alt.value(0)),
        tooltip=tooltip(choice, ("value", "raw"), *([("smoothed", "smoothed")] if choice.smoothing != "none" else [])),
    ).add_params(hover)
    best = base.transform_filter("datum.best_validation").mark_point(
        shape="diamond", size=130, filled=True, stroke="white", strokeWidth=1, opacity=1).encode(
        x=x, y="value:Q", color=color, tooltip=tooltip(choice, ("value", "best validation")))
    layers = [raw, line, epoch_dots, hover_dots, best]
    if starts:
        column = X_AXES[choice.x_axis]
        rule = alt.Chart(alt.InlineData(values=[{"model": s["model"], column: float(s[column])} for s in starts])).encode(
            x=x, color=color)
        layers += [rule.mark_rule(strokeDash=[2, 2]),
                   rule.mark_text(text="fine-tuning begins", align="left", dx=3, baseline="top", y=0, fontSize=10)]
    return finished(alt.layer(*layers, title=title), MAIN_HEIGHT)


def gap_spec(choice: ChartChoice, title: str) -> dict:
    """Per epoch, by model: how much better the model does on its training batches than on validation."""
    import altair as alt

    x, color = x_encoding(choice), color_encoding(choice)
    line = alt.Chart().mark_line(strokeWidth=1.5, point=alt.OverlayMarkDef(size=14)).encode(
        x=x, y=alt.Y("value:Q", title=None), color=color, tooltip=tooltip(choice, ("value", "gap")))
    zero = alt.Chart().mark_rule(color="gray", strokeWidth=1).encode(y=alt.datum(0))
    return finished(alt.layer(zero, line, title=title), SMALL_HEIGHT)


def learning_rate_spec(choice: ChartChoice) -> dict:
    """The optimizer's learning rate by model (per step where recorded, else per epoch)."""
    import altair as alt

    x, color = x_encoding(choice), color_encoding(choice)
    y = alt.Y("value:Q", title=None, scale=alt.Scale(type="log" if choice.log_y else "linear", zero=not choice.log_y),
              axis=alt.Axis(format="~e"))
    chart = alt.Chart().mark_line(strokeWidth=1.5, interpolate="step-before").encode(
        x=x, y=y, color=color, tooltip=tooltip(choice, ("value", "learning rate")))
    return finished(alt.layer(chart, title="Learning rate"), SMALL_HEIGHT)
