"""What an install costs a new user: each requirements file installed into a fresh virtualenv, as
the README says (`pip install -r FILE`, from the repository's root: `-e .` is relative to it),
the files alternated run after run; the seconds pip took and what the virtualenv holds on disk.

    python bench/install_size.py requirements.txt requirements-train.txt
    python bench/install_size.py --runs 3 requirements.txt a38f3e8:requirements.txt

A file named REV:PATH is taken from git (e.g. the requirements.txt of the day an issue was filed).
pip's cache is warmed by an untimed first install of each file, so that the figures measure the
install, not the network. Timing figures are noisy: run it on an idle machine and compare medians.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def requirements_file(name: str, scratch: Path) -> Path:
    """A requirements file in the working tree, or REV:PATH written out of git into scratch."""
    if ":" not in name:
        return ROOT / name
    text = subprocess.run(["git", "show", name], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    path = scratch / name.replace(":", "-").replace("/", "-")
    path.write_text(text)
    return path


def install(requirements: Path, scratch: Path) -> tuple[float, int]:
    """A fresh virtualenv, `pip install -r requirements` in it -> (seconds pip took, MB on disk)."""
    venv = scratch / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    started = time.perf_counter()
    # pip's warnings (e.g. an index folder that is missing) would drown the figures: shown on failure only.
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                             "-r", str(requirements)], cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"pip install -r {requirements.name} failed:\n{result.stderr[-3000:]}")
    megabytes = int(subprocess.run(["du", "-sm", str(venv)], capture_output=True, text=True, check=True).stdout.split()[0])
    shutil.rmtree(venv)
    return seconds, megabytes


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="requirements files (or REV:PATH from git)")
    parser.add_argument("--runs", type=int, default=2, help="timed installs of each file, alternated")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="install-size-") as scratch:
        scratch = Path(scratch)
        files = {name: requirements_file(name, scratch) for name in args.files}
        for name, path in files.items():  # pip's cache warm: what is timed is installing, not downloading
            install(path, scratch)
            print(f"warmed pip's cache with {name}", file=sys.stderr, flush=True)
        seconds: dict[str, list[float]] = {name: [] for name in files}
        sizes: dict[str, int] = {}
        for run in range(args.runs):
            for name, path in files.items():
                took, sizes[name] = install(path, scratch)
                seconds[name].append(round(took, 1))
                print(f"run {run + 1}: {name} {took:.1f} s, {sizes[name]} MB", file=sys.stderr, flush=True)

    first = args.files[0]
    report = {name: {"megabytes": sizes[name], "seconds": seconds[name], "median_seconds": statistics.median(seconds[name]),
                     f"time_vs_{first}": round(statistics.median(seconds[name]) / statistics.median(seconds[first]), 2),
                     "time_ratios_run_by_run": [round(a / b, 2) for a, b in zip(seconds[name], seconds[first])]}
              for name in files}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, figures in report.items():
        spread = statistics.pstdev(figures["seconds"]) if len(figures["seconds"]) > 1 else 0.0
        print(f"{name:<40} {figures['megabytes']:>6} MB  {figures['median_seconds']:>6.1f} s median "
              f"(runs {', '.join(map(str, figures['seconds']))}; ±{spread:.1f})  "
              f"time ÷ {first}: {figures[f'time_vs_{first}']} (run by run {figures['time_ratios_run_by_run']})")


if __name__ == "__main__":
    main()
