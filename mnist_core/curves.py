"""Training curves as one long table: every point the curves explorer draws, and its CSV download.

A model's records are its history.json (per epoch) and, when it was trained since they were
recorded, its steps.json (every 20 batches, mnist_core/step_records.py). On the epoch axis every
curve is per epoch; on the step and time axes the training curves are the step records, and the
validation ones stay per epoch, placed at each epoch's last step and second.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mnist_core import artifacts
from mnist_core.smoothing import smooth
from mnist_core.step_records import read_steps

X_AXES = {"epoch": "epoch", "step": "step", "time": "minutes"}  # axis -> its column
METRICS = ("accuracy", "loss")
SMOOTHED_METRICS = METRICS  # the learning rate and the gaps are drawn as they are
COLUMNS = ["model", "metric", "split", "epoch", "step", "minutes", "value", "smoothed", "best_validation"]
# A curve drawn in the browser: at most this many points (a model's steps.json holds ~850), evenly
# spaced, smoothed before thinning; 700 px of chart show no more, and each point costs the browser.
MAX_POINTS_PER_CURVE = 200


@dataclass(frozen=True)
class TrainingRecords:
    """One model's records: its history.json and steps.json (None when it has none)."""

    name: str
    history: dict
    steps: dict | None

    @property
    def epochs(self) -> int:
        return len(self.history["loss"])

    def epoch_minutes(self) -> np.ndarray:
        """float (epochs,) minutes since training began at each epoch's end; NaN without per-epoch seconds."""
        seconds = self.history.get("seconds")
        if not isinstance(seconds, list) or len(seconds) != self.epochs:
            return np.full(self.epochs, np.nan)
        return np.array(list(itertools.accumulate(map(float, seconds)))) / 60

    def epoch_steps(self) -> np.ndarray:
        """float (epochs,) the step at each epoch's end; NaN without step records."""
        ends = (self.steps or {}).get("epoch_end_step", [])
        return np.array(ends, dtype=float) if len(ends) == self.epochs else np.full(self.epochs, np.nan)

    def finetune_start(self) -> dict | None:
        """Where fine-tuning began (the base's last epoch's end) on each axis, or None: not fine-tuned."""
        start = self.history.get("finetune_start_epoch")
        if not isinstance(start, int) or not 1 < start <= self.epochs:
            return None
        return {"model": self.name, "epoch": start - 1, "step": self.epoch_steps()[start - 2],
                "minutes": self.epoch_minutes()[start - 2]}


def read_records(folder: str | Path) -> TrainingRecords:
    """A model folder -> its TrainingRecords; FileNotFoundError or ValueError naming a missing or malformed file."""
    folder = Path(folder)
    history = artifacts.read_history(folder)
    steps = read_steps(folder)
    if steps is not None and len(steps["epoch_end_step"]) != len(history["loss"]):
        raise ValueError(f"{artifacts.shown_path(folder / 'steps.json')} does not hold the epochs of its history.json")
    return TrainingRecords(folder.name, history, steps)


def model_points(records: TrainingRecords, x_axis: str) -> pd.DataFrame:
    """One model's points for this axis (X_AXES), raw: COLUMNS but smoothed and best_validation.
    Splits: training and validation for accuracy, loss and learning_rate (training only), and "gap":
    per epoch, how much better the model does on its training batches than on validation
    (training - validation accuracy, validation - training loss; above 0: it fits its training data better)."""
    history, epochs = records.history, records.epochs
    per_epoch = {"epoch": np.arange(1, epochs + 1, dtype=float), "step": records.epoch_steps(),
                 "minutes": records.epoch_minutes()}
    use_steps = x_axis != "epoch" and records.steps is not None
    if use_steps:
        steps = records.steps
        training = {"epoch": steps["epoch"], "step": steps["step"], "minutes": np.asarray(steps["seconds"]) / 60}
        training_values = {metric: steps[metric] for metric in (*METRICS, "learning_rate")}
    else:
        training = per_epoch
        training_values = {metric: history[metric] for metric in (*METRICS, "learning_rate") if metric in history}
    parts = [frame_of(records.name, metric, "training", training, values) for metric, values in training_values.items()]
    for metric in METRICS:
        validation = np.asarray(history[f"val_{metric}"], dtype=float)
        parts.append(frame_of(records.name, metric, "validation", per_epoch, validation))
        gap = np.asarray(history[metric], dtype=float) - validation
        parts.append(frame_of(records.name, metric, "gap", per_epoch, gap if metric == "accuracy" else -gap))
    points = pd.concat(parts, ignore_index=True)
    return points[points[X_AXES[x_axis]].notna()].reset_index(drop=True)


def frame_of(model: str, metric: str, split: str, x: dict, values) -> pd.DataFrame:
    return pd.DataFrame({"model": model, "metric": metric, "split": split, **{k: np.asarray(v, dtype=float) for k, v in x.items()},
                         "value": np.asarray(values, dtype=float)})


def shown_points(models: list[TrainingRecords], x_axis: str, method: str, strength: float) -> pd.DataFrame:
    """Every point the explorer draws for these models on this axis, smoothed by `method` at `strength`
    (mnist_core/smoothing.py), then each curve thinned to MAX_POINTS_PER_CURVE -> COLUMNS: smoothed
    is NaN where nothing is smoothed (method "none", the learning rate, the gaps); best_validation
    marks each model's best validation accuracy (highest) and loss (lowest), its first epoch when tied."""
    if x_axis not in X_AXES:
        raise ValueError(f"unknown x axis {x_axis!r}; choose one of {', '.join(X_AXES)}")
    if not models:
        return pd.DataFrame(columns=COLUMNS)
    points = pd.concat([model_points(records, x_axis) for records in models], ignore_index=True)
    points["smoothed"] = np.nan
    points["best_validation"] = False
    kept = np.ones(len(points), bool)
    for (_, metric, split), series in points.groupby(["model", "metric", "split"], sort=False):
        if method != "none" and metric in SMOOTHED_METRICS and split != "gap":
            points.loc[series.index, "smoothed"] = smooth(series["value"].to_numpy(), method, strength)
        if split == "validation" and series["value"].notna().any():
            best = series["value"].idxmax() if metric == "accuracy" else series["value"].idxmin()
            points.loc[best, "best_validation"] = True
        kept[series.index] = thinned(len(series), MAX_POINTS_PER_CURVE)
    return points.loc[kept, COLUMNS].reset_index(drop=True)


def thinned(length: int, most: int) -> np.ndarray:
    """bool (length,): every k-th point, k the smallest that keeps at most `most`, and the last one."""
    position = np.arange(length)
    return (position % -(-length // most) == 0) | (position == length - 1)


def matching_models(names: list[str], pattern: str) -> list[str]:
    """The names a filter matches, as TensorBoard's run filter: a regular expression searched for,
    ignoring case (one that does not compile is taken as plain text); an empty filter matches all."""
    try:
        expression = re.compile(pattern, re.IGNORECASE)
    except re.error:
        expression = re.compile(re.escape(pattern), re.IGNORECASE)
    return [name for name in names if expression.search(name)]


def csv_bytes(points: pd.DataFrame) -> bytes:
    """shown_points' table -> a CSV file (UTF-8, a header row, empty cells for missing values)."""
    return points.to_csv(index=False, float_format="%.7g").encode("utf-8")
