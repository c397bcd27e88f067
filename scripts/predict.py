"""Read the digits in image files: one JSON object per image on its own line.

    python scripts/predict.py drawing.png
    python scripts/predict.py --multi --model mlp-128-64 year.png other.jpg

Each line: {"path", "status": "ok"|"empty"|"unsure"|"error", "digit", "digits", "confidence",
"probabilities", "top_two"} and "error" for unreadable files. Exit code 1 if any input errored.
"""

from __future__ import annotations

import argparse
import json
import sys

from mnist_core.config import DEFAULT_MODEL
from mnist_core.image_io import read_image
from mnist_core.predictor import EMPTY, Predictor, Reading


def reading_record(path: str, reading: Reading) -> dict:
    """A Reading -> the JSON-ready line for one image."""
    first = reading.first
    if reading.status == EMPTY or first is None:
        return {"path": path, "status": EMPTY, "digit": None, "digits": "", "confidence": None,
                "probabilities": None, "top_two": None}
    return {
        "path": path,
        "status": reading.status,
        "digit": first.digit,
        "digits": reading.text,
        "confidence": round(min(d.confidence for d in reading.digits), 6),
        "probabilities": [round(float(p), 6) for p in first.probabilities],
        "top_two": [[digit, round(p, 6)] for digit, p in first.top_two],
        "boxes": [[d.box.left, d.box.top, d.box.width, d.box.height] for d in reading.digits],
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
            record = reading_record(path, predictor.read(read_image(path), multi=args.multi))
        except (FileNotFoundError, ValueError, OSError) as error:
            any_error = True
            record = {"path": path, "status": "error", "digit": None, "digits": "", "confidence": None,
                      "probabilities": None, "error": str(error)}
        print(json.dumps(record), flush=True)
    return 1 if any_error else 0


if __name__ == "__main__":
    sys.exit(main())
