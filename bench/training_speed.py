"""Where a preset's training time goes: redrawing digits as on a canvas, augmenting each batch, the
network's own steps, and the three together as scripts/train.py runs them, in images per second.

    MNIST_DATA_DIR=... python bench/training_speed.py --model cnn

Each stage is timed on --images MNIST training images after a warm-up; the estimate of a whole run
multiplies the rates out over the preset's epochs and training images (fonts included), to set
beside the training_seconds its metrics.json recorded. Timing figures are noisy: run it on an idle
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def images_per_second(count: int, run) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="cnn", help="a preset that augments (cnn)")
    parser.add_argument("--images", type=int, default=6400, help="training images each stage is timed on")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    args = parser.parse_args(argv)

    import keras

    from mnist_core import artifacts
    from mnist_core.augment import REDRAWN_COPIES, AugmentedBatches, redraw_all
    from mnist_core.config import model_dir
    from mnist_core.data import load_mnist, to_model_input
    from mnist_core.presets import get_preset

    preset = get_preset(args.model)
    train = load_mnist(args.data_dir).train
    images, labels = to_model_input(train.images[: args.images]), train.labels[: args.images]
    batches = len(images) // preset.batch_size

    redraw_all(images[:400], seed=1)  # warm-up: the worker processes' imports
    redraw_rate = images_per_second(len(images) * REDRAWN_COPIES, lambda: redraw_all(images, seed=1))
    redrawn = redraw_all(images, seed=2)
    augmented = AugmentedBatches(images, labels, preset.batch_size, seed=1, epochs=preset.epochs, redrawn=redrawn)
    augment_rate = images_per_second(batches * preset.batch_size, lambda: [augmented[index] for index in range(batches)])

    keras.utils.set_random_seed(1)
    model = preset.build()
    model.compile(optimizer=keras.optimizers.Adam(preset.learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(images[: preset.batch_size * 8], labels[: preset.batch_size * 8], batch_size=preset.batch_size, verbose=0)
    network_rate = images_per_second(len(images), lambda: model.fit(images, labels, batch_size=preset.batch_size,
                                                                    epochs=1, verbose=0))
    together_rate = images_per_second(batches * preset.batch_size, lambda: model.fit(augmented, epochs=1, verbose=0))

    metrics = artifacts.read_metrics(model_dir(preset.name))
    trained_on = metrics["train_images"] + metrics.get("font_digits", 0)
    estimate = metrics["train_images"] * REDRAWN_COPIES / redraw_rate + preset.epochs * trained_on / together_rate
    report = {
        "preset": preset.name,
        "images_timed": len(images),
        "redraw_images_per_s": round(redraw_rate),
        "augment_images_per_s": round(augment_rate),
        "network_images_per_s": round(network_rate),
        "train_py_images_per_s": round(together_rate),
        "share_of_step_time_augmenting": round(together_rate / augment_rate, 2),
        "estimated_training_seconds": round(estimate),
        "shipped_training_seconds": round(metrics["training_seconds"]),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
