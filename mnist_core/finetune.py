"""Fine-tune a trained model on new people's drawings without forgetting the hands it already reads.

Learning one room's hand must not cost MNIST's or anyone else's, so (docs/finetune.md measures each):
- every batch is half new drawings (lightly augmented, oversampled when few), half replayed MNIST
  training digits, augmented as in training (never the validation ones): plain training digits are
  already read right and teach nothing, distorted ones keep the boundaries around MNIST's hands;
- BatchNorm keeps the statistics it learnt on MNIST (its layers run in inference mode);
- a low learning rate, and an L2 pull of every weight toward the base model's (L2-SP, Li et al. 2018);
- at the end each weight is 30% the base's, 70% the fine-tune's (WiSE-FT, Wortsman et al. 2022):
  most of what was learnt stays, most of what was forgotten comes back.
An ensemble fine-tunes every member, each on its own loss, in one pass.

Imports Keras (seconds): only code that fine-tunes imports this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from mnist_core.augment import augment_batch
from mnist_core.config import NUM_CLASSES
from mnist_core.step_records import COLUMNS, StepLog, rounded

HELD_OUT_SHARE = 0.15  # of the new drawings, kept aside to judge the fine-tune
MIN_HELD_OUT = 4


@dataclass(frozen=True)
class Settings:
    """How a fine-tune runs; the defaults are the ones docs/finetune.md chose by measuring."""

    epochs: int = 4  # passes over the new drawings (at least min_epoch_drawings of them a pass)
    learning_rate: float = 3e-4  # Adam, constant, then a cosine decay over the last half
    pull_to_base: float = 1e-3  # L2-SP: weight of sum((w - w_base)^2) in the loss
    new_per_batch: int = 48
    replay_per_batch: int = 48
    min_epoch_drawings: int = 1500  # fewer new drawings are oversampled (augmented) up to this per pass
    augment_strength: float = 0.6
    freeze_convolutions: bool = False
    replay_augment_strength: float = 1.0  # replayed MNIST digits augmented too (0: as they are)
    replay_targets_from_base: bool = False  # replayed digits learnt as the base model read them (distillation), not by label
    optimizer: str = "adam"  # or "sgd" (momentum 0.9): steps in proportion to each weight's gradient, where
    # Adam's normalized steps move even the weights the new drawings say nothing about by ~learning_rate
    keep_base_share: float = 0.3  # at the end, each weight this share the base's, the rest the fine-tune's (WiSE-FT)
    seed: int = 42


# Progress: (steps done, steps in all, seconds so far).
Progress = Callable[[int, int, float], None]


def use_one_core() -> None:
    """TensorFlow computes on one thread (call before it computes anything)."""
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def split_held_out(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (N,) labels -> int indices (to learn from, held out): HELD_OUT_SHARE held out at random."""
    order = np.random.default_rng(seed).permutation(len(labels))
    held = max(MIN_HELD_OUT, round(HELD_OUT_SHARE * len(labels)))
    return np.sort(order[held:]), np.sort(order[:held])


def member_outputs(model: keras.Model) -> keras.Model:
    """A model -> one sharing its layers whose outputs are each member's probabilities (an ensemble's
    Average layer's inputs; a single network's own output), so that every member learns on its own loss."""
    last = model.layers[-1]
    if isinstance(last, keras.layers.Average):
        return keras.Model(model.inputs, list(last.input))
    return keras.Model(model.inputs, list(model.outputs))


