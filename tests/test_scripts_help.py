"""Every script's --help answers at once: usage and where MNIST comes from, no TensorFlow log lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT

MNIST_SCRIPTS = ["train.py", "tune.py", "evaluate.py", "evaluate_drawn.py", "make_fixtures.py", "index_neighbours.py"]


@pytest.mark.parametrize("script", [*MNIST_SCRIPTS, "fetch_fonts.py", "serve.py"])
def test_help_prints_a_usage_and_no_tensorflow_logs(script):
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / script), "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    # TensorFlow logs to stderr ("I0000 00:00:... port.cc:153] oneDNN custom operations are on ...").
    assert result.stdout.startswith("usage: ") and result.stderr == ""
    assert not re.search(r"onednn|cuda|absl|tensorflow/|^[IWEF]\d{4} ", result.stdout, re.IGNORECASE | re.MULTILINE)
    if script in MNIST_SCRIPTS:  # says which files to get, and from where
        assert "train-images-idx3-ubyte.gz" in result.stdout and "MNIST_DATA_DIR" in result.stdout


def test_training_without_mnist_says_where_to_get_it(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "MNIST_DATA_DIR"}
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "train.py"), "--out", str(tmp_path / "m")],
                            capture_output=True, text=True, timeout=120, env=environment)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "No MNIST folder was given" in result.stderr and "t10k-labels-idx1-ubyte.gz" in result.stderr
    assert "oneDNN" not in result.stderr  # refused before TensorFlow is imported
