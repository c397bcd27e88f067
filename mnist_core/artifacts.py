"""A model folder: model.keras and the story of how it was made, written atomically, read safely."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from mnist_core.config import (
    HISTORY_FILE,
    IMAGE_SIZE,
    METRICS_FILE,
    MISTAKES_FILE,
    MODEL_FILE,
    NUM_CLASSES,
    PROJECT_ROOT,
)

MISTAKE_IMAGES_FILE = "mistakes.npz"
TRAIN_HINT = "Train it with: python scripts/train.py --model {name}"


def shown_path(path: str | os.PathLike) -> str:
    """A model file's path as messages show it: relative to the repository (models/cnn/model.keras),
    else its folder's and its own name, never a server's absolute path."""
    path = Path(path).resolve()
    if path.is_relative_to(PROJECT_ROOT):
        return str(path.relative_to(PROJECT_ROOT))
    return str(Path(path.parent.name) / path.name)


def write_model_folder(out: Path, write_contents) -> Path:
    """Run write_contents(tmp_folder), then swap tmp_folder into place as `out`.

    A crash or error before the swap leaves any previous `out` untouched; the swap itself is two
    renames on one filesystem, so at worst the previous model survives as `out.previous`.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it owner-only; a model folder is for everyone to read
    try:
        write_contents(staging)
        previous = out.with_name(out.name + ".previous")
        if previous.exists():
            shutil.rmtree(previous)
        if out.exists():
            os.rename(out, previous)
        os.rename(staging, out)
        shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def write_json(path: Path, payload: Any, indent: int | None = 1) -> None:
    """payload -> path as JSON, flushed to disk before returning."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=indent)
        handle.flush()
        os.fsync(handle.fileno())


def read_json(path: Path) -> Any:
    """JSON at path; FileNotFoundError or ValueError naming the file when missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{shown_path(path)} does not exist. {TRAIN_HINT.format(name=path.parent.name)}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{shown_path(path)} is not valid JSON ({error}). {TRAIN_HINT.format(name=path.parent.name)}") from error


def read_history(folder: Path) -> dict[str, list[float]]:
    """history.json -> {"loss": [...], "accuracy": [...], "val_loss": [...], ...}, validated."""
    history = read_json(Path(folder) / HISTORY_FILE)
    required = ("loss", "accuracy", "val_loss", "val_accuracy")
    if not isinstance(history, dict) or any(not isinstance(history.get(key), list) for key in required):
        raise ValueError(f"{shown_path(Path(folder) / HISTORY_FILE)} lacks per-epoch {', '.join(required)}")
    lengths = {len(history[key]) for key in required}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(f"{shown_path(Path(folder) / HISTORY_FILE)}: per-epoch lists are empty or of unequal length")
    for key in required:
        if not all(isinstance(value, (int, float)) for value in history[key]):
            raise ValueError(f"{shown_path(Path(folder) / HISTORY_FILE)}: {key} holds non-numbers")
    return history


def read_metrics(folder: Path) -> dict[str, Any]:
    """metrics.json -> dict with at least test_accuracy and a 10x10 confusion_matrix, validated."""
    metrics = read_json(Path(folder) / METRICS_FILE)
    if not isinstance(metrics, dict):
        metrics = {}
    matrix = metrics.get("confusion_matrix")
    if (
        not isinstance(metrics.get("test_accuracy"), (int, float))
        or not isinstance(matrix, list)
        or np.asarray(matrix, dtype=object).shape != (NUM_CLASSES, NUM_CLASSES)
        or not all(isinstance(count, (int, float)) for row in matrix for count in row)
    ):
        raise ValueError(f"{shown_path(Path(folder) / METRICS_FILE)} lacks test_accuracy or a 10x10 confusion_matrix")
    return metrics


def read_mistakes(folder: Path) -> tuple[list[dict[str, Any]], np.ndarray]:
    """mistakes.json records and the uint8 (K, 28, 28) images stored for the first K of them."""
    records = read_json(Path(folder) / MISTAKES_FILE)
    if not isinstance(records, list):
        raise ValueError(f"{shown_path(Path(folder) / MISTAKES_FILE)} should hold a list of mistakes")
    images_path = Path(folder) / MISTAKE_IMAGES_FILE
    images = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    if images_path.is_file():
        with np.load(images_path, allow_pickle=False) as archive:
            images = archive["images"]
    return records, images


def model_file(folder: Path) -> Path:
    """folder/model.keras; FileNotFoundError with the command that makes it when absent."""
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"No trained model at {shown_path(path)}. {TRAIN_HINT.format(name=Path(folder).name)}")
    return path


def load_keras_model(folder: Path):
    """The model in folder, loaded in Keras safe mode and uncompiled (inference only)."""
    import keras

    path = model_file(folder)
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a damaged zip or config
        raise ValueError(
            f"{shown_path(path)} could not be loaded ({type(error).__name__}: {error}). "
            f"{TRAIN_HINT.format(name=Path(folder).name)}"
        ) from error
