"""Hostile files through scripts/predict.py: does each cost no more than a stroke's worth?

    python bench/hostile_predict.py
    python bench/hostile_predict.py --runs 5 --no-models

Writes every picture of bench/hostile_files.py's catalogue (scan bombs, huge dimensions, RLE BMP,
not a picture, the largest pictures accepted, ...) into a temporary folder and reads each with
`scripts/predict.py` in a fresh child, --runs times: the median seconds (and CPU seconds, which
other work on the machine does not inflate), the peak memory (the largest of the runs) and what
predict.py answered; first, for reference, a small real drawing. Then the hostile model files, each through
`predict.py --model FOLDER` reading one small drawing. A refusal must be plain words: no Python
repr, no path on the server, no traceback, nothing of another file.

Prints a Markdown table; exits 1 if any file takes over --max-seconds (2) or --max-mb (400: the
targets of issue 39), leaks, or is read when it should be refused (or the other way round).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench.hostile_files import MODEL_FILES, PICTURES
from mnist_core.config import PROJECT_ROOT

# Runs a command in a fresh child of its own, so that the peak memory of its children is the command's alone.
MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr,
                  "seconds": time.perf_counter() - started, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024}))
"""
TARGET_SECONDS, TARGET_PEAK_MB = 2.0, 400.0  # issue 39: a hostile file costs a stroke's worth


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float  # user + system: what the run cost, whatever else the machine was doing
    peak_mb: float


def run_predict(*arguments: str) -> Run:
    """scripts/predict.py with these arguments, from the project's root, with its time and peak memory."""
    command = [sys.executable, "-c", MEASURE, sys.executable, "scripts/predict.py", *arguments]
    measured = subprocess.run(command, capture_output=True, text=True, timeout=400, cwd=PROJECT_ROOT, check=True)
    return Run(**json.loads(measured.stdout))


def is_plain(message: str, own_name: str = "") -> bool:
    """A message fit for a user: not empty, no Python repr, no path on the server (own_name, the
    file's own name as the user gave it, may appear)."""
    repr_free = "<" not in message and "object at 0x" not in message
    return bool(message) and repr_free and "/" not in message.replace(own_name, "")


@dataclass
class Outcome:
    """One hostile file read --runs times."""

    name: str
    description: str
    size: int  # bytes on disk
    seconds: float  # median of the runs
    cpu_seconds: float  # median of the runs
    peak_mb: float  # the largest of the runs
    answer: str  # the refusal's words, or what was read
    as_expected: bool  # refused if hostile, read if accepted
    leaks: bool  # a repr, a path, a traceback or another file's contents

    def over(self, max_seconds: float, max_mb: float) -> bool:
        return self.seconds > max_seconds or self.peak_mb > max_mb


def measure(runs: int, *arguments: str) -> tuple[list[Run], dict[str, float]]:
    """predict.py with these arguments runs times -> the runs, and their median seconds and CPU
    seconds and largest peak MB (Outcome's fields)."""
    measured = [run_predict(*arguments) for _ in range(runs)]
    return measured, {
        "seconds": statistics.median(run.seconds for run in measured),
        "cpu_seconds": statistics.median(run.cpu_seconds for run in measured),
        "peak_mb": max(run.peak_mb for run in measured),
    }


def read_picture(path: Path, description: str, refused: bool, runs: int) -> Outcome:
    """predict.py reading the picture at path; refused: whether it must be refused rather than read."""
    measured, cost = measure(runs, str(path))
    last = measured[-1]
    lines = last.stdout.strip().splitlines()
    record = json.loads(lines[0]) if len(lines) == 1 else {"status": "no answer", "error": last.stderr[-300:]}
    if "error" in record:  # refused, or no answer line at all (then the end of predict.py's stderr)
        answer = record["error"]
        plain = is_plain(answer, own_name=path.name)
    else:
        answer = record["status"] + (f" {record['digits']}" if record.get("digits") else "")
        plain = True
    return Outcome(
        name=path.name, description=description, size=path.stat().st_size, **cost, answer=answer,
        as_expected=(record["status"] == "error") == refused,
        leaks=not plain or any("Traceback" in run.stderr for run in measured),
    )


