"""The curves explorer's charts: Vega-Lite specs built with Altair, each with its own table of points.

A spec holds no data and does not depend on the axis, the smoothing or the models shown: every
table has its x in one column, "x", and its hover text ready made. The page hands each chart its
table apart (st.vega_lite_chart(table, spec)), so that switching axis, smoothing or models changes
only the tables and the browser updates the charts it has instead of building them anew (seconds
with thousands of step records). The colours are fixed per model name for the same reason, and so
that a model keeps its colour whatever else is shown. Specs and tables are cached apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core.curves import X_AXES, TrainingRecords, csv_bytes, read_records, shown_points, thinned

X_TITLES = {"epoch": "epoch", "step": "step (batches)", "time": "minutes since training began"}
METRIC_TITLES = {"accuracy": "Accuracy", "loss": "Loss"}
GAP_TITLES = {
    "accuracy": "Accuracy gap: training − validation",
    "loss": "Loss gap: validation − training",
}
SPLIT_DASHES = {"training": [1, 0], "validation": [5, 3]}
FINETUNE_START = "fine-tuning begins"  # a table row of this split is a rule, not a point
# Vega's "tableau10" scheme, spelt out: the page's one legend (training_page.py) draws the same colours.
COLORS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")
MAIN_HEIGHT, SMALL_HEIGHT = 280, 120
HOVER_POINTS = 100  # per curve at most, spread evenly: a hover cell for each of thousands costs the browser


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


def explorer_charts(choice: ChartChoice) -> dict[str, tuple[dict, pd.DataFrame]]:
    """name -> (Vega-Lite spec, its table) of the charts: "accuracy", "loss", their gaps
    ("accuracy gap", "loss gap") and "learning rate" (absent when no model shown records one).
    Together the tables hold every row of explorer_points, each once (same index), and the rules
    of fine-tuned models (split FINETUNE_START)."""
    tables = explorer_tables(choice.folders, choice.x_axis, choice.smoothing, choice.strength)
    specs = explorer_specs(choice.palette, choice.log_y, choice.log_x)
    return {name: (specs[name], table) for name, table in tables.items()}


@st.cache_data(show_spinner=False, max_entries=64)
def explorer_tables(folders: tuple[tuple[str, str], ...], x_axis: str, smoothing: str,
                    strength: float) -> dict[str, pd.DataFrame]:
    """Each chart's table: model, split, x (the axis's column), value (raw), line (smoothed, else
    raw), best_validation, hover (whether the point gets a hover cell) and tip (its hover text)."""
    points = explorer_points(folders, x_axis, smoothing, strength)
    models, _ = chosen_records(folders)
    column = X_AXES[x_axis]
    hover = hover_points(points)
    # line: what is drawn in full, the smoothed value where there is one, else the raw value (computed
    # here: Streamlit's Vega evaluates each expression of a spec per point, in an interpreter).
    table = points[["model", "metric", "split", "value", "best_validation"]].assign(
        x=points[column], line=points.smoothed.fillna(points.value), hover=hover, tip=hover_texts(points, hover))
    starts = pd.DataFrame([{"model": start["model"], "split": FINETUNE_START, "x": start[column], "hover": False,
                            "best_validation": False}
                           for records in models if (start := records.finetune_start()) and pd.notna(start[column])],
                          columns=["model", "split", "x", "hover", "best_validation"])
    tables = {}
    for metric in METRIC_TITLES:
        curves = table[(table.metric == metric) & (table.split != "gap")]
        if len(starts):  # indexed below 0: rules, not points
            curves = pd.concat([curves, starts.set_index(-1 - np.arange(len(starts)))])
        tables[metric] = curves.drop(columns="metric")
        tables[f"{metric} gap"] = table[(table.metric == metric) & (table.split == "gap")].drop(columns="metric")
    rates = table[table.metric == "learning_rate"]
    if len(rates):
        tables["learning rate"] = rates.drop(columns="metric")
    return tables


def hover_points(points: pd.DataFrame) -> np.ndarray:
    """bool (N,): at most HOVER_POINTS per curve, evenly spread, its last always among them."""
    kept = np.zeros(len(points), bool)
    for rows in points.groupby(["model", "metric", "split"], sort=False).indices.values():
        kept[rows] = thinned(len(rows), HOVER_POINTS)
    return kept


def hover_texts(points: pd.DataFrame, hover: np.ndarray) -> list[str]:
    """The hover points' text (the others' empty): where each is on every axis it has, its raw and
    smoothed values."""
    texts = [""] * len(points)
    columns = points[["epoch", "step", "minutes", "value", "smoothed"]].to_numpy(dtype=float)
    for index in np.flatnonzero(hover):
        epoch, step, minutes, value, smoothed = columns[index]
        where = [f"epoch {epoch:.2f}".rstrip("0").rstrip(".")]
        if not math.isnan(step):
            where.append(f"step {step:,.0f}")
        if not math.isnan(minutes):
            where.append(f"{minutes:.1f} min")
        figures = f"{value:.4g}" if math.isnan(smoothed) else f"{value:.4g} raw, {smoothed:.4g} smoothed"
        texts[index] = f"{' · '.join(where)}: {figures}"
    return texts


@st.cache_data(show_spinner=False, max_entries=16)
def explorer_specs(palette: tuple[str, ...], log_y: bool, log_x: bool) -> dict[str, dict]:
    """Each chart's Vega-Lite spec, for these scales: the same whatever the axis, smoothing or models."""
    specs = {}
    for metric, title in METRIC_TITLES.items():
        specs[metric] = curve_spec(palette, title, log_y, log_x)
        specs[f"{metric} gap"] = gap_spec(palette, GAP_TITLES[metric], log_x)
    specs["learning rate"] = learning_rate_spec(palette, log_y, log_x)
    return specs


