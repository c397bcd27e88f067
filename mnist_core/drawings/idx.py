"""People's answered digits as a pair of IDX files, MNIST's format, read back with MNIST's own reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_core.data import Split, read_idx_pair, write_idx_pair

IMAGES_STEM = "drawings-images-idx3-ubyte"
LABELS_STEM = "drawings-labels-idx1-ubyte"


def write_drawings_idx(folder: Path, images: np.ndarray, labels: np.ndarray) -> list[Path]:
    """uint8 images (N, 28, 28) and labels (N,) -> the two gzipped IDX files in folder (their paths)."""
    return write_idx_pair(folder, IMAGES_STEM, LABELS_STEM, Split(images=images, labels=labels))


def load_drawings_idx(folder: Path) -> Split:
    """The exported answers in folder -> Split (uint8 images (N, 28, 28), uint8 labels (N,)), checked
    by mnist_core.data's reader like MNIST itself."""
    return read_idx_pair(folder, IMAGES_STEM, LABELS_STEM)
