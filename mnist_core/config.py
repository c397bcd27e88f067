"""The one place that defines sizes, names and paths shared by training, serving and tests."""

from __future__ import annotations

import os
from pathlib import Path

IMAGE_SIZE = 28  # MNIST images are 28x28 ...
DIGIT_BOX = 20  # ... with the ink's bounding box scaled to fit 20x20 inside them.
NUM_CLASSES = 10
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
MODELS_DIR_ENV = "DIGIT_MODELS_DIR"  # another folder of models for the app and the scripts
DEFAULT_MODEL = "cnn-ensemble"

DATA_DIR_ENV = "MNIST_DATA_DIR"
# Handwriting fonts (mnist_core/fonts.py), fetched by scripts/fetch_fonts.py; never committed.
FONTS_DIR_ENV = "DIGIT_FONTS_DIR"
FONTS_DIR = PROJECT_ROOT / "artifacts" / "fonts"

# The drawing canvas (streamlit-drawable-canvas): the app draws with these, and the load test and
# the browser tests draw what a visitor would on the same canvas.
CANVAS_PIXELS = 320  # the drawing's resolution; on screen it scales to its column
CANVAS_MAX_DISPLAY_WIDTH = 560  # CSS pixels: big on a projector, the full width of a phone
DEFAULT_BRUSH = 20
CANVAS_STROKE_COLOR = "#111111"
CANVAS_BACKGROUND_COLOR = "#FFFFFF"
CANVAS_COMPONENT_NAME = "streamlit-drawable-canvas.streamlit_drawable_canvas"
PREDICTION_LABEL = "Prediction"  # the st.metric that shows the reading; tests and the load test read it

# Files that scripts/train.py writes into each model folder and the app reads.
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.json"
MISTAKES_FILE = "mistakes.json"
CALIBRATION_FILE = "calibration.json"

# Below this top-class probability a prediction is reported as "unsure"; a model folder's
# calibration.json (written by scripts/calibrate.py) overrides it.
DEFAULT_UNSURE_THRESHOLD = 0.6


def data_dir_from_env() -> Path | None:
    """The MNIST folder named by MNIST_DATA_DIR, or None when the variable is unset or empty."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value) if value else None


def models_dir() -> Path:
    """The folder of models: $DIGIT_MODELS_DIR when set, else the repository's models/."""
    value = os.environ.get(MODELS_DIR_ENV, "").strip()
    return Path(value) if value else MODELS_DIR


def model_dir(name_or_path: str | os.PathLike) -> Path:
    """A model's name ("cnn") or a folder path -> the model folder."""
    candidate = Path(name_or_path)
    if candidate.is_dir() or os.sep in str(name_or_path):
        return candidate
    return models_dir() / str(name_or_path)
