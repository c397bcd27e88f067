"""Inside the model: saliency, the ensemble's members, the nearest training digits and their index,
the panel's prompt, and scripts/predict.py --explain."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from app_support import run_app
from conftest import DRAWN_STROKES, FIXTURE_MNIST, PROJECT_ROOT, stroke_canvas
from PIL import Image

from mnist_core.config import MODELS_DIR
from mnist_core.data import load_mnist
from mnist_core.explain import Explainer, saliency_on_drawing
from mnist_core.neighbours import INDEX_FILE, load_index
from mnist_core.predictor import OK, UNSURE, DigitReading
from mnist_core.segment import Box
from mnist_core.synthetic import render

PANEL_SECTION = '<section class="inside">'


@pytest.fixture(scope="module")
def explainer(predictor) -> Explainer:
    return Explainer(predictor.folder)


def centre_of_mass(weights: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(weights.shape)
    return np.array([(weights * rows).sum(), (weights * cols).sum()]) / weights.sum()


def test_saliency_lies_on_the_ink_and_moves_with_the_digit(predictor, explainer):
    centres = []
    for offset in ((20, 10), (100, 60)):
        canvas = render(stroke_canvas(DRAWN_STROKES["7"], size=320, brush=16, scale=1.8, offset=offset), "black_on_white")
        reading = predictor.read(canvas, multi=True)
        digit = reading.digits[0]
        explanation = explainer.explain(digit)
        saliency = explanation.saliency[7]
        assert reading.text == "7" and saliency.shape == (28, 28) and saliency.min() >= 0 and saliency.max() > 0
        near_ink = cv2.dilate((digit.model_input > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        assert saliency[near_ink].sum() >= 0.6 * saliency.sum()
        on_drawing = saliency_on_drawing(saliency, explanation.steps, digit.box, reading.ink.shape)
        drawn_near = cv2.dilate((reading.ink > 0.05).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        assert on_drawing[drawn_near].sum() >= 0.9 * on_drawing.sum()  # mapped back onto the strokes
        centres.append(centre_of_mass(on_drawing))
    # The drawing moved 50 px down and 80 px right (offset is x, y): so did the map on it.
    np.testing.assert_allclose(centres[1] - centres[0], [50, 80], atol=2.0)


def test_members_average_to_the_shown_probabilities_and_not_sure_maps_both_guesses(predictor, explainer):
    canvas = render(stroke_canvas(DRAWN_STROKES["4"], size=320, brush=18, scale=2.2, offset=(40, 40)), "black_on_transparent")
    digit = predictor.read(canvas, multi=True).digits[0]
    explanation = explainer.explain(digit)
    assert explanation.members.shape == (3, 10)  # the shipped default is an ensemble of three
    np.testing.assert_allclose(explanation.members.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(explanation.members.mean(axis=0), digit.probabilities, atol=1e-6)
    unsure = DigitReading(digit.box, digit.model_input, digit.probabilities, UNSURE, digit.own_ink)
    maps = explainer.explain(unsure).saliency
    assert list(maps) == [d for d, _ in digit.top_two] and not np.allclose(*maps.values())


@pytest.mark.parametrize("model", ["cnn-ensemble", "cnn"])
def test_a_training_digits_nearest_neighbour_is_itself(mnist_dir, predictor, model):
    explainer = Explainer(MODELS_DIR / model)
    train = load_mnist(mnist_dir).train
    for position in (0, 4321, 19_999):
        image = train.images[position] / np.float32(255)
        digit = DigitReading(Box(0, 0, 28, 28), image, predictor.probabilities(image[None])[0], OK)
        nearest = explainer.explain(digit).neighbours
        index = explainer.index
        assert len(nearest) == 8
        first = nearest[0]
        assert index.training_indices[first] == position or np.array_equal(index.images[first], train.images[position])
        assert index.labels[first] == train.labels[position]


def test_an_index_made_for_another_model_is_refused_until_rebuilt(tmp_path):
    folder = tmp_path / "cnn"
    shutil.copytree(MODELS_DIR / "cnn", folder)
    shutil.copy(MODELS_DIR / "cnn-ensemble" / INDEX_FILE, folder / INDEX_FILE)  # the wrong model's index
    with pytest.raises(ValueError, match="another model.keras.*python scripts/index_neighbours.py --model cnn"):
        load_index(folder)
    stale = Explainer(folder)
    assert stale.index is None and "index_neighbours.py" in stale.index_problem
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "index_neighbours.py"), "--model", str(folder),
         "--data-dir", str(FIXTURE_MNIST)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rebuilt = load_index(folder)
    assert rebuilt.metadata["command"] == "python scripts/index_neighbours.py --model cnn" and len(rebuilt.labels) == 600


def panel_sections(test) -> list[str]:
    return [element.proto.body for element in test.get("html") if element.proto.body.startswith(PANEL_SECTION)]


def test_the_panel_is_built_only_when_open_and_a_blank_canvas_shows_only_its_prompt():
    seven = render(stroke_canvas(DRAWN_STROKES["7"], size=320, brush=20, scale=2.0, offset=(60, 40)), "black_on_transparent")
    assert panel_sections(run_app(seven)) == []  # closed: nothing of it is built
    blank = run_app(None, session_state={"inside_model": True})
    assert panel_sections(blank) == []
    assert any("this panel shows what happens to it inside the model" in info.value for info in blank.info)
    sections = panel_sections(run_app(seven, session_state={"inside_model": True}))
    assert len(sections) == 5 and "Your 7 sits among" in sections[-1]


def test_predict_explain_adds_model_input_saliency_members_and_neighbours(tmp_path):
    seven = tmp_path / "seven.png"
    Image.fromarray(render(stroke_canvas(DRAWN_STROKES["7"], scale=2.2, offset=(30, 20)), "black_on_white")).save(seven)
    number = tmp_path / "47.png"
    strokes = [*DRAWN_STROKES["4"], *[[(x + 110, y) for x, y in stroke] for stroke in DRAWN_STROKES["7"]]]
    Image.fromarray(render(stroke_canvas(strokes, size=320, scale=1.3, offset=(10, 60)), "black_on_white")).save(number)
    script = [sys.executable, str(PROJECT_ROOT / "scripts" / "predict.py"), "--explain"]
    single = json.loads(subprocess.run([*script, str(seven)], capture_output=True, text=True, timeout=300, check=True).stdout)
    several = json.loads(subprocess.run([*script, "--multi", str(number)], capture_output=True, text=True, timeout=300,
                                        check=True).stdout)
    assert single["digit"] == 7 and several["digits"] == "47"
    for record in (single, *several["explained"]):
        model_input, saliency = np.array(record["model_input"]), np.array(record["saliency"])
        assert model_input.shape == saliency.shape == (28, 28) and saliency.min() >= 0 and saliency.max() > 0
        assert np.array(record["members"]).shape == (3, 10)
        assert [n["label"] for n in record["neighbours"]].count(record.get("digit", single["digit"])) >= 4
    np.testing.assert_allclose(np.mean(single["members"], axis=0), single["probabilities"], atol=2e-6)
    assert [d["digit"] for d in several["explained"]] == [4, 7]
