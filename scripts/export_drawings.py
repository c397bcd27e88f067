"""Export the digits people answered at the meetup, for fine-tuning, in the order they answered.

    python scripts/export_drawings.py --out exports/round-2 --round 2
    DRAWINGS_DB=postgresql+psycopg://app@db-host/drawings python scripts/export_drawings.py --out exports/all

Reads the answers database ($DRAWINGS_DB, else data/drawings.sqlite3) and writes into --out, a new
or empty folder:
  drawings-images-idx3-ubyte.gz, drawings-labels-idx1-ubyte.gz  the 28x28 model inputs and the
      person's answers in MNIST's IDX format (mnist_core.drawings.idx.load_drawings_idx reads them)
  drawings.csv   one row per digit: index, drawing, position, time, round, label, model's answer,
      confidence, model
  digits/000001-7.png ...  each digit's model input (index, then label), with labels.csv (file,label)
Hidden drawings are left out unless --include-hidden is given.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

DIGITS_FOLDER = "digits"


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a round number (1, 2, ...), not {text!r}")
    return int(text)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="folder to write into: new or empty")
    parser.add_argument("--round", type=positive_int, help="only this round (default: every round)")
    parser.add_argument("--include-hidden", action="store_true", help="also the drawings hidden from the wall")
    return parser.parse_args(argv)


def check_out_folder(out: Path) -> None:
    """--out must be a new or empty folder: files of an earlier, longer export must not linger."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file: give a folder")
    if out.is_dir() and any(out.iterdir()):
        raise ValueError(f"--out {out} is not empty: give a new folder, or empty this one")


def write_export(out: Path, rows: list) -> None:
    """rows: ExportedDigit, in the order answered -> the IDX pair, drawings.csv, digits/*.png, labels.csv."""
    import numpy as np
    from PIL import Image

    from mnist_core.drawings.idx import write_drawings_idx

    (out / DIGITS_FOLDER).mkdir(parents=True)
    images = np.stack([row.model_input for row in rows])
    labels = np.array([row.label for row in rows], np.uint8)
    write_drawings_idx(out, images, labels)
    with (
        open(out / "drawings.csv", "w", newline="") as drawings_file,
        open(out / "labels.csv", "w", newline="") as labels_file,
    ):
        drawings_csv, labels_csv = csv.writer(drawings_file), csv.writer(labels_file)
        drawings_csv.writerow(
            ["index", "drawing_id", "position", "time", "round", "label", "predicted", "confidence", "model"]
        )
        labels_csv.writerow(["file", "label"])
        for index, row in enumerate(rows, start=1):
            name = f"{DIGITS_FOLDER}/{index:06d}-{row.label}.png"
            Image.fromarray(row.model_input).save(out / name)
            labels_csv.writerow([name, row.label])
            drawings_csv.writerow(
                [
                    index,
                    row.drawing_id,
                    row.position,
                    row.created_at.isoformat(),
                    row.round_id,
                    row.label,
                    row.predicted,
                    f"{row.confidence:.6f}",
                    row.model_name,
                ]
            )


def main(argv=None) -> int:
    args = parse_args(argv)
    # Imported after the arguments are read, so that --help and bad arguments answer at once.
    from mnist_core.drawings import open_store

    try:
        check_out_folder(args.out)
        store = open_store()
        if args.round is not None and args.round not in {r.id for r in store.rounds()}:
            raise ValueError(f"there is no round {args.round}: the latest is round {store.current_round().id}")
        rows = list(store.export(round_id=args.round, include_hidden=args.include_hidden))
        if not rows:
            which = f"round {args.round}" if args.round is not None else "the database"
            raise ValueError(f"{which} has no answers to export yet")
        write_export(args.out, rows)
    except ValueError as error:  # StoreUnavailable is one too
        print(f"export_drawings: {error}", file=sys.stderr)
        return 1
    drawings = len({row.drawing_id for row in rows})
    print(f"exported {len(rows)} digits of {drawings} drawings to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
