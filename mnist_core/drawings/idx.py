"""People's answered digits as a pair of IDX files, MNIST's format, read back with MNIST's own parser."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from mnist_core.data import IMAGES_MAGIC, LABELS_MAGIC, Split, find_idx_file, parse_idx, read_file_bytes

IMAGES_STEM = "drawings-images-idx3-ubyte"
LABELS_STEM = "drawings-labels-idx1-ubyte"


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """uint8 array -> IDX file content (big-endian header: magic, then each dimension)."""
    header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_drawings_idx(folder: Path, images: np.ndarray, labels: np.ndarray) -> list[Path]:
    """uint8 images (N, 28, 28) and labels (N,) -> the two gzipped IDX files in folder (their paths)."""
    written = []
    for stem, array, magic in ((IMAGES_STEM, images, IMAGES_MAGIC), (LABELS_STEM, labels, LABELS_MAGIC)):
        path = Path(folder) / f"{stem}.gz"
        path.write_bytes(gzip.compress(idx_bytes(array, magic), mtime=0))
        written.append(path)
    return written


def load_drawings_idx(folder: Path) -> Split:
    """The exported answers in folder -> Split (uint8 images (N, 28, 28), uint8 labels (N,)), checked
    by mnist_core.data's parser like MNIST itself."""
    images_path = find_idx_file(Path(folder), IMAGES_STEM)
    labels_path = find_idx_file(Path(folder), LABELS_STEM)
    images = parse_idx(read_file_bytes(images_path), IMAGES_MAGIC, images_path)
    labels = parse_idx(read_file_bytes(labels_path), LABELS_MAGIC, labels_path)
    if len(images) != len(labels):
        raise ValueError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels")
    return Split(images=images, labels=labels)
