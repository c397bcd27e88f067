"""Is it a digit at all? A small network that tells drawn digits from scribbles, letters and shapes.

A classifier answers one of ten digits whatever it is shown: a scribble, a star or a letter is
read as some digit, often with 95% or more. A second, small network looks at the same 28x28 model
input and answers one thing: how likely it is no digit. It learns from the pieces the app's own
pipeline cuts out of drawn canvases (mnist_core.synthetic, from MNIST training digits, and
handwriting fonts' digits) against the pieces it cuts out of generated non-digits
(mnist_core.non_digits), every image warped afresh each epoch (mnist_core.augment) so that it
learns shapes, not the few hundred writers' hands it saw. scripts/calibrate.py trains it, saves it
as DETECTOR_FILE in the model folder and chooses the score above which a piece is "not a digit"
(calibration.json's "not_digit_threshold"). Serving runs it in NumPy (numpy_forward), ~0.1 ms a piece.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_core.config import IMAGE_SIZE
from mnist_core.numpy_forward import Step, read_forward

DETECTOR_FILE = "not_digit.keras"
AUGMENTED_SHARE = 0.7  # of each epoch's images, warped; the rest as the pipeline made them
BATCH_SIZE = 128
# A non-digit piece this line-like (elongation below it) is left out of the detector's examples: a
# lone straight stroke cut out of a scribble looks exactly like a 1, and a detector taught that it
# is no digit refuses people's 1s (tests/test_not_a_digit.py). 0.06: a stroke ~4 times longer than wide.
LINE_LIKE_ELONGATION = 0.06
INK_LEVEL = 0.2  # a pixel above this (of 1) counts as ink for the elongation


def load_detector(folder: str | Path) -> Step | None:
    """The detector saved in folder, as a NumPy forward pass, or None when the folder has none."""
    path = Path(folder) / DETECTOR_FILE
    if not path.is_file():
        return None
    forward = read_forward(path)  # checks the file before reading it, as for the model itself
    if forward is None:
        raise ValueError(f"{Path(folder).name}/{DETECTOR_FILE} has layers NumPy cannot run; run scripts/calibrate.py --model {Path(folder).name} again")
    return forward


def not_digit_scores(detector: Step, inputs: np.ndarray) -> np.ndarray:
    """float32 (n, 28, 28) model inputs -> float32 (n,) probability that each is no digit."""
    batch = np.asarray(inputs, np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)
    if len(batch) == 0:
        return np.zeros(0, np.float32)
    return np.asarray(detector(batch), np.float32)[:, 1]


def elongation(piece: np.ndarray) -> float:
    """float32 (28, 28) model input in [0, 1] -> float: the smaller over the larger eigenvalue of the
    covariance of its ink's coordinates, weighted by ink. 0 for a straight line, 1 for a round blot
    or a square; 0 too for a piece with fewer than three ink pixels."""
    rows, columns = np.nonzero(piece > INK_LEVEL)
    if len(rows) < 3:
        return 0.0
    covariance = np.cov(np.vstack([columns, rows]), aweights=piece[rows, columns])
    smaller, larger = np.linalg.eigvalsh(covariance)  # ascending
    return float(smaller / max(larger, 1e-6))


def not_line_like(pieces: np.ndarray) -> np.ndarray:
    """float32 (n, 28, 28) pieces -> bool (n,) True where a piece is not a straight stroke."""
    return np.array([elongation(piece) >= LINE_LIKE_ELONGATION for piece in pieces], dtype=bool)


def train_detector(digits: np.ndarray, non_digits: np.ndarray, epochs: int, seed: int):
    """float32 (N, 28, 28) digit pieces and (M, 28, 28) non-digit pieces -> a trained Keras model
    (input (28, 28, 1), output (2,) softmax: digit, not a digit). The two kinds weigh the same
    however many of each there are."""
    import keras

    from mnist_core.augment import augment_image
    from mnist_core.networks import not_digit_network

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    images = np.concatenate([digits, non_digits]).astype(np.float32)
    targets = np.concatenate([np.zeros(len(digits)), np.ones(len(non_digits))]).astype(np.int32)
    weights = np.where(targets == 1, len(digits) / max(1, len(non_digits)), 1.0).astype(np.float32)
    model = not_digit_network()
    for epoch in range(epochs):
        warped = np.stack([augment_image(image, rng) if rng.random() < AUGMENTED_SHARE else image for image in images])
        history = model.fit(warped[..., None], targets, sample_weight=weights, epochs=1, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
        print(f"not-a-digit detector: epoch {epoch + 1}/{epochs}, accuracy {history.history['accuracy'][-1]:.4f}", flush=True)
    return model
