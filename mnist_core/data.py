"""Load MNIST from the four official IDX files, validating everything that is read."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_core.config import DATA_DIR_ENV, IMAGE_SIZE, NUM_CLASSES, data_dir_from_env

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# Where the four files come from: the scripts' --help and the error for a missing folder say it.
WHERE_MNIST_COMES_FROM = (
    "MNIST is read from its four official IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,\n"
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), from the MNIST database's site\n"
    "(http://yann.lecun.com/exdb/mnist/) or a mirror such as the one TensorFlow Datasets downloads from\n"
    "(https://storage.googleapis.com/cvdf-datasets/mnist/). Download them once into a folder and point\n"
    f"{DATA_DIR_ENV} or --data-dir at it: nothing here downloads them."
)


@dataclass(frozen=True)
class Split:
    """One MNIST split: uint8 images (N, 28, 28), white ink on black, and uint8 labels (N,)."""

    images: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Mnist:
    train: Split
    test: Split
    source: str  # the folder read
    checksums: dict[str, str]  # md5 of each file's uncompressed content


def find_idx_file(data_dir: Path, stem: str) -> Path:
    """The IDX file `stem` in data_dir, gzipped or not; FileNotFoundError naming both tried."""
    for candidate in (data_dir / f"{stem}.gz", data_dir / stem):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"MNIST file {stem}(.gz) not found in {data_dir}. Point --data-dir or "
        f"{DATA_DIR_ENV} at a folder holding the four official IDX files."
    )


def read_file_bytes(path: Path) -> bytes:
    """The content of an IDX file, gunzipped when it ends in .gz; ValueError if corrupt."""
    raw = path.read_bytes()
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{path}: corrupt or truncated gzip file ({error})") from error


def parse_idx(content: bytes, expected_magic: int, path: Path) -> np.ndarray:
    """IDX bytes -> uint8 array of the shape its header declares; ValueError naming the problem."""
    kind = "images" if expected_magic == IMAGES_MAGIC else "labels"
    dimensions = 3 if expected_magic == IMAGES_MAGIC else 1
    header_size = 4 + 4 * dimensions
    if len(content) < header_size:
        raise ValueError(f"{path}: file too short for an IDX {kind} header ({len(content)} bytes)")
    magic = int.from_bytes(content[:4], "big")
    if magic != expected_magic:
        raise ValueError(
            f"{path}: wrong magic number {magic}, expected {expected_magic} for an IDX {kind} file"
        )
    shape = tuple(
        int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions)
    )
    expected_bytes = header_size + int(np.prod(shape))
    if len(content) != expected_bytes:
        raise ValueError(
            f"{path}: header declares {shape} ({expected_bytes} bytes) but the file has "
            f"{len(content)} bytes: truncated or count mismatch"
        )
    if kind == "images" and shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"{path}: images are {shape[1]}x{shape[2]}, expected 28x28")
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


def load_split(data_dir: Path, split: str, checksums: dict[str, str] | None = None) -> Split:
    """Read and cross-check one split ("train" or "test") from data_dir."""
    return read_idx_pair(data_dir, *SPLIT_FILES[split], checksums=checksums)


def read_idx_pair(data_dir: Path, images_stem: str, labels_stem: str, checksums: dict[str, str] | None = None) -> Split:
    """Images and labels from a pair of IDX files in data_dir (.gz or not), cross-checked: uint8
    images (N, 28, 28), uint8 labels (N,) in 0-9. MNIST's splits, and the exported drawings."""
    data_dir = Path(data_dir)
    images_path = find_idx_file(data_dir, images_stem)
    labels_path = find_idx_file(data_dir, labels_stem)
    images_bytes = read_file_bytes(images_path)
    labels_bytes = read_file_bytes(labels_path)
    images = parse_idx(images_bytes, IMAGES_MAGIC, images_path)
    labels = parse_idx(labels_bytes, LABELS_MAGIC, labels_path)
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        bad = int(np.argmax(labels >= NUM_CLASSES))
        raise ValueError(
            f"{labels_path}: label {labels[bad]} at index {bad} is outside 0-{NUM_CLASSES - 1}"
        )
    if checksums is not None:
        checksums[images_path.name] = hashlib.md5(images_bytes).hexdigest()
        checksums[labels_path.name] = hashlib.md5(labels_bytes).hexdigest()
    return Split(images=images, labels=labels)


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """uint8 array -> IDX file content (big-endian header: magic, then each dimension)."""
    header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_pair(folder: Path, images_stem: str, labels_stem: str, split: Split) -> list[Path]:
    """uint8 images (N, 28, 28) and labels (N,) -> STEM.gz files in folder, as MNIST ships them (their paths).

    mtime=0: the same input gives byte-identical files (a re-run fixture changes nothing in git).
    """
    paths = [Path(folder) / f"{images_stem}.gz", Path(folder) / f"{labels_stem}.gz"]
    paths[0].write_bytes(gzip.compress(idx_bytes(split.images, IMAGES_MAGIC), mtime=0))
    paths[1].write_bytes(gzip.compress(idx_bytes(split.labels, LABELS_MAGIC), mtime=0))
    return paths


def load_from_dir(data_dir: Path) -> Mnist:
    """MNIST from a folder of IDX files (.gz or uncompressed)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"MNIST folder {data_dir} does not exist. Point --data-dir or {DATA_DIR_ENV} at a "
            "folder holding the four official IDX files."
        )
    checksums: dict[str, str] = {}
    train = load_split(data_dir, "train", checksums)
    test = load_split(data_dir, "test", checksums)
    return Mnist(train=train, test=test, source=str(data_dir), checksums=checksums)


def load_mnist(data_dir: str | Path | None = None) -> Mnist:
    """MNIST from data_dir, else from $MNIST_DATA_DIR; never downloaded (the machines it runs on are offline)."""
    folder = Path(data_dir) if data_dir else data_dir_from_env()
    if folder is None:
        raise FileNotFoundError(
            f"No MNIST folder was given (--data-dir or {DATA_DIR_ENV}).\n{WHERE_MNIST_COMES_FROM}"
        )
    return load_from_dir(folder)


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 or float images (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]; training and serving share it."""
    images = np.asarray(images)
    scaled = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)
    return np.clip(scaled, 0.0, 1.0).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)
