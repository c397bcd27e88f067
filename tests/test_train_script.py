"""scripts/train.py writes a complete model folder (with its step records and TensorBoard logs), and a
killed run never breaks the one there; what it records names no folder of the machine that trained."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURE_MNIST, PROJECT_ROOT

from mnist_core import artifacts
from mnist_core.config import MODELS_DIR
from mnist_core.data import load_from_dir
from mnist_core.neighbours import load_index
from mnist_core.predictor import Predictor
from mnist_core.step_records import read_steps

# Batches of 8: 58 of them from 461 training images, so step records at 20, 40 and 58.
TRAIN = [sys.executable, str(PROJECT_ROOT / "scripts" / "train.py"), "--model", "mlp-128-64",
         "--limit", "512", "--epochs", "1", "--batch-size", "8", "--data-dir", str(FIXTURE_MNIST)]


def machine_paths(record) -> list[str]:
    """Every word in a JSON record that is an absolute or parent-relative path (a machine's folder)."""
    if isinstance(record, dict):
        return [path for value in record.values() for path in machine_paths(value)]
    if isinstance(record, list):
        return [path for value in record for path in machine_paths(value)]
    words = record.split() if isinstance(record, str) else []
    return [word for word in words if word.startswith(("/", "~/", "../")) or ":\\" in word]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "quick"
    result = subprocess.run([*TRAIN, "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return out, result.stdout


def test_writes_every_artifact(trained):
    out, stdout = trained
    assert "val_accuracy" in stdout and "test accuracy" in stdout  # Keras progress and a summary
    assert {p.name for p in out.iterdir()} == {
        "model.keras", "history.json", "steps.json", "logs", "metrics.json", "mistakes.json", "mistakes.npz",
        "neighbours.npz"}
    history = artifacts.read_history(out)
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate"}
    metrics = artifacts.read_metrics(out)
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.sum() == 300  # every test image of the fixture, once
    assert metrics["test_accuracy"] == pytest.approx(np.trace(matrix) / 300)
    assert metrics["arguments"]["limit"] == 512 and metrics["parameters"] == 109386
    # The command as a user types it: the fixture folder (in the repository) relative, the scratch output as models/NAME.
    assert metrics["command"] == ("python scripts/train.py --model mlp-128-64 --epochs 1 --batch-size 8 "
                                  "--data-dir tests/fixtures/mnist-small --out models/quick --limit 512")
    assert machine_paths(metrics) == []
    assert set(metrics["data_checksums_md5"]) == {p.name for p in FIXTURE_MNIST.iterdir()}
    assert {"tensorflow", "keras", "numpy"} <= set(metrics["versions"])
    records, images = artifacts.read_mistakes(out)
    assert len(records) == matrix.sum() - np.trace(matrix)
    assert all(r["true"] != r["predicted"] for r in records) and len(images) == min(len(records), 120)
    assert Predictor(out).probabilities(np.zeros((2, 28, 28), np.float32)).shape == (2, 10)
    # One evaluation: evaluate.py gives the figure train.py recorded, to the last digit.
    evaluated = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "evaluate.py"), "--model", str(out),
                                "--data-dir", str(FIXTURE_MNIST), "--json"], capture_output=True, text=True, timeout=300,
                               check=False)
    assert json.loads(evaluated.stdout)["accuracy"] == metrics["test_accuracy"], evaluated.stderr[-2000:]
    # The app's "Training digits it resembles": an index of this very model.keras, made by this command.
    index = load_index(out)
    assert index.metadata["command"] == metrics["command"] and len(index.labels) == 512


