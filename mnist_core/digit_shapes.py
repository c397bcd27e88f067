"""How far a model input is from every digit it could be: the cheap "is this a digit at all?" test.

A classifier answers one of ten digits whatever it is shown: a scribble, a star or a letter is
read as some digit, often with 95% or more. What it cannot see, the training digits' own
statistics can: the digits of each class lie close to a low-dimensional subspace of the 28x28
inputs (the class's mean and its main modes of variation, as principal components). The squared
distance of an input from the subspace of the class the model reads is small for a drawn digit
and large for a shape no digit has. Computing it costs one (k, 784) product per digit read.

scripts/calibrate.py fits the subspaces on training digits (never the held-out ones) and saves
them as SHAPES_FILE in the model folder, next to the thresholds it chooses in calibration.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_core.config import IMAGE_SIZE, NUM_CLASSES

SHAPES_FILE = "digit_shapes.npz"
COMPONENTS = 10  # modes of variation kept per class: fewer miss real digits' variety, more fit any shape (10: measured best of 5, 10, 20, 40)
PIXELS = IMAGE_SIZE * IMAGE_SIZE


@dataclass(frozen=True)
class DigitShapes:
    """Each class's mean input and main modes of variation (orthonormal rows)."""

    means: np.ndarray  # float32 (10, 784)
    components: np.ndarray  # float32 (10, k, 784)

    def distances(self, inputs: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """float32 (n, 28, 28) model inputs, int (n,) classes read -> float32 (n,) squared distance of
        each input from its class's subspace (0: a typical digit of that class)."""
        offsets = np.asarray(inputs, np.float32).reshape(len(inputs), PIXELS) - self.means[classes]
        projected = np.einsum("nkp,np->nk", self.components[classes], offsets)
        return (np.einsum("np,np->n", offsets, offsets) - np.einsum("nk,nk->n", projected, projected)).astype(np.float32)


def fit_digit_shapes(inputs: np.ndarray, labels: np.ndarray, components: int = COMPONENTS) -> DigitShapes:
    """float32 (N, 28, 28) normalized digits (as the model reads them), int labels (N,) -> DigitShapes."""
    flat = np.asarray(inputs, np.float32).reshape(len(inputs), PIXELS)
    means, bases = [], []
    for digit in range(NUM_CLASSES):
        members = flat[labels == digit]
        if len(members) <= components:
            raise ValueError(f"only {len(members)} images of digit {digit}: need more than {components} to fit its shapes")
        mean = members.mean(axis=0)
        _, _, directions = np.linalg.svd(members - mean, full_matrices=False)
        means.append(mean)
        bases.append(directions[:components])
    return DigitShapes(np.stack(means).astype(np.float32), np.stack(bases).astype(np.float32))


def save_digit_shapes(shapes: DigitShapes, folder: str | Path) -> Path:
    path = Path(folder) / SHAPES_FILE
    np.savez_compressed(path, means=shapes.means.astype(np.float16), components=shapes.components.astype(np.float16))
    return path


def load_digit_shapes(folder: str | Path) -> DigitShapes | None:
    """The subspaces saved in folder, or None when it has none (the not-a-digit test is then off)."""
    path = Path(folder) / SHAPES_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path) as saved:
            shapes = DigitShapes(saved["means"].astype(np.float32), saved["components"].astype(np.float32))
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"{path.parent.name}/{SHAPES_FILE} is damaged ({error}); run scripts/calibrate.py --model {path.parent.name} again") from error
    if shapes.means.shape != (NUM_CLASSES, PIXELS) or shapes.components.shape[::2] != (NUM_CLASSES, PIXELS):
        raise ValueError(f"{path.parent.name}/{SHAPES_FILE} has the wrong shapes; run scripts/calibrate.py --model {path.parent.name} again")
    return shapes
