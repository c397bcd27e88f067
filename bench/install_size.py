"""What an install costs a new user: each requirements file installed into a fresh virtualenv, as
the README says (`pip install --no-compile -r FILE`, from the repository's root: `-e .` is relative
to it), the files alternated run after run; the seconds pip took and what the virtualenv holds on disk.

    python bench/install_size.py requirements.txt requirements-train.txt
    python bench/install_size.py --runs 3 --first-page requirements.txt a38f3e8:requirements.txt

A file named REV:PATH is taken from git (e.g. the requirements.txt of the day an issue was filed)
and installed as that day's README said: `pip install -r FILE`, which also compiles every module
installed (pandas' and pyarrow's tests included) to bytecode. --no-compile leaves that to Python,
for the modules the app imports, at its first start: --first-page times that start too, from
`streamlit run app.py` in the fresh virtualenv to the canvas shown in Chromium (working-tree files only).
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


def install(requirements: Path, scratch: Path, compile_all: bool, first_page: bool) -> tuple[float, int, float | None]:
    """A fresh virtualenv, `pip install [--no-compile] -r requirements` in it -> (seconds pip took,
    MB on disk, seconds to the app's first page in it or None when first_page is False)."""
    venv = scratch / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    started = time.perf_counter()
    # pip's warnings (e.g. an index folder that is missing) would drown the figures: shown on failure only.
    result = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                             *([] if compile_all else ["--no-compile"]), "-r", str(requirements)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"pip install -r {requirements.name} failed:\n{result.stderr[-3000:]}")
    page_seconds = first_page_seconds(python) if first_page else None
    megabytes = int(subprocess.run(["du", "-sm", str(venv)], capture_output=True, text=True, check=True).stdout.split()[0])
    shutil.rmtree(venv)
    return seconds, megabytes, page_seconds


def first_page_seconds(python: Path) -> float:
    """Seconds from `streamlit run app.py` with this virtualenv's python to the page's canvas shown in
    Chromium and its first run done: the first start after an install."""
    from playwright.sync_api import sync_playwright

    from bench.browser import launch_chromium, open_page
    from bench.server import StreamlitServer

    started = time.perf_counter()
    with StreamlitServer(ROOT / "app.py", startup_timeout=180, python=python) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        open_page(browser.new_page(), server.url, timeout=180)
        browser.close()
    return time.perf_counter() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="requirements files (or REV:PATH from git)")
    parser.add_argument("--runs", type=int, default=2, help="timed installs of each file, alternated")
    parser.add_argument("--first-page", action="store_true", help="also time the app's first page after installing a working-tree file (needs Chromium)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="install-size-") as scratch:
        scratch = Path(scratch)
        files = {name: requirements_file(name, scratch) for name in args.files}
        from_git = {name: ":" in name for name in files}  # installed as their day's README said: compiling all
        for name, path in files.items():  # pip's cache warm: what is timed is installing, not downloading
            install(path, scratch, compile_all=from_git[name], first_page=False)
            print(f"warmed pip's cache with {name}", file=sys.stderr, flush=True)
        seconds: dict[str, list[float]] = {name: [] for name in files}
        pages: dict[str, list[float]] = {name: [] for name in files}
        sizes: dict[str, int] = {}
        for run in range(args.runs):
            for name, path in files.items():
                took, sizes[name], page = install(path, scratch, compile_all=from_git[name], first_page=args.first_page and not from_git[name])
                seconds[name].append(round(took, 1))
                if page is not None:
                    pages[name].append(round(page, 1))
                print(f"run {run + 1}: {name} {took:.1f} s" + (f" + first page {page:.1f} s" if page is not None else "")
                      + f", {sizes[name]} MB", file=sys.stderr, flush=True)

    first = args.files[0]
    report = {name: {"megabytes": sizes[name], "seconds": seconds[name], "median_seconds": statistics.median(seconds[name]),
                     f"time_vs_{first}": round(statistics.median(seconds[name]) / statistics.median(seconds[first]), 2),
                     "time_ratios_run_by_run": [round(a / b, 2) for a, b in zip(seconds[name], seconds[first])],
                     "pip_compiles_all": from_git[name],
                     **({"first_page_seconds": pages[name], "median_first_page_seconds": statistics.median(pages[name])} if pages[name] else {})}
              for name in files}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, figures in report.items():
        spread = statistics.pstdev(figures["seconds"]) if len(figures["seconds"]) > 1 else 0.0
        print(f"{name:<40} {figures['megabytes']:>6} MB  {figures['median_seconds']:>6.1f} s median "
              f"(runs {', '.join(map(str, figures['seconds']))}; ±{spread:.1f})  "
              f"time ÷ {first}: {figures[f'time_vs_{first}']} (run by run {figures['time_ratios_run_by_run']})"
              + (f"; first page {figures['median_first_page_seconds']:.1f} s median (runs {', '.join(map(str, figures['first_page_seconds']))})"
                 if "first_page_seconds" in figures else ""))


if __name__ == "__main__":
    main()
