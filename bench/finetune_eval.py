"""How a fine-tune reads other hands before and after, and what it costs MNIST (docs/finetune.md).

    python bench/finetune_eval.py --learn pen --drawings 2500
    python bench/finetune_eval.py --learn pen --drawings 50 200 1000 2500        # the learning curve
    python bench/finetune_eval.py --learn pen fonts --drawings 2500 --set pull_to_base=0 learning_rate=1e-3

Fine-tunes the model (default: the app's) in this process, with mnist_core.finetune as
scripts/finetune.py does (without writing a folder or recalibrating), on the first N digits of the
learn parts of the sets named by --learn (bench/other_hands.py; several: shared out evenly), then
reads every set's held-out part and the MNIST test set. The sets are built once into --cache.
--set overrides mnist_core.finetune.Settings fields (the variants docs/finetune.md compares);
--blends judges one fine-tune interpolated toward the base at several shares (keep_base_share).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from bench.other_hands import load_or_build
from mnist_core import artifacts
from mnist_core.config import DEFAULT_MODEL, model_dir
from mnist_core.data import load_mnist, to_model_input

SETS = ("pen", "fonts", "scanned")


def override(settings, assignments: list[str]):
    """Settings with NAME=VALUE assignments applied, each value parsed as its field's type."""
    changes = {}
    for assignment in assignments:
        name, _, text = assignment.partition("=")
        kind = type(getattr(settings, name))
        changes[name] = (text.lower() in ("1", "true", "yes")) if kind is bool else kind(text)
    return dataclasses.replace(settings, **changes)


def learning_set(sets: dict, names: list[str], count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first count digits of the named learn parts, shared out evenly -> uint8 images, labels."""
    shares = [count // len(names) + (index < count % len(names)) for index in range(len(names))]
    images = np.concatenate([sets[f"{name}_learn_images"][:share] for name, share in zip(names, shares)])
    labels = np.concatenate([sets[f"{name}_learn_labels"][:share] for name, share in zip(names, shares)])
    return images, labels


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--learn", nargs="+", choices=SETS, default=["pen"])
    parser.add_argument("--drawings", nargs="+", type=int, default=[2500])
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="Settings fields to change")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--blends", nargs="+", type=float, default=[0.0],
                        help="also judge the fine-tune interpolated toward the base: these shares of the base's weights")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/other-hands.npz"), help="the sets, built once")
    args = parser.parse_args(argv)

    from mnist_core.finetune import Settings, accuracy, blend_weights, fine_tune, split_held_out

    mnist = load_mnist(args.data_dir)
    sets = load_or_build(args.cache, mnist.test.images, mnist.test.labels)
    folder = model_dir(args.model)
    validation_images = artifacts.read_metrics(folder)["validation_images"]
    replay = (to_model_input(mnist.train.images[:-validation_images]), mnist.train.labels[:-validation_images])
    validation = (to_model_input(mnist.train.images[-validation_images:]), mnist.train.labels[-validation_images:])
    judged = {f"{name} held-out": (to_model_input(sets[f"{name}_held_out_images"]), sets[f"{name}_held_out_labels"])
              for name in SETS}
    judged["MNIST test"] = (to_model_input(mnist.test.images), mnist.test.labels)
    settings = override(Settings(seed=args.seed), args.set)
    print(json.dumps({"model": folder.name, "learn": args.learn, "settings": dataclasses.asdict(settings)}))

    base = artifacts.load_keras_model(folder)
    before = {name: accuracy(base, *pair) for name, pair in judged.items()}
    print(json.dumps({"drawings": 0, **{name: round(100 * value, 2) for name, value in before.items()}}), flush=True)
    for count in args.drawings:
        images, labels = learning_set(sets, args.learn, count)
        learn, held = split_held_out(labels, args.seed)  # as scripts/finetune.py splits them
        model = artifacts.load_keras_model(folder)
        started = time.perf_counter()
        fine_tune(model, (to_model_input(images[learn]), labels[learn]), replay, validation,
                  (to_model_input(images[held]), labels[held]), settings)
        seconds = time.perf_counter() - started
        tuned = model.get_weights()
        for share in args.blends:  # the same fine-tune, interpolated toward the base (Settings.keep_base_share)
            model.set_weights(blend_weights(base.get_weights(), tuned, share))
            after = {name: round(100 * accuracy(model, *pair), 2) for name, pair in judged.items()}
            print(json.dumps({"drawings": count, "extra_base_share": share, **after,
                              "fine-tune seconds": round(seconds, 1)}), flush=True)


if __name__ == "__main__":
    main()
