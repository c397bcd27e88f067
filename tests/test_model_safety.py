"""A model file is data, never code: one that carries Python code is refused, and the code never runs;
one that would inflate to gigabytes, read other files, or does not fit its own layers is refused at load."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import MAX_PEAK_MB, MAX_SECONDS, PROJECT_ROOT, assert_plain

from bench.hostile_files import MODEL_FILES
from bench.hostile_predict import drawn_one, run_predict

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


# A model of bench/hostile_files.py's MODEL_FILES -> words its refusal must hold. Before these checks,
# through scripts/predict.py: the 1 GB zip bomb took 22 s and 2.1 GB before its refusal, the external
# kernels were read from /etc/passwd and from 1 GB of /dev/zero (19 s, 2 GB), and a kernel of the
# wrong shape failed only when a digit was read.
REFUSALS = {
    "zip-bomb": "it would inflate to 256 MB; the limit is 200 MB",
    "passwd": "stored in another file",
    "endless": "stored in another file",
    "linked": "a link to somewhere else",
    "wrong-shape": "layer dense_1 (Dense) has weights of shapes (784, 9), (10,); its config and input need (784, 10), (10,)",
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_hostile_model_file_is_refused_at_load_in_plain_words(tmp_path, name):
    words = REFUSALS[name]
    folder = MODEL_FILES[name].make(tmp_path / name)
    drawing = drawn_one(tmp_path / "one.png")
    run = run_predict("--model", str(folder), str(drawing))
    assert run.returncode == 2 and run.stdout == "", run.stdout + run.stderr[-2000:]  # refused before any reading
    message = run.stderr.strip().splitlines()[-1]
    assert message.startswith(f"predict.py: {name}/model.keras is damaged or unsafe") and words in message, message
    assert "root:" not in run.stderr  # nothing of the other file shows
    assert_plain(message.removeprefix("predict.py: ").replace("scripts/train.py", ""), own_name=f"{name}/model.keras")
    assert run.seconds <= MAX_SECONDS and run.peak_mb <= MAX_PEAK_MB, (run.seconds, run.peak_mb)
