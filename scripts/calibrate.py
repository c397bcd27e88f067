"""Choose a model's "not sure" threshold from drawn digits it has never been judged on.

    python scripts/calibrate.py --model cnn

Drawn canvases are made (mnist_core.synthetic) from the training images that train.py holds out
for validation, never from the test set. The threshold is the lowest top-class probability t
such that readings with confidence >= t are right at least --target of the time; below t the
app says "not sure" and shows the top two. Writes calibration.json into the model folder.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import numpy as np

from mnist_core import artifacts
from mnist_core.config import CALIBRATION_FILE, DEFAULT_MODEL
from mnist_core.data import load_mnist
from mnist_core.predictor import EMPTY, Predictor
from mnist_core.synthetic import make_samples

LOWEST, HIGHEST = 0.5, 0.95  # below 0.5 another class could be as likely; above 0.95 it nags


def lowest_threshold(confidences: np.ndarray, correct: np.ndarray, target: float) -> float:
    """The lowest t in [LOWEST, HIGHEST] with accuracy(confidence >= t) >= target."""
    for threshold in np.arange(LOWEST, HIGHEST + 1e-9, 0.01):
        kept = confidences >= threshold
        if kept.any() and correct[kept].mean() >= target:
            return float(round(threshold, 2))
    return HIGHEST


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="preset name or model folder")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    parser.add_argument("--canvases", type=int, default=6000, help="fewer make the threshold noisy")
    parser.add_argument("--target", type=float, default=0.995, help="accuracy required above the threshold")
    parser.add_argument("--seed", type=int, default=99)
    args = parser.parse_args(argv)

    predictor = Predictor(args.model)
    metrics = artifacts.read_metrics(predictor.folder)
    held_out = metrics["validation_images"]
    train = load_mnist(args.data_dir).train
    images, labels = train.images[-held_out:], train.labels[-held_out:]

    confidences, correct = [], []
    for kind, share in (("single", 0.6), ("specks", 0.2), ("extreme_brush", 0.2)):
        for sample in make_samples(images, labels, int(args.canvases * share), kind, seed=args.seed):
            reading = predictor.read(sample.image)
            if reading.status == EMPTY:
                confidences.append(0.0)
                correct.append(False)
                continue
            confidences.append(reading.first.confidence)
            correct.append(reading.text == sample.expected)
    confidences, correct = np.array(confidences), np.array(correct)

    threshold = lowest_threshold(confidences, correct, args.target)
    unsure = confidences < threshold
    report = {
        "unsure_threshold": threshold,
        "target_accuracy_above": args.target,
        "canvases": int(len(correct)),
        "accuracy_all": float(correct.mean()),
        "accuracy_above_threshold": float(correct[~unsure].mean()) if (~unsure).any() else None,
        "share_unsure": float(unsure.mean()),
        "errors_caught_as_unsure": float(unsure[~correct].mean()) if (~correct).any() else None,
        "right_answers_marked_unsure": float(unsure[correct].mean()) if correct.any() else None,
        "source": f"{held_out} held-out training images drawn as canvases, seed {args.seed}",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    artifacts.write_json(predictor.folder / CALIBRATION_FILE, report)
    for key, value in report.items():
        print(f"{key:<28} {value}")


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data or model: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
