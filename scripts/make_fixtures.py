"""Cut the small samples the tests use from the real data (neither MNIST nor the fonts are committed).

    python scripts/make_fixtures.py --data-dir $MNIST_DATA_DIR        # MNIST sample and font digits
    python scripts/make_fixtures.py --only fonts                      # font digits only

Writes tests/fixtures/mnist-small/: the first 600 training and 300 test images and labels, as
gzipped IDX files with the official names, so loader and training tests run without the data.
Writes tests/fixtures/font-digits.npz: the digits 0-9 of every held-out handwriting font
(mnist_core/fonts.py, fetched by scripts/fetch_fonts.py), rendered as 96x96 glyphs: handwriting
no model trained on, for the tests. Rendered pictures only; the fonts themselves stay out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from mnist_core.data import SPLIT_FILES, WHERE_MNIST_COMES_FROM, Split, load_mnist, write_idx_pair
from mnist_core.fonts import font_digits

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
FIXTURE_DIR = FIXTURES / "mnist-small"
FONT_FIXTURE = FIXTURES / "font-digits.npz"


def write_split(folder: Path, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    write_idx_pair(folder, *SPLIT_FILES[split], Split(images=images, labels=labels))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, epilog=WHERE_MNIST_COMES_FROM,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DATA_DIR)")
    parser.add_argument("--train", type=int, default=600)
    parser.add_argument("--test", type=int, default=300)
    parser.add_argument("--fonts-dir", help="handwriting fonts folder (default: $DIGIT_FONTS_DIR or artifacts/fonts)")
    parser.add_argument("--only", choices=["mnist", "fonts"], help="write just one of the two fixtures")
    args = parser.parse_args(argv)
    if args.only != "fonts":
        mnist = load_mnist(args.data_dir)
        FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
        write_split(FIXTURE_DIR, "train", mnist.train.images[: args.train], mnist.train.labels[: args.train])
        write_split(FIXTURE_DIR, "test", mnist.test.images[: args.test], mnist.test.labels[: args.test])
        print(f"wrote {args.train} train and {args.test} test images to {FIXTURE_DIR}")
    if args.only != "mnist":
        glyphs, labels, fonts = font_digits(args.fonts_dir, held_out=True)
        np.savez_compressed(FONT_FIXTURE, glyphs=glyphs, labels=labels, fonts=fonts)
        print(f"wrote {len(glyphs)} digits of {len(set(fonts))} held-out handwriting fonts to {FONT_FIXTURE}")


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data or fonts: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
