"""Choose a model's "not sure" and "not a digit" thresholds from drawings it has never been judged on.

    python scripts/calibrate.py --model cnn

Drawn canvases are made (mnist_core.synthetic) from the training images that train.py holds out
for validation, never from the test set. The "not sure" threshold is the lowest top-class
probability t such that readings with confidence >= t are right at least --target of the time;
below t the app says "not sure" and shows the top two.

"Not a digit": a small network (mnist_core.not_digit) learns to tell the pieces the pipeline cuts
out of drawn digits (--detector-canvases canvases from training images, never the held-out ones,
and --font-copies variants of the training fonts' digits, as train.py uses them: fetch them
first with scripts/fetch_fonts.py, or pass --font-copies 0) from those it cuts
out of --detector-non-digits generated non-digits (mnist_core.non_digits, seed --detector-seed) and
--detector-hard-non-digits more of the kinds most often read as a digit, less the pieces that are
a lone straight stroke (a 1 to anyone: mnist_core.not_digit.LINE_LIKE_ELONGATION). Its
threshold is the score that all but --refuse-digits of the held-out drawn digits stay under; between
the score all but --doubt-digits stay under and that threshold, a piece is answered "not sure". The
share of other generated non-digits (seed --non-digit-seed) refused (any status but ok) is reported.
Writes calibration.json and the detector (not_digit.keras) into the model folder.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

import numpy as np

from mnist_core import artifacts
from mnist_core.config import CALIBRATION_FILE, DEFAULT_MODEL
from mnist_core.data import load_mnist
from mnist_core.fonts import as_mnist, font_digits, handwritten_variants
from mnist_core.non_digits import make_non_digits
from mnist_core.normalize import normalize_digit
from mnist_core.not_digit import (
    DETECTOR_FILE,
    LINE_LIKE_ELONGATION,
    load_detector,
    not_digit_scores,
    not_line_like,
    train_detector,
)
from mnist_core.predictor import EMPTY, OK, Predictor
from mnist_core.synthetic import make_samples

LOWEST, HIGHEST = 0.5, 0.95  # below 0.5 another class could be as likely; above 0.95 it nags


def lowest_threshold(confidences: np.ndarray, correct: np.ndarray, target: float) -> float:
    """The lowest t in [LOWEST, HIGHEST] with accuracy(confidence >= t) >= target."""
    for threshold in np.arange(LOWEST, HIGHEST + 1e-9, 0.01):
        kept = confidences >= threshold
        if kept.any() and correct[kept].mean() >= target:
            return float(round(threshold, 2))
    return HIGHEST


# The drawn digits the detector learns from, as shares of --detector-canvases: every kind of canvas
# the app meets, strips included (their pieces, touching digits cut apart too, are digits).
DETECTOR_DIGIT_KINDS = {"single": 0.36, "specks": 0.09, "extreme_brush": 0.15, "faint": 0.09, "strays": 0.09,
                        "multi": 0.07, "multi_touching": 0.05, "multi_sizes": 0.05, "multi_close": 0.05}
DETECTOR_MNIST_IMAGES = 8000  # MNIST training digits also taught as MNIST made them
DETECTOR_SEED = 1001  # its non-digits' seed (and + 1 for the hard ones): neither the report's (7) nor the tests' and bench's (31)
# The kinds of non-digit most often read as a digit (a stroke or two can look like a 1 or a 7):
# the detector also learns from --detector-hard-non-digits more of them.
HARD_NON_DIGIT_KINDS = ("scribble", "strokes")


def pieces(predictor: Predictor, canvases) -> np.ndarray:
    """Canvases (any image arrays) -> float32 (n, 28, 28) every piece the app's reading cuts out of them."""
    found = [d.model_input for canvas in canvases for d in predictor.read(canvas, multi=True).digits]
    return np.stack(found).astype(np.float32)


