"""scripts/finetune.py learns a new hand from labelled drawings without losing MNIST, refuses bad
input before writing anything, leaves the models folder as it was when killed; the wall's presenter
can put the new model in use and the drawing page reads with it without a restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from app_support import run_app, run_wall
from conftest import FIXTURE_MNIST, PROJECT_ROOT, app_store

from bench.other_hands import pen_trajectory
from digit_app.sidebar import MODEL_IN_USE_SECONDS
from mnist_core import artifacts
from mnist_core.data import load_split
from mnist_core.drawings import FAILED, RUNNING, open_store
from mnist_core.finetune_sources import model_input_of, read_drawings
from mnist_core.predictor import Predictor

FINETUNE = [sys.executable, str(PROJECT_ROOT / "scripts" / "finetune.py"), "--from", "cnn",
            "--data-dir", str(FIXTURE_MNIST), "--epochs", "1", "--calibration-canvases", "100"]


def write_images_folder(folder, count: int, seed: int = 0):
    """count coarse pen-trajectory digits (a hand the model reads worst) as PNG files with labels.csv."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    labels = [index % 10 for index in range(count)]
    lines = ["file,label"]
    for index, digit in enumerate(labels):
        cv2.imwrite(str(folder / f"{index:03d}.png"), pen_trajectory(digit, rng))
        lines.append(f"{index:03d}.png,{digit}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    return labels


def run(*arguments, timeout=300):
    return subprocess.run([*FINETUNE, *map(str, arguments)], capture_output=True, text=True, timeout=timeout, check=False)


def read_right(predictor: Predictor, images: np.ndarray, labels) -> float:
    return float((predictor.probabilities(images / 255.0).argmax(axis=1) == np.asarray(labels)).mean())


@pytest.fixture(scope="module")
def fine_tuned(tmp_path_factory):
    """The shipped cnn fine-tuned on 60 pen-trajectory drawings, with the small MNIST sample."""
    root = tmp_path_factory.mktemp("finetune")
    labels = write_images_folder(root / "drawings", 60)
    result = run("--data", root / "drawings", "--out", root / "models" / "cnn-room")
    assert result.returncode == 0, result.stderr[-2000:]
    return root, labels, result.stdout


def test_the_new_folder_is_complete_reads_the_new_hand_better_and_keeps_mnist(fine_tuned):
    root, labels, stdout = fine_tuned
    out = root / "models" / "cnn-room"
    assert {path.name for path in out.iterdir()} == {"model.keras", "history.json", "metrics.json", "mistakes.json",
                                                     "mistakes.npz", "calibration.json", "not_digit.keras", "steps.json"}
    assert "about" in stdout and "s left" in stdout  # progress with an ETA
    history = artifacts.read_history(out)
    base_epochs = len(artifacts.read_history(PROJECT_ROOT / "models" / "cnn")["loss"])
    assert history["finetune_start_epoch"] == base_epochs + 1 and len(history["loss"]) == base_epochs + 1
    metrics = artifacts.read_metrics(out)
    assert metrics["finetuned_from"] == "cnn" and metrics["finetune"]["drawings"] == 60
    assert set(metrics["finetune"]["before"]) == set(metrics["finetune"]["after"]) == {"held_out_accuracy", "test_accuracy"}

    drawings = np.stack([model_input_of(cv2.imread(str(root / "drawings" / f"{i:03d}.png"))) for i in range(60)])
    base, tuned = Predictor(PROJECT_ROOT / "models" / "cnn"), Predictor(out)
    assert read_right(tuned, drawings, labels) > read_right(base, drawings, labels)
    mnist = load_split(FIXTURE_MNIST, "test")
    assert read_right(tuned, mnist.images, mnist.labels) >= read_right(base, mnist.images, mnist.labels) - 0.02


def bad_folder(tmp_path, problem: str):
    folder = tmp_path / "drawings"
    write_images_folder(folder, 12 if problem == "too few" else 30)
    if problem == "no labels.csv":
        (folder / "labels.csv").unlink()
    elif problem == "label outside 0-9":
        (folder / "labels.csv").write_text((folder / "labels.csv").read_text().replace("004.png,4", "004.png,12"))
    elif problem == "unreadable images":
        for index in range(5):
            (folder / f"{index:03d}.png").write_bytes(b"not a picture")
    return folder


@pytest.mark.parametrize("problem, message", [
    ("no labels.csv", "holds neither labels.csv"),
    ("label outside 0-9", "labels.csv line 6: the label of 004.png is '12', not a digit 0-9"),
    ("unreadable images", "5 of the 30 images in labels.csv cannot be read: 000.png"),
    ("too few", "12 usable drawings: a fine-tune needs at least 20"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_written(tmp_path, problem, message):
    models = tmp_path / "models"
    models.mkdir()
    result = run("--data", bad_folder(tmp_path, problem), "--out", models / "new", timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert message in result.stderr
    assert list(models.iterdir()) == []


def test_a_few_unreadable_images_are_listed_and_the_rest_used(tmp_path):
    folder = tmp_path / "drawings"
    write_images_folder(folder, 30)
    (folder / "007.png").write_bytes(b"not a picture")
    drawings = read_drawings(str(folder))
    assert len(drawings.labels) == 29 and len(drawings.skipped) == 1 and drawings.skipped[0].startswith("007.png")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_fine_tune_leaves_the_models_folder_as_it_was(tmp_path, how):
    write_images_folder(tmp_path / "drawings", 30)
    models = tmp_path / "models"
    models.mkdir()
    process = subprocess.Popen([*FINETUNE, "--data", str(tmp_path / "drawings"), "--out", str(models / "new")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in process.stdout:
        if "fine-tuning: step" in line:
            os.killpg(process.pid, how)
            break
    _, errors = process.communicate(timeout=60)
    # Killed outright, or (SIGTERM) unwound with a message: either way, nothing lands in models/.
    assert process.returncode == (-signal.SIGKILL if how == signal.SIGKILL else 1)
    assert how == signal.SIGKILL or "stopped (SIGTERM) before it finished: nothing was written" in errors
    assert list(models.iterdir()) == []


@pytest.fixture
def database(tmp_path, monkeypatch):
    yield from app_store(f"sqlite:///{tmp_path / 'drawings.sqlite3'}", monkeypatch)


def test_the_drawing_page_reads_with_the_model_the_presenter_put_in_use_without_a_restart(database):
    test = run_app()
    assert test.selectbox[0].value == "cnn-ensemble"
    database.set_model_in_use("cnn")  # as the wall's button does, from another session or replica
    time.sleep(MODEL_IN_USE_SECONDS)  # what the app reads is at most this old
    test = test.run()
    assert not test.exception
    assert test.selectbox[0].value == "cnn"


def test_one_fine_tune_at_a_time(database):
    job = database.start_finetune("cnn-ensemble")
    with pytest.raises(ValueError, match="already running"):
        database.start_finetune("cnn-ensemble")
    database.finish_job(job.id, "failed", "stopped")
    assert database.start_finetune("cnn").base_model == "cnn"


def test_a_database_of_the_version_before_is_upgraded_with_its_answers_kept(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = open_store(url)
    store.start_round()
    store.close()
    with sqlite3.connect(tmp_path / "old.sqlite3") as connection:  # back to version 1, as the app made it
        connection.execute("DROP TABLE finetune_jobs")
        connection.execute("DELETE FROM settings WHERE name = 'model_in_use'")
        connection.execute("UPDATE schema_version SET version = 1")
    store = open_store(url)
    try:
        assert store.current_round().id == 2 and store.model_in_use() is None and store.latest_job() is None
        store.set_model_in_use("cnn")
        assert store.model_in_use() == "cnn" and store.start_finetune("cnn").round_id == 2
    finally:
        store.close()


def test_learn_from_this_room_runs_the_fine_tune_in_its_own_process_and_the_wall_says_how_it_ended(
        database, monkeypatch):
    monkeypatch.setenv("PRESENTER_PASSCODE", "room-42")
    wall = run_wall()
    wall = wall.text_input(key="presenter_passcode").input("room-42").run()
    learn = next(button for button in wall.button if button.label == "Learn from this room")
    wall = learn.click().run()
    assert not wall.exception
    job = database.latest_job()
    assert job.round_id == database.current_round().id and job.base_model == "cnn-ensemble"
    deadline = time.monotonic() + 60
    while database.latest_job().state == RUNNING and time.monotonic() < deadline:
        time.sleep(0.5)
    # An empty round: the process refused it, and recorded why for every wall to show.
    assert database.latest_job().state == FAILED
    assert "has 0 usable drawings: a fine-tune needs at least 20" in database.latest_job().message
    wall = wall.run()
    assert any("did not finish" in error.value and "at least 20" in error.value for error in wall.error)
