"""A tuned model's record of its search (metrics.json's `tuning`, written by scripts/tune.py), read
without Keras: the app's tuning view and tune.py itself shape it here.

Each trial in `tuning["trials"]` is {"trial": id, "continues": the id of the trial it trained on
from (Hyperband's promotions) or None, "bracket", "round", "hyperparameters": {layers, units_1..,
dropout, learning_rate, batch_size}, "history": {"epoch": [...], "loss": [...], "val_accuracy":
[...], ...} for its own epochs, "score": its best val_accuracy, "status", "seconds"}.
"""

from __future__ import annotations

import pandas as pd


def hidden_units(values: dict) -> list[int]:
    """Hyperparameter values -> the widths of the network's Dense layers, first to last."""
    return [int(values[f"units_{index}"]) for index in range(1, int(values["layers"]) + 1)]


def trials_by_id(tuning: dict) -> dict[str, dict]:
    return {trial["trial"]: trial for trial in tuning["trials"]}


def chained_history(tuning: dict, trial_id: str) -> dict[str, list]:
    """A trial's curves from epoch 1: those of the trials it continues (Hyperband trains a promoted
    configuration on from its parent's weights), then its own. Keys as in each trial's history."""
    trials = trials_by_id(tuning)
    chain = []
    while trial_id is not None and trial_id in trials:
        chain.append(trials[trial_id])
        trial_id = trials[trial_id].get("continues")
    chained: dict[str, list] = {}
    for trial in reversed(chain):  # the first of the chain first: a child's epochs go on where its parent's ended
        for key, values in trial["history"].items():
            chained.setdefault(key, []).extend(values)
    return chained


def best_epoch(history: dict[str, list]) -> int:
    """The epoch (counted from 1) of a history's best validation accuracy, the first when tied."""
    accuracies = history["val_accuracy"]
    return history["epoch"][accuracies.index(max(accuracies))]


def trials_frame(tuning: dict) -> pd.DataFrame:
    """One row per trial: its id, what it continues, its hyperparameters (a column per layer's
    width, empty where it has no such layer), epochs trained up to, score and seconds; best first."""
    rows = []
    for trial in tuning["trials"]:
        values = trial["hyperparameters"]
        epochs = trial["history"]["epoch"]
        rows.append({
            "trial": trial["trial"],
            "score": trial.get("score"),
            "layers": values["layers"],
            **{f"units_{index}": values.get(f"units_{index}") for index in range(1, tuning["max_layers"] + 1)},
            "dropout": values["dropout"],
            "learning_rate": values["learning_rate"],
            "batch_size": values["batch_size"],
            "epochs": epochs[-1] if epochs else 0,
            "continues": trial.get("continues") or "",
            "seconds": trial.get("seconds"),
        })
    frame = pd.DataFrame(rows).sort_values("score", ascending=False, na_position="last", kind="stable")
    widths = [f"units_{index}" for index in range(1, tuning["max_layers"] + 1)]
    return frame.astype(dict.fromkeys(widths, "Int64"))  # whole numbers, empty where a layer is missing (not NaN)
