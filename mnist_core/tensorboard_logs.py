"""TensorBoard event files (scalars only) in a model folder's logs/, written from its records, for
people who prefer `tensorboard --logdir models`.

Written once training is done, from history.json and steps.json, so that TensorBoard and the app
draw the same figures, and with each point's real wall-clock time (TensorBoard's "relative" and
"wall" axes). logs/train holds loss, accuracy and learning_rate per step record; logs/validation
loss and accuracy at each epoch's last step: TensorBoard overlays the two runs under one tag.

Needs the tensorboard package (requirements-train.txt), never the app.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from pathlib import Path

LOGS_FOLDER = "logs"


def check_installed() -> None:
    """ValueError saying what to install when the tensorboard package is missing: called before
    training, so that a run never fails only once its model is trained."""
    if importlib.util.find_spec("tensorboard") is None:
        raise ValueError("the tensorboard package is missing (it writes logs/): pip install -r requirements-train.txt")


def write_event_logs(folder: Path, history: dict, steps: dict | None) -> Path:
    """folder/logs/{train,validation}/events.out.tfevents.* for this history and these step records
    (None: the history's per-epoch training figures instead), training taken to have ended now."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    epochs = len(history["loss"])
    if steps:
        epoch_steps = steps["epoch_end_step"]
        train = {"step": steps["step"], "seconds": steps["seconds"],
                 **{tag: steps[tag] for tag in ("loss", "accuracy", "learning_rate")}}
    else:
        epoch_steps = list(range(1, epochs + 1))
        train = {"step": epoch_steps, **{tag: history[tag] for tag in ("loss", "accuracy", "learning_rate") if tag in history}}
    # Seconds since training began at each epoch's end.
    epoch_seconds = list(itertools.accumulate(map(float, history.get("seconds") or [0.0] * epochs)))
    train.setdefault("seconds", epoch_seconds)
    validation = {"step": epoch_steps, "seconds": epoch_seconds, "loss": history["val_loss"], "accuracy": history["val_accuracy"]}
    began = time.time() - epoch_seconds[-1]
    logs = Path(folder) / LOGS_FOLDER
    for run, columns in (("train", train), ("validation", validation)):
        writer = EventFileWriter(str(logs / run))
        tags = [tag for tag in columns if tag not in ("step", "seconds")]
        for index, (step, seconds) in enumerate(zip(columns["step"], columns["seconds"])):
            values = [summary_pb2.Summary.Value(tag=tag, simple_value=float(columns[tag][index])) for tag in tags]
            writer.add_event(event_pb2.Event(wall_time=began + seconds, step=int(step),
                                             summary=summary_pb2.Summary(value=values)))
        writer.close()
        # The writer names its file after this machine and process; a shipped folder names neither.
        (written,) = (logs / run).glob("events.out.tfevents.*")
        written.rename(written.with_name(f"events.out.tfevents.{int(began)}.{run}"))
    return logs