def accuracy(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> float:
    """float32 (N, 28, 28, 1) images, (N,) labels -> the share the model reads right."""
    if len(images) == 0:
        return float("nan")
    probabilities = model.predict(images, batch_size=1000, verbose=0)
    return float((probabilities.argmax(axis=1) == labels).mean())


def freeze(model: keras.Model, settings: Settings) -> None:
    """BatchNorm keeps MNIST's statistics (inference mode); convolutions too, if the settings say so."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
        if settings.freeze_convolutions and isinstance(layer, keras.layers.Conv2D):
            layer.trainable = False


def learning_rate_at(step: int, steps: int, peak: float) -> float:
    """Constant for the first half, then a cosine decay to 5% of peak."""
    half = steps / 2
    if step < half:
        return peak
    progress = (step - half) / max(1.0, steps - half)
    return float(peak * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * progress))))


def fine_tune(
    model: keras.Model,
    new: tuple[np.ndarray, np.ndarray],
    replay: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    held_out: tuple[np.ndarray, np.ndarray],
    settings: Settings,
    progress: Progress | None = None,
) -> tuple[dict[str, list[float]], dict]:
    """Fine-tune model in place.

    new, replay, validation, held_out: float32 (N, 28, 28, 1) images in [0, 1] and uint8 (N,) labels:
    the drawings to learn from, MNIST training digits to replay, MNIST's validation digits and the
    held-out drawings (both only judged). Returns the per-epoch history, as train.py's keys
    (loss and accuracy on the batches learnt, val_ on MNIST's validation digits) plus
    held_out_accuracy, learning_rate and seconds; and the step records (steps.json's content,
    mnist_core/step_records.py).
    """
    keras.utils.set_random_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    freeze(model, settings)
    trainer = member_outputs(model)
    weights = trainer.trainable_variables
    anchors = [tf.constant(np.array(w.numpy())) for w in weights]
    optimizer = (keras.optimizers.SGD(settings.learning_rate, momentum=0.9) if settings.optimizer == "sgd"
                 else keras.optimizers.Adam(settings.learning_rate))
    loss_of = keras.losses.SparseCategoricalCrossentropy()
    soft_loss_of = keras.losses.CategoricalCrossentropy()
    base = keras.models.clone_model(model)  # frozen: what the base reads, for distillation
    base.set_weights(model.get_weights())
    base_members = tf.function(member_outputs(base))

    def as_list(outputs):
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]  # one network: one output

    @tf.function(reduce_retracing=True)
    def train_step(images, labels, targets):
        """targets: per member, float (B, 10) distributions to learn (one-hot rows for labels)."""
        with tf.GradientTape() as tape:
            outputs = as_list(trainer(images, training=True))
            losses = [soft_loss_of(target, output) for target, output in zip(targets, outputs)]
            loss = tf.add_n(losses) / len(losses)
            pull = tf.add_n([tf.reduce_sum(tf.square(w - a)) for w, a in zip(weights, anchors)])
            total = loss + settings.pull_to_base * pull
        optimizer.apply_gradients(zip(tape.gradient(total, weights), weights))
        right = tf.add_n([tf.reduce_mean(tf.cast(tf.equal(tf.argmax(o, axis=1, output_type=tf.int32), labels),
                                                 tf.float32)) for o in outputs]) / len(outputs)
        return loss, right

    new_images, new_labels = new
    replay_images, replay_labels = replay
    steps_per_epoch = max(1, -(-max(len(new_labels), settings.min_epoch_drawings) // settings.new_per_batch))
    total_steps = settings.epochs * steps_per_epoch
    history: dict[str, list[float]] = {key: [] for key in (
        "loss", "accuracy", "val_loss", "val_accuracy", "held_out_accuracy", "learning_rate", "seconds")}
    started = time.perf_counter()
    step = 0
    step_log = StepLog(steps_per_epoch)
    for epoch in range(settings.epochs):
        epoch_started = time.perf_counter()
        losses, rights = [], []
        for _ in range(steps_per_epoch):
            optimizer.learning_rate.assign(learning_rate_at(step, total_steps, settings.learning_rate))
            picked = rng.integers(0, len(new_labels), settings.new_per_batch)
            replayed = rng.integers(0, len(replay_labels), settings.replay_per_batch)
            replayed_images = replay_images[replayed]
            if settings.replay_augment_strength:
                replayed_images = augment_batch(replayed_images, rng, settings.replay_augment_strength)
            images = np.concatenate([augment_batch(new_images[picked], rng, settings.augment_strength),
                                     replayed_images])
            labels = np.concatenate([new_labels[picked], replay_labels[replayed]]).astype(np.int32)
            one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
            if settings.replay_targets_from_base:
                targets = [np.concatenate([one_hot[: len(picked)], np.asarray(member)])
                           for member in as_list(base_members(tf.constant(replayed_images), training=False))]
            else:
                targets = [one_hot] * len(trainer.outputs)
            loss, right = train_step(tf.constant(images), tf.constant(labels), [tf.constant(t) for t in targets])
            losses.append(float(loss))
            rights.append(float(right))
            step_log.add_batch(losses[-1] * len(labels), rights[-1] * len(labels), len(labels),
                               float(optimizer.learning_rate.numpy()), time.perf_counter() - started)
            step += 1
            if progress is not None:
                progress(step, total_steps, time.perf_counter() - started)
        if settings.keep_base_share and epoch == settings.epochs - 1:
            model.set_weights(blend_weights(base.get_weights(), model.get_weights(), settings.keep_base_share))
        val_probabilities = model.predict(validation[0], batch_size=1000, verbose=0)
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(float(np.mean(rights)))
        history["val_loss"].append(float(loss_of(validation[1], val_probabilities)))
        history["val_accuracy"].append(float((val_probabilities.argmax(axis=1) == validation[1]).mean()))
        history["held_out_accuracy"].append(accuracy(model, *held_out))
        history["learning_rate"].append(float(optimizer.learning_rate.numpy()))
        history["seconds"].append(time.perf_counter() - epoch_started)
        step_log.end_epoch()
    return history, step_log.finish()


def blend_weights(base: list[np.ndarray], tuned: list[np.ndarray], base_share: float) -> list[np.ndarray]:
    """Two models' weights (get_weights order) -> base_share of the base's plus the rest of the tuned ones'.
    Interpolating keeps most of what a fine-tune learnt and less of what it forgot (Wortsman et al. 2022)."""
    return [base_share * b + (1 - base_share) * t for b, t in zip(base, tuned)]


def continued_history(base: dict, tuned: dict[str, list[float]]) -> dict:
    """The base model's history.json followed by the fine-tune's epochs, and where they begin:
    finetune_start_epoch is the first fine-tune epoch, counted from 1 (the curves chart marks it)."""
    start = len(base["loss"])
    keys = [key for key in ("loss", "accuracy", "val_loss", "val_accuracy") if key in base]
    joined = {key: [float(v) for v in base[key]] + tuned[key] for key in keys}
    for key in ("learning_rate", "seconds"):  # per-epoch keys the base may lack: left out then
        if isinstance(base.get(key), list) and len(base[key]) == start:
            joined[key] = [float(v) for v in base[key]] + tuned[key]
    return {**joined, "finetune_start_epoch": start + 1, "finetune_held_out_accuracy": tuned["held_out_accuracy"]}


def continued_steps(base_history: dict, base_steps: dict | None, tuned_steps: dict) -> dict | None:
    """The base model's steps.json followed by the fine-tune's records, counted on from the base's
    last step, epoch and second (its history's seconds, as the explorer places its epochs); None
    when the base has no step records (trained before they were kept): then no step is known."""
    if base_steps is None:
        return None
    last_step = base_steps["epoch_end_step"][-1]
    shift = {"step": last_step, "epoch": len(base_history["loss"]), "seconds": sum(base_history.get("seconds") or [])}
    joined = {}
    for column in COLUMNS:
        later = [value + shift.get(column, 0) for value in tuned_steps[column]]
        joined[column] = base_steps[column] + (later if column == "step" else [rounded(value) for value in later])
    ends = base_steps["epoch_end_step"] + [end + last_step for end in tuned_steps["epoch_end_step"]]
    return {"record_every": base_steps["record_every"], "epoch_end_step": ends, **joined}
