"""Shared test fixtures: where the data is, the shipped model, and drawings made like a user's."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.hostile_predict import is_plain
from bench.strokes import DIGIT_STROKES
from mnist_core.config import DATA_DIR_ENV, PROJECT_ROOT, data_dir_from_env
from mnist_core.synthetic import render

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keras, where a test loads it, logs quietly

# The database fixtures (database_url: SQLite, then a throwaway PostgreSQL server) for every test module.
pytest_plugins = ["postgres_support"]

FIXTURE_MNIST = PROJECT_ROOT / "tests" / "fixtures" / "mnist-small"
# What reading a hostile file may cost (scripts/predict.py, measured): generous, the targets are 2 s and
# 400 MB on an idle machine (bench/hostile_predict.py).
MAX_SECONDS, MAX_PEAK_MB = 10, 600


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The full MNIST folder from $MNIST_DATA_DIR; the test is skipped without it."""
    folder = data_dir_from_env()
    if folder is None or not folder.is_dir():
        pytest.skip(f"needs the full MNIST files: set {DATA_DIR_ENV} to their folder")
    return folder


def app_store(url: str, monkeypatch):
    """The answers database at url, as the app's pages find it ($DRAWINGS_DB), presenter controls off
    unless a test turns them on; closed afterwards. A fixture's body: `yield from app_store(...)`."""
    from mnist_core.drawings import DB_URL_ENV, open_store

    monkeypatch.setenv(DB_URL_ENV, url)
    monkeypatch.delenv("PRESENTER_PASSCODE", raising=False)
    store = open_store(url)
    yield store
    store.close()


def assert_plain(message: str, own_name: str = "") -> None:
    """A message for a user: no Python repr, no path on the server (own_name, the file's own name, may appear)."""
    assert is_plain(message, own_name), message


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


# The digits the tests were written around, from the one table of drawn digits (bench/strokes.py):
# the 0, the 1, the 4 in two strokes and the crossed 7 in two.
DRAWN_STROKES = {digit: DIGIT_STROKES[digit] for digit in "0147"}


def loop_scribble() -> np.ndarray:
    """A pen going round four times, each loop drifting right: the scribble once read "0, 68% sure"."""
    t = np.linspace(0, 8 * np.pi, 200)
    loops = [[(50 + 8 * t_ / np.pi + 22 * np.cos(t_) - 16, 50 + 30 * np.sin(t_)) for t_ in t]]
    return render(stroke_canvas(loops, size=320, brush=12, scale=2.2, offset=(20, 40)), "black_on_white")