def load_model(folder: Path, description: str, drawing: Path, runs: int) -> Outcome:
    """predict.py --model folder reading the drawing: it must stop at the model, exit code 2, no output."""
    measured, cost = measure(runs, "--model", str(folder), str(drawing))
    last = measured[-1]
    answer = (last.stderr.strip().splitlines() or [last.stdout.strip()])[-1].removeprefix("predict.py: ")
    own_name = f"{folder.name}/model.keras"
    size = sum(path.stat().st_size for path in folder.iterdir())
    leaks = (
        not is_plain(answer.replace("scripts/train.py", ""), own_name=own_name)  # its advice names the script
        or any("Traceback" in run.stderr or "root:" in run.stdout + run.stderr for run in measured)
    )
    return Outcome(
        name=own_name, description=description, size=size, **cost, answer=answer,
        as_expected=all(run.returncode == 2 and run.stdout == "" for run in measured), leaks=leaks,
    )


def drawn_one(path: Path) -> Path:
    """A small drawing of a 1 (white on black, 280x200), the reading a hostile model is asked for."""
    Image.fromarray(np.pad(np.full((200, 30), 255, np.uint8), ((40, 40), (125, 125)))).save(path)
    return path


def run_all(folder: Path, runs: int, models: bool) -> list[Outcome]:
    """The reference (a real drawing), then every picture, then every model file if models."""
    drawing = drawn_one(folder / "one.png")
    outcomes = [read_picture(drawing, "for reference: a drawn 1, 280x280", False, runs)]
    for picture in PICTURES.values():
        path = folder / picture.name
        path.write_bytes(picture.make())
        outcomes.append(read_picture(path, picture.description, picture.refused, runs))
        path.unlink()  # a few are large: one at a time on disk
        print(f"  {picture.name}: {outcomes[-1].seconds:.2f} s", file=sys.stderr, flush=True)
    if models:
        for model in MODEL_FILES.values():
            outcomes.append(load_model(model.make(folder / model.name), model.description, drawing, runs))
            print(f"  {model.name}: {outcomes[-1].seconds:.2f} s", file=sys.stderr, flush=True)
    return outcomes


def size_text(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B"


def format_table(outcomes: list[Outcome], runs: int, max_seconds: float, max_mb: float) -> str:
    rows = [
        f"| File | What | Size | Seconds (median of {runs}) | CPU seconds | Peak MB | Answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        flags = [
            *(["**over the target**"] if outcome.over(max_seconds, max_mb) else []),
            *(["**leaks**"] if outcome.leaks else []),
            *([] if outcome.as_expected else ["**not as expected**"]),
        ]
        answer = outcome.answer.replace("|", "\\|") + "".join(f" {flag}" for flag in flags)
        rows.append(
            f"| {outcome.name} | {outcome.description} | {size_text(outcome.size)} | {outcome.seconds:.2f} "
            f"| {outcome.cpu_seconds:.2f} | {outcome.peak_mb:.0f} | {answer} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="reads of each file (default 3)")
    parser.add_argument("--max-seconds", type=float, default=TARGET_SECONDS, help="median seconds allowed per file")
    parser.add_argument("--max-mb", type=float, default=TARGET_PEAK_MB, help="peak MB allowed per file")
    parser.add_argument("--no-models", dest="models", action="store_false", help="pictures only")
    arguments = parser.parse_args(argv)

    before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
        outcomes = run_all(Path(folder), arguments.runs, arguments.models)
    after = os.getloadavg()
    print(format_table(outcomes, arguments.runs, arguments.max_seconds, arguments.max_mb))
    failing = [o for o in outcomes if o.over(arguments.max_seconds, arguments.max_mb) or o.leaks or not o.as_expected]
    worst_seconds = max(outcomes, key=lambda outcome: outcome.seconds)
    worst_memory = max(outcomes, key=lambda outcome: outcome.peak_mb)
    print(
        f"\n{len(outcomes) - 1} files and the reference drawing, {len(failing)} over {arguments.max_seconds:g} s "
        f"or {arguments.max_mb:g} MB, leaking or not as expected; "
        f"slowest {worst_seconds.name} {worst_seconds.seconds:.2f} s, "
        f"most memory {worst_memory.name} {worst_memory.peak_mb:.0f} MB; "
        f"load average {before[0]:.2f} before, {after[0]:.2f} after"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
