"""Helpers for real-browser tests and measurement scripts.

Start a Streamlit page in a subprocess, drive it with Playwright's Chromium,
draw on streamlit-drawable-canvas and read `st.metric` values back.

The machine has no internet, so Playwright cannot download its own browser:
always launch the system Chromium through `launch_chromium`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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

# Flags that keep `streamlit run` quiet and offline: no browser tab, no usage
# stats ping, no file watcher (nothing edits the page during a test, and the
# watcher costs CPU on a 2-core machine).
STREAMLIT_FLAGS = (
    "--server.headless",
    "true",
    "--server.fileWatcherType",
    "none",
    "--server.runOnSave",
    "false",
    "--browser.gatherUsageStats",
    "false",
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


def free_port() -> int:
    """Return a TCP port that is free on localhost right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(
    base_url: str, process: subprocess.Popen, timeout: float
) -> None:
    """Poll `/_stcore/health` until it answers "ok" or the server dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {process.returncode} before it "
                "became healthy"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"streamlit at {base_url} not healthy after {timeout:.0f} s")


def _stop_process_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the server's process group, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass


@contextmanager
def streamlit_server(
    script_path: str | os.PathLike,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 90.0,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Run `streamlit run script_path` and yield its base URL.

    The server runs in its own process group so that everything it spawned is
    terminated on exit. Its output goes to `$TMPDIR/streamlit-<port>.log`;
    on a startup failure the log's tail is put in the exception. `env`
    entries are added to (not substituted for) the current environment.
    """
    script = Path(script_path).resolve()
    if not script.is_file():
        raise FileNotFoundError(script)
    port = port or free_port()
    base_url = f"http://localhost:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        *STREAMLIT_FLAGS,
        *extra_args,
    ]
    process_env = {**os.environ, **(env or {})}
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            # The repository root as cwd, so `.streamlit/config.toml` and
            # project-relative imports behave as in `streamlit run app.py`.
            cwd=Path(__file__).resolve().parents[1],
            env=process_env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            _wait_until_healthy(base_url, process, startup_timeout)
        except (RuntimeError, TimeoutError) as error:
            log_tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{error}\n--- {log_path} ---\n{log_tail}") from None
        yield base_url
    finally:
        _stop_process_group(process)


def launch_chromium(playwright: Playwright, **launch_options) -> Browser:
    """Launch the system Chromium headless with the flags this machine needs."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM_PATH),
        args=list(CHROMIUM_ARGS),
        headless=True,
        **launch_options,
    )


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


class RerunWatcher:
    """Counts finished script runs from the server's websocket messages.

    `data-test-script-state` cannot tell "no rerun yet" from "rerun done":
    a stroke is only sent ~200 ms after mouse up. Counting `script_finished`
    messages can. Create it before `page.goto`, so it sees the websocket open.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.finished_runs = 0
        page.on("websocket", self._watch_websocket)

    def _watch_websocket(self, websocket) -> None:
        if websocket.url.endswith("/_stcore/stream"):
            websocket.on("framereceived", self._count_finished_run)

    def _count_finished_run(self, payload: bytes | str) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") == "script_finished":
            self.finished_runs += 1

    def wait_for_runs(self, count: int, timeout: float = 30.0) -> None:
        """Wait until at least `count` script runs have finished in total."""
        deadline = time.monotonic() + timeout
        while self.finished_runs < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.finished_runs} script runs finished, expected {count}"
                )
            # Playwright delivers websocket events while it waits.
            self.page.wait_for_timeout(10)

    @contextmanager
    def expect_rerun(self, timeout: float = 30.0) -> Iterator[None]:
        """Wait, after the block, for one more script run than before it."""
        expected = self.finished_runs + 1
        yield
        self.wait_for_runs(expected, timeout)


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


def wait_for_metric_value(
    page: Page, label: str, expected: str, timeout: float = 30.0
) -> str:
    """Wait until the metric labelled `label` shows `expected`; return it."""
    return _wait_for_metric_text(
        page, label, lambda text: text == expected, timeout, f"show {expected!r}"
    )


def wait_for_metric_change(
    page: Page, label: str, previous: str, timeout: float = 30.0
) -> str:
    """Wait until the metric labelled `label` differs from `previous`."""
    return _wait_for_metric_text(
        page, label, lambda text: text != previous, timeout, f"change from {previous!r}"
    )


def time_stroke_to_metric(
    page: Page,
    points: Sequence[tuple[float, float]],
    label: str,
    canvas_locator: Locator | None = None,
    timeout: float = 30.0,
) -> float:
    """Draw a stroke and return seconds from its mouse up until the metric
    labelled `label` changes. Includes the canvas's ~200 ms send debounce.

    Polled from Python, so it overstates by up to one poll (~10-20 ms).
    """
    before = wait_for_metric(page, label, timeout)
    draw_stroke(page, points, canvas_locator, release=False)
    started = time.perf_counter()
    page.mouse.up()
    wait_for_metric_change(page, label, before, timeout)
    return time.perf_counter() - started


def _wait_for_metric_text(
    page: Page,
    label: str,
    accept: Callable[[str], bool],
    timeout: float,
    description: str,
) -> str:
    """Poll the metric text until `accept(text)`; fail with the last value."""
    value = metric_locator(page, label)
    deadline = time.monotonic() + timeout
    text = None
    while time.monotonic() < deadline:
        if value.count():
            text = value.inner_text().strip()
            if accept(text):
                return text
        # Short poll: this also serves latency measurements.
        page.wait_for_timeout(10)
    raise TimeoutError(
        f"metric {label!r} did not {description} within {timeout:.0f} s "
        f"(last value {text!r})"
    )
