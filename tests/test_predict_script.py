"""scripts/predict.py end to end: one JSON line per image, bad files reported, the rest still read."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from conftest import DRAWN_STROKES, PROJECT_ROOT, stroke_canvas
from PIL import Image

from mnist_core.synthetic import render

PREDICT = [sys.executable, str(PROJECT_ROOT / "scripts" / "predict.py")]


def save(path, array, **options):
    Image.fromarray(array).save(path, **options)
    return str(path)


def test_reads_every_format_and_reports_bad_files(tmp_path):
    seven = stroke_canvas(DRAWN_STROKES["7"], scale=2.2, offset=(30, 20))
    files = [
        save(tmp_path / "seven.png", render(seven, "black_on_transparent")),
        save(tmp_path / "seven.jpg", render(seven, "black_on_white"), quality=85),
        save(tmp_path / "seven.bmp", render(seven, "white_on_black")),
        save(tmp_path / "seven.webp", render(seven, "black_on_transparent"), lossless=True),
        save(tmp_path / "blank.png", np.zeros((280, 280, 4), np.uint8)),
    ]
    (tmp_path / "notes.png").write_text("not an image")
    files.insert(2, str(tmp_path / "notes.png"))
    files.append(str(tmp_path / "missing.png"))
    result = subprocess.run([*PREDICT, *files], capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1 and [line["path"] for line in lines] == files
    by_name = {line["path"].rsplit("/", 1)[1]: line for line in lines}
    for name in ("seven.png", "seven.jpg", "seven.bmp", "seven.webp"):
        line = by_name[name]
        assert (line["status"], line["digit"], line["digits"]) == ("ok", 7, "7"), line
        assert len(line["probabilities"]) == 10 and abs(sum(line["probabilities"]) - 1) < 1e-3
        assert line["confidence"] == max(line["probabilities"])
    assert (by_name["blank.png"]["status"], by_name["blank.png"]["digit"]) == ("empty", None)
    for name in ("notes.png", "missing.png"):
        assert by_name[name]["status"] == "error" and name in by_name[name]["error"]


def test_multi_reads_the_whole_number_and_exit_code_is_zero(tmp_path):
    strip = np.zeros((280, 560), np.float32)
    for index, digit in enumerate("1047"):
        part = stroke_canvas(DRAWN_STROKES[digit], size=140, brush=12, scale=1.1, offset=(10, 15))
        strip[70:210, 135 * index : 135 * index + 140] = np.maximum(strip[70:210, 135 * index : 135 * index + 140], part)
    path = save(tmp_path / "year.png", render(strip, "black_on_white"))
    result = subprocess.run([*PREDICT, "--multi", path], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    line = json.loads(result.stdout)
    assert line["digits"] == "1047" and line["digit"] == 1 and line["status"] in ("ok", "unsure")


def test_several_digits_without_multi_are_not_one_confident_digit(tmp_path, mnist_dir):
    """Strips of 2-4 digits (mnist_core.synthetic, kind multi) read without --multi: never "ok" with
    a single digit that is not the whole number."""
    from mnist_core.data import load_mnist
    from mnist_core.synthetic import make_samples

    test = load_mnist(mnist_dir).test
    strips = make_samples(test.images, test.labels, 40, "multi", seed=5)
    files = [save(tmp_path / f"strip{index}.png", strip.image) for index, strip in enumerate(strips)]
    result = subprocess.run([*PREDICT, *files], capture_output=True, text=True, timeout=600)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(strips), result.stderr[-2000:]
    wrong = [(strip.expected, line) for strip, line in zip(strips, lines)
             if line["status"] == "ok" and str(line["digit"]) != strip.expected]
    assert wrong == []
    noted = [line for line in lines if line["status"] == "unsure" and line["digit"] is None]
    assert len(noted) >= 36 and all("pass --multi" in line["note"] for line in noted)
