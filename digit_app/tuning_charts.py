"""The tuning view's charts as Vega-Lite specs (Altair, imported lazily): hyperparameters against
score in parallel coordinates, and two trials' curves overlaid."""

from __future__ import annotations

import math

import pandas as pd

from digit_app.charts import epoch_curves
from mnist_core import display

AXES = ["layers", "units_1", "units_2", "units_3", "dropout", "log10 learning_rate", "batch_size", "epochs", "score"]


def parallel_coordinates_spec(trials: pd.DataFrame, chosen: list[str]) -> dict:
    """trials_frame's rows -> one line per trial across an axis per hyperparameter (each axis from
    its smallest to its largest value among the trials, those written at its ends), coloured by
    score; the `chosen` trials drawn thick. A layer a trial does not have leaves its line out there."""
    import altair as alt

    frame = trials.assign(**{"log10 learning_rate": trials["learning_rate"].map(math.log10)})
    frame = frame[["trial", *AXES]].melt(id_vars=["trial"], var_name="axis", value_name="value").dropna()
    frame["value"] = frame["value"].astype(float)
    bounds = frame.groupby("axis")["value"].agg(["min", "max"])
    frame = frame.join(bounds, on="axis")
    spread = (frame["max"] - frame["min"]).where(lambda span: span > 0)
    frame["position"] = ((frame["value"] - frame["min"]) / spread).fillna(0.5)
    frame = frame.merge(trials[["trial", "score"]].rename(columns={"score": "trial score"}), on="trial")
    frame["chosen"] = frame["trial"].isin(chosen)
    order = [axis for axis in AXES if axis in set(frame["axis"])]
    x = alt.X("axis:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, domain=False, ticks=False))
    lines = alt.Chart(frame).mark_line(point=True).encode(
        x=x,
        y=alt.Y("position:Q", axis=None, scale=alt.Scale(domain=[-0.08, 1.08])),
        detail="trial:N",
        color=alt.Color("trial score:Q", scale=alt.Scale(scheme="viridis"), legend=alt.Legend(format=".2%", title="score")),
        strokeWidth=alt.condition(alt.datum.chosen, alt.value(3.5), alt.value(1)),
        opacity=alt.condition(alt.datum.chosen, alt.value(1), alt.value(0.45)),
        tooltip=["trial:N", "axis:N", alt.Tooltip("value:Q", format=".4~g"), alt.Tooltip("trial score:Q", format=".2%")],
    )
    ends = pd.DataFrame([(axis, bound, position, f"{bounds.loc[axis, bound]:.4g}")
                         for axis in order for bound, position in (("min", -0.06), ("max", 1.06))],
                        columns=["axis", "bound", "position", "label"])
    labels = alt.Chart(ends).mark_text(fontSize=10, color="gray").encode(x=alt.X("axis:N", sort=order), y="position:Q",
                                                                         text="label:N")
    rules = alt.Chart(pd.DataFrame({"axis": order})).mark_rule(color="lightgray").encode(x=alt.X("axis:N", sort=order))
    chart = (rules + lines + labels).properties(height=300, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return chart.to_dict()


def trial_curves_specs(histories: dict[str, dict]) -> list[dict]:
    """{label: a trial's chained history} -> accuracy and loss per epoch (loss on a log scale), a
    colour per trial."""
    import altair as alt

    frame = display.history_frame(histories)
    return [epoch_curves(frame, metric, series="trial", log_y=metric == "loss")
            .properties(height=220, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).to_dict()
            for metric in ("accuracy", "loss")]
