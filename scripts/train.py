"""Train one model preset on MNIST and write its folder: model, history, step records, TensorBoard
logs, metrics, mistakes.

    python scripts/train.py --model cnn --data-dir $MNIST_DATA_DIR
    python scripts/train.py --model mlp-128-64 --limit 512 --epochs 1 --out /tmp/quick
    python scripts/train.py --model cnn-ensemble       # three CNNs, trained one after the other
    python scripts/train.py --model cnn-ensemble --members-from models/cnn /tmp/cnn_seed1 /tmp/cnn_seed2

The cnn presets also learn from digits in handwriting fonts (the training half of mnist_core/fonts.py:
other writers than MNIST's); fetch them first with scripts/fetch_fonts.py, or pass --font-copies 0.

metrics.json records the command as a user of the repository would type it: folders in the
repository relative to it, the MNIST and fonts folders outside it as $MNIST_DATA_DIR and
$DIGIT_FONTS_DIR, and a model folder outside it as models/<its name> (no path of this machine).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_core import artifacts
from mnist_core.config import DATA_DIR_ENV, FONTS_DIR_ENV, MODELS_DIR, NUM_CLASSES, PROJECT_ROOT, data_dir_from_env
from mnist_core.data import WHERE_MNIST_COMES_FROM, load_mnist, to_model_input
from mnist_core.neighbours import build_index
from mnist_core.numpy_forward import read_forward
from mnist_core.predictor import Predictor
from mnist_core.presets import PRESETS, get_preset
from mnist_core.step_records import mean_steps, read_steps, write_steps
from mnist_core.tensorboard_logs import check_installed, write_event_logs

# Keras (TensorFlow) and the modules that use it or OpenCV are imported in the functions that need
# them: they take seconds to import, and TensorFlow logs, which --help and a wrong argument skip.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if TYPE_CHECKING:
    import keras

MAX_STORED_MISTAKE_IMAGES = 120


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=WHERE_MNIST_COMES_FROM,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="cnn", choices=sorted(PRESETS), help="preset to train")
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument("--batch-size", type=int, help="default: the preset's")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", help="folder of the four MNIST IDX files (default: $MNIST_DATA_DIR)")
    parser.add_argument("--out", help="model folder to write (default: models/<preset>)")
    parser.add_argument("--limit", type=int, help="train on the first N training images only")
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2], help="Keras progress output")
    parser.add_argument("--fonts-dir", help="handwriting fonts folder (default: $DIGIT_FONTS_DIR or artifacts/fonts)")
    parser.add_argument("--font-copies", type=int,
                        help="variants of each training font's digits to train on (default: the preset's; 0: none)")
    parser.add_argument("--members-from", nargs="+", metavar="FOLDER",
                        help="an ensemble preset: average these trained model folders instead of training new ones")
    return parser


def repository_path(folder: str | os.PathLike, outside: str) -> str:
    """A folder as metrics.json records it: relative to the repository when inside it, else
    `outside` (what a user types there), never a path of the machine that trained."""
    path = Path(folder).resolve()
    return path.relative_to(PROJECT_ROOT).as_posix() if path.is_relative_to(PROJECT_ROOT) else outside


def model_folder_path(folder: str | os.PathLike) -> str:
    """A model folder as recorded: one outside the repository (a scratch folder it was trained in
    before it moved in) as models/<its name>, so the recorded commands chain (an ensemble's members)."""
    return repository_path(folder, f"models/{Path(folder).name}")


def recorded_arguments(args: argparse.Namespace, data_folder: str) -> dict:
    """The parsed arguments as metrics.json records them: every folder as repository_path gives it."""
    recorded = dict(vars(args))
    recorded["data_dir"] = data_folder
    recorded["out"] = model_folder_path(args.out or MODELS_DIR / args.model)
    if args.fonts_dir:
        recorded["fonts_dir"] = repository_path(args.fonts_dir, f"${FONTS_DIR_ENV}")
    if args.members_from:
        recorded["members_from"] = [model_folder_path(folder) for folder in args.members_from]
    return recorded


def typed_command(parser: argparse.ArgumentParser, recorded: dict, script: str = "scripts/train.py") -> str:
    """The recorded arguments -> the command a user types to train the same model (defaults left out)."""
    words = ["python", script]
    for name, value in recorded.items():
        if value is None or (value == parser.get_default(name) and name != "model"):
            continue
        words += [f"--{name.replace('_', '-')}", *map(str, value if isinstance(value, list) else [value])]
    return " ".join(words)


def one_cycle(peak: float, epochs: int):
    """Per-epoch learning rate: one warm-up epoch from peak/10, then a cosine decay to ~0."""

    def schedule(epoch: int, _current: float) -> float:
        if epoch == 0 and epochs > 1:
            return peak / 10
        progress = (epoch - 1) / max(1, epochs - 2) if epochs > 1 else 1.0
        return float(peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))))

    return schedule


