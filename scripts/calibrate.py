"""Choose a model's "not sure" and "not a digit" thresholds from drawings it has never been judged on.

    python scripts/calibrate.py --model cnn

Drawn canvases are made (mnist_core.synthetic) from the training images that train.py holds out
for validation, never from the test set. The "not sure" threshold is the lowest top-class
probability t such that readings with confidence >= t are right at least --target of the time;
below t the app says "not sure" and shows the top two.

"Not a digit": each digit's shapes (mean and main modes of variation, mnist_core.digit_shapes)
are fitted on --shape-images training images (never the held-out ones) and saved as
digit_shapes.npz; per digit, the threshold is the distance from its shapes that all but
--refuse-digits of the held-out drawn digits read as it stay within. Drawings farther than that
are answered "not_digit". The share of generated non-digits (mnist_core.non_digits, seed
--non-digit-seed; judge on another seed) refused (any status but ok) is reported.
Writes calibration.json (and digit_shapes.npz) into the model folder.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import numpy as np

from mnist_core import artifacts
from mnist_core.config import CALIBRATION_FILE, DEFAULT_MODEL, NUM_CLASSES
from mnist_core.data import load_mnist
from mnist_core.digit_shapes import DigitShapes, fit_digit_shapes, save_digit_shapes
from mnist_core.non_digits import make_non_digits
from mnist_core.normalize import normalize_digit
from mnist_core.predictor import EMPTY, OK, Predictor, Reading
from mnist_core.synthetic import make_samples

LOWEST, HIGHEST = 0.5, 0.95  # below 0.5 another class could be as likely; above 0.95 it nags


def lowest_threshold(confidences: np.ndarray, correct: np.ndarray, target: float) -> float:
    """The lowest t in [LOWEST, HIGHEST] with accuracy(confidence >= t) >= target."""
    for threshold in np.arange(LOWEST, HIGHEST + 1e-9, 0.01):
        kept = confidences >= threshold
        if kept.any() and correct[kept].mean() >= target:
            return float(round(threshold, 2))
    return HIGHEST


def distances(shapes: DigitShapes, reading: Reading) -> tuple[np.ndarray, np.ndarray]:
    """A reading -> int (n,) the digits read and float32 (n,) each one's distance from its shapes."""
    if not reading.digits:
        return np.zeros(0, int), np.zeros(0, np.float32)
    classes = np.array([d.digit for d in reading.digits])
    return classes, shapes.distances(np.stack([d.model_input for d in reading.digits]), classes)


def per_digit_thresholds(classes: np.ndarray, far: np.ndarray, refuse: float) -> np.ndarray:
    """int (n,) digits read, float (n,) distances -> float (10,) per-digit thresholds: each digit's
    median distance times the one factor that all but `refuse` of the drawn digits stay within (one
    factor for all: a per-digit tail of a few hundred readings is too noisy to set alone)."""
    medians = np.array([np.median(far[classes == digit]) if (classes == digit).any() else np.median(far)
                        for digit in range(NUM_CLASSES)])
    return medians * float(np.quantile(far / medians[classes], 1 - refuse))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="preset name or model folder")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    parser.add_argument("--canvases", type=int, default=6000, help="fewer make the threshold noisy")
    parser.add_argument("--target", type=float, default=0.995, help="accuracy required above the threshold")
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--shape-images", type=int, default=10000, help="training images the digits' shapes are fitted on")
    parser.add_argument("--refuse-digits", type=float, default=0.003,
                        help="share of drawn digits allowed beyond their digit's not-a-digit threshold")
    parser.add_argument("--non-digits", type=int, default=1200, help="generated non-digit drawings to report on")
    parser.add_argument("--non-digit-seed", type=int, default=7)
    args = parser.parse_args(argv)

    predictor = Predictor(args.model)
    metrics = artifacts.read_metrics(predictor.folder)
    held_out = metrics["validation_images"]
    train = load_mnist(args.data_dir).train
    images, labels = train.images[-held_out:], train.labels[-held_out:]
    fitting = min(args.shape_images, len(train.images) - held_out)
    shapes = fit_digit_shapes(np.stack([normalize_digit(image.astype(np.float32) / 255) for image in train.images[:fitting]]),
                              train.labels[:fitting])

    confidences, correct, read_as, far, canvas_of = [], [], [], [], []
    for kind, share in (("single", 0.6), ("specks", 0.2), ("extreme_brush", 0.2)):
        for sample in make_samples(images, labels, int(args.canvases * share), kind, seed=args.seed):
            reading = predictor.read(sample.image)
            if reading.status == EMPTY:
                confidences.append(0.0)
                correct.append(False)
                continue
            classes, digit_distances = distances(shapes, reading)
            read_as.extend(classes)
            far.extend(digit_distances)
            canvas_of.extend([len(confidences)] * len(classes))
            confidences.append(reading.first.confidence)
            correct.append(reading.text == sample.expected)
    confidences, correct = np.array(confidences), np.array(correct)
    read_as, far, canvas_of = np.array(read_as), np.array(far), np.array(canvas_of)

    threshold = lowest_threshold(confidences, correct, args.target)
    unsure = confidences < threshold
    not_digit_distances = per_digit_thresholds(read_as, far, args.refuse_digits)
    not_digit = np.zeros(len(correct), bool)
    not_digit[canvas_of[far > not_digit_distances[read_as]]] = True

    # The predictor judged with the new thresholds, as it will be once they are saved.
    predictor.unsure_threshold, predictor.digit_shapes = threshold, shapes
    predictor.not_digit_distances = not_digit_distances.astype(np.float32)
    non_digits_refused = [predictor.read(drawing.image, multi=True).status != OK  # multi: as the app reads
                          for drawing in make_non_digits(args.non_digits, seed=args.non_digit_seed)]
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
        "not_digit_distances": [round(float(value), 3) for value in not_digit_distances],
        "refuse_digits": args.refuse_digits,
        "drawn_digits_not_digit": float(not_digit.mean()),
        "drawn_digits_not_ok": float((unsure | not_digit).mean()),
        "right_answers_marked_not_digit": float(not_digit[correct].mean()) if correct.any() else None,
        "errors_caught_as_not_digit_or_unsure": float((unsure | not_digit)[~correct].mean()) if (~correct).any() else None,
        "non_digits_refused": float(np.mean(non_digits_refused)),
        "non_digits_source": f"{args.non_digits} generated non-digits (mnist_core.non_digits), seed {args.non_digit_seed}, read as the app does",
        "digit_shapes_source": f"the first {fitting} training images, {shapes.components.shape[1]} components per digit",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    artifacts.write_json(predictor.folder / CALIBRATION_FILE, report)
    save_digit_shapes(shapes, predictor.folder)
    for key, value in report.items():
        print(f"{key:<28} {value}")


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data or model: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
