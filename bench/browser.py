"""Helpers for real-browser tests and bench tools: drive a Streamlit page with Playwright's Chromium,
draw on streamlit-drawable-canvas and read `st.metric` values back (bench/server.py starts the page).

The machine has no internet, so Playwright cannot download its own browser:
always launch the system Chromium through `launch_chromium`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright

CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

# streamlit-drawable-canvas 0.13 is a components-v2 element: its DOM lives in
# an open shadow root (isolate_styles=True) of the page itself, which
# Playwright's CSS engine pierces. Older, components-v1 versions render in an
# iframe; `find_canvas` looks there too. Fabric stacks an `upper-canvas` that
# receives the pointer events on the drawing (`lower-canvas`), same size.
CANVAS_SELECTOR = "canvas.upper-canvas"

# Freehand strokes are sent as many small mouse moves, as a real pointer
# would; Fabric's PencilBrush adds a point per move event.
DEFAULT_STEP_PIXELS = 4.0


def chromium_available() -> bool:
    """Whether the system Chromium used by these helpers is installed."""
    return CHROMIUM_PATH.exists()


def browser_test_marks() -> list:
    """`pytestmark` for a module of real-browser tests: marked, and skipped with a reason without
    Chromium, except in CI (CI=true): .ci/run installs it, so there a missing Chromium is a broken
    install step and the tests fail instead of passing CI with nothing tested in a browser."""
    import pytest

    return [
        pytest.mark.browser,
        pytest.mark.skipif(
            not chromium_available() and not os.environ.get("CI"),
            reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
        ),
    ]


def launch_chromium(playwright: Playwright, executable_path: str | os.PathLike = CHROMIUM_PATH) -> Browser:
    """Launch the system Chromium headless with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=str(executable_path), args=list(CHROMIUM_ARGS), headless=True)


def find_canvas(page: Page) -> Locator:
    """Locate the drawable canvas (the first one), in the page or an iframe."""
    in_page = page.locator(CANVAS_SELECTOR)
    if in_page.count():
        return in_page.first
    for frame in page.frames[1:]:
        in_frame = frame.locator(CANVAS_SELECTOR)
        if in_frame.count():
            return in_frame.first
    return in_page.first


def wait_for_canvas(page: Page, timeout: float = 30.0) -> Locator:
    """Wait until a drawable canvas is visible and return it."""
    deadline = time.monotonic() + timeout
    while True:
        canvas = find_canvas(page)
        if canvas.count() and canvas.is_visible():
            return canvas
        if time.monotonic() > deadline:
            raise TimeoutError(f"no visible {CANVAS_SELECTOR!r} after {timeout:.0f} s")
        page.wait_for_timeout(50)


def wait_for_app_idle(page: Page, timeout: float = 30.0) -> None:
    """Wait until Streamlit is connected and no script run is in progress.

    `stApp` carries `data-test-script-state` ("initial", "running",
    "notRunning", "rerunRequested", ...). A finished run is "notRunning".
    """
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]'
        '[data-test-connection-state="CONNECTED"]',
        timeout=timeout * 1000,
    )


def open_page(page: Page, base_url: str, timeout: float = 60.0) -> None:
    """Load the app and wait for its first run and the canvas to be ready."""
    page.goto(base_url, timeout=timeout * 1000)
    wait_for_app_idle(page, timeout)
    wait_for_canvas(page, timeout)


def canvas_to_page(canvas: Locator, x: float, y: float) -> tuple[float, float]:
    """Convert canvas pixel coordinates to page (viewport) coordinates.

    Accounts for CSS scaling (a canvas displayed smaller or larger than its
    pixel size), which Fabric also corrects for when it reads the pointer.
    """
    box = canvas.bounding_box()
    if box is None:
        raise RuntimeError("canvas is not visible")
    pixel_width, pixel_height = canvas.evaluate("c => [c.width, c.height]")
    return (
        box["x"] + x * box["width"] / pixel_width,
        box["y"] + y * box["height"] / pixel_height,
    )


def draw_stroke(
    page: Page,
    points: Sequence[tuple[float, float]],
    canvas_locator: Locator | None = None,
    step_pixels: float = DEFAULT_STEP_PIXELS,
    release: bool = True,
    lift_pen: bool = True,
) -> None:
    """Draw one polyline (canvas pixel coordinates) with mouse down/move/up.

    With `lift_pen` (the default) the pointer first leaves the page and then
    lands on the stroke's start in a single move, as a finger or stylus does:
    the canvas gets no hover time before the press. That matters because the
    canvas toolbar only slides up out of the drawing area on hover.
    `release=False` leaves the button pressed so a caller can time the
    `mouse.up()` itself.
    """
    if len(points) < 2:
        raise ValueError("a stroke needs at least two points")
    canvas = canvas_locator or find_canvas(page)
    page_points = [canvas_to_page(canvas, x, y) for x, y in points]
    if lift_pen:
        page.mouse.move(0, 0)
    page.mouse.move(*page_points[0])
    page.mouse.down()
    for (start_x, start_y), (end_x, end_y) in zip(page_points, page_points[1:]):
        distance = ((end_x - start_x) ** 2 + (end_y - start_y) ** 2) ** 0.5
        page.mouse.move(end_x, end_y, steps=max(1, round(distance / step_pixels)))
    if release:
        page.mouse.up()


