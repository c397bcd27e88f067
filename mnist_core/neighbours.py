"""The MNIST training digits nearest a drawing, as the network sees them: its penultimate layer.

Every network's input to its last Dense layer (an ensemble's members side by side) for the first
INDEXED_DIGITS training digits, reduced by PCA to DIMENSIONS and stored as float16 with the digits'
images and labels in the model's folder (neighbours.npz, under 5 MB). The index records the SHA-256
of the model.keras it was computed from: an index for another model is refused with the command that
rebuilds it, never used.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from mnist_core import artifacts
from mnist_core.data import to_model_input
from mnist_core.numpy_forward import Layer, layer_outputs, read_layers

INDEX_FILE = "neighbours.npz"
INDEXED_DIGITS = 20_000  # the first training digits: with their images, the index stays under 5 MB
DIMENSIONS = 32  # PCA components kept
NEIGHBOURS = 8
BATCH = 200  # training digits per forward pass while indexing (bounded memory)
INDEX_COMMAND = "python scripts/index_neighbours.py --model {name}"


def model_hash(folder: Path) -> str:
    """The SHA-256 of folder/model.keras, hex."""
    return hashlib.sha256(artifacts.model_file(folder).read_bytes()).hexdigest()


def penultimate_position(layers: list[Layer]) -> int:
    """The index in layer_outputs of the last Dense layer's input; -1: the image itself (a network
    that is a single Dense layer)."""
    dense = [index for index, layer in enumerate(layers) if layer.kind == "Dense"]
    if not dense:
        raise ValueError("the model has no Dense layer: it has no penultimate layer to compare digits in")
    return dense[-1] - 1


def penultimate_features(outputs: list[np.ndarray], position: int, images: np.ndarray) -> np.ndarray:
    """layer_outputs of N images (float32 (N, 28, 28, 1)) -> float32 (N, M*D): every member's
    penultimate values, side by side."""
    values = outputs[position] if position >= 0 else images[None]
    return np.moveaxis(values.reshape(*values.shape[:2], -1), 0, 1).reshape(len(images), -1)


@dataclass(frozen=True)
class NeighbourIndex:
    """A model's index of training digits (see the module's docstring)."""

    features: np.ndarray  # float32 (K, DIMENSIONS) (stored as float16)
    mean: np.ndarray  # float32 (F,): the penultimate features' mean over the indexed digits
    components: np.ndarray  # float32 (F, DIMENSIONS): PCA's directions
    labels: np.ndarray  # uint8 (K,)
    images: np.ndarray  # uint8 (K, 28, 28), MNIST's white on black
    training_indices: np.ndarray  # int64 (K,): where each digit sits in MNIST's training set
    metadata: dict

    @cached_property
    def squared_norms(self) -> np.ndarray:
        """float32 (K,): each indexed digit's squared length in the reduced space."""
        return np.square(self.features).sum(axis=1)

    def nearest(self, features: np.ndarray, count: int = NEIGHBOURS) -> np.ndarray:
        """float32 (F,) one drawing's penultimate features -> int64 (count,) positions in this index,
        nearest first."""
        point = (features - self.mean) @ self.components
        # |a - b|^2 = |a|^2 - 2 a.b + |b|^2: one product with the index, no (K, D) difference array.
        distances = self.squared_norms - 2.0 * (self.features @ point) + float(point @ point)
        closest = np.argpartition(distances, count)[:count]
        return closest[np.argsort(distances[closest], kind="stable")]


def build_index(folder: Path, images: np.ndarray, labels: np.ndarray, command: str) -> Path:
    """uint8 (N, 28, 28) MNIST training images and labels, in training order -> folder/neighbours.npz
    for folder/model.keras, the first INDEXED_DIGITS of them; `command` is recorded as what made it."""
    folder = Path(folder)
    layers = read_layers(artifacts.model_file(folder))
    if layers is None:
        raise ValueError(f"{folder.name}: the NumPy forward pass does not cover this model, so it has no index")
    position = penultimate_position(layers)
    images, labels = images[:INDEXED_DIGITS], labels[:INDEXED_DIGITS]
    features = np.concatenate([
        penultimate_features(layer_outputs(layers, batch), position, batch)
        for batch in (to_model_input(images[start : start + BATCH]) for start in range(0, len(images), BATCH))
    ])
    mean = features.mean(axis=0)
    centred = features - mean
    # PCA by the eigenvectors of the covariance (F is at most a few hundred): the largest first.
    _, vectors = np.linalg.eigh(centred.T @ centred)
    components = np.ascontiguousarray(vectors[:, ::-1][:, :DIMENSIONS]).astype(np.float32)
    metadata = {
        "model_sha256": model_hash(folder), "command": command, "training_digits": len(images),
        "dimensions": components.shape[1], "features": features.shape[1],
        "space": "the input of the last Dense layer (every member's, side by side), PCA-reduced",
    }
    path = folder / INDEX_FILE
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, features=(centred @ components).astype(np.float16), mean=mean.astype(np.float32),
        components=components, labels=labels.astype(np.uint8), images=images.astype(np.uint8),
        training_indices=np.arange(len(images)), metadata=np.array(json.dumps(metadata)),
    )
    path.write_bytes(buffer.getvalue())
    return path


def load_index(folder: Path) -> NeighbourIndex:
    """folder/neighbours.npz, checked against folder/model.keras; FileNotFoundError when absent,
    ValueError when damaged or made for another model (each saying how to rebuild it)."""
    folder = Path(folder)
    path = folder / INDEX_FILE
    command = INDEX_COMMAND.format(name=folder.name)
    hint = f"Rebuild it with: {command}"
    if not path.is_file():
        raise FileNotFoundError(f"{artifacts.shown_path(path)} does not exist. Build it with: {command}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        metadata = json.loads(str(arrays.pop("metadata")))
        index = NeighbourIndex(metadata=metadata, **(arrays | {"features": arrays["features"].astype(np.float32)}))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{artifacts.shown_path(path)} is damaged ({error}). {hint}") from error
    if metadata.get("model_sha256") != model_hash(folder):
        raise ValueError(f"{artifacts.shown_path(path)} was made for another model.keras than the one beside it. {hint}")
    return index
