"""The app's page through Streamlit's AppTest: the canvas is the one thing replaced, by a drawing."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from app_support import metric_values, run_app
from conftest import DRAWN_STROKES, loop_scribble, stroke_canvas

from mnist_core.config import DEFAULT_MODEL, MODELS_DIR, MODELS_DIR_ENV
from mnist_core.display import drawing_with_boxes, pixel_grid
from mnist_core.segment import Box
from mnist_core.synthetic import render


def seven_drawing() -> np.ndarray:
    return render(stroke_canvas(DRAWN_STROKES["7"], scale=2.2, offset=(30, 20)), "black_on_transparent")


def test_a_drawing_shows_its_prediction_and_the_sidebar_tabs():
    test = run_app(seven_drawing())
    assert not test.exception
    assert metric_values(test)["Prediction"] == "7"
    assert [tab.label for tab in test.sidebar.tabs] == ["Training curves", "Model"]
    assert test.sidebar.selectbox[0].value == DEFAULT_MODEL
    # Only the open tab is built: the curves (accuracy and loss), not the model's panel.
    assert len(test.sidebar.get("vega_lite_chart")) == 2 and "Test accuracy" not in metric_values(test)
    # Why the augmented cnn's training curve sits below its validation curve; a plain MLP's does not.
    why = "solid accuracy line sits below the dashed one"
    assert any(why in caption.value for caption in test.sidebar.caption)
    # The default averages three networks: its curves are their mean, and the page says so.
    mean = "the mean of its 3 networks' curves"
    assert any(mean in caption.value for caption in test.sidebar.caption)
    test.sidebar.selectbox[0].set_value("mlp-100").run()
    assert not test.exception
    assert not any(why in caption.value or mean in caption.value for caption in test.sidebar.caption)
    test = run_app(seven_drawing(), sidebar_tab="Model")
    assert metric_values(test)["Test accuracy"].endswith("%") and metric_values(test)["Prediction"] == "7"
    assert len(test.sidebar.get("vega_lite_chart")) == 1  # the confusion matrix
    # What it learned from, read from its metrics.json: MNIST and other people's handwriting.
    assert any("handwriting fonts" in caption.value for caption in test.sidebar.caption)


def test_a_reading_below_the_calibrated_threshold_says_not_sure_with_the_top_two(tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    shutil.copytree(MODELS_DIR / "cnn", tmp_path / "cnn")
    (tmp_path / "cnn" / "calibration.json").write_text(json.dumps({"unsure_threshold": 0.99}))
    # A 1 with a flag as long as a 7's bar: one hand's 1 is another's 7.
    one_or_seven = render(stroke_canvas([[(30, 22), (58, 8), (55, 92)]], scale=2.2, offset=(30, 20)),
                          "black_on_transparent")
    test = run_app(one_or_seven)
    assert not test.exception
    prediction = next(metric for metric in test.metric if metric.label == "Prediction")
    assert prediction.value in ("1", "7")
    assert prediction.delta.startswith(f"Not sure: {prediction.value} (")
    assert sorted(re.findall(r"(\d) \(\d+%\)", prediction.delta)) == ["1", "7"]  # the top two, with their odds


def test_a_blank_canvas_shows_a_prompt_and_no_digit():
    test = run_app(None)
    assert not test.exception
    assert "Prediction" not in metric_values(test)
    assert any("Draw a digit" in info.value for info in test.info)


def test_several_digits_show_the_whole_number():
    canvas = np.maximum(stroke_canvas(DRAWN_STROKES["1"], scale=2.0, offset=(10, 40)),
                        stroke_canvas(DRAWN_STROKES["0"], scale=2.0, offset=(120, 40)))
    test = run_app(render(canvas, "black_on_white"))
    assert not test.exception and metric_values(test)["Prediction"] == "10"


def test_malformed_history_breaks_only_its_panel(tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    shutil.copytree(MODELS_DIR / "cnn", tmp_path / "cnn")
    (tmp_path / "cnn" / "history.json").write_text('{"loss": [0.5, "oops"')
    test = run_app(seven_drawing())
    assert not test.exception
    assert any("history.json is not valid JSON" in w.value for w in test.sidebar.warning)
    assert metric_values(test)["Prediction"] == "7"  # the rest of the page works


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_model_says_how_to_train_it(tmp_path, damage, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    shutil.copytree(MODELS_DIR / "cnn", tmp_path / "cnn")
    if damage == "missing":
        (tmp_path / "cnn" / "model.keras").unlink()
    else:
        (tmp_path / "cnn" / "model.keras").write_bytes(b"PK\x03\x04 truncated zip")
    test = run_app(seven_drawing())
    assert not test.exception
    assert any("python scripts/train.py --model" in error.value for error in test.error)
    assert "Prediction" not in metric_values(test)
    if damage == "corrupt":  # its training story is intact: a learner can still read it
        assert len(test.sidebar.get("vega_lite_chart")) == 2


def test_pixel_grid_shows_every_model_pixel():
    image = np.zeros((28, 28), np.float32)
    image[3, 5] = 1.0
    grid = pixel_grid(image, cell=8)
    assert grid.shape == (225, 225)
    assert grid[3 * 8 + 4, 5 * 8 + 4] == 255  # the lit pixel's cell
    assert grid[3 * 8 + 4, 6 * 8 + 4] == 0  # its dark neighbour
    assert grid[0, 0] == grid[8, 100] not in (0, 255)  # grid lines, distinct from both ink and paper


@pytest.mark.parametrize("top", [0, 2, 60])  # digits touching the canvas's top edge, and not
def test_the_digits_numbers_never_hide_the_drawing(top):
    ink = np.zeros((320, 320), np.float32)
    boxes = [Box(0, top, 60, 80), Box(130, top + 40, 60, 80), Box(260, top, 60, 80)]  # the last at the right edge
    for box in boxes:
        ink[box.top:box.bottom, box.left:box.right] = 1.0
    picture = drawing_with_boxes(ink, boxes)
    inside = np.zeros(ink.shape, bool)
    for box in boxes:
        inside[box.top + 3:box.bottom - 3, box.left + 3:box.right - 3] = True  # within the box's outline
    assert (picture[inside] == 0).all()  # the ink is untouched: no number drawn over it
    tags = (picture[..., 0] != picture[..., 1]) & ~inside  # colored pixels outside the ink: outlines and tags
    for box in boxes:
        beside = slice(max(0, box.top - 40), box.top) if box.top >= 30 else slice(box.bottom, box.bottom + 40)
        assert tags[beside, box.left:box.right].sum() > 200, box  # a filled tag above each box, or else below it


@pytest.mark.parametrize("content", ["[1, 2, 3]", json.dumps({"test_accuracy": 0.9, "confusion_matrix": [["a"] * 10] * 10})])
def test_malformed_metrics_break_only_the_model_panel(tmp_path, content, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    shutil.copytree(MODELS_DIR / "cnn", tmp_path / "cnn")
    (tmp_path / "cnn" / "metrics.json").write_text(content)
    test = run_app(seven_drawing(), sidebar_tab="Model")
    assert not test.exception
    assert any("metrics.json lacks test_accuracy" in w.value for w in test.sidebar.warning)
    assert metric_values(test)["Prediction"] == "7"


def test_a_scribble_is_answered_not_a_digit_in_words_and_cannot_be_confirmed():
    test = run_app(loop_scribble())
    assert not test.exception
    prediction = next(metric for metric in test.metric if metric.label == "Prediction")
    assert prediction.value == "?" and prediction.delta.startswith("That doesn't look like a digit")
    assert not [button for button in test.button if button.label == "Right"]  # only "it was ..." remains