def x_encoding(log_x: bool):
    """x: the table's "x", untitled: the page names the axis once, above the charts."""
    import altair as alt

    return alt.X("x:Q", title=None, scale=alt.Scale(type="log" if log_x else "linear", zero=False, nice=False))


def model_color(palette: tuple[str, ...], name: str) -> str:
    """A model's colour: its place among every model name, so it keeps it whatever else is shown."""
    return COLORS[palette.index(name) % len(COLORS)]


def color_encoding(palette: tuple[str, ...]):
    """Colour by model, fixed per name; no legend in the charts (the page draws one for all)."""
    import altair as alt

    colors = [model_color(palette, name) for name in palette]
    return alt.Color("model:N", scale=alt.Scale(domain=list(palette), range=colors), legend=None)


def tooltip(title: str) -> list:
    """Hover text: the model, the split, and the point's place and values (the table's tip)."""
    import altair as alt

    return ["model:N", "split:N", alt.Tooltip("tip:N", title=title)]


def finished(chart, height: int) -> dict:
    """The layered chart's Vega-Lite spec, drawing the table the page hands it: Altair gives every
    layer without data a dataset of its own ("empty"), and the browser would put the table there."""
    import altair as alt

    spec = chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).to_dict()
    del spec["datasets"]
    for layer in spec["layer"]:
        del layer["data"]
    # Drawn on a canvas, not in SVG: thousands of step records (and a hover cell for each point) as
    # SVG elements made every switch of axis take seconds in Chromium.
    spec["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    return spec


def curve_spec(palette: tuple[str, ...], title: str, log_y: bool, log_x: bool) -> dict:
    """Training (solid) and validation (dashed, a dot per epoch) curves by model; the raw values faint
    behind the smoothed ones; each model's best validation epoch a diamond; a dotted rule where a
    fine-tuned model's fine-tuning began. Hovering shows the nearest point's values."""
    import altair as alt

    x, color = x_encoding(log_x), color_encoding(palette)
    y_scale = alt.Scale(type="log" if log_y else "linear", zero=False)
    dash = alt.StrokeDash("split:N", scale=alt.Scale(domain=list(SPLIT_DASHES), range=list(SPLIT_DASHES.values())),
                          legend=None)
    # The rows of fine-tuning rules have no values: the lines and dots skip them.
    base = alt.Chart()
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    raw = base.mark_line(strokeWidth=1, opacity=0.3).encode(
        x=x, y=alt.Y("value:Q", title=None, scale=y_scale), color=color, strokeDash=dash).add_params(zoom)
    line = base.mark_line(strokeWidth=2).encode(x=x, y="line:Q", color=color, strokeDash=dash)
    epoch_dots = base.transform_filter("datum.split == 'validation'").mark_point(size=14, filled=True).encode(
        x=x, y="line:Q", color=color)
    hover = alt.selection_point(nearest=True, on="pointerover", clear="pointerout", empty=False,
                                fields=["model", "split", "x"])
    hover_dots = base.transform_filter("datum.hover").mark_point(size=70, filled=True).encode(
        x=x, y="line:Q", color=color, opacity=alt.condition(hover, alt.value(1), alt.value(0)), tooltip=tooltip(title),
    ).add_params(hover)
    best = base.transform_filter("datum.best_validation").mark_point(
        shape="diamond", size=130, filled=True, stroke="white", strokeWidth=1, opacity=1).encode(
        x=x, y="value:Q", color=color, tooltip=tooltip(f"best validation {title.lower()}"))
    rule = alt.Chart().transform_filter(f"datum.split == '{FINETUNE_START}'").encode(x=x, color=color)
    starts = [rule.mark_rule(strokeDash=[2, 2]),
              rule.mark_text(text=FINETUNE_START, align="left", dx=3, baseline="top", y=0, fontSize=10)]
    return finished(alt.layer(raw, line, epoch_dots, hover_dots, best, *starts, title=title), MAIN_HEIGHT)


def gap_spec(palette: tuple[str, ...], title: str, log_x: bool) -> dict:
    """Per epoch, by model: how much better the model does on its training batches than on validation."""
    import altair as alt

    x, color = x_encoding(log_x), color_encoding(palette)
    line = alt.Chart().mark_line(strokeWidth=1.5, point=alt.OverlayMarkDef(size=14)).encode(
        x=x, y=alt.Y("value:Q", title=None), color=color, tooltip=tooltip("gap"))
    zero = alt.Chart().mark_rule(color="gray", strokeWidth=1).encode(y=alt.datum(0))
    return finished(alt.layer(zero, line, title=title), SMALL_HEIGHT)


def learning_rate_spec(palette: tuple[str, ...], log_y: bool, log_x: bool) -> dict:
    """The optimizer's learning rate by model (per step where recorded, else per epoch)."""
    import altair as alt

    x, color = x_encoding(log_x), color_encoding(palette)
    y = alt.Y("value:Q", title=None, scale=alt.Scale(type="log" if log_y else "linear", zero=not log_y),
              axis=alt.Axis(format="~e"))
    chart = alt.Chart().mark_line(strokeWidth=1.5, interpolate="step-before").encode(
        x=x, y=y, color=color, tooltip=tooltip("learning rate"))
    return finished(alt.layer(chart, title="Learning rate"), SMALL_HEIGHT)
