"""The model files the pages read, cached: one Predictor per model for the whole server, files per folder."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_core import artifacts
from mnist_core.config import MODEL_FILE, models_dir
from mnist_core.predictor import Predictor


def folder_of(name: str) -> str:
    """A model's folder, by its name. Caches key on the folder (not the name), so that a
    different models folder ($DIGIT_MODELS_DIR) never hits a stale entry."""
    return str(models_dir() / name)


@st.cache_resource(show_spinner="Loading the model…")
def load_predictor(folder: str) -> Predictor:
    """One Predictor per model for the whole server: loaded once, shared by every session."""
    return Predictor(folder)


@st.cache_data(show_spinner=False)
def model_names(folder: str, changed: int) -> list[str]:
    """The model folders in `folder` that hold a trained model, by name (not a training run's staging copies).
    changed: the folder's modification time, so that a model swapped in since (a fine-tune) is listed."""
    folders = [child for child in Path(folder).iterdir() if (child / MODEL_FILE).is_file()]
    return sorted(f.name for f in folders if not f.name.startswith(".") and not f.name.endswith(".previous"))


def shipped_models() -> list[str]:
    folder = models_dir()
    return model_names(str(folder), folder.stat().st_mtime_ns)


@st.cache_data(show_spinner=False)
def load_history(folder: str) -> dict:
    return artifacts.read_history(Path(folder))


@st.cache_data(show_spinner=False)
def load_metrics(folder: str) -> dict:
    return artifacts.read_metrics(Path(folder))


@st.cache_data(show_spinner=False)
def load_mistakes(folder: str):
    return artifacts.read_mistakes(Path(folder))


def metrics_or_nothing(name: str) -> dict:
    """The model's metrics.json, or {} when it is missing or malformed (the Model tab says why)."""
    try:
        return load_metrics(folder_of(name))
    except (FileNotFoundError, ValueError):
        return {}


def trained_on_harder_digits(name: str) -> bool:
    """Whether this model trained on augmented, redrawn digits (its metrics.json says so)."""
    return bool(metrics_or_nothing(name).get("redrawn_share"))


def ensemble_size(name: str) -> int:
    """How many networks this model averages (0 for a single network), from its metrics.json."""
    return len(metrics_or_nothing(name).get("members") or [])