def test_records_every_20_batches_and_writes_tensorboard_logs(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, _ = trained
    history, steps = artifacts.read_history(out), read_steps(out)
    assert steps["step"] == [20, 40, 58] and steps["epoch_end_step"] == [58]
    assert steps["epoch"] == pytest.approx([20 / 58, 40 / 58, 1.0], abs=1e-4)
    assert 0 < steps["seconds"][0] < steps["seconds"][-1] <= history["seconds"][0]
    assert steps["learning_rate"] == pytest.approx([1e-3] * 3)
    # Each record is the mean over its own batches: weighted by their images (160, 160, 141), the
    # three make the epoch's mean that Keras reports.
    weights = np.array([160, 160, 141])
    for metric in ("loss", "accuracy"):
        assert np.dot(steps[metric], weights) / weights.sum() == pytest.approx(history[metric][0], rel=1e-4)
    assert steps["loss"][0] > steps["loss"][-1]  # it learns within the epoch

    train, validation = (EventAccumulator(str(out / "logs" / run)).Reload() for run in ("train", "validation"))
    assert set(train.Tags()["scalars"]) == {"loss", "accuracy", "learning_rate"}
    events = train.Scalars("loss")
    assert [event.step for event in events] == steps["step"]
    assert [event.value for event in events] == pytest.approx(steps["loss"])
    assert events[-1].wall_time - events[0].wall_time == pytest.approx(steps["seconds"][-1] - steps["seconds"][0], abs=1e-3)
    (epoch_end,) = validation.Scalars("accuracy")
    assert (epoch_end.step, epoch_end.value) == (58, pytest.approx(history["val_accuracy"][0]))


@pytest.mark.parametrize("kill_when", ["training mlp-128-64", "saving to"])
def test_a_killed_run_leaves_the_previous_model_loadable(trained, tmp_path, kill_when):
    out, _ = trained
    target = tmp_path / "model"
    subprocess.run(["cp", "-r", str(out), str(target)], check=True)
    before = json.loads((target / "metrics.json").read_text())
    process = subprocess.Popen([*TRAIN, "--out", str(target), "--seed", "7"], stdout=subprocess.PIPE,
                               text=True, start_new_session=True)
    for line in process.stdout:
        if kill_when in line:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    # Whenever the kill landed, the folder holds one whole model: the old one, or the new one complete.
    after = artifacts.read_metrics(target)
    Predictor(target)
    if kill_when == "training mlp-128-64":
        assert after == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model"]
    assert all(".partial-" in name or name.endswith(".previous") for name in leftovers)


@pytest.fixture(scope="module")
def quick_cnns(tmp_path_factory):
    """Two cnn folders trained briefly with different seeds, and what train.py printed for each."""
    trained = []
    for seed in (1, 2):
        out = tmp_path_factory.mktemp("cnn") / f"cnn-seed{seed}"
        command = [sys.executable, str(PROJECT_ROOT / "scripts" / "train.py"), "--model", "cnn", "--limit", "256",
                   "--epochs", "1", "--batch-size", "64", "--seed", str(seed), "--data-dir", str(FIXTURE_MNIST),
                   "--out", str(out), "--font-copies", "0"]  # the fonts are fetched for training, not for tests
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        trained.append((out, result.stdout))
    return trained


def test_the_cnn_also_learns_from_digits_redrawn_like_drawings(quick_cnns):
    """The shipped preset's path: training digits redrawn at canvas sizes and brushes, then
    normalized by the serving pipeline, mixed into its batches."""
    out, stdout = quick_cnns[0]
    assert "redrew 243 training digits 2 times" in stdout
    assert artifacts.read_metrics(out)["redrawn_share"] > 0
    assert Predictor(out).probabilities(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)


def test_training_without_the_handwriting_fonts_says_how_to_fetch_them(tmp_path):
    command = [sys.executable, str(PROJECT_ROOT / "scripts" / "train.py"), "--model", "cnn", "--limit", "256",
               "--epochs", "1", "--data-dir", str(FIXTURE_MNIST), "--fonts-dir", str(tmp_path / "no-fonts"),
               "--out", str(tmp_path / "model")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "scripts/fetch_fonts.py" in result.stderr and not (tmp_path / "model").exists()


def test_an_ensemble_reads_the_average_of_its_members_and_keeps_their_story(quick_cnns, tmp_path):
    members = [out for out, _ in quick_cnns]
    out = tmp_path / "cnn-ensemble"
    command = [sys.executable, str(PROJECT_ROOT / "scripts" / "train.py"), "--model", "cnn-ensemble",
               "--members-from", *map(str, members), "--data-dir", str(FIXTURE_MNIST), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]

    ensemble = Predictor(out)
    assert ensemble.uses_numpy  # served without TensorFlow, like a single network
    images = load_from_dir(FIXTURE_MNIST).test.images[:40] / 255.0
    member_probabilities = [Predictor(member).probabilities(images) for member in members]
    assert not np.allclose(*member_probabilities, atol=1e-3)  # two different networks, not one twice
    np.testing.assert_allclose(ensemble.probabilities(images), np.mean(member_probabilities, axis=0), atol=1e-5)

    history, metrics = artifacts.read_history(out), artifacts.read_metrics(out)
    member_histories = [artifacts.read_history(member) for member in members]
    np.testing.assert_allclose(history["val_accuracy"], np.mean([h["val_accuracy"] for h in member_histories], axis=0))
    assert history["members"] == member_histories
    steps, member_steps = read_steps(out), [read_steps(member) for member in members]
    assert steps["members"] == member_steps
    np.testing.assert_allclose(steps["loss"], np.mean([s["loss"] for s in member_steps], axis=0), rtol=1e-5)
    assert [member["folder"] for member in metrics["members"]] == [f"models/{member.name}" for member in members]
    assert all("--seed" in member["command"] for member in metrics["members"])
    assert "--members-from models/cnn-seed1 models/cnn-seed2" in metrics["command"] and machine_paths(metrics) == []


@pytest.mark.parametrize("name", sorted(path.name for path in MODELS_DIR.iterdir() if path.is_dir()))
def test_shipped_metadata_names_no_machine_folder(name):
    for path in (MODELS_DIR / name).glob("*.json"):
        assert machine_paths(artifacts.read_json(path)) == [], path