def check_numpy_forward(path: Path, model, images: np.ndarray) -> bool:
    """The app reads model.keras in NumPy (mnist_core.numpy_forward): it must give Keras's answers.
    Whether NumPy covers the model."""
    forward = read_forward(path)
    if forward is None:
        print("note: the app will serve this model through Keras (layers NumPy does not cover)")
        return False
    batch = (images / 255.0).astype(np.float32)[..., None]
    difference = float(np.abs(forward(batch) - np.asarray(model(batch, training=False))).max())
    if difference > 1e-4:
        raise ValueError(f"the NumPy forward pass differs from Keras by {difference:.2g} on test digits")
    print(f"NumPy forward pass checked against Keras on {len(images)} test digits (max difference {difference:.1g})")
    return True


def test_report(probabilities: np.ndarray, labels: np.ndarray) -> tuple[dict, list[dict], np.ndarray]:
    """float (N, 10) test probabilities, uint8 (N,) labels -> (metrics.json's test figures, mistakes.json's
    records, int indices of the mistakes), most confident mistakes first."""
    import keras

    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])]
    scores = {
        "test_accuracy": float((predicted == labels).mean()),
        "test_loss": float(keras.losses.sparse_categorical_crossentropy(labels, probabilities).numpy().mean()),
        "confusion_matrix": confusion.tolist(),
        "per_class_accuracy": (confusion.diagonal() / confusion.sum(axis=1)).tolist(),
    }
    mistakes = [{"index": int(i), "true": int(labels[i]), "predicted": int(predicted[i]),
                 "confidence": float(probabilities[i, predicted[i]])} for i in wrong]
    return scores, mistakes, wrong


def layer_table(model) -> list[dict]:
    """metrics.json's "layers": each layer's name, type and parameter count, in order."""
    return [{"name": layer.name, "type": type(layer).__name__, "parameters": int(layer.count_params())}
            for layer in model.layers]


def library_versions() -> dict[str, str]:
    import cv2
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }


