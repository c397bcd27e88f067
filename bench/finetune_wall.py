"""The wall's "Learn from this room", timed: N answers in a fresh round, the fine-tune started as the
presenter's button starts it, and the time a drawing takes to read before and while it runs.

    python bench/finetune_wall.py --drawings 1000 --scratch /tmp/finetune-wall

Fills a new SQLite answers database in --scratch with N coarse pen-trajectory digits as answers
(bench/other_hands.py; the model's reading stored with each, as the drawing page does), points
DIGIT_MODELS_DIR at --scratch (the base model linked in: nothing is written to models/), starts
digit_app.learn_from_room.start_fine_tune and follows the job in the database until it ends.
Meanwhile this process reads a drawing 10 times a second as the drawing page does (Predictor.read,
multi=True): the median and 95th percentile of those reads, before and during the fine-tune, are
what a drawer's stroke waits for on the server.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import numpy as np

from bench.other_hands import pen_trajectory
from bench.stats import summary_ms
from mnist_core.config import DEFAULT_MODEL, MODELS_DIR, MODELS_DIR_ENV
from mnist_core.drawings import DB_URL_ENV, RUNNING, drawing_png, open_store

READS_BEFORE = 200
READS_PER_SECOND = 10


def fill_round(store, count: int, predictor, seed: int) -> None:
    """count pen-trajectory digits answered with their true digit, in the current round."""
    rng = np.random.default_rng(seed)
    for index in range(count):
        digit = int(rng.integers(0, 10))
        canvas = pen_trajectory(digit, rng)
        reading = predictor.read(canvas)
        if reading.first is None:
            continue
        first = reading.first
        store.add_answer(f"bench-{index % 50}", DEFAULT_MODEL, drawing_png(canvas),
                         [(first.model_input, first.digit, first.confidence)], str(digit))


def read_times(predictor, canvas, keep_going) -> list[float]:
    """Seconds of each read of canvas while keep_going() says so, READS_PER_SECOND of them a second
    (a room's strokes, not a loop that would take a core from the fine-tune)."""
    times = []
    while keep_going():
        started = time.perf_counter()
        predictor.read(canvas, multi=True)
        times.append(time.perf_counter() - started)
        time.sleep(max(0.0, 1 / READS_PER_SECOND - times[-1]))
    return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drawings", type=int, default=1000)
    parser.add_argument("--scratch", type=Path, required=True, help="a new folder for the database and the new model")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    args.scratch.mkdir(parents=True)
    (args.scratch / DEFAULT_MODEL).symlink_to(MODELS_DIR / DEFAULT_MODEL)
    os.environ[MODELS_DIR_ENV] = str(args.scratch)
    os.environ[DB_URL_ENV] = f"sqlite:///{args.scratch / 'drawings.sqlite3'}"
    from digit_app.learn_from_room import start_fine_tune
    from mnist_core.predictor import Predictor

    predictor = Predictor(DEFAULT_MODEL)
    store = open_store()
    fill_round(store, args.drawings, predictor, args.seed)
    canvas = pen_trajectory(4, np.random.default_rng(0))
    reads = itertools.count()
    before = read_times(predictor, canvas, lambda: next(reads) < READS_BEFORE)
    started = time.monotonic()
    start_fine_tune(DEFAULT_MODEL)
    during = read_times(predictor, canvas, lambda: store.latest_job().state == RUNNING)
    job = store.latest_job()
    print(json.dumps({
        "drawings": store.wall_summary().drawings, "state": job.state, "message": job.message,
        "seconds_button_to_model": round(time.monotonic() - started, 1), "result": job.result,
        "read_before": summary_ms(before), "read_during": summary_ms(during),
    }, indent=1))


if __name__ == "__main__":
    main()
