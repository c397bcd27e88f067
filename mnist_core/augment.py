"""Training-time augmentation that makes MNIST look like what people draw.

Each image gets a random affine warp (shift, rotation, scale, shear), a smooth elastic
distortion and a random stroke-width change, all in one cv2.remap plus one morphology step.
A share of the images is first redrawn the way the app sees them: enlarged to a canvas size,
drawn with another brush (hairline to very thick, where strokes break or loops fill), then
brought back to 28x28 by the serving pipeline's own normalize_digit, so the model learns
from what the pipeline really feeds it.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import cv2
import keras
import numpy as np

from mnist_core.config import IMAGE_SIZE
from mnist_core.normalize import normalize_digit, stroke_width

MAX_SHIFT = 2.0  # pixels; the serving pipeline centres by mass, so shifts stay small
MAX_ROTATION = 10.0  # degrees
SCALE_SPREAD = 0.12  # scale factors in 1 +- this
MAX_SHEAR = 0.15
ELASTIC_AMPLITUDE = 1.2  # pixels of displacement at the coarse grid points
ELASTIC_GRID = 4  # a 4x4 field of random displacements, smoothly upsampled to 28x28
STROKE_CHANGE_PROBABILITY = 0.4
REDRAWN_SHARE = 0.35  # of each batch, taken from the redrawn copies
REDRAWN_COPIES = 2  # redrawn copies made of each training digit, each with its own size and brush
REDRAW_HEIGHTS = (40, 280)  # canvas pixels a digit is drawn at

_GRID_Y, _GRID_X = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float32)
_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def random_sampling_map(rng: np.random.Generator, strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A random affine + elastic warp, scaled by strength in [0, 1], as two float32 (28, 28) maps for cv2.remap."""
    angle = np.deg2rad(rng.uniform(-MAX_ROTATION, MAX_ROTATION) * strength)
    scale_x, scale_y = 1.0 + rng.uniform(-SCALE_SPREAD, SCALE_SPREAD, size=2) * strength
    shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR) * strength
    cos, sin = np.cos(angle), np.sin(angle)
    # Inverse mapping: output pixel -> source pixel, about the image centre.
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, shear], [0, 1]]) @ np.diag(
        [scale_x, scale_y]
    )
    inverse = np.linalg.inv(forward).astype(np.float32)
    centre = (IMAGE_SIZE - 1) / 2
    shift = (rng.uniform(-MAX_SHIFT, MAX_SHIFT, size=2) * strength).astype(np.float32)
    dx, dy = _GRID_X - centre - shift[0], _GRID_Y - centre - shift[1]
    map_x = inverse[0, 0] * dx + inverse[0, 1] * dy + centre
    map_y = inverse[1, 0] * dx + inverse[1, 1] * dy + centre
    coarse = rng.normal(0, ELASTIC_AMPLITUDE * strength, size=(ELASTIC_GRID, ELASTIC_GRID, 2)).astype(np.float32)
    field = cv2.resize(coarse, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_CUBIC)
    return map_x + field[..., 0], map_y + field[..., 1]


