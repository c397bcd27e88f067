"""Keras Tuner's Hyperband search over MLPs (scripts/tune.py): the search space, the network a set
of hyperparameters builds, and a Hyperband tuner that keeps to a wall-clock budget, records every
trial's curves and prints its progress with an ETA.

Hyperband, not Bayesian optimisation: on 2 shared cores an epoch of a wide MLP takes 10-30 s, so a
25-minute budget holds only a handful of fully trained networks. Hyperband tries many configurations
for a few epochs and trains only the best of them longer (continuing from their weights), where
Bayesian optimisation would spend every trial on full training and learn from a handful of points.

Imports Keras and Keras Tuner (seconds): only scripts/tune.py imports this module; the app reads
the record through mnist_core/tuning_record.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import keras_tuner

from mnist_core.networks import dense_stack
from mnist_core.tuning_record import best_epoch, chained_history, hidden_units

FACTOR = 3  # Hyperband keeps the best third of each round for three times the epochs
OBJECTIVE = "val_accuracy"
MAX_LAYERS = 3
# The search space. Later layers are narrower than the first: an MNIST MLP gains most from a wide
# first layer, and the widest network (1024-512-512, 1.6M parameters) stays a model.keras of 6.4 MB.
FIRST_UNITS = {"min_value": 256, "max_value": 1024, "step": 256}
LATER_UNITS = {"min_value": 128, "max_value": 512, "step": 128}
DROPOUT = {"min_value": 0.1, "max_value": 0.5, "step": 0.1}
LEARNING_RATE = {"min_value": 1e-4, "max_value": 3e-3, "sampling": "log"}  # Adam's, at the schedule's peak
BATCH_SIZES = [64, 128, 256]
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate")


def mlp_network(values: dict) -> keras.Model:
    """Hyperparameter values (layers, units_1.., dropout) -> the untrained, uncompiled MLP:
    float32 (N, 28, 28, 1) in [0, 1] -> (N, 10) softmax, as the seed MLPs take their input."""
    return dense_stack("mlp_tuned", hidden_units(values), "softmax", values["dropout"])


Schedule = Callable[[int, float], float]  # Keras' LearningRateScheduler: (epoch, current rate) -> rate


class MlpHyperModel(keras_tuner.HyperModel):
    """The search space: 1-3 Dense layers and their widths, one dropout rate after each, Adam's
    learning rate and the batch size. schedule(peak) gives the learning rate per epoch, counted
    from a chain's first epoch, so that a promoted trial goes on where its parent's rate was."""

    def __init__(self, schedule: Callable[[float], Schedule]):
        super().__init__()
        self.schedule = schedule

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        hp.Int("layers", 1, MAX_LAYERS)
        for index in range(1, MAX_LAYERS + 1):
            # units_2 and units_3 exist only in networks that deep: they are no noise in the others' records.
            with hp.conditional_scope("layers", list(range(index, MAX_LAYERS + 1))):
                hp.Int(f"units_{index}", **(FIRST_UNITS if index == 1 else LATER_UNITS))
        hp.Float("dropout", **DROPOUT)
        hp.Float("learning_rate", **LEARNING_RATE)
        hp.Choice("batch_size", BATCH_SIZES)  # declared here so that the oracle samples it with the rest
        model = mlp_network(active_values(hp))
        model.compile(optimizer=keras.optimizers.Adam(hp.get("learning_rate")),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def fit(self, hp: keras_tuner.HyperParameters, model: keras.Model, *args, **kwargs):
        """model.fit with the trial's batch size and learning-rate schedule (Keras Tuner passes the
        rest: data, epochs, callbacks)."""
        # The scheduler first: it puts the epoch's rate in the logs before Keras Tuner's callback reads them.
        scheduler = keras.callbacks.LearningRateScheduler(self.schedule(hp.get("learning_rate")))
        callbacks = [scheduler, *kwargs.pop("callbacks", [])]
        return model.fit(*args, batch_size=hp.get("batch_size"), callbacks=callbacks, **kwargs)


def active_values(hp: keras_tuner.HyperParameters) -> dict:
    """A trial's hyperparameters that shape its network, without Hyperband's bookkeeping
    (tuner/epochs, ...) or the widths of layers it does not have."""
    return {name: value for name, value in hp.values.items()
            if not name.startswith("tuner/") and hp.is_active(name)}


def planned_trial_epochs(oracle: keras_tuner.oracles.HyperbandOracle) -> list[int]:
    """The epochs each trial of one Hyperband iteration trains, in the order a single worker runs
    them: the most exploratory bracket first, each bracket's first round, then its promotions (a
    promoted trial trains only the epochs its parent did not). Keras Tuner's own sizing is used
    (private methods of keras-tuner 1.4.8, pinned), so the plan cannot drift from what it runs."""
    costs = []
    for bracket in reversed(range(oracle._get_num_brackets())):
        for round_number in range(bracket + 1):
            already = oracle._get_epochs(bracket, round_number - 1) if round_number else 0
            costs += [oracle._get_epochs(bracket, round_number) - already] * oracle._get_size(bracket, round_number)
    return costs


class BudgetedHyperband(keras_tuner.Hyperband):
    """Hyperband that starts no trial once `budget_seconds` have passed or `max_trials` have run
    (a trial running when the time is up stops at the end of that epoch), records every trial and
    reports its progress with an ETA after every epoch."""

    def __init__(self, budget_seconds: float, max_trials: int | None, schedule: Callable[[float], Schedule],
                 report: Callable[[str], None] = print, **kwargs):
        super().__init__(hypermodel=MlpHyperModel(schedule), objective=OBJECTIVE, factor=FACTOR, **kwargs)
        self.budget_seconds = budget_seconds
        self.oracle.max_trials = max_trials  # the oracle's own check: it stops the search at that many
        self.report = report
        self.plan = planned_trial_epochs(self.oracle)[:max_trials]
        self.records: dict[str, dict] = {}
        self.started = time.perf_counter()
        self.epochs_done = 0
        self.stopped_by = "the plan's end"  # or "--max-trials N", or "the time budget"

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def on_search_begin(self) -> None:
        super().on_search_begin()
        self.started = time.perf_counter()

    def pre_create_trial(self) -> None:
        """Out of time: the oracle is told that the trials run so far are all it may have."""
        if len(self.oracle.trials) >= (self.oracle.max_trials or float("inf")):
            self.stopped_by = f"--max-trials {self.oracle.max_trials}"
        elif self.elapsed() >= self.budget_seconds:
            self.stopped_by = "the time budget"
            self.oracle.max_trials = len(self.oracle.trials)

    def on_trial_begin(self, trial) -> None:
        super().on_trial_begin(trial)
        values = trial.hyperparameters.values
        self.records[trial.trial_id] = {
            "trial": trial.trial_id,
            "continues": values.get("tuner/trial_id"),  # the trial whose best weights it trains on from
            "bracket": values.get("tuner/bracket"),
            "round": values.get("tuner/round"),
            "hyperparameters": active_values(trial.hyperparameters),
            "history": {"epoch": []},
            "started_second": self.elapsed(),
        }

    def on_epoch_end(self, trial, model, epoch, logs=None) -> None:
        super().on_epoch_end(trial, model, epoch, logs=logs)
        history = self.records[trial.trial_id]["history"]
        history["epoch"].append(epoch + 1)  # counted from the chain's start: a promoted trial goes on from its parent's
        for key in HISTORY_KEYS:
            if key in (logs or {}):
                history.setdefault(key, []).append(float(logs[key]))
        self.epochs_done += 1
        if self.elapsed() >= self.budget_seconds and epoch + 1 < trial.hyperparameters.values["tuner/epochs"]:
            model.stop_training = True
            self.records[trial.trial_id]["cut_short"] = True
        self.report(self.progress_line(trial, epoch, logs or {}))

    def on_trial_end(self, trial) -> None:
        super().on_trial_end(trial)  # the oracle scores it
        record = self.records[trial.trial_id]
        record["status"] = trial.status
        record["score"] = None if trial.score is None else float(trial.score)
        record["seconds"] = self.elapsed() - record.pop("started_second")

    def progress_line(self, trial, epoch: int, logs: dict) -> str:
        """One line: the trial and epoch, its validation accuracy, the best so far, time spent and left."""
        values = trial.hyperparameters.values
        number = len(self.records)
        scored = [record for record in self.records.values() if record.get("score") is not None]
        best = max(scored, key=lambda record: record["score"]) if scored else None
        epochs_left = values["tuner/epochs"] - (epoch + 1) + sum(self.plan[number:])
        seconds_left = min(self.budget_seconds - self.elapsed(), epochs_left * self.elapsed() / self.epochs_done)
        return (
            f"trial {trial.trial_id} ({number} of {len(self.plan)}; "
            f"bracket {values['tuner/bracket']}, round {values['tuner/round']}), "
            f"epoch {epoch + 1} of {values['tuner/epochs']}: val_accuracy {logs.get(OBJECTIVE, float('nan')):.2%}"
            + (f"; best so far {best['score']:.2%} (trial {best['trial']})" if best else "")
            + f" | {self.elapsed() / 60:.1f} of {self.budget_seconds / 60:g} min, "
            f"about {max(0.0, seconds_left) / 60:.1f} min left"
        )

    def record(self) -> dict:
        """metrics.json's `tuning` (mnist_core/tuning_record.py): the search space, every trial, the best
        and the epoch its curves peaked at; ValueError when no trial finished."""
        trials = list(self.records.values())
        if not any(trial.get("score") is not None for trial in trials):
            raise ValueError("no trial of the search finished: give it more --max-minutes")
        best = self.records[self.oracle.get_best_trials(1)[0].trial_id]
        tuning = {
            "tuner": "Hyperband", "objective": OBJECTIVE, "factor": FACTOR, "max_epochs": self.oracle.max_epochs,
            "max_layers": MAX_LAYERS, "search_space": search_space(self.oracle.hyperparameters),
            "stopped_by": self.stopped_by, "trials": trials,
        }
        tuning["best"] = {"trial": best["trial"], "hyperparameters": best["hyperparameters"], "score": best["score"],
                          "epochs": best_epoch(chained_history(tuning, best["trial"]))}
        return tuning


def search_space(hp: keras_tuner.HyperParameters) -> list[dict]:
    """Each hyperparameter's range as Keras Tuner holds it, and the layer counts it exists for."""
    space = []
    for parameter in hp.space:
        config = {key: value for key, value in parameter.get_config().items() if key not in ("default", "conditions")}
        conditions = {condition["config"]["name"]: condition["config"]["values"]
                      for condition in parameter.get_config()["conditions"]}
        space.append({"type": type(parameter).__name__, **config, **({"only_when": conditions} if conditions else {})})
    return space


class EpochProgress(keras.callbacks.Callback):
    """Prints a line after every epoch: what is training, the epoch, its loss and accuracy, and an ETA."""

    def __init__(self, what: str, report: Callable[[str], None] = print):
        super().__init__()
        self.what, self.report = what, report

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        elapsed = time.perf_counter() - self.started
        epochs = self.params["epochs"]
        self.report(f"{self.what}: epoch {epoch + 1} of {epochs}, loss {logs.get('loss', float('nan')):.4f}, "
                    f"accuracy {logs.get('accuracy', float('nan')):.2%} | {elapsed / 60:.1f} min, "
                    f"about {elapsed / (epoch + 1) * (epochs - epoch - 1) / 60:.1f} min left")