def detector_examples(predictor: Predictor, images: np.ndarray, labels: np.ndarray, args) -> tuple[np.ndarray, np.ndarray]:
    """Training images (never the held-out ones) -> float32 (N, 28, 28) digit pieces and (M, 28, 28)
    non-digit pieces, as the app's pipeline makes them."""
    digits = [pieces(predictor, (sample.image for sample in make_samples(images, labels, int(args.detector_canvases * share), kind, seed=args.seed + index)))
              for index, (kind, share) in enumerate(DETECTOR_DIGIT_KINDS.items())]
    digits.append(np.stack([normalize_digit(image.astype(np.float32) / 255) for image in images[:DETECTOR_MNIST_IMAGES]]))
    if args.font_copies:
        glyphs, font_labels, _ = font_digits(args.fonts_dir, held_out=False)
        digits.append(as_mnist(handwritten_variants(glyphs, font_labels, args.font_copies, seed=args.seed)[0]))
    drawings = make_non_digits(args.detector_non_digits, seed=args.detector_seed) + make_non_digits(
        args.detector_hard_non_digits, seed=args.detector_seed + 1, kinds=HARD_NON_DIGIT_KINDS)
    non_digits = pieces(predictor, (drawing.image for drawing in drawings))
    return np.concatenate(digits), non_digits[not_line_like(non_digits)]


def save_detector(model, folder: Path) -> Path:
    """Write the Keras detector into folder atomically: a reader never sees half a file."""
    path = folder / DETECTOR_FILE
    partial = path.with_name(f".partial-{DETECTOR_FILE}")  # Keras insists on the .keras ending
    model.save(partial)
    os.replace(partial, path)
    return path