def draw_strokes(
    page: Page,
    strokes: Sequence[Sequence[tuple[float, float]]],
    canvas_locator: Locator | None = None,
    step_pixels: float = DEFAULT_STEP_PIXELS,
    lift_pen: bool = True,
) -> None:
    """Draw each polyline of `strokes` as a separate freehand stroke."""
    canvas = canvas_locator or find_canvas(page)
    for points in strokes:
        draw_stroke(page, points, canvas, step_pixels, lift_pen=lift_pen)


def _interpolate(
    page_points: Sequence[tuple[float, float]], step_pixels: float
) -> list[tuple[float, float]]:
    """Points every ~`step_pixels` along a polyline, both ends included."""
    path = [page_points[0]]
    for (start_x, start_y), (end_x, end_y) in zip(page_points, page_points[1:]):
        distance = ((end_x - start_x) ** 2 + (end_y - start_y) ** 2) ** 0.5
        steps = max(1, round(distance / step_pixels))
        path += [
            (start_x + (end_x - start_x) * i / steps, start_y + (end_y - start_y) * i / steps)
            for i in range(1, steps + 1)
        ]
    return path


def draw_touch_stroke(
    page: Page,
    points: Sequence[tuple[float, float]],
    canvas_locator: Locator | None = None,
    step_pixels: float = DEFAULT_STEP_PIXELS,
) -> None:
    """Draw one polyline with a finger, through CDP touch events.

    Playwright's `page.touchscreen` can only tap, so a drag goes through
    `Input.dispatchTouchEvent`. The page's context needs `has_touch=True`.
    """
    canvas = canvas_locator or find_canvas(page)
    path = _interpolate([canvas_to_page(canvas, x, y) for x, y in points], step_pixels)
    session = page.context.new_cdp_session(page)
    try:
        for index, (x, y) in enumerate(path):
            session.send("Input.dispatchTouchEvent", {
                "type": "touchStart" if index == 0 else "touchMove",
                "touchPoints": [{"x": x, "y": y}],
            })
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        session.detach()


def metric_locator(page: Page, label: str) -> Locator:
    """Locate the value of the `st.metric` whose label is exactly `label`."""
    # has_text alone would be a case-insensitive substring match.
    exact_label = re.compile(rf"^\s*{re.escape(label)}\s*$")
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=exact_label)
    )
    return metric.locator('[data-testid="stMetricValue"]').first


def wait_for_metric(page: Page, label: str, timeout: float = 30.0) -> str:
    """Return the displayed value of the `st.metric` labelled `label`."""
    value = metric_locator(page, label)
    value.wait_for(state="visible", timeout=timeout * 1000)
    return value.inner_text().strip()


def wait_for_metric_value(page: Page, label: str, expected: str, timeout: float = 30.0) -> str:
    """Wait until the metric labelled `label` shows `expected`; return it."""
    value = metric_locator(page, label)
    deadline = time.monotonic() + timeout
    text = None
    while time.monotonic() < deadline:
        if value.count():
            text = value.inner_text().strip()
            if text == expected:
                return text
        page.wait_for_timeout(10)
    raise TimeoutError(f"metric {label!r} did not show {expected!r} within {timeout:.0f} s (last value {text!r})")


# Installed before a page loads (`watch_page_work`): the last moment the page did visible work, in
# performance.now() ms: a DOM change, a canvas cleared for a redraw (Vega's canvas renderer clears
# before every repaint, and a chart whose data alone changed repaints without touching the DOM), or
# the end of a long task; and the moment of the last pointer press or key press.
PAGE_WORK_WATCH = """
(() => {
  const watch = window.__pageWork = {last: 0, input: 0};
  const worked = () => { watch.last = performance.now(); };
  const clear = CanvasRenderingContext2D.prototype.clearRect;
  CanvasRenderingContext2D.prototype.clearRect = function (...args) { worked(); return clear.apply(this, args); };
  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, () => { watch.input = performance.now(); }, true);
  }
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) watch.last = Math.max(watch.last, entry.startTime + entry.duration);
  }).observe({type: "longtask"});
  addEventListener("DOMContentLoaded", () => new MutationObserver(worked).observe(
    document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true}));
})();
"""


def watch_page_work(page: Page) -> None:
    """Track the page's visible work from its next load on (see `seconds_until_settled`)."""
    page.add_init_script(PAGE_WORK_WATCH)


def seconds_until_settled(page: Page, quiet_seconds: float = 0.5, timeout: float = 30.0) -> float:
    """After an input (a click, a key), wait until the page has done no visible work for quiet_seconds;
    return the seconds from the input's press to the end of the last work it caused (a re-run of the
    script, the elements it changed, the charts redrawn). Needs `watch_page_work` before the load."""
    deadline = time.monotonic() + timeout
    while True:
        quiet, elapsed = page.evaluate(
            "() => [performance.now() - window.__pageWork.last, window.__pageWork.last - window.__pageWork.input]")
        if quiet >= quiet_seconds * 1000 and elapsed > 0:
            return elapsed / 1000
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page kept working (or never reacted) for {timeout:.0f} s after the input")
        page.wait_for_timeout(50)
