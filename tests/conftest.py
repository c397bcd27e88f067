"""Shared test fixtures: where the data is, the shipped model, and drawings made like a user's."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from mnist_core.config import DATA_DIR_ENV, data_dir_from_env

PROJECT_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keras, where a test loads it, logs quietly

FIXTURE_MNIST = PROJECT_ROOT / "tests" / "fixtures" / "mnist-small"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The full MNIST folder from $MNIST_DATA_DIR; the test is skipped without it."""
    folder = data_dir_from_env()
    if folder is None or not folder.is_dir():
        pytest.skip(f"needs the full MNIST files: set {DATA_DIR_ENV} to their folder")
    return folder


@pytest.fixture(scope="session")
def predictor():
    """The shipped default model, loaded once for the whole test session."""
    from mnist_core.predictor import Predictor

    return Predictor()


def stroke_canvas(strokes, size=280, brush=18, scale=1.0, offset=(0, 0)) -> np.ndarray:
    """Polylines in a 0-100 box -> a float ink canvas, drawn with a round brush like the app's."""
    canvas = np.zeros((size, size), np.float32)
    for stroke in strokes:
        points = np.array(
            [[offset[0] + x * scale, offset[1] + y * scale] for x, y in stroke], np.float64
        )
        cv2.polylines(canvas, [np.round(points).astype(np.int32)], False, 1.0, int(brush), cv2.LINE_AA)
    return canvas


# Digits as people draw them with a mouse, in a 100x100 box (x right, y down).
DRAWN_STROKES = {
    "0": [[(50 + 28 * np.sin(t), 50 - 42 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
    "1": [[(47, 16), (55, 8), (55, 92)]],
    "4": [[(55, 8), (22, 65), (80, 65)], [(62, 35), (62, 95)]],  # two strokes
    "7": [[(20, 10), (80, 10), (40, 92)], [(35, 50), (70, 50)]],  # crossed, two strokes
}