def handwriting_font_digits(folder: str | None, copies: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The training half's font digits, `copies` handwritten variants of each, normalized the MNIST
    way -> float32 (N, 28, 28, 1), uint8 (N,) labels, the fonts' names."""
    from mnist_core.fonts import as_mnist, font_digits, handwritten_variants

    glyphs, labels, names = font_digits(folder, held_out=False)
    variants, variant_labels = handwritten_variants(glyphs, labels, copies, seed=seed)
    return to_model_input(as_mnist(variants)), variant_labels, sorted(set(names))


def with_font_digits(data, fonts_dir: str | None, copies: int, seed: int) -> tuple[tuple, int, list[str]]:
    """(x_train, y_train, x_val, y_val) -> the same with `copies` handwritten variants (drawn from
    seed) of every training font's digit added to the training images, their count, the fonts' names."""
    if not copies:
        return data, 0, []
    font_x, font_y, fonts = handwriting_font_digits(fonts_dir, copies, seed)
    x_train, y_train, x_val, y_val = data
    print(f"data: {len(font_x)} digits from {len(fonts)} handwriting fonts added to training (seed {seed})")
    return (np.concatenate([x_train, font_x]), np.concatenate([y_train, font_y]), x_val, y_val), len(font_x), fonts


def train_network(preset, args, epochs: int, batch_size: int, seed: int, data) -> tuple[keras.Model, dict, dict, float]:
    """One network of this preset trained from scratch -> (model, per-epoch history, step records, seconds training)."""
    import keras

    from mnist_core.augment import AugmentedBatches, redraw_all
    from mnist_core.training_log import TrainingRecorder

    x_train, y_train, x_val, y_val = data
    keras.utils.set_random_seed(seed)
    model = preset.build()
    model.compile(
        optimizer=keras.optimizers.Adam(preset.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary()
    recorder = TrainingRecorder(batch_size, len(x_train))
    callbacks = [recorder]
    if preset.one_cycle:
        callbacks.append(keras.callbacks.LearningRateScheduler(one_cycle(preset.learning_rate, epochs)))
    if preset.augment:
        # Each training digit also redrawn as on a canvas (random size and brush) and normalized by
        # the serving pipeline: the model learns from what the app will feed it.
        started = time.perf_counter()
        redrawn = redraw_all(x_train, seed=seed)
        print(f"redrew {len(x_train)} training digits {len(redrawn)} times in {time.perf_counter() - started:.0f} s", flush=True)
        training_data = AugmentedBatches(x_train, y_train, batch_size, seed=seed, epochs=epochs, redrawn=redrawn)
        fit_kwargs = {}
    else:
        training_data, fit_kwargs = x_train, {"y": y_train, "batch_size": batch_size, "shuffle": True}
    print(f"training {preset.name}: {epochs} epochs of batch {batch_size}", flush=True)
    started = time.perf_counter()
    history = model.fit(
        training_data, epochs=epochs, validation_data=(x_val, y_val), callbacks=callbacks,
        verbose=args.verbose, **fit_kwargs,
    )
    seconds = time.perf_counter() - started
    history_record = {key: [float(v) for v in values] for key, values in history.history.items()}
    return model, history_record, recorder.steps, seconds


def trained_member(folder: str) -> tuple[keras.Model, dict, dict | None, dict]:
    """A model folder written by this script -> (model, history, step records or None, metrics), for an ensemble."""
    folder = Path(folder)
    return (artifacts.load_keras_model(folder), artifacts.read_history(folder), read_steps(folder),
            artifacts.read_metrics(folder))


def mean_history(histories: list[dict]) -> dict:
    """Several networks' histories -> their per-epoch mean, each network's own kept under "members"."""
    keys = set.intersection(*(set(history) for history in histories)) - {"members"}
    epochs = min(len(history["loss"]) for history in histories)
    mean = {key: [float(np.mean([h[key][epoch] for h in histories])) for epoch in range(epochs)] for key in sorted(keys)}
    return {**mean, "members": histories}


def train_ensemble(preset, args, epochs: int, batch_size: int, data, test, font_copies: int) -> tuple[keras.Model, dict, dict | None, list[dict]]:
    """An ensemble preset's networks, trained here or read from --members-from, averaged. A network
    trained here is the one `--model <member preset> --seed S` makes, its font variants included ->
    (model, the networks' mean history, their mean step records (None unless every network has
    them on one grid), a record of each network)."""
    from mnist_core.networks import build_cnn_ensemble

    networks, histories, steps, records = [], [], [], []
    if args.members_from:
        for folder in args.members_from:
            network, history, member_steps, member_metrics = trained_member(folder)
            networks.append(network)
            histories.append(history)
            steps.append(member_steps)
            records.append({"folder": model_folder_path(folder), "command": member_metrics.get("command"),
                            "training_seconds": member_metrics.get("training_seconds", 0.0),
                            "font_digits": member_metrics.get("font_digits", 0),
                            "training_fonts": member_metrics.get("training_fonts", [])})
    else:
        member_preset = get_preset(preset.ensemble_of)
        for index in range(preset.members):
            seed = args.seed + index
            print(f"member {index + 1} of {preset.members} (seed {seed})", flush=True)
            member_data, font_digit_count, fonts = with_font_digits(data, args.fonts_dir, font_copies, seed)
            network, history, member_steps, seconds = train_network(member_preset, args, epochs, batch_size, seed, member_data)
            networks.append(network)
            histories.append(history)
            steps.append(member_steps)
            records.append({"seed": seed, "training_seconds": seconds, "font_digits": font_digit_count, "training_fonts": fonts})
    x_test, y_test = test
    for record, network in zip(records, networks):
        record["test_accuracy"] = float(
            (np.asarray(network.predict(x_test, batch_size=1000, verbose=0)).argmax(axis=1) == y_test).mean())
    mean_steps_record = None if None in steps else mean_steps(steps)
    return build_cnn_ensemble(networks), mean_history(histories), mean_steps_record, records


def save_and_score(folder: Path, inference_model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> tuple[dict, list[dict], np.ndarray]:
    """The network saved as folder/model.keras, then scored as evaluate.py and the app read it (the
    saved file through Predictor: the model in memory rounds floats otherwise and can flip a near
    tie), so that every script's figure for a model is one figure. x_test: float32 (10000, 28, 28, ...)
    model inputs, y_test (10000,) labels -> test_report's (scores, mistakes, wrong indices)."""
    inference_model.save(folder / "model.keras")
    return test_report(Predictor(folder).probabilities(x_test), y_test)


def write_records(folder: Path, history_record: dict, metrics: dict, mistakes: list[dict], wrong: np.ndarray,
                  test_images: np.ndarray) -> None:
    """A model's story beside its model.keras: history.json, metrics.json, mistakes.json and the first
    mistakes' uint8 (k, 28, 28) test images (mistakes.npz)."""
    artifacts.write_json(folder / "history.json", history_record)
    artifacts.write_json(folder / "metrics.json", metrics)
    artifacts.write_json(folder / "mistakes.json", mistakes, indent=None)
    np.savez_compressed(folder / artifacts.MISTAKE_IMAGES_FILE, images=test_images[wrong[:MAX_STORED_MISTAKE_IMAGES]])


def write_model_files(folder: Path, inference_model: keras.Model, history_record: dict, metrics: dict,
                      test: tuple[np.ndarray, np.ndarray, np.ndarray],
                      training: tuple[np.ndarray, np.ndarray]) -> dict:
    """A trained network and its records -> a model folder's files: model.keras (checked against the
    NumPy pass), the neighbours index and write_records' files; returns the test figures (save_and_score).
    metrics: what metrics.json holds besides the test figures. test: float32 (10000, 28, 28, ...)
    model inputs, (10000,) labels and the uint8 (10000, 28, 28) images; training: the uint8
    (N, 28, 28) training images and (N,) labels, in training order."""
    x_test, y_test, test_images = test
    scores, mistakes, wrong = save_and_score(folder, inference_model, x_test, y_test)
    metrics = {key: metrics[key] for key in ("preset", "origin", "claimed_accuracy")} | scores | metrics
    if check_numpy_forward(folder / "model.keras", inference_model, test_images[:200]):
        # "Training digits it resembles" in the app: the index is made for this very model.keras.
        build_index(folder, *training, command=metrics["command"])
    write_records(folder, history_record, metrics, mistakes, wrong, test_images)
    return scores


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    preset = get_preset(args.model)
    epochs = args.epochs or preset.epochs
    batch_size = args.batch_size or preset.batch_size
    out = Path(args.out) if args.out else MODELS_DIR / preset.name
    if args.members_from and not preset.members:
        raise ValueError(f"--members-from needs an ensemble preset, not {preset.name!r}")
    check_installed()

    # Data: the first --limit images, the last validation_split of them held out (as Keras does).
    mnist = load_mnist(args.data_dir)
    data_folder = repository_path(args.data_dir or data_dir_from_env(), f"${DATA_DIR_ENV}")

    from mnist_core.augment import REDRAWN_SHARE

    images, labels = mnist.train.images, mnist.train.labels
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    x = to_model_input(images)
    held_out = max(1, int(round(len(x) * preset.validation_split)))
    x_train, y_train = x[:-held_out], labels[:-held_out]
    x_val, y_val = x[-held_out:], labels[-held_out:]
    x_test, y_test = to_model_input(mnist.test.images), mnist.test.labels
    print(f"data: {len(x_train)} train, {len(x_val)} validation, {len(x_test)} test from {mnist.source}")
    # Other writers' hands: handwriting fonts' digits join the training images (never validation or test).
    font_copies = preset.font_copies if args.font_copies is None else args.font_copies
    mnist_train_images, font_digit_count = len(x_train), 0  # an ensemble's font digits are its members'
    data = (x_train, y_train, x_val, y_val)

    # Model and training: one network, or an ensemble of networks trained apart, averaged.
    members_record = []
    if not preset.members:
        data, font_digit_count, training_fonts = with_font_digits(data, args.fonts_dir, font_copies, args.seed)
        model, history_record, steps_record, training_seconds = train_network(
            preset, args, epochs, batch_size, args.seed, data)
    else:
        model, history_record, steps_record, members_record = train_ensemble(
            preset, args, epochs, batch_size, data, (x_test, y_test), font_copies)
        training_seconds = sum(member["training_seconds"] for member in members_record)
        epochs = len(history_record["loss"])
        training_fonts = sorted({font for member in members_record for font in member["training_fonts"]})

    recorded = recorded_arguments(args, data_folder)
    about = {"preset": preset.name, "origin": preset.origin, "claimed_accuracy": preset.claimed_accuracy}
    how_made = {  # metrics.json after `about` and the test figures
        "parameters": int(model.count_params()),
        "training_seconds": training_seconds,
        "epochs": epochs,
        "batch_size": batch_size,
        "train_images": mnist_train_images,
        "font_digits": font_digit_count,  # for an ensemble, each member's are in "members"
        "training_fonts": training_fonts,
        "redrawn_share": REDRAWN_SHARE if preset.augment else 0.0,
        "validation_images": len(x_val),
        **({"members": members_record} if members_record else {}),
        "arguments": recorded,
        "command": typed_command(parser, recorded),
        "data_source": f"MNIST (four IDX files from {data_folder})",
        "data_checksums_md5": mnist.checksums,
        "versions": library_versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "layers": layer_table(model),
    }

    # Save: everything goes into a staging folder that replaces `out` only once complete.
    def write_contents(folder: Path) -> None:
        print(f"saving to {out}", flush=True)
        # Ship the network without its optimizer state: a third of the size, and faster to load.
        # (keras.models.clone_model would carry the compiled optimizer along; a fresh build does not.)
        # An ensemble was built afresh from its members and never compiled.
        inference_model = model if preset.members else preset.build()
        if not preset.members:
            inference_model.set_weights(model.get_weights())
        scores = write_model_files(folder, inference_model, history_record, {**about, **how_made},
                                   (x_test, y_test, mnist.test.images), (images, labels))
        print(f"test accuracy {scores['test_accuracy']:.4%}, loss {scores['test_loss']:.4f}, "
              f"{training_seconds:.0f} s training", flush=True)
        if steps_record:
            write_steps(folder, steps_record)
        write_event_logs(folder, history_record, steps_record)

    artifacts.write_model_folder(out, write_contents)
    print(f"saved {out}")


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data or model: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
