"""Accuracy, loss and confusion matrix of a saved model on the 10,000 MNIST test images.

    python scripts/evaluate.py --model cnn --data-dir $MNIST_DATA_DIR
    python scripts/evaluate.py --model models/cnn --json
    python scripts/evaluate.py --all --markdown      # the README's table of every shipped model
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from mnist_core import artifacts
from mnist_core.config import DEFAULT_MODEL, MODELS_DIR, NUM_CLASSES, model_dir
from mnist_core.data import WHERE_MNIST_COMES_FROM, load_mnist, to_model_input
from mnist_core.predictor import Predictor
from mnist_core.presets import PRESETS


def evaluate(folder: Path, images: np.ndarray, labels: np.ndarray) -> dict:
    """A model folder and test data -> accuracy, loss, confusion matrix, per-class accuracy."""
    probabilities = Predictor(folder).probabilities(to_model_input(images))
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    loss = float(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)).mean())
    return {
        "model_dir": str(folder),
        "accuracy": float((predicted == labels).mean()),
        "loss": loss,
        "errors": int((predicted != labels).sum()),
        "confusion_matrix": confusion.tolist(),
        "per_class_accuracy": (confusion.diagonal() / confusion.sum(axis=1)).tolist(),
    }


def markdown_row(name: str, result: dict) -> str:
    metrics = artifacts.read_metrics(MODELS_DIR / name)
    preset = PRESETS[name]
    training = f"{metrics['epochs']} × batch {metrics['batch_size']}"
    if metrics.get("members"):  # an ensemble: each member trained so
        training = f"{len(metrics['members'])} × ({training})"
    return (
        f"| `{name}` | {preset.origin} | {preset.claimed_accuracy} | **{result['accuracy']:.2%}** | "
        f"{metrics['parameters']:,} | {training} | "
        f"{metrics['training_seconds'] / 60:.1f} min | `python scripts/train.py --model {name}` |"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, epilog=WHERE_MNIST_COMES_FROM,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--model", default=DEFAULT_MODEL, help="shipped preset name or model folder")
    # The old spelling, still used by tests/test_shipped_models.py.
    target.add_argument("--model-dir", dest="model", help=argparse.SUPPRESS)
    target.add_argument("--all", action="store_true", help="every shipped model in models/")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--markdown", action="store_true", help="with --all: a README table")
    args = parser.parse_args(argv)

    test = load_mnist(args.data_dir).test
    folders = [MODELS_DIR / name for name in PRESETS if (MODELS_DIR / name).is_dir()] if args.all else [model_dir(args.model)]
    results = [evaluate(folder, test.images, test.labels) for folder in folders]

    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results))
        return
    if args.markdown:
        print("| preset | from | claimed | measured test accuracy | parameters | training | time (2 cores) | reproduce |")
        print("|---|---|---|---|---|---|---|---|")
        for folder, result in zip(folders, results):
            print(markdown_row(folder.name, result))
        return
    for result in results:
        print(f"{result['model_dir']}: accuracy {result['accuracy']:.4%} ({result['errors']} errors), loss {result['loss']:.4f}")
        print("confusion matrix (rows: true 0-9, columns: predicted 0-9):")
        for row in result["confusion_matrix"]:
            print("  " + " ".join(f"{count:5d}" for count in row))


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data or model: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
