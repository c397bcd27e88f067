"""The meetup in a real Chromium: digits drawn and answered reach the wall, survive a killed
server, and come out of export_drawings.py as MNIST files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench.browser import browser_test_marks, draw_strokes, launch_chromium, open_page, wait_for_metric_value
from bench.server import StreamlitServer
from bench.strokes import DIGIT_STROKES
from mnist_core.config import CANVAS_PIXELS
from mnist_core.drawings import DB_URL_ENV
from mnist_core.drawings.idx import load_drawings_idx

pytestmark = browser_test_marks()

PROJECT_ROOT = Path(__file__).resolve().parents[1]
APP = PROJECT_ROOT / "app.py"
DIGITS = "31415926"  # eight digits, as a room would draw them
TIMEOUT = 60.0


def centred(digit: str, size: float = 200) -> list[list[tuple[float, float]]]:
    corner = (CANVAS_PIXELS - size) / 2
    return [[(corner + x * size / 100, corner + y * size / 100) for x, y in stroke] for stroke in DIGIT_STROKES[digit]]


def wall_drawings(browser, url: str, shot: Path) -> str:
    """The wall's Drawings figure, as a projector shows it."""
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    try:
        page.goto(url + "/wall")
        value = page.locator('[data-testid="stMetric"]').filter(has_text="Drawings").locator('[data-testid="stMetricValue"]')
        value.wait_for(state="visible", timeout=TIMEOUT * 1000)
        page.wait_for_timeout(2500)  # one refresh of the wall's live part
        page.screenshot(path=shot)
        return value.inner_text().strip()
    finally:
        page.close()


def test_answers_reach_the_wall_survive_a_killed_server_and_export_as_mnist(tmp_path, monkeypatch) -> None:
    from playwright import sync_api  # a test requirement: missing, it is an install error, not a skip

    monkeypatch.setenv(DB_URL_ENV, f"sqlite:///{tmp_path / 'drawings.sqlite3'}")
    shots = Path(os.environ.get("BROWSER_SHOTS_DIR", PROJECT_ROOT / "artifacts" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            server = StreamlitServer(APP, startup_timeout=120)
            server.start()
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(TIMEOUT * 1000)
                open_page(page, server.url, timeout=120)
                for digit in DIGITS:
                    # An answer brings a new canvas: the answered ones are marked, so as never to draw on them.
                    canvas = page.locator("canvas.upper-canvas:not([data-answered])").last
                    canvas.wait_for(state="visible")
                    draw_strokes(page, centred(digit), canvas)
                    wait_for_metric_value(page, "Prediction", digit, timeout=TIMEOUT)
                    page.locator("canvas.upper-canvas").evaluate_all("cs => cs.forEach(c => c.dataset.answered = 1)")
                    page.get_by_role("button", name="Right", exact=True).click()
                    page.get_by_text("On the wall").first.wait_for(state="visible")
                assert wall_drawings(browser, server.url, shots / "15-wall.png") == str(len(DIGITS))
            finally:
                os.killpg(server.process.pid, signal.SIGKILL)  # no clean shutdown
                server.process.wait(timeout=30)
            with StreamlitServer(APP, startup_timeout=120) as restarted:
                assert wall_drawings(browser, restarted.url, shots / "15-wall-after-kill.png") == str(len(DIGITS))
        finally:
            browser.close()

    subprocess.run([sys.executable, "scripts/export_drawings.py", "--out", str(tmp_path / "export")],
                   cwd=PROJECT_ROOT, check=True, timeout=120)
    exported = load_drawings_idx(tmp_path / "export")
    assert "".join(str(label) for label in exported.labels) == DIGITS
    assert exported.images.shape == (len(DIGITS), 28, 28) and exported.images.dtype == np.uint8
