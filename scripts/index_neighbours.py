"""Build a model's index of MNIST training digits for "Training digits it resembles" (neighbours.npz).

    python scripts/index_neighbours.py --model cnn-ensemble
    python scripts/index_neighbours.py --model models/cnn --data-dir $MNIST_DATA_DIR

scripts/train.py builds it at the end of training; this script builds it for a model trained
before, or rebuilds it when the app refuses a stale one (made for another model.keras). It reads
the first training digits (mnist_core.neighbours.INDEXED_DIGITS) through the model in NumPy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnist_core import artifacts
from mnist_core.config import DEFAULT_MODEL, model_dir
from mnist_core.data import WHERE_MNIST_COMES_FROM, load_mnist
from mnist_core.neighbours import INDEX_COMMAND, build_index


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog=WHERE_MNIST_COMES_FROM,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="shipped preset name or model folder")
    parser.add_argument("--data-dir", help="folder of the four MNIST IDX files (default: $MNIST_DATA_DIR)")
    args = parser.parse_args(argv)
    folder = model_dir(args.model)
    try:
        mnist = load_mnist(args.data_dir)
        path = build_index(folder, mnist.train.images, mnist.train.labels,
                           command=INDEX_COMMAND.format(name=folder.name))
    except (FileNotFoundError, ValueError) as error:
        print(f"{Path(__file__).name}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {artifacts.shown_path(path)} ({path.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