def kept_detector_record(folder: Path) -> dict:
    """The folder's calibration.json's record of how its detector was trained, and the command that
    trained it, or {} when there is none."""
    try:
        earlier = artifacts.read_json(folder / CALIBRATION_FILE)
    except (FileNotFoundError, ValueError):
        return {}
    record = {key: value for key, value in earlier.get("detector", {}).items() if key not in ("file", "kept", "seconds")}
    made_by = record.pop("made_by", None) or earlier.get("command")
    return {"made_by": made_by, **record} if made_by else record


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="preset name or model folder")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    parser.add_argument("--fonts-dir", help="handwriting fonts folder (default: $DIGIT_FONTS_DIR or artifacts/fonts)")
    parser.add_argument("--canvases", type=int, default=6000, help="fewer make the threshold noisy")
    parser.add_argument("--target", type=float, default=0.995, help="accuracy required above the threshold")
    parser.add_argument("--seed", type=int, default=99)
    parser.add_argument("--refuse-digits", type=float, default=0.0001,
                        help="share of held-out drawn digits allowed above the not-a-digit threshold")
    parser.add_argument("--doubt-digits", type=float, default=0.006,
                        help="share of held-out drawn digits allowed above the doubt threshold (answered not sure)")
    parser.add_argument("--detector-canvases", type=int, default=16000, help="drawn-digit canvases the detector learns from")
    parser.add_argument("--detector-non-digits", type=int, default=16000, help="generated non-digits the detector learns from")
    parser.add_argument("--detector-hard-non-digits", type=int, default=8000,
                        help=f"more generated non-digits of the kinds hardest to refuse ({', '.join(HARD_NON_DIGIT_KINDS)})")
    parser.add_argument("--detector-seed", type=int, default=DETECTOR_SEED)
    parser.add_argument("--detector-epochs", type=int, default=15)
    parser.add_argument("--keep-detector", action="store_true",
                        help="keep the folder's not_digit.keras (e.g. a fine-tune's, copied from its base) and choose its threshold only")
    parser.add_argument("--font-copies", type=int, default=12, help="variants of each training font's digits the detector learns from (0: none)")
    parser.add_argument("--non-digits", type=int, default=1200, help="generated non-digits to report on")
    parser.add_argument("--non-digit-seed", type=int, default=7)
    args = parser.parse_args(argv)

    predictor = Predictor(args.model)
    metrics = artifacts.read_metrics(predictor.folder)
    held_out = metrics["validation_images"]
    train = load_mnist(args.data_dir).train
    images, labels = train.images[-held_out:], train.labels[-held_out:]
    started = time.monotonic()
    # A kept detector keeps its story: how the calibration that trained it made it.
    trained = kept_detector_record(predictor.folder) if args.keep_detector else {}
    if not args.keep_detector:
        digit_pieces, non_digit_pieces = detector_examples(predictor, train.images[:-held_out], train.labels[:-held_out], args)
        print(f"not-a-digit detector: {len(digit_pieces)} digit pieces, {len(non_digit_pieces)} non-digit pieces "
              f"({time.monotonic() - started:.0f} s)", flush=True)
        save_detector(train_detector(digit_pieces, non_digit_pieces, args.detector_epochs, args.seed), predictor.folder)
        trained = {"digit_pieces": len(digit_pieces), "non_digit_pieces": len(non_digit_pieces),
                   "detector_canvases": args.detector_canvases, "detector_non_digits": args.detector_non_digits,
                   "detector_hard_non_digits": args.detector_hard_non_digits,
                   "non_digit_pieces_left_out_below_elongation": LINE_LIKE_ELONGATION,
                   "detector_seed": args.detector_seed, "epochs": args.detector_epochs, "font_copies": args.font_copies}
    detector = load_detector(predictor.folder)
    if detector is None:
        raise FileNotFoundError(f"{predictor.folder.name} has no {DETECTOR_FILE} to keep; run without --keep-detector")

    confidences, correct, scores = [], [], []
    for kind, share in (("single", 0.6), ("specks", 0.2), ("extreme_brush", 0.2)):
        for sample in make_samples(images, labels, int(args.canvases * share), kind, seed=args.seed):
            reading = predictor.read(sample.image)
            if reading.status == EMPTY:
                confidences.append(0.0)
                correct.append(False)
                scores.append(0.0)
                continue
            scores.append(float(not_digit_scores(detector, np.stack([d.model_input for d in reading.digits])).max()))
            confidences.append(reading.first.confidence)
            correct.append(reading.text == sample.expected)
    confidences, correct, scores = np.array(confidences), np.array(correct), np.array(scores)

    threshold = lowest_threshold(confidences, correct, args.target)
    unsure = confidences < threshold
    not_digit_threshold = float(np.quantile(scores, 1 - args.refuse_digits))
    not_digit = scores > not_digit_threshold
    doubt_threshold = min(float(np.quantile(scores, 1 - args.doubt_digits)), not_digit_threshold)
    doubted = (scores > doubt_threshold) & ~not_digit

    # The predictor judged with the new thresholds, as it will be once they are saved.
    predictor.unsure_threshold = threshold
    predictor.not_digit_detector, predictor.not_digit_threshold = detector, not_digit_threshold
    predictor.not_digit_doubt_threshold = doubt_threshold
    non_digits_refused = [predictor.read(drawing.image, multi=True).status != OK  # multi: as the app reads
                          for drawing in make_non_digits(args.non_digits, seed=args.non_digit_seed)]
    report = {
        "unsure_threshold": threshold,
        "target_accuracy_above": args.target,
        "canvases": len(correct),
        "accuracy_all": float(correct.mean()),
        "accuracy_above_threshold": float(correct[~unsure].mean()) if (~unsure).any() else None,
        "share_unsure": float(unsure.mean()),
        "errors_caught_as_unsure": float(unsure[~correct].mean()) if (~correct).any() else None,
        "right_answers_marked_unsure": float(unsure[correct].mean()) if correct.any() else None,
        "source": f"{held_out} held-out training images drawn as canvases, seed {args.seed}",
        "not_digit_threshold": round(not_digit_threshold, 4),
        "refuse_digits": args.refuse_digits,
        "drawn_digits_not_digit": float(not_digit.mean()),
        "not_digit_doubt_threshold": round(doubt_threshold, 4),
        "doubt_digits": args.doubt_digits,
        "drawn_digits_doubted": float(doubted.mean()),
        "drawn_digits_not_ok": float((unsure | not_digit | doubted).mean()),
        "right_answers_marked_not_digit": float(not_digit[correct].mean()) if correct.any() else None,
        # Every way a wrong answer is held back: not sure, not a digit, or a piece the detector doubts.
        "errors_caught_as_not_digit_or_unsure": float((unsure | not_digit | doubted)[~correct].mean()) if (~correct).any() else None,
        "non_digits_refused": float(np.mean(non_digits_refused)),
        "non_digits_source": f"{args.non_digits} generated non-digits (mnist_core.non_digits), seed {args.non_digit_seed}, read as the app does",
        "detector": {"file": DETECTOR_FILE, "kept": args.keep_detector, **trained, "seconds": round(time.monotonic() - started)},
        "command": "python scripts/calibrate.py " + " ".join(argv if argv is not None else sys.argv[1:]),
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