def change_stroke_width(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """float32 (28, 28) -> the same with strokes randomly thinned or thickened by up to a pixel."""
    if rng.random() > STROKE_CHANGE_PROBABILITY * strength:
        return image
    amount = rng.uniform(0.3, 1.0)
    if rng.random() < 0.5:
        target = cv2.dilate(image, _KERNEL)
    else:
        target = cv2.erode(image, _KERNEL)
        if target.max() < 0.5 * image.max():  # thinning erased the digit: keep it as it was
            return image
    return image + amount * (target - image)


def augment_image(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """float32 (28, 28) in [0, 1] -> one random drawn-like variant, float32 (28, 28) in [0, 1]."""
    map_x, map_y = random_sampling_map(rng, strength)
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderValue=0.0)
    return np.clip(change_stroke_width(warped, rng, strength), 0.0, 1.0)


def random_brush(height: int, rng: np.random.Generator) -> float:
    """A brush width in pixels for a digit `height` tall: hairline, natural, or very thick."""
    kind = rng.random()
    if kind < 0.3:
        return rng.uniform(1.0, 2.5)
    if kind < 0.75:
        return height * rng.uniform(0.05, 0.22)
    return height * rng.uniform(0.22, 0.4)


def redraw(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """float32 (28, 28) MNIST digit -> float32 (28, 28): drawn at a random size and brush, then
    normalized the way the app normalizes a drawing."""
    rows = np.flatnonzero(image.max(axis=1) > 0.15)
    cols = np.flatnonzero(image.max(axis=0) > 0.15)
    if rows.size == 0:
        return image
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height = int(rng.integers(*REDRAW_HEIGHTS))
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    mask = cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC) > rng.uniform(0.3, 0.6)
    if not mask.any():
        return image
    offset = (random_brush(height, rng) - stroke_width(mask)) / 2
    margin = int(np.ceil(max(offset, 0))) + 2
    padded = cv2.copyMakeBorder(mask.astype(np.uint8), margin, margin, margin, margin, cv2.BORDER_CONSTANT, 0)
    if offset >= 0:
        drawn = cv2.distanceTransform(1 - padded, cv2.DIST_L2, 5) <= offset
    else:
        inside = cv2.distanceTransform(padded, cv2.DIST_L2, 5)
        drawn = inside > -offset
        if drawn.sum() < 0.1 * padded.sum():  # thinned away: a hairline keeps at least some ink
            drawn = inside > -offset / 2
    if not drawn.any():
        return image
    return normalize_digit(cv2.GaussianBlur(drawn.astype(np.float32), (3, 3), 0.7))


def _redraw_chunk(task: tuple[np.ndarray, int]) -> np.ndarray:
    images, seed = task
    rng = np.random.default_rng(seed)
    return np.stack([redraw(image, rng) for image in images])


def redraw_all(images: np.ndarray, seed: int, copies: int = REDRAWN_COPIES, workers: int = 2) -> np.ndarray:
    """float32 (N, 28, 28, 1) -> float32 (copies, N, 28, 28, 1): redrawn copies of each, made in parallel."""
    chunks = np.array_split(images[..., 0], max(1, len(images) // 2000))
    tasks = [(chunk, (seed * 10 + copy) * 1000 + index) for copy in range(copies) for index, chunk in enumerate(chunks)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        redrawn = np.concatenate(list(pool.map(_redraw_chunk, tasks)))
    return redrawn.reshape(copies, *images.shape)


def augment_batch(images: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """float32 (N, 28, 28, 1) -> float32 (N, 28, 28, 1), each image augmented independently."""
    out = np.empty_like(images)
    for index in range(len(images)):
        out[index, ..., 0] = augment_image(images[index, ..., 0], rng, strength)
    return out


class AugmentedBatches(keras.utils.PyDataset):
    """Shuffled, augmented training batches, reproducible from a seed.

    Augmentation is full strength for the first 60% of epochs, then eases off to a quarter,
    so that the last epochs also fit clean MNIST-style digits (what the pipeline produces).
    """

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, epochs: int,
        redrawn: np.ndarray | None = None,
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.redrawn = redrawn  # (copies, N, 28, 28, 1) redrawn copies of the images (redraw_all), or None
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(images))
        self.epochs, self.epoch = epochs, 0

    @property
    def strength(self) -> float:
        progress = min(1.0, self.epoch / max(1, self.epochs - 1))
        return 1.0 if progress <= 0.6 else 1.0 - 0.75 * (progress - 0.6) / 0.4

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index: int):
        chosen = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.images[chosen]
        if self.redrawn is not None:
            use_redrawn = self.rng.random(len(chosen)) < REDRAWN_SHARE
            copy = self.rng.integers(len(self.redrawn), size=len(chosen))
            batch = np.where(use_redrawn[:, None, None, None], self.redrawn[copy, chosen], batch)
        return augment_batch(batch, self.rng, self.strength), self.labels[chosen]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.images))
        self.epoch += 1
