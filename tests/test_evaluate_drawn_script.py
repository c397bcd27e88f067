"""scripts/evaluate_drawn.py --against: two models compared on the very canvases each is judged on alone."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import FIXTURE_MNIST, PROJECT_ROOT

EVALUATE_DRAWN = [sys.executable, str(PROJECT_ROOT / "scripts" / "evaluate_drawn.py"),
                  "--data-dir", str(FIXTURE_MNIST), "--per-kind", "60", "--kinds", "single", "multi_sizes", "--json"]


def evaluate(*arguments: str) -> dict:
    result = subprocess.run([*EVALUATE_DRAWN, *arguments], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["results"]


def test_two_models_are_compared_canvas_by_canvas_on_the_canvases_each_is_judged_on():
    paired = evaluate("--model", "linear", "--against", "cnn-ensemble")
    linear_alone, ensemble_alone = evaluate("--model", "linear"), evaluate("--model", "cnn-ensemble")
    for kind, result in paired.items():
        against = result["against"]
        # Each model's figure is the one its own run gives: the same canvases, read the same way.
        assert result["pipeline_accuracy"] == linear_alone[kind]["pipeline_accuracy"]
        assert against["accuracy"] == ensemble_alone[kind]["pipeline_accuracy"]
        # The paired counts account for the whole difference, and a lopsided split is no accident.
        difference = round((against["accuracy"] - result["pipeline_accuracy"]) * result["canvases"])
        assert against["only_against_right"] - against["only_model_right"] == difference
    sizes = paired["multi_sizes"]["against"]
    assert sizes["only_against_right"] > sizes["only_model_right"] + 5 and sizes["mcnemar_p"] < 0.05
    # A model against itself: no canvas where they differ, nothing to explain.
    itself = evaluate("--model", "linear", "--against", "linear")["single"]["against"]
    assert (itself["only_model_right"], itself["only_against_right"], itself["mcnemar_p"]) == (0, 0, 1.0)
