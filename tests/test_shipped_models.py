"""The models in models/ work offline right after install, and the default one is as good as claimed."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURE_MNIST, PROJECT_ROOT

from mnist_core import artifacts
from mnist_core.config import DEFAULT_MODEL, MODELS_DIR
from mnist_core.data import load_from_dir
from mnist_core.predictor import Predictor
from mnist_core.presets import PRESETS


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_ships_loadable_with_its_story(name):
    folder = MODELS_DIR / name
    assert (folder / "model.keras").stat().st_size < 5 * 2**20  # a few MB at most
    predictor = Predictor(folder)
    test = load_from_dir(FIXTURE_MNIST).test
    accuracy = (predictor.probabilities(test.images / 255.0).argmax(axis=1) == test.labels).mean()
    assert accuracy > 0.85  # 300 real test digits: a broken or untrained model would fail this
    history = artifacts.read_history(folder)
    metrics = artifacts.read_metrics(folder)
    assert len(history["val_accuracy"]) == metrics["epochs"] == PRESETS[name].epochs
    assert metrics["train_images"] + metrics["validation_images"] == 60000  # trained on the full set
    assert metrics["parameters"] == predictor.model.count_params()
    # One drawing's digits take the NumPy path: it must give Keras's own answers on real digits.
    assert predictor.uses_numpy
    few = test.images[:10] / 255.0
    keras_scores = np.asarray(predictor.model(few[..., None].astype(np.float32), training=False))
    keras_probabilities = keras_scores / keras_scores.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(predictor.probabilities(few), keras_probabilities, atol=1e-5)


def test_shipped_cnn_reaches_99_5_percent_on_the_real_test_set(mnist_dir):
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "evaluate.py"), "--model-dir", str(MODELS_DIR / DEFAULT_MODEL),
         "--data-dir", str(mnist_dir), "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["accuracy"] >= 0.995, report["accuracy"]
    assert np.array(report["confusion_matrix"]).sum() == 10000


def test_reading_a_drawing_needs_no_tensorflow():
    """Serving reads model.keras in NumPy: the app starts without TensorFlow's seconds and hundreds of MB."""
    code = (
        "import sys, numpy as np; from mnist_core.predictor import Predictor; "
        "reading = Predictor().read(np.pad(np.ones((120, 20, 3), np.uint8) * 255, ((80, 80), (130, 130), (0, 0)))); "
        "print(reading.text, 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert result.stdout.split() == ["1", "False", "False"], result.stderr[-2000:]
