"""Per-step training records (steps.json in a model folder): loss, accuracy and learning rate every
RECORD_EVERY batches, with the wall-clock second, so that curves can be drawn against steps and time.

Free of Keras: train.py's callback (mnist_core/training_log.py) fills a StepLog, the app reads the file.

steps.json holds columns of equal length, one entry per record:
    step           int, batches done since training began (20, 40, ...; the last may be off the grid)
    epoch          float, epochs done (step / batches per epoch: 2.5 is halfway through the third)
    seconds        float, wall-clock seconds since training began
    loss, accuracy float, sample-weighted means over the batches since the previous record
    learning_rate  float, the optimizer's at the record
and
    record_every   int, batches between records
    epoch_end_step list of int, the step at each epoch's end (where its validation figures belong)
An ensemble's steps.json is its networks' mean, each network's own kept under "members" (as history.json).
"""

from __future__ import annotations

import math
from pathlib import Path

from mnist_core.artifacts import read_json, shown_path, write_json

STEPS_FILE = "steps.json"
RECORD_EVERY = 20
COLUMNS = ("step", "epoch", "seconds", "loss", "accuracy", "learning_rate")
SIGNIFICANT_DIGITS = 6  # float32 training figures carry about 7; the file stays small (~60 KB for 850 records)


class StepLog:
    """Collects per-batch sums into one record every `every` batches."""

    def __init__(self, steps_per_epoch: int, every: int = RECORD_EVERY):
        self.steps_per_epoch, self.every = steps_per_epoch, every
        self.records: dict[str, list] = {column: [] for column in COLUMNS}
        self.epoch_end_step: list[int] = []
        self.step = 0
        self.sums = [0.0, 0.0, 0]  # loss, accuracy, samples since the last record
        self.last_batch = (0.0, 0.0)  # its learning rate and seconds

    def add_batch(self, loss_sum: float, accuracy_sum: float, samples: int, learning_rate: float, seconds: float) -> None:
        """One batch done: its loss and accuracy summed over its `samples` images; the learning rate it
        used and the seconds since training began."""
        self.step += 1
        self.sums = [self.sums[0] + loss_sum, self.sums[1] + accuracy_sum, self.sums[2] + samples]
        self.last_batch = (learning_rate, seconds)
        if self.step % self.every == 0:
            self.record()

    def end_epoch(self) -> None:
        self.epoch_end_step.append(self.step)

    def finish(self) -> dict:
        """The batches since the last record recorded too -> steps.json's content."""
        if self.sums[2]:
            self.record()
        return {"record_every": self.every, "epoch_end_step": self.epoch_end_step, **self.records}

    def record(self) -> None:
        loss_sum, accuracy_sum, samples = self.sums
        learning_rate, seconds = self.last_batch
        row = (self.step, self.step / self.steps_per_epoch, seconds, loss_sum / samples, accuracy_sum / samples, learning_rate)
        for column, value in zip(COLUMNS, row):
            self.records[column].append(value if column == "step" else rounded(value))
        self.sums = [0.0, 0.0, 0]


def rounded(value: float) -> float:
    """value to SIGNIFICANT_DIGITS significant digits (steps.json's precision)."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))))


def mean_steps(steps: list[dict]) -> dict | None:
    """Several networks' step records on one grid -> their mean, each kept under "members";
    None when they were recorded on different grids (other batch sizes or data)."""
    first = steps[0]
    if any(other["step"] != first["step"] or other["epoch_end_step"] != first["epoch_end_step"] for other in steps):
        return None
    mean = {column: [rounded(sum(values) / len(values)) for values in zip(*(s[column] for s in steps))]
            for column in COLUMNS if column not in ("step", "epoch")}
    return {"record_every": first["record_every"], "epoch_end_step": first["epoch_end_step"],
            "step": first["step"], "epoch": first["epoch"], **mean, "members": steps}


def write_steps(folder: Path, steps: dict) -> None:
    write_json(Path(folder) / STEPS_FILE, steps, indent=None)


def read_steps(folder: Path) -> dict | None:
    """folder/steps.json, validated; None when the model has none (trained before they were recorded);
    ValueError naming the file when it is malformed."""
    path = Path(folder) / STEPS_FILE
    if not path.is_file():
        return None
    steps = read_json(path)
    problem = steps_problem(steps)
    if problem:
        raise ValueError(f"{shown_path(path)} {problem}")
    return steps


def steps_problem(steps) -> str | None:
    """What is wrong with steps.json's content, or None."""
    if not isinstance(steps, dict) or any(not isinstance(steps.get(column), list) for column in COLUMNS):
        return f"lacks its columns {', '.join(COLUMNS)}"
    if len({len(steps[column]) for column in COLUMNS}) != 1:
        return "has columns of unequal length"
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool)
               for column in COLUMNS for value in steps[column]):
        return "holds non-numbers"
    ends = steps.get("epoch_end_step")
    if not isinstance(ends, list) or not all(isinstance(step, int) for step in ends):
        return "lacks epoch_end_step, the step at each epoch's end"
    return None
