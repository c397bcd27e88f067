"""Read the digits in image files: one JSON object per image on its own line.

    python scripts/predict.py drawing.png
    python scripts/predict.py --multi --model mlp-128-64 year.png other.jpg
    python scripts/predict.py --explain drawing.png

Each line: {"path", "status", "digit", "digits", "confidence", "probabilities", "top_two", "boxes"},
"note" where a reading needs explaining, "hint" where the app would advise ("try a thinner brush")
and "error" for unreadable files. Exit code 1 if any input errored. The status is one of:

  ok         a digit read ("digit"; with --multi, "digits" left to right)
  unsure     the model hesitates: "top_two" holds its two best guesses. Without --multi, a drawing
             of several digits is unsure too, with "digit" null, "digits" the number they read and a
             "note": "4 digits found (2024); pass --multi to read them as a number". A digit the
             not-a-digit detector doubts (between its two thresholds) is unsure too, with the note
             "read as a digit, but it does not look much like one"
  not_digit  the drawing looks like no digit (a scribble, a letter, a shape): "digit" is null,
             "top_two" holds what it looks least unlike
  empty      nothing drawn
  error      the file could not be read ("error" says why)

--explain adds, for a digit read, what the app's "Inside the model" panel shows: "model_input"
(28x28, 0-1), "saliency" (28x28, >= 0: gradient x input, the ink that pushed towards the digit;
"saliency_second" for the runner-up when unsure), "members" (each network's 10 probabilities: their
mean is "probabilities") and "neighbours" (the 8 nearest MNIST training digits in the network's
penultimate layer, [{"index", "label"}], nearest first; null with "neighbours_error" when the model's
index is missing or stale). At the top level for one digit; with --multi, per digit in "explained".
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from mnist_core.config import DEFAULT_MODEL
from mnist_core.explain import Explainer
from mnist_core.image_io import read_image
from mnist_core.predictor import EMPTY, NOT_DIGIT, UNSURE, DigitReading, Predictor, Reading

DOUBT_NOTE = "read as a digit, but it does not look much like one"


def boxes_of(reading: Reading) -> list[list[int]]:
    """Each digit's box as [left, top, width, height] in the image's pixels."""
    return [[d.box.left, d.box.top, d.box.width, d.box.height] for d in reading.digits]


def reading_record(path: str, reading: Reading) -> dict:
    """A Reading -> the JSON-ready line for one image."""
    first = reading.first
    if reading.status == EMPTY or first is None:
        record = {"path": path, "status": EMPTY, "digit": None, "digits": "", "confidence": None,
                  "probabilities": None, "top_two": None}
        return record | ({"hint": reading.hint} if reading.hint else {})
    return {
        "path": path,
        "status": reading.status,
        "digit": None if reading.status == NOT_DIGIT else first.digit,
        "digits": "" if reading.status == NOT_DIGIT else reading.text,
        "confidence": round(min(d.confidence for d in reading.digits), 6),
        "probabilities": [round(float(p), 6) for p in first.probabilities],
        "top_two": [[digit, round(p, 6)] for digit, p in first.top_two],
        "boxes": boxes_of(reading),
    } | ({"hint": reading.hint} if reading.hint else {}) | (
        {"note": DOUBT_NOTE} if reading.status == UNSURE and any(d.doubtful for d in reading.digits) else {})


def several_digits_record(record: dict, several: Reading) -> dict:
    """A one-digit record of a drawing read (with multi) as several digits -> unsure, no digit: one
    of them alone would be silently wrong."""
    return record | {
        "status": UNSURE, "digit": None, "digits": several.text, "confidence": None, "probabilities": None,
        "top_two": None, "boxes": boxes_of(several),
        "note": f"{len(several.digits)} digits found ({several.text}); pass --multi to read them as a number",
    }


def rounded(values: np.ndarray) -> list:
    """A float array -> nested lists of numbers rounded to 4 decimals (JSON a person can read)."""
    return np.round(values.astype(np.float64), 4).tolist()


def explanation_record(explainer: Explainer, digit: DigitReading) -> dict:
    """One digit -> its model input, saliency, members' probabilities and nearest training digits."""
    explanation = explainer.explain(digit)
    maps = list(explanation.saliency.values())
    index = explainer.index
    record = {
        "model_input": rounded(digit.model_input),
        "saliency": rounded(maps[0]),
        **({"saliency_second": rounded(maps[1])} if len(maps) > 1 else {}),
        "members": [[round(float(p), 6) for p in member] for member in explanation.members],
        "neighbours": None if index is None else [
            {"index": int(index.training_indices[position]), "label": int(index.labels[position])}
            for position in explanation.neighbours],
    }
    return record | ({"neighbours_error": explainer.index_problem} if index is None else {})


def explained(record: dict, reading: Reading, explainer: Explainer, multi: bool) -> dict:
    """A reading's record with --explain's additions: at the top level for one digit, per digit with --multi."""
    if record["probabilities"] is None:  # nothing read, or several digits read as one
        return record
    if multi:
        return record | {"explained": [{"digit": d.digit} | explanation_record(explainer, d) for d in reading.digits]}
    return record | explanation_record(explainer, reading.first)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="shipped preset name or model folder")
    parser.add_argument("--multi", action="store_true", help="read several digits left to right")
    parser.add_argument("--explain", action="store_true",
                        help="add each digit's model input, saliency, networks' votes and nearest training digits")
    args = parser.parse_args(argv)

    try:
        predictor = Predictor(args.model)
        explainer = Explainer(predictor.folder) if args.explain else None
    except (FileNotFoundError, ValueError) as error:
        print(f"predict.py: {error}", file=sys.stderr)
        return 2

    any_error = False
    for path in args.images:
        try:
            image = read_image(path)
            reading = predictor.read(image, multi=args.multi)
            record = reading_record(path, reading)
            if not args.multi:
                several = predictor.read(image, multi=True)
                if len(several.digits) > 1:
                    record = several_digits_record(record, several)
            if explainer is not None:
                record = explained(record, reading, explainer, args.multi)
        except (FileNotFoundError, ValueError, OSError) as error:
            any_error = True
            record = {"path": path, "status": "error", "digit": None, "digits": "", "confidence": None,
                      "probabilities": None, "error": str(error)}
        print(json.dumps(record), flush=True)
    return 1 if any_error else 0


if __name__ == "__main__":
    sys.exit(main())
