"""What model.fit records beyond Keras's history: each epoch's seconds and learning rate (into the
history), and per-step records (mnist_core/step_records.py).

Imports Keras (seconds): only code that trains imports this module.
"""

from __future__ import annotations

import time

import keras

from mnist_core.step_records import StepLog


class EpochSeconds(keras.callbacks.Callback):
    """Adds each epoch's wall-clock "seconds" to its logs (so history.json holds them): for fits that
    keep no step records, as scripts/tune.py's trials and retrain."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["seconds"] = time.perf_counter() - self.epoch_started


class TrainingRecorder(keras.callbacks.Callback):
    """Adds "seconds" and "learning_rate" to each epoch's logs (so history.json holds them) and keeps
    a StepLog of the training batches; `steps` is steps.json's content once fit returns.

    Keras hands each batch's callback the epoch's running means (reset every epoch) of the loss and
    accuracy, weighted by batch size: the difference of successive running sums is the batch's own sum.
    """

    def __init__(self, batch_size: int, samples: int):
        super().__init__()
        self.batch_size, self.samples = batch_size, samples
        self.steps: dict = {}

    def learning_rate(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()
        self.log = StepLog(self.params["steps"])

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()
        self.epoch_sums = (0.0, 0.0, 0)  # running loss and accuracy sums, and samples, this epoch

    def on_train_batch_end(self, batch, logs=None):
        samples = min((batch + 1) * self.batch_size, self.samples)
        sums = (logs["loss"] * samples, logs["accuracy"] * samples, samples)
        loss_sum, accuracy_sum, count = (now - before for now, before in zip(sums, self.epoch_sums))
        self.epoch_sums = sums
        self.log.add_batch(loss_sum, accuracy_sum, count, self.learning_rate(), self.seconds())

    def on_epoch_end(self, epoch, logs=None):
        self.log.end_epoch()
        logs["seconds"] = time.perf_counter() - self.epoch_started
        logs.setdefault("learning_rate", self.learning_rate())

    def on_train_end(self, logs=None):
        self.steps = self.log.finish()
