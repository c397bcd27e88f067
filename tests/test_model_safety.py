"""A model file is data, never code: one that carries Python code is refused, and the code never runs."""

from __future__ import annotations

import subprocess
import sys

from conftest import PROJECT_ROOT

# Saves a model whose Lambda layer would write a marker file when run or deserialized, then
# loads it the way the app does. Run in a subprocess so that this test's Keras state stays clean.
CODE = """
import sys, pathlib, keras
folder, marker = pathlib.Path(sys.argv[1]), sys.argv[2]
inputs = keras.Input((28, 28, 1))
flat = keras.layers.Flatten()(inputs)
# Self-contained (no globals), so that it would run wherever it is deserialized.
write_marker = eval(f"lambda x: (__import__('pathlib').Path({marker!r}).write_text('ran'), x)[1]")
evil = keras.layers.Lambda(write_marker, output_shape=(784,))(flat)
keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(evil)).save(folder / "model.keras")
pathlib.Path(marker).unlink(missing_ok=True)  # building the model ran the lambda once
from mnist_core.predictor import Predictor
try:
    Predictor(folder)
except ValueError as error:
    print("refused:", error)
"""


def test_a_model_file_carrying_code_is_refused_and_the_code_never_runs(tmp_path):
    folder, marker = tmp_path / "evil", tmp_path / "marker"
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", CODE, str(folder), str(marker)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT,
    )
    assert result.stdout.startswith("refused:"), result.stdout + result.stderr[-2000:]
    assert "python scripts/train.py" in result.stdout  # the message says how to get a good model
    assert not marker.exists()
