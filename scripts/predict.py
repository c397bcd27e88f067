"""Read the digits in image files: one JSON object per image on its own line.

    python scripts/predict.py drawing.png
    python scripts/predict.py --multi --model mlp-128-64 year.png other.jpg

Each line: {"path", "status", "digit", "digits", "confidence", "probabilities", "top_two", "boxes"},
"note" where a reading needs explaining, "hint" where the app would advise ("try a thinner brush")
and "error" for unreadable files. Exit code 1 if any input errored. The status is one of:

  ok         a digit read ("digit"; with --multi, "digits" left to right)
  unsure     the model hesitates: "top_two" holds its two best guesses. Without --multi, a drawing
             of several digits is unsure too, with "digit" null, "digits" the number they read and a
             "note": "4 digits found (2024); pass --multi to read them as a number"
  not_digit  the drawing looks like no digit (a scribble, a letter, a shape): "digit" is null,
             "top_two" holds what it looks least unlike
  empty      nothing drawn
  error      the file could not be read ("error" says why)
"""

from __future__ import annotations

import argparse
import json
import sys

from mnist_core.config import DEFAULT_MODEL
from mnist_core.image_io import read_image
from mnist_core.predictor import EMPTY, NOT_DIGIT, UNSURE, Predictor, Reading


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
    } | ({"hint": reading.hint} if reading.hint else {})


def several_digits_record(record: dict, several: Reading) -> dict:
    """A one-digit record of a drawing read (with multi) as several digits -> unsure, no digit: one
    of them alone would be silently wrong."""
    return record | {
        "status": UNSURE, "digit": None, "digits": several.text, "confidence": None, "probabilities": None,
        "top_two": None, "boxes": boxes_of(several),
        "note": f"{len(several.digits)} digits found ({several.text}); pass --multi to read them as a number",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="shipped preset name or model folder")
    parser.add_argument("--multi", action="store_true", help="read several digits left to right")
    args = parser.parse_args(argv)

    try:
        predictor = Predictor(args.model)
    except (FileNotFoundError, ValueError) as error:
        print(f"predict.py: {error}", file=sys.stderr)
        return 2

    any_error = False
    for path in args.images:
        try:
            image = read_image(path)
            record = reading_record(path, predictor.read(image, multi=args.multi))
            if not args.multi:
                several = predictor.read(image, multi=True)
                if len(several.digits) > 1:
                    record = several_digits_record(record, several)
        except (FileNotFoundError, ValueError, OSError) as error:
            any_error = True
            record = {"path": path, "status": "error", "digit": None, "digits": "", "confidence": None,
                      "probabilities": None, "error": str(error)}
        print(json.dumps(record), flush=True)
    return 1 if any_error else 0


if __name__ == "__main__":
    sys.exit(main())
