"""scripts/tune.py searches, records every trial and writes a model folder the app serves; the
app's tuning view draws that record."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from app_support import run_app
from conftest import FIXTURE_MNIST, PROJECT_ROOT
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest
from test_train_script import machine_paths

from mnist_core import artifacts
from mnist_core.config import MODELS_DIR
from mnist_core.data import load_from_dir
from mnist_core.predictor import Predictor


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """Two tiny trials (two epochs each) on 600 fixture digits, Keras Tuner's scratch folder in `scratch`."""
    out, scratch = tmp_path_factory.mktemp("models") / "mlp-tuned", tmp_path_factory.mktemp("scratch")
    command = [sys.executable, str(PROJECT_ROOT / "scripts" / "tune.py"), "--family", "mlp", "--limit", "600",
               "--max-trials", "2", "--max-epochs", "2", "--data-dir", str(FIXTURE_MNIST), "--out", str(out)]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr[-2000:]
    return out, scratch, result.stdout


def test_tune_records_every_trial_and_writes_a_model_folder_the_app_serves(tuned):
    out, scratch, stdout = tuned
    assert "about" in stdout and "min left" in stdout  # progress with an ETA
    assert list(scratch.iterdir()) == []  # Keras Tuner's working folder is gone (no --keep-search)
    assert {p.name for p in out.iterdir()} == {
        "model.keras", "history.json", "metrics.json", "mistakes.json", "mistakes.npz", "neighbours.npz"}
    metrics = artifacts.read_metrics(out)
    tuning = metrics["tuning"]
    assert [trial["trial"] for trial in tuning["trials"]] == ["0", "1"] and tuning["stopped_by"] == "--max-trials 2"
    for trial in tuning["trials"]:
        assert set(trial["hyperparameters"]) >= {"layers", "units_1", "dropout", "learning_rate", "batch_size"}
        assert trial["history"]["epoch"] == [1, 2] and len(trial["history"]["val_accuracy"]) == 2
        assert trial["score"] == max(trial["history"]["val_accuracy"]) and trial["seconds"] > 0
    best = max(tuning["trials"], key=lambda trial: trial["score"])
    assert tuning["best"]["trial"] == best["trial"] and tuning["best"]["hyperparameters"] == best["hyperparameters"]
    searched = {entry["name"] for entry in tuning["search_space"]}
    assert searched >= {"layers", "units_1", "dropout", "learning_rate", "batch_size"}
    # The search held out the last 60 of the 600 digits; the retrain used them all, for the best trial's epochs.
    assert (tuning["train_images"], tuning["validation_images"], metrics["train_images"]) == (540, 60, 600)
    assert metrics["epochs"] == tuning["best"]["epochs"] and metrics["batch_size"] == best["hyperparameters"]["batch_size"]
    assert len(artifacts.read_history(out)["loss"]) == metrics["epochs"]
    assert metrics["command"] == tuning["command"] == (
        "python scripts/tune.py --family mlp --max-trials 2 --max-epochs 2 --data-dir tests/fixtures/mnist-small "
        "--out models/mlp-tuned --limit 600")
    assert machine_paths(metrics) == []
    # The app serves it in NumPy, giving the test figures train.py's report measured with Keras.
    predictor = Predictor(out)
    test = load_from_dir(FIXTURE_MNIST).test
    assert predictor.uses_numpy
    accuracy = (predictor.probabilities(test.images / 255.0).argmax(axis=1) == test.labels).mean()
    assert accuracy == pytest.approx(metrics["test_accuracy"])
    assert np.array(metrics["confusion_matrix"]).sum() == 300
    reading = predictor.read(np.pad(np.full((120, 20, 3), 255, np.uint8), ((80, 80), (130, 130), (0, 0))))
    assert len(reading.text) == 1 and reading.text.isdigit()


def curves_drawn(view: AppTest) -> set[str]:
    """The trials whose curves the view's accuracy chart draws (its data, as sent to the browser)."""
    chart = view.get("vega_lite_chart")[1].proto
    return set(convert_arrow_bytes_to_pandas_df(chart.datasets[0].data.data)["model"])


def tuning_page(folder):
    from digit_app.tuning_view import tuning_ui

    tuning_ui(folder)


def test_the_tuning_view_shows_the_trials_their_scores_and_a_chosen_trials_curves(tuned):
    out, _, _ = tuned
    tuning = artifacts.read_metrics(out)["tuning"]
    view = AppTest.from_function(tuning_page, args=(str(out),), default_timeout=60).run()
    assert not view.exception
    table = view.dataframe[0].value
    assert list(table["trial"]) == [trial["trial"] for trial in sorted(tuning["trials"], key=lambda t: -t["score"])]
    assert len(view.get("vega_lite_chart")) == 3  # hyperparameters against score, accuracy and loss curves
    chosen = view.selectbox[0]
    other = next(trial["trial"] for trial in tuning["trials"] if trial["trial"] != tuning["best"]["trial"])
    assert chosen.value == other  # the runner-up beside the best at first
    assert curves_drawn(view) == {f"trial {tuning['best']['trial']} (best)", f"trial {other}"}
    chosen.set_value(tuning["best"]["trial"]).run()
    assert not view.exception and curves_drawn(view) == {f"trial {tuning['best']['trial']} (best)"}


def test_the_shipped_tuned_mlp_beats_every_seed_from_a_search_of_at_most_30_minutes():
    folder = MODELS_DIR / "mlp-tuned"
    metrics = artifacts.read_metrics(folder)
    assert metrics["test_accuracy"] >= 0.983 and metrics["tuning"]["search_seconds"] <= 30 * 60
    assert metrics["train_images"] == 60000 and metrics["tuning"]["validation_images"] == 6000
    assert (folder / "model.keras").stat().st_size < 8 * 2**20
    # Served in NumPy, with Keras's answers on real test digits.
    predictor = Predictor(folder)
    digits = load_from_dir(FIXTURE_MNIST).test.images[:50] / 255.0
    keras_scores = np.asarray(predictor.model(digits[..., None].astype(np.float32), training=False))
    assert predictor.uses_numpy
    np.testing.assert_allclose(predictor.probabilities(digits), keras_scores, atol=1e-5)


def test_the_model_tab_opens_how_the_shipped_tuned_mlp_was_found():
    app = run_app(None, sidebar_tab="Model")
    assert "How it was tuned" not in [button.label for button in app.sidebar.button]  # the default was not tuned
    app.sidebar.selectbox[0].set_value("mlp-tuned").run()
    app.sidebar.button(key="tuning_view").click().run()
    assert not app.exception
    assert any("Keras Tuner's Hyperband ran **30 trials**" in text.value for text in app.markdown)
    assert len(app.dataframe[0].value) == 30
