"""How fast a drawing becomes a digit: model load time, per-drawing latency, batch throughput.

    python bench/benchmark.py            # a table
    python bench/benchmark.py --json     # one JSON object

Drawings are 280x280 canvases of MNIST-derived digits at random sizes, places, brushes and
styles (mnist_core.synthetic), so no data files are needed beyond the committed fixture.
Latency is normalize + predict for one drawing, as the app does after each stroke; the app reads
with multi=True (any number of digits), timed too, on single digits and on strips of 2-4 digits,
spaced or touching (touching ones are cut and read every way: the slowest case).
The "Inside the model" panel's extra work after a stroke is timed too: explaining the first digit
(mnist_core.explain), and that plus building the panel's five parts' HTML (digit_app.inside_model).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from bench.stats import summary_ms
from digit_app import inside_model
from mnist_core.config import DEFAULT_MODEL, PROJECT_ROOT
from mnist_core.data import load_from_dir
from mnist_core.explain import Explainer
from mnist_core.normalize import image_to_ink, normalize_digit
from mnist_core.predictor import Predictor
from mnist_core.segment import find_digits
from mnist_core.synthetic import make_samples

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "mnist-small"


def time_each(function, items) -> list[float]:
    timings = []
    for item in items:
        started = time.perf_counter()
        function(item)
        timings.append(time.perf_counter() - started)
    return timings


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--drawings", type=int, default=300, help="at least 200 for stable percentiles")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    predictor = Predictor(args.model)
    load_seconds = time.perf_counter() - started

    test = load_from_dir(FIXTURE).test
    drawings = [s.image for s in make_samples(test.images, test.labels, args.drawings, "single", seed=11)]
    for drawing in drawings[:20]:  # warm caches and allocators, as a running app would be
        predictor.read(drawing)

    preprocess = time_each(lambda d: [normalize_digit(x.ink) for x in find_digits(image_to_ink(d), False)], drawings)
    inputs = np.zeros((1, 28, 28), np.float32)
    model_only = time_each(lambda _: predictor.probabilities(inputs), range(len(drawings)))
    end_to_end = time_each(predictor.read, drawings)
    def read_as_the_app(drawing):
        return predictor.read(drawing, multi=True)

    as_the_app = time_each(read_as_the_app, drawings)
    explainer = Explainer(predictor.folder)
    readings = [reading for reading in map(read_as_the_app, drawings) if reading.digits]
    explain = time_each(lambda reading: explainer.explain(reading.first), readings)

    def build_panel(reading):
        digit = reading.first
        explanation = explainer.explain(digit)
        return (inside_model.pipeline_html(reading, 0, explanation), inside_model.vote_html(digit, explanation),
                inside_model.saliency_html(reading, digit, explanation), inside_model.layers_html(explanation),
                inside_model.neighbours_html(digit, explanation, explainer))

    panel = time_each(build_panel, readings)
    strips = {kind: [s.image for s in make_samples(test.images, test.labels, args.drawings, kind, seed=11)]
              for kind in ("multi", "multi_touching")}
    strip_reads = {kind: time_each(read_as_the_app, canvases) for kind, canvases in strips.items()}

    # The same drawings from a fresh thread each, as Streamlit runs every rerun in a new thread.
    fresh_thread = []
    for drawing in drawings[:100]:
        worker = threading.Thread(target=lambda d=drawing: fresh_thread.extend(time_each(predictor.read, [d])))
        worker.start()
        worker.join()

    batch = np.random.default_rng(0).random((1000, 28, 28), dtype=np.float32)
    started = time.perf_counter()
    predictor.probabilities(batch[:100])  # batches go through Keras, loaded (and traced) on first use
    keras_load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(5):
        predictor.probabilities(batch)
    batch_rate = 5 * len(batch) / (time.perf_counter() - started)

    report = {
        "model": str(predictor.folder),
        "model_load_seconds": load_seconds,
        "keras_load_seconds_for_batches": keras_load_seconds,
        "preprocess_one_drawing": summary_ms(preprocess),
        "predict_one_image": summary_ms(model_only),
        "read_one_drawing": summary_ms(end_to_end),
        "read_one_drawing_fresh_thread": summary_ms(fresh_thread),
        "read_one_drawing_multi": summary_ms(as_the_app),
        "read_one_strip_multi": summary_ms(strip_reads["multi"]),
        "read_one_touching_strip_multi": summary_ms(strip_reads["multi_touching"]),
        "explain_one_digit": summary_ms(explain),
        "inside_panel_one_digit": summary_ms(panel),
        "batch_images_per_second": batch_rate,
    }
    if args.json:
        print(json.dumps(report))
        return
    print(f"model {report['model']}: loaded in {load_seconds:.2f} s (NumPy, for drawings)")
    for key in ("preprocess_one_drawing", "predict_one_image", "read_one_drawing", "read_one_drawing_fresh_thread",
                "read_one_drawing_multi", "read_one_strip_multi", "read_one_touching_strip_multi",
                "explain_one_digit", "inside_panel_one_digit"):
        r = report[key]
        print(f"{key:<32} p50 {r['p50_ms']:6.2f} ms   p95 {r['p95_ms']:6.2f} ms   max {r['max_ms']:6.1f} ms"
              f"   ({r['count']} runs)")
    print(f"{'batches: Keras load on first use':<32} {keras_load_seconds:.2f} s")
    print(f"{'batch of 1000 images':<32} {batch_rate:,.0f} images/s")


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ValueError) as error:  # missing data or model: a message, not a traceback
        sys.exit(f"{Path(__file__).name}: {error}")
