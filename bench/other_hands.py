"""Other hands than MNIST's, to judge a fine-tune: each set a part to learn from and a held-out part.

- `fonts`: the 44 held-out handwriting fonts' digits (tests/fixtures/font-digits.npz), split by
  family (alternate families, sorted by name: one learns, the other judges), each digit in
  writer's variants (fonts.handwritten_variants).
- `pen`: coarse pen trajectories, as a tablet sampling a digit at 8 points does (the UCI
  "pendigits" data: every stroke joined into one trajectory, pen lifts included, resampled to 8
  points equally spaced along it, drawn as straight lines). Each writer moves bench/strokes.py's
  points, slants and stretches; "learn" and "held-out" are different writers (seeds).
- `scanned`: MNIST test digits as a 16x16 scanner sees them (the USPS data's resolution), dark ink
  on gray paper, blurred and noisy; learn = test digits 0-4999, held-out = 5000-9999.

Every image is drawn on a canvas and normalized by the app's pipeline (finetune_sources.model_input_of).
Test and measurement data, not the app's: hence here, not in mnist_core.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from bench.strokes import DIGIT_STROKES
from mnist_core.config import PROJECT_ROOT
from mnist_core.finetune_sources import model_input_of
from mnist_core.fonts import as_mnist, family, handwritten_variants

FONT_FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "font-digits.npz"
PEN_POINTS = 8
CANVAS = 280


def as_inputs(pictures: list[np.ndarray], labels: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Pictures of one digit each -> uint8 (N, 28, 28) model inputs by the pipeline, uint8 (N,) labels
    (a picture without ink is dropped)."""
    inputs = [model_input_of(picture) for picture in pictures]
    kept = [index for index, model_input in enumerate(inputs) if model_input is not None]
    return np.stack([inputs[i] for i in kept]), np.array([labels[i] for i in kept], np.uint8)


def font_sets(copies: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"learn": ..., "held_out": ...}: the fixture's fonts, alternate families each side, `copies` variants a digit."""
    with np.load(FONT_FIXTURE, allow_pickle=False) as archive:
        glyphs, labels, fonts = archive["glyphs"], archive["labels"], archive["fonts"]
    families = sorted({family(name) for name in fonts})
    learning = {name for name in families[::2]}
    sets = {}
    for part, chosen in (("learn", [family(n) in learning for n in fonts]), ("held_out", [family(n) not in learning for n in fonts])):
        chosen = np.array(chosen)
        variants, variant_labels = handwritten_variants(glyphs[chosen], labels[chosen], copies, seed=seed)
        sets[part] = (np.round(as_mnist(variants) * 255).astype(np.uint8), variant_labels)
    return sets


def resampled(points: np.ndarray, count: int) -> np.ndarray:
    """float (K, 2) polyline -> float (count, 2) points equally spaced along it, ends included."""
    lengths = np.r_[0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    at = np.linspace(0, lengths[-1], count)
    return np.stack([np.interp(at, lengths, points[:, 0]), np.interp(at, lengths, points[:, 1])], axis=1)


def pen_trajectory(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One writer's coarse trajectory of a digit -> uint8 (CANVAS, CANVAS) black on white canvas."""
    joined = np.array([point for stroke in DIGIT_STROKES[str(digit)] for point in stroke], float)
    points = resampled(joined, PEN_POINTS) + rng.normal(0, 7, (PEN_POINTS, 2))
    slant, stretch = rng.uniform(-0.35, 0.2), rng.uniform(0.6, 1.2)
    points[:, 0] = 50 + (points[:, 0] - 50) * stretch + slant * (50 - points[:, 1])
    height = rng.uniform(100, 220)
    pixels = (CANVAS - height) / 2 + points * height / 100
    canvas = np.full((CANVAS, CANVAS), 255, np.uint8)
    brush = max(2, round(height * rng.uniform(0.04, 0.12)))
    cv2.polylines(canvas, [np.round(pixels).astype(np.int32)], False, 0, brush, cv2.LINE_AA)
    return canvas


def pen_set(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = [int(digit) for digit in rng.integers(0, 10, count)]
    return as_inputs([pen_trajectory(digit, rng) for digit in labels], labels)


def scanned(mnist_digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (28, 28) MNIST digit -> uint8 (96, 96) dark-on-gray scan of it at 16x16 resolution."""
    low = cv2.resize(mnist_digit, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    large = cv2.GaussianBlur(cv2.resize(low, (96, 96), interpolation=cv2.INTER_LINEAR), (0, 0), rng.uniform(0.5, 2.0))
    paper, ink = rng.uniform(190, 245), rng.uniform(10, 70)
    picture = paper - (paper - ink) * large + rng.normal(0, rng.uniform(1, 3), large.shape)
    return np.clip(picture, 0, 255).astype(np.uint8)


def scanned_sets(test_images: np.ndarray, test_labels: np.ndarray, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    half = len(test_images) // 2
    parts = {"learn": slice(0, half), "held_out": slice(half, None)}
    return {part: as_inputs([scanned(image, rng) for image in test_images[chosen]], test_labels[chosen].tolist())
            for part, chosen in parts.items()}


def build_sets(test_images: np.ndarray, test_labels: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Every set's parts -> {"fonts_learn_images": uint8 (N, 28, 28), "fonts_learn_labels": uint8 (N,), ...}."""
    sets = {
        "fonts": font_sets(copies=12, seed=seed),
        "pen": {"learn": pen_set(3000, seed=seed + 1), "held_out": pen_set(3000, seed=seed + 2)},
        "scanned": scanned_sets(test_images, test_labels, seed=seed + 3),
    }
    return {f"{name}_{part}_{what}": array for name, parts in sets.items() for part, pair in parts.items()
            for what, array in zip(("images", "labels"), pair)}


def load_or_build(cache: Path, test_images: np.ndarray, test_labels: np.ndarray) -> dict[str, np.ndarray]:
    """The sets from cache (an .npz), built and saved there first if it is missing."""
    if not cache.is_file():
        np.savez_compressed(cache, **build_sets(test_images, test_labels))
    with np.load(cache, allow_pickle=False) as archive:
        return dict(archive)
