"""How long a user waits, in a real browser: stroke to prediction, and server start to first answer.

    python bench/latency.py                 # a table
    python bench/latency.py --strokes 30 --json

Runs app.py and, as a baseline, bench/pages/bare_canvas.py (the canvas and a metric, no
model), one `streamlit run` server at a time, driven by the system Chromium (headless).

Stroke latency: from the mouse button's release to the next frame after the "Prediction" metric
shows a new value, both taken in the page (performance.now(): a pointerup listener and a
MutationObserver), so the driver's own overhead is not counted. The package's canvas waits ~200 ms
after a stroke before it sends it, and so does bare_canvas.py's; app.py's sends at once. --bare
bench/pages/fixed_canvas.py measures against a bare page whose canvas sends at
once too: what the app itself adds. Every timed stroke completes a one-stroke digit on an empty
canvas: the app's Clear button (the bare page: the canvas's reset button) empties it before
each one, so the metric always goes from "nothing" to a value.

Both pages are served at once and the strokes alternate between them (app, bare, bare, app, ...: every
other round in reverse, so that neither always follows the other), so that
whatever else the machine does slows both alike: timed one page after the other, one version of the app
measured 1.15, 1.21 and 1.24 times the bare page in three runs within an hour.

Startup: from launching `streamlit run` to the first stroke answered in a fresh browser context
(server healthy, page loaded with its canvas visible, one stroke drawn and read; the time the
driver spends moving the mouse along the stroke is left out), the median of
--starts starts per page. Starts alternate between the pages so that a machine that is busy
with something else slows both alike.

Under load (--under-load USERS): while the strokes are timed, bench/loadtest.py runs USERS
simulated users against the same server (each drawing every --load-interval s): what one person
in the room sees while everyone else draws. The load's own figures are reported beside. Under
load the strokes are timed on each page's last start, one page after the other.

    python bench/latency.py --strokes 20 --starts 1 --under-load 20

With --inside-panel a third page joins the alternation: app.py again, with its "Inside the model"
panel opened before the first stroke (digit_app/inside_model.py), so that the panel's cost is
measured against the closed page under the same load.

    python bench/latency.py --strokes 30 --starts 1 --inside-panel
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.browser import (
    chromium_available,
    draw_stroke,
    launch_chromium,
    wait_for_app_idle,
    wait_for_canvas,
)
from bench.server import streamlit_server
from bench.stats import summary_ms
from bench.strokes import DIGIT_STROKES, on_canvas
from mnist_core.config import CANVAS_PIXELS, PREDICTION_LABEL, PROJECT_ROOT

PAGES = {
    "app": {"script": PROJECT_ROOT / "app.py", "canvas_pixels": CANVAS_PIXELS},
    # bare_canvas.py's canvas is 280 px on purpose: a fixed baseline, whatever size the app's is.
    "bare": {"script": PROJECT_ROOT / "bench" / "pages" / "bare_canvas.py", "canvas_pixels": 280},
}
INSIDE_PANEL = "Inside the model"  # the expander --inside-panel opens on its copy of the app
PANEL_PARTS = 5  # its parts (digit_app/inside_model.py): all on screen = the panel is up to date
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT = 60.0  # seconds, for any one wait; the first page load also loads the model
LOAD_SETTLE = 6.0  # seconds for the simulated users to connect and start drawing
SECONDS_PER_STROKE = 2.0  # a timed stroke with its clearing, generously: how long the load must last
EMPTY_VALUES = (None, "–")  # the metric is absent (app) or shows "–" (bare page) on an empty canvas

# The one-stroke digits of bench/strokes.py, drawn in turn: what the model reads does not matter
# here, only that every stroke turns an empty canvas into a prediction.
ONE_STROKE_DIGITS = [digit for digit, strokes in DIGIT_STROKES.items() if len(strokes) == 1]

# Installed in the page once it is loaded: records when each pointer is released and when (at
# the next animation frame, i.e. on screen) the "Prediction" metric's text changes.
READ_PREDICTION_JS = """() => {
    for (const metric of document.querySelectorAll('[data-testid="stMetric"]')) {
        const label = metric.querySelector('[data-testid="stMetricLabel"]');
        if (label && label.textContent.trim() === """ + json.dumps(PREDICTION_LABEL) + """) {
            const value = metric.querySelector('[data-testid="stMetricValue"]');
            return value ? value.textContent.trim() : null;
        }
    }
    return null;
}"""

WATCH_JS = """() => {
    if (window.__latency) return;
    const state = window.__latency = {ups: [], changes: [], panels: []};
    window.addEventListener("pointerup", () => state.ups.push(performance.now()), true);
    const read = """ + READ_PREDICTION_JS + """;
    let last = read();
    let sections = 0;
    new MutationObserver(() => {
        // The Inside the model panel (--inside-panel): when all its parts are on screen again.
        const now = document.querySelectorAll("section.inside").length;
        if (now === """ + str(PANEL_PARTS) + """ && sections !== now) {
            requestAnimationFrame(() => state.panels.push(performance.now()));
        }
        sections = now;
        const value = read();
        if (value === last) return;
        last = value;
        const mutated = performance.now();
        requestAnimationFrame(() => state.changes.push({value, mutated, painted: performance.now()}));
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def digit_stroke(digit: str, canvas_pixels: int) -> list[tuple[float, float]]:
    """A one-stroke digit in the middle of the canvas, in canvas pixels."""
    (stroke,) = on_canvas(DIGIT_STROKES[digit], canvas_pixels)
    return stroke


def current_value(page) -> str | None:
    return page.evaluate(READ_PREDICTION_JS)


def wait_until_empty(page) -> None:
    """Wait for an empty canvas's metric state (no metric, or "–")."""
    deadline = time.monotonic() + TIMEOUT
    while current_value(page) not in EMPTY_VALUES:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the canvas was not emptied (metric shows {current_value(page)!r})")
        page.wait_for_timeout(20)


def timed_stroke(
    page, canvas, points: Sequence[tuple[float, float]], before_release: Callable[[], None] | None = None
) -> tuple[float, str, float]:
    """Draw one stroke on an empty canvas: seconds from its pointer release to the new value on
    screen, that value, and the seconds the driver spent moving the mouse before the release.
    before_release, if given, is called with the button still down (trace_strokes.py starts a trace)."""
    ups_before, changes_before = page.evaluate(
        "() => [window.__latency.ups.length, window.__latency.changes.length]"
    )
    began = time.perf_counter()
    draw_stroke(page, points, canvas, release=False)
    drawing = time.perf_counter() - began
    if before_release:
        before_release()
    page.mouse.up()
    page.wait_for_function(
        """([ups, changes]) => {
            const state = window.__latency;
            return state.ups.length > ups && state.changes.slice(changes).some(
                change => change.value !== null && change.value !== "–");
        }""",
        arg=[ups_before, changes_before],
        timeout=TIMEOUT * 1000,
        polling=10,
    )
    released, change = page.evaluate(
        """([ups, changes]) => {
            const state = window.__latency;
            const change = state.changes.slice(changes).find(c => c.value !== null && c.value !== "–");
            return [state.ups[ups], change];
        }""",
        [ups_before, changes_before],
    )
    return (change["painted"] - released) / 1000, change["value"], drawing


def panel_latency(page) -> float:
    """Seconds from the last pointer release to the Inside the model panel's parts all on screen."""
    page.wait_for_function(
        """() => { const state = window.__latency;
                   return state.panels.some(t => t > state.ups[state.ups.length - 1]); }""",
        timeout=TIMEOUT * 1000, polling=10,
    )
    return page.evaluate("""() => { const state = window.__latency, up = state.ups[state.ups.length - 1];
                                     return (state.panels.find(t => t > up) - up) / 1000; }""")


def live_canvas(page):
    """The canvas on screen now (Clear replaces it: the replaced one is marked stale)."""
    canvas = page.locator("canvas.upper-canvas:not([data-stale-canvas])").first
    canvas.wait_for(state="visible", timeout=TIMEOUT * 1000)
    return canvas


def empty_canvas(page, name: str) -> None:
    """The app: its Clear button (a new canvas). The bare page: the canvas toolbar's reset."""
    if current_value(page) in EMPTY_VALUES:
        return
    if name != "bare":
        page.locator("canvas.upper-canvas").evaluate_all(
            "canvases => canvases.forEach(c => c.dataset.staleCanvas = '1')"
        )
        page.get_by_role("button", name="Clear", exact=True).click()
    else:
        page.get_by_role("button", name="Reset canvas & history").click()
    wait_until_empty(page)
    live_canvas(page)
    wait_for_app_idle(page, TIMEOUT)
    page.mouse.move(0, 0)  # leave the toolbar: the next stroke lands like a pen


def start_load(url: str, users: int, interval: float, strokes: int) -> subprocess.Popen:
    """bench/loadtest.py's simulated users on url, for as long as `strokes` timed strokes take."""
    duration = LOAD_SETTLE + SECONDS_PER_STROKE * strokes
    command = [sys.executable, str(PROJECT_ROOT / "bench" / "loadtest.py"), "--url", url, "--users", str(users),
               "--duration", f"{duration:.0f}", "--interval", str(interval), "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(LOAD_SETTLE)
    return process


def load_summary(process: subprocess.Popen) -> dict:
    """The load test's own figures, once it has finished."""
    output, _ = process.communicate(timeout=TIMEOUT * 10)
    summary = json.loads(output)
    keys = ("users", "drawings", "drawings_per_second", "latency", "missing", "crossed", "exceptions",
            "dropped_sockets", "timeouts", "ok")
    return {key: summary[key] for key in keys}


def open_visitor(browser, url: str, stack: contextlib.ExitStack, expand: str | None = None):
    """A new visitor (nothing cached) on url: the watched page once its canvas shows (and the
    expander labelled `expand` is open), and the canvas."""
    context = browser.new_context(viewport=VIEWPORT)
    stack.callback(context.close)
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT * 1000)
    wait_for_app_idle(page, TIMEOUT)
    canvas = wait_for_canvas(page, TIMEOUT)
    if expand:
        page.get_by_text(expand, exact=True).click()
        wait_for_app_idle(page, TIMEOUT)
    page.evaluate(WATCH_JS)
    return page, canvas


def time_strokes(pages: dict, strokes: int) -> dict:
    """`strokes` timed strokes on each of these open pages (name -> page), alternating between them."""
    digits = ONE_STROKE_DIGITS
    results = {name: {"latencies_s": [], "values": [], "panel_latencies_s": []} for name in pages}
    for index in range(strokes):
        # Every other round in reverse: no page always follows the same one (and its leftover work).
        for name, page in list(pages.items())[:: -1 if index % 2 else 1]:
            empty_canvas(page, name)
            stroke = digit_stroke(digits[index % len(digits)], PAGES[name]["canvas_pixels"])
            latency, value, _ = timed_stroke(page, live_canvas(page), stroke)
            results[name]["latencies_s"].append(latency)
            results[name]["values"].append(value)
            if PAGES[name].get("expand"):
                results[name]["panel_latencies_s"].append(panel_latency(page))
            wait_for_app_idle(page, TIMEOUT)  # its run finished before the next page's stroke
    return results


def start_and_measure(browser, name: str, strokes: int, load_users: int = 0, load_interval: float = 2.0) -> dict:
    """One server start: its startup phases, and (if strokes) that many timed strokes, under the
    load of load_users simulated users if any."""
    page_info = PAGES[name]
    launched = time.perf_counter()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(streamlit_server(page_info["script"], startup_timeout=TIMEOUT))
        healthy = time.perf_counter() - launched
        page, canvas = open_visitor(browser, url, stack, page_info.get("expand"))
        ready = time.perf_counter() - launched
        # The driver moves the mouse in many small steps, which takes a while: that time is
        # the test's, not the page's, so it is not counted.
        first_latency, _, drawing = timed_stroke(page, canvas, digit_stroke("1", page_info["canvas_pixels"]))
        answered = time.perf_counter() - launched - drawing
        result = {
            "startup": {"healthy_s": healthy, "page_ready_s": ready, "first_answer_s": answered,
                        "first_stroke_latency_s": first_latency},
        }
        load = start_load(url, load_users, load_interval, strokes) if strokes and load_users else None
        result.update(time_strokes({name: page}, strokes)[name])
        if load:
            result["load"] = load_summary(load)
        return result


def strokes_side_by_side(browser, strokes: int) -> dict:
    """Every page served at once, and `strokes` timed strokes on each, alternating between pages."""
    with contextlib.ExitStack() as stack:
        pages = {}
        for name, page_info in PAGES.items():
            url = stack.enter_context(streamlit_server(page_info["script"], startup_timeout=TIMEOUT))
            page, canvas = open_visitor(browser, url, stack, page_info.get("expand"))
            timed_stroke(page, canvas, digit_stroke("1", page_info["canvas_pixels"]))  # a first answer, not timed
            pages[name] = page
        return time_strokes(pages, strokes)


def display_path(path: Path) -> str:
    """path relative to the project when inside it (a variant under study may live anywhere)."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strokes", type=int, default=30, help="timed strokes per page (default 30)")
    parser.add_argument("--starts", type=int, default=3, help="server starts per page for startup (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--app", type=Path, help="measure this page instead of app.py (a variant under study)")
    parser.add_argument("--bare", type=Path, help="the baseline page instead of bench/pages/bare_canvas.py, "
                        "e.g. bench/pages/fixed_canvas.py: the canvas without its 200 ms wait, as in app.py")
    parser.add_argument("--under-load", type=int, default=0, metavar="USERS",
                        help="time the strokes while USERS simulated users draw too (bench/loadtest.py)")
    parser.add_argument("--load-interval", type=float, default=2.0, help="seconds between a simulated user's drawings")
    parser.add_argument("--inside-panel", action="store_true",
                        help="also time app.py with its Inside the model panel open (page \"panel\")")
    args = parser.parse_args(argv)
    if args.app:
        PAGES["app"]["script"] = args.app.resolve()
    if args.bare:
        PAGES["bare"]["script"] = args.bare.resolve()
    if args.inside_panel:
        PAGES["panel"] = {**PAGES["app"], "expand": INSIDE_PANEL}
    if args.strokes < 1 or args.starts < 1:
        parser.error("--strokes and --starts must be at least 1")
    if not chromium_available():
        print("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    began = time.perf_counter()
    runs: dict[str, list[dict]] = {name: [] for name in PAGES}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for start in range(args.starts):
                for name in PAGES:  # alternate: app, bare, app, bare, ...
                    strokes_now = args.strokes if args.under_load and start == args.starts - 1 else 0
                    runs[name].append(start_and_measure(
                        browser, name, strokes_now, args.under_load, args.load_interval))
                    if not args.json:
                        print(f"  {name}: start {start + 1}/{args.starts} done", file=sys.stderr)
            if not args.under_load:
                for name, strokes in strokes_side_by_side(browser, args.strokes).items():
                    runs[name][-1].update(strokes)
        finally:
            browser.close()

    report = {"strokes": args.strokes, "starts": args.starts, "under_load_users": args.under_load, "pages": {}}
    for name, page_runs in runs.items():
        startups = [run["startup"] for run in page_runs]
        report["pages"][name] = {
            "script": display_path(PAGES[name]["script"]),
            "latency": summary_ms(page_runs[-1]["latencies_s"]),
            "startup": {
                key: statistics.median(s[key] for s in startups)
                for key in ("healthy_s", "page_ready_s", "first_answer_s", "first_stroke_latency_s")
            },
            "startup_first_answer_each_s": [s["first_answer_s"] for s in startups],
            "values_read": page_runs[-1]["values"],
            "load": page_runs[-1].get("load"),
        }
        if page_runs[-1].get("panel_latencies_s"):
            report["pages"][name]["panel_latency"] = summary_ms(page_runs[-1]["panel_latencies_s"])
    app, bare = report["pages"]["app"], report["pages"]["bare"]
    report["ratio_app_over_bare"] = {
        key: app["latency"][key] / bare["latency"][key] for key in ("p50_ms", "p95_ms", "max_ms")
    }
    report["ratio_app_over_bare"]["startup_first_answer"] = (
        app["startup"]["first_answer_s"] / bare["startup"]["first_answer_s"]
    )
    if "panel" in report["pages"]:
        panel = report["pages"]["panel"]
        report["ratio_panel_over_app"] = {
            key: panel["latency"][key] / app["latency"][key] for key in ("p50_ms", "p95_ms", "max_ms")
        }
    report["environment"] = {"cpus": os.cpu_count(), "loadavg_before": load_before,
                             "loadavg_after": os.getloadavg(), "run_seconds": time.perf_counter() - began}

    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    under = f", while {args.under_load} simulated users draw every {args.load_interval:g} s" if args.under_load else ""
    print(f"\nStroke -> prediction on screen, {args.strokes} one-stroke digits per page{under}")
    width = max(36, *(len(info["script"]) + 2 for info in report["pages"].values()))
    print(f"{'page':<8}{'script':<{width}}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for name, info in report["pages"].items():
        lat = info["latency"]
        print(f"{name:<8}{info['script']:<{width}}{lat['p50_ms']:>9.0f}{lat['p95_ms']:>9.0f}{lat['max_ms']:>9.0f}")
    ratio = report["ratio_app_over_bare"]
    print(f"{'app/bare':<{width + 8}}{ratio['p50_ms']:>9.2f}{ratio['p95_ms']:>9.2f}{ratio['max_ms']:>9.2f}")
    if "ratio_panel_over_app" in report:
        inside = report["ratio_panel_over_app"]
        print(f"{'panel/app':<{width + 8}}{inside['p50_ms']:>9.2f}{inside['p95_ms']:>9.2f}{inside['max_ms']:>9.2f}")
        shown = report["pages"]["panel"]["panel_latency"]
        print(f"{'panel: stroke -> all its parts on screen':<{width + 8}}{shown['p50_ms']:>9.0f}{shown['p95_ms']:>9.0f}"
              f"{shown['max_ms']:>9.0f}")
    if args.under_load:
        print("\nThe simulated users meanwhile (bench/loadtest.py: last stroke sent -> rerun finished)")
        print(f"{'page':<8}{'drawings':>9}{'per s':>7}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}"
              f"{'missing':>9}{'crossed':>9}{'errors':>8}{'ok':>5}")
        for name, info in report["pages"].items():
            load = info["load"]
            errors = load["exceptions"] + load["dropped_sockets"] + load["timeouts"]
            latency = load["latency"]
            print(f"{name:<8}{load['drawings']:>9}{load['drawings_per_second']:>7.1f}{latency['p50_ms']:>8.0f}"
                  f"{latency['p95_ms']:>8.0f}{latency['max_ms']:>8.0f}{load['missing']:>9}{load['crossed']:>9}"
                  f"{errors:>8}{'yes' if load['ok'] else 'NO':>5}")
    print(f"\nStartup, median of {args.starts} starts: seconds from `streamlit run` to ...")
    print(f"{'page':<8}{'healthy':>9}{'canvas':>9}{'answered':>10}   first answers (s)")
    for name, info in report["pages"].items():
        s = info["startup"]
        each = ", ".join(f"{v:.1f}" for v in info["startup_first_answer_each_s"])
        print(f"{name:<8}{s['healthy_s']:>9.1f}{s['page_ready_s']:>9.1f}{s['first_answer_s']:>10.1f}   {each}")
    print(f"{'app/bare':<26}{ratio['startup_first_answer']:>10.2f}")
    env = report["environment"]
    print(f"\n{env['cpus']} CPUs, load average {env['loadavg_before'][0]:.1f} before, "
          f"{env['loadavg_after'][0]:.1f} after; {env['run_seconds']:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
