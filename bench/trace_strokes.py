"""Where the browser's time goes after a stroke: Chromium's main thread, traced, app vs bare page.

    python bench/trace_strokes.py --strokes 10
    python bench/trace_strokes.py --app VARIANT.py --json

bench/latency.py says how long a person waits; this says what the browser's main thread does
meanwhile. Both pages are served at once and the strokes alternate between them, as in
bench/latency.py. Each stroke is traced (Chromium's toplevel, blink and timeline events) from the mouse
button's release until 400 ms after the new prediction is on screen, and the renderer's main
thread's tasks are summed by kind, in ms per stroke (median over strokes):

- all tasks: every top-level task on the main thread;
- React (scheduler tasks): React renders in tasks posted through a MessageChannel, so these are
  Streamlit's front end rebuilding the page for each message of a run;
- frames: style, layout, paint and compositing of each frame;
- timers: setTimeout callbacks (the canvas's 200 ms wait, Streamlit's own timers).

Tracing slows the page, so the latency is not reported here: bench/latency.py measures it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from pathlib import Path

from bench import latency
from bench.browser import chromium_available, launch_chromium
from bench.server import streamlit_server

CATEGORIES = ["toplevel", "blink", "cc", "devtools.timeline", "disabled-by-default-devtools.timeline"]
SETTLE_MS = 400  # after the answer is on screen: the run's last messages still re-render the page
KINDS = {
    "all tasks": "RunTask",
    "React (scheduler tasks)": "MessagePort::Accept",
    "frames (style, layout, paint)": "ProxyMain::BeginMainFrame",
    "timers": "TimerBase::run",
}


def main_thread_ms(trace: bytes) -> dict[str, float]:
    """A Chromium trace (JSON bytes) -> ms of the renderer main thread's tasks, by kind."""
    loaded = json.loads(trace)
    events = loaded["traceEvents"] if isinstance(loaded, dict) else loaded
    main_threads = {
        (event["pid"], event["tid"]) for event in events
        if event.get("name") == "thread_name" and event.get("args", {}).get("name") == "CrRendererMain"
    }
    totals = dict.fromkeys(KINDS, 0.0)
    for event in events:
        if event.get("ph") != "X" or (event.get("pid"), event.get("tid")) not in main_threads:
            continue
        for kind, name in KINDS.items():
            if event.get("name") == name:
                totals[kind] += event.get("dur", 0) / 1000
    return totals


def traced_stroke(browser, page, name: str, digit: str) -> dict[str, float]:
    """One stroke on an emptied canvas, traced from its release until the answer has settled."""
    latency.empty_canvas(page, name)
    stroke = latency.digit_stroke(digit, latency.PAGES[name]["canvas_pixels"])
    latency.timed_stroke(page, latency.live_canvas(page), stroke,
                         before_release=lambda: browser.start_tracing(page=page, categories=CATEGORIES))
    page.wait_for_timeout(SETTLE_MS)
    return main_thread_ms(browser.stop_tracing())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strokes", type=int, default=10, help="traced strokes per page (default 10)")
    parser.add_argument("--app", type=Path, help="trace this page instead of app.py (a variant under study)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.app:
        latency.PAGES["app"]["script"] = args.app.resolve()
    if not chromium_available():
        print("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    digits = latency.ONE_STROKE_DIGITS
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in latency.PAGES}
    with sync_playwright() as playwright, contextlib.ExitStack() as stack:
        browser = launch_chromium(playwright)
        stack.callback(browser.close)
        pages = {}
        for name, page_info in latency.PAGES.items():
            url = stack.enter_context(streamlit_server(page_info["script"], startup_timeout=latency.TIMEOUT))
            page, canvas = latency.open_visitor(browser, url, stack)
            latency.timed_stroke(page, canvas, latency.digit_stroke("1", page_info["canvas_pixels"]))  # warm up
            pages[name] = page
        for index in range(args.strokes):
            for name, page in pages.items():
                samples[name].append(traced_stroke(browser, page, name, digits[index % len(digits)]))

    report = {
        name: {kind: statistics.median(sample[kind] for sample in page_samples) for kind in KINDS}
        for name, page_samples in samples.items()
    }
    if args.json:
        print(json.dumps({"strokes": args.strokes, "ms_per_stroke_median": report}, indent=2))
        return 0
    print(f"Renderer main thread, ms per stroke (median of {args.strokes}), from mouse-up to {SETTLE_MS} ms "
          "after the answer is on screen")
    print(f"{'':<32}" + "".join(f"{name:>10}" for name in report) + f"{'app-bare':>10}")
    for kind in KINDS:
        values = [report[name][kind] for name in report]
        print(f"{kind:<32}" + "".join(f"{value:>10.1f}" for value in values) + f"{values[0] - values[-1]:>+10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
