"""End-to-end tests of app.py in a real Chromium: draw with the mouse (and a finger), read the prediction.

One `streamlit run app.py` server and one headless Chromium serve the whole module (starting them and
loading the model is the expensive part); every test gets a fresh browser context and page.

Each step leaves a screenshot in artifacts/screenshots/ (gitignored) to look at the page as a user
sees it. Set BROWSER_SHOTS_DIR to put them elsewhere.

    python -m pytest -q tests/test_browser_app.py
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import DRAWN_STROKES, assert_plain

from bench.browser import (
    browser_test_marks,
    draw_strokes,
    draw_touch_stroke,
    launch_chromium,
    metric_locator,
    open_page,
    wait_for_app_idle,
    wait_for_metric_value,
)
from bench.hostile_files import PICTURES
from bench.server import streamlit_server
from mnist_core.config import CANVAS_PIXELS

pytestmark = browser_test_marks()

PROJECT_ROOT = Path(__file__).resolve().parents[1]
APP = PROJECT_ROOT / "app.py"
SHOTS_DIR = Path(os.environ.get("BROWSER_SHOTS_DIR", PROJECT_ROOT / "artifacts" / "screenshots"))

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

# A stroke is sent ~200 ms after mouse up, then the fragment reruns the model. Generous, for a
# 2-core machine that may be training a model at the same time.
READ_TIMEOUT = 30.0
PAGE_TIMEOUT = 120.0  # the first page load also loads the model

PROMPT = re.compile(r"Draw a digit, or several, anywhere on the canvas")
UPLOAD_EXPANDER = "Or upload a photo or scan of handwritten digits"
LIVE_CANVAS = "canvas.upper-canvas:not([data-stale-canvas])"

Strokes = Sequence[Sequence[tuple[float, float]]]


# ---------------------------------------------------------------- drawings


def place(strokes: Strokes, size: float, left: float, top: float) -> list[list[tuple[float, float]]]:
    """Polylines in a 0-100 box -> canvas pixels: the box scaled to `size` px, its corner at (left, top)."""
    return [[(left + x * size / 100, top + y * size / 100) for x, y in stroke] for stroke in strokes]


def centred(digit: str, size: float = 200) -> list[list[tuple[float, float]]]:
    """One of conftest's DRAWN_STROKES, `size` px tall, in the middle of the canvas."""
    corner = (CANVAS_PIXELS - size) / 2
    return place(DRAWN_STROKES[digit], size, corner, corner)


# A 7 whose two strokes both begin in the canvas's top-right corner (where the canvas package's
# toolbar used to float and swallow strokes): the bar drawn right to left, then the leg down.
SEVEN_FROM_TOP_RIGHT = [
    [(300, 6), (200, 6), (90, 7)],
    [(300, 6), (240, 120), (170, 300)],
]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with streamlit_server(APP, startup_timeout=PAGE_TIMEOUT) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api  # a test requirement: missing, it is an install error, not a skip
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser, url: str, **context_options):
    """A fresh context and page on the app, loaded, its first run done and its canvas visible."""
    context = browser.new_context(**{"viewport": DESKTOP, **context_options})
    context.set_default_timeout(READ_TIMEOUT * 1000)
    try:
        page = context.new_page()
        open_page(page, url, timeout=PAGE_TIMEOUT)
    except Exception:
        context.close()
        raise
    return page


@pytest.fixture()
def page(browser, app_url: str):
    page = new_page(browser, app_url)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    return SHOTS_DIR


# ---------------------------------------------------------------- page helpers


def live_canvas(page):
    """The canvas that is on screen now: not one replaced by Clear (see `clear_canvas`)."""
    canvas = page.locator(LIVE_CANVAS).first
    canvas.wait_for(state="visible")
    return canvas


def draw(page, strokes: Strokes) -> None:
    draw_strokes(page, strokes, live_canvas(page))


def screenshot(page, path: Path) -> None:
    """The whole page, including what is scrolled out of view.

    Streamlit scrolls inside its main area (and its sidebar), not the document, so a plain
    full-page screenshot stops at the viewport: the viewport is stretched to the content for
    the shot, then put back (same width, so the layout and the canvas's size do not change).
    A collapsed sidebar (a phone's, moved off the left edge) is left out: it only added empty page.
    """
    wait_for_app_idle(page, READ_TIMEOUT)
    page.wait_for_function("() => Array.from(document.images).every(image => image.complete)")
    viewport = page.viewport_size
    for _ in range(4):  # images and charts that arrive late make the content grow
        content_height = min(6000, page.evaluate(
            """() => Math.max(window.innerHeight, ...Array.from(
                document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]'),
                element => element.getBoundingClientRect().right > 0 ? element.scrollHeight : 0))"""
        ))
        if content_height <= page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": viewport["width"], "height": content_height})
        page.wait_for_timeout(400)  # let charts re-lay themselves out
    try:
        page.screenshot(path=path, full_page=True)
    finally:
        page.set_viewport_size(viewport)


def expect_prediction(page, expected: str, shot: Path) -> None:
    """Wait until the canvas's Prediction metric shows `expected`; screenshot either way."""
    try:
        shown = wait_for_metric_value(page, "Prediction", expected, timeout=READ_TIMEOUT)
    except TimeoutError:
        value = metric_locator(page, "Prediction")
        shown = value.inner_text().strip() if value.count() else None
    screenshot(page, shot)
    assert shown == expected, f"read as {shown!r}, expected {expected!r}; see {shot}"


def prompt_shown(page) -> bool:
    return page.get_by_text(PROMPT).first.is_visible()


def clear_canvas(page) -> None:
    """Click Clear and wait for a new, empty canvas and the prompt in place of the prediction.

    Clear gives the canvas a new key, so the app's fragment reruns and a new canvas element
    replaces the old one. Until it is there a stroke would land on the old canvas and be lost:
    the old one is marked first, so that `live_canvas` only ever finds the new one.
    """
    page.locator(LIVE_CANVAS).evaluate_all("canvases => canvases.forEach(c => c.dataset.staleCanvas = '1')")
    page.get_by_role("button", name="Clear", exact=True).click()
    live_canvas(page)
    wait_for_prompt(page, "Clear did not bring back the empty canvas and its prompt")
    wait_for_app_idle(page, READ_TIMEOUT)


def wait_for_prompt(page, failure: str) -> None:
    """Wait until the prompt is back and no prediction is shown; fail with `failure` otherwise."""
    deadline = time.monotonic() + READ_TIMEOUT
    while metric_locator(page, "Prediction").count() or not prompt_shown(page):
        assert time.monotonic() < deadline, failure
        page.wait_for_timeout(50)


def png_of_digit(path: Path, strokes: Strokes, size: int = 400, thickness: int = 26) -> Path:
    """A photo-like PNG of a handwritten digit: dark ink on white paper, with a margin."""
    image = np.full((size, size), 255, np.uint8)
    for stroke in place(strokes, size * 0.7, size * 0.15, size * 0.15):
        points = np.round(np.array(stroke)).astype(np.int32)
        cv2.polylines(image, [points], False, 20, thickness, cv2.LINE_AA)
    assert cv2.imwrite(str(path), image)
    return path


# ---------------------------------------------------------------- tests


def test_blank_canvas_shows_the_prompt_not_a_prediction(page, shots_dir: Path) -> None:
    screenshot(page, shots_dir / "01-blank.png")
    assert prompt_shown(page)
    assert metric_locator(page, "Prediction").count() == 0


@pytest.mark.parametrize("digit", ["0", "1", "4"])
def test_a_drawn_digit_is_read(page, shots_dir: Path, digit: str) -> None:
    strokes = centred(digit)
    assert len(strokes) == len(DRAWN_STROKES[digit])  # the 4 is two strokes
    draw(page, strokes)
    expect_prediction(page, digit, shots_dir / f"02-digit-{digit}.png")


def test_a_seven_begun_in_the_top_right_corner_is_read(page, shots_dir: Path) -> None:
    for stroke in SEVEN_FROM_TOP_RIGHT:
        start_x, start_y = stroke[0]
        assert start_y < 10 and start_x > CANVAS_PIXELS / 2
    draw(page, SEVEN_FROM_TOP_RIGHT)
    expect_prediction(page, "7", shots_dir / "03-seven-from-top-right.png")


def test_a_small_digit_in_a_corner_is_read(page, shots_dir: Path) -> None:
    # 60 px tall in the bottom-left corner of the 320 px canvas, with the default 20 px brush.
    draw(page, place(DRAWN_STROKES["7"], 60, 12, 250))
    expect_prediction(page, "7", shots_dir / "04-small-seven-in-corner.png")


@pytest.mark.parametrize("number", ["10", "47"])
def test_two_digits_side_by_side_are_read_left_to_right(page, shots_dir: Path, number: str) -> None:
    left, right = number
    draw(page, place(DRAWN_STROKES[left], 150, 0, 80))
    draw(page, place(DRAWN_STROKES[right], 150, 150, 80))
    expect_prediction(page, number, shots_dir / f"05-number-{number}.png")


def test_undo_redo_and_reset_in_the_canvas_toolbar(page, shots_dir: Path) -> None:
    draw(page, place(DRAWN_STROKES["1"], 150, 0, 80))
    draw(page, place(DRAWN_STROKES["0"], 150, 150, 80))
    expect_prediction(page, "10", shots_dir / "06-before-undo.png")
    page.get_by_role("button", name="Undo", exact=True).click()
    expect_prediction(page, "1", shots_dir / "06-after-undo.png")
    page.get_by_role("button", name="Redo", exact=True).click()
    expect_prediction(page, "10", shots_dir / "06-after-redo.png")
    # The keyboard does the same while the canvas has focus (drawing on it gives it focus).
    page.keyboard.press("Control+z")
    expect_prediction(page, "1", shots_dir / "06-after-ctrl-z.png")
    page.keyboard.press("Control+Shift+z")
    expect_prediction(page, "10", shots_dir / "06-after-ctrl-shift-z.png")
    # The toolbar's own reset empties the canvas too: the prompt comes back, no digit.
    page.get_by_role("button", name="Reset canvas & history", exact=True).click()
    wait_for_prompt(page, "the toolbar's reset did not bring back the prompt")


def test_the_canvas_toolbar_has_no_mode_that_stops_drawing(page, shots_dir: Path) -> None:
    """The package's "Edit" switch turned drawing into moving strokes, with nothing saying so."""
    toolbar = page.get_by_role("button", name="Undo", exact=True)
    toolbar.wait_for(state="attached")
    assert not page.get_by_role("button", name="Edit", exact=True).is_visible()
    draw(page, centred("1"))
    expect_prediction(page, "1", shots_dir / "06-toolbar.png")


def test_clear_empties_the_canvas_and_brings_back_the_prompt(page, shots_dir: Path) -> None:
    draw(page, centred("1"))
    expect_prediction(page, "1", shots_dir / "06-before-clear.png")
    clear_canvas(page)
    screenshot(page, shots_dir / "07-after-clear.png")
    assert prompt_shown(page)
    assert metric_locator(page, "Prediction").count() == 0
    # The new canvas is live: the next digit is read on its own, not added to the old one.
    draw(page, centred("0"))
    expect_prediction(page, "0", shots_dir / "08-after-clear-new-digit.png")


# In the page: when the pointer is released, start a 200 ms timer (the canvas's own wait before
# it sends a stroke, started a moment later by the canvas's handlers), and note whether it has
# fired by the time the drawing (a message of over 1 KB: its PNG) goes to the server. Timers
# of equal delay fire in the order they were set, so this compares order, not time.
WATCH_SEND_JS = """() => {
    const watch = window.__send = {released: false, waitOver: false, sentBeforeWaitOver: null};
    window.addEventListener("pointerup", () => {
        watch.released = true;
        setTimeout(() => { watch.waitOver = true; }, 200);
    }, {capture: true, once: true});
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
        const size = data.byteLength ?? data.size ?? data.length;
        if (watch.released && watch.sentBeforeWaitOver === null && size > 1000) {
            watch.sentBeforeWaitOver = !watch.waitOver;
        }
        return send.call(this, data);
    };
}"""


def test_a_stroke_is_sent_at_once_not_after_the_canvas_wait(page, shots_dir: Path) -> None:
    # The canvas package waits 200 ms after a stroke before sending it; the app sends at once,
    # so the answer comes that much sooner (bench/latency.py measures by how much).
    page.evaluate(WATCH_SEND_JS)
    draw(page, centred("1"))
    expect_prediction(page, "1", shots_dir / "02-sent-at-once.png")
    assert page.evaluate("window.__send.sentBeforeWaitOver") is True, (
        "the drawing reached the server only after the canvas's 200 ms wait"
    )


def test_an_uploaded_image_is_read(page, shots_dir: Path, tmp_path: Path) -> None:
    image = png_of_digit(tmp_path / "four.png", DRAWN_STROKES["4"])
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=UPLOAD_EXPANDER)
    expander.get_by_text(UPLOAD_EXPANDER).click()
    file_input = expander.locator('input[type="file"]')
    file_input.wait_for(state="attached")
    file_input.set_input_files(image)
    value = expander.locator('[data-testid="stMetric"]').filter(has_text="Prediction").locator(
        '[data-testid="stMetricValue"]'
    )
    try:
        value.wait_for(state="visible")
        expander.locator('[data-testid="stImage"]').first.wait_for(state="visible")
    finally:
        screenshot(page, shots_dir / "09-upload.png")
    assert value.inner_text().strip() == "4"
    assert expander.get_by_text("four.png").first.is_visible()  # the image's caption


# A progressive JPEG of 3,005 scans; 40 megapixels in a small file; a compressed BMP, which Pillow
# decodes in pure Python (bench/hostile_files.py's PICTURES).
@pytest.mark.parametrize("name", ["scans.jpg", "huge.png", "rle.bmp"])
def test_a_hostile_upload_is_refused_in_plain_words_and_drawing_goes_on(page, shots_dir: Path, tmp_path: Path,
                                                                        name: str) -> None:
    upload = tmp_path / name
    upload.write_bytes(PICTURES[name].make())
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=UPLOAD_EXPANDER)
    expander.get_by_text(UPLOAD_EXPANDER).click()
    expander.locator('input[type="file"]').set_input_files(upload)
    refusal = expander.locator('[data-testid="stAlertContentError"]')
    refusal.wait_for(state="visible")
    screenshot(page, shots_dir / f"09-refused-{name}.png")
    assert_plain(refusal.inner_text(), own_name=name)
    assert name in refusal.inner_text()
    assert not page.locator('[data-testid="stException"]').count()
    draw(page, centred("1"))
    expect_prediction(page, "1", shots_dir / f"09-after-refused-{name}.png")


def test_sidebar_shows_training_curves_and_model_details(page, shots_dir: Path) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("tab", name="Training curves").click()
    charts = sidebar.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(state="visible")
    assert charts.count() >= 2  # accuracy and loss
    drawn = sidebar.locator(".vega-embed canvas, .vega-embed svg")
    drawn.first.wait_for(state="visible")
    screenshot(page, shots_dir / "10-sidebar-training-curves.png")
    assert sidebar.get_by_role("link", name=re.compile("Explore them")).is_visible()  # to the training page

    sidebar.get_by_role("tab", name="Model").click()
    accuracy = metric_locator(page, "Test accuracy")
    accuracy.wait_for(state="visible")
    assert re.fullmatch(r"\d{1,3}\.\d\d%", accuracy.inner_text().strip())
    screenshot(page, shots_dir / "11-sidebar-model.png")


def test_the_training_page_switches_axes_and_smoothing_and_downloads_every_point(browser, app_url: str,
                                                                                  shots_dir: Path) -> None:
    from playwright.sync_api import expect

    from digit_app.curve_charts import explorer_csv
    from digit_app.loaders import folder_of, shipped_models

    context = browser.new_context(viewport=DESKTOP, color_scheme="light", accept_downloads=True)
    context.set_default_timeout(READ_TIMEOUT * 1000)
    try:
        page = context.new_page()
        page.goto(app_url + "/training", timeout=PAGE_TIMEOUT * 1000)
        wait_for_app_idle(page, PAGE_TIMEOUT)
        # Accuracy, loss, their gaps and the learning rate, drawn.
        expect(page.locator('[data-testid="stVegaLiteChart"] canvas.marks')).to_have_count(5)
        screenshot(page, shots_dir / "16-training-by-epoch.png")

        page.get_by_role("radio", name="Step", exact=True).click()
        # The shipped cnn and cnn-ensemble were trained before step records were kept: said, not drawn.
        page.get_by_text(re.compile("cnn-ensemble[^:]*: no step records .* the step axis cannot place them")).wait_for()
        wait_for_app_idle(page, READ_TIMEOUT)
        page.get_by_text("Log x").click()
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Smoothing").click()
        page.get_by_role("option", name="Exponential, debiased (TensorBoard's)").click()
        page.get_by_role("slider").wait_for(state="visible")  # its weight
        wait_for_app_idle(page, READ_TIMEOUT)
        screenshot(page, shots_dir / "16-training-by-step-smoothed.png")

        page.get_by_role("radio", name="Wall-clock time", exact=True).click()
        page.get_by_text(re.compile("no step records .* one point per epoch, at its end")).wait_for()
        wait_for_app_idle(page, READ_TIMEOUT)
        with page.expect_download() as download:
            page.get_by_role("button", name=re.compile("Download every point shown")).click()
        csv = Path(download.value.path()).read_bytes()
        screenshot(page, shots_dir / "16-training-by-time.png")
        assert not page.locator('[data-testid="stException"]').count()
    finally:
        context.close()
    every_model = tuple((name, folder_of(name)) for name in shipped_models())
    assert csv == explorer_csv(every_model, "time", "ema", 0.6)  # what the page showed, every point
    header, *rows = csv.decode().splitlines()
    assert header == "model,metric,split,epoch,step,minutes,value,smoothed,best_validation"
    assert {row.split(",")[0] for row in rows} == {name for name, _ in every_model}


def test_on_a_phone_the_answer_and_the_whole_canvas_are_on_the_first_screen(browser, app_url: str) -> None:
    first_screen = {"width": 390, "height": 844}
    page = new_page(browser, app_url, viewport=first_screen, has_touch=True, is_mobile=True)
    try:
        canvas, answer = live_canvas(page).bounding_box(), page.locator(".st-key-answer").bounding_box()
        assert page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTop") == 0
        assert answer["y"] >= 0 and canvas["y"] > answer["y"] + answer["height"] - 1, (answer, canvas)
        assert canvas["y"] + canvas["height"] <= first_screen["height"], f"the canvas ends below the first screen: {canvas}"
        assert canvas["width"] >= 0.85 * first_screen["width"], canvas
    finally:
        page.context.close()


def test_a_visitors_browser_talks_to_the_app_server_only(browser, app_url: str, shots_dir: Path) -> None:
    # A room of phones sends nothing to a third party. With Streamlit's usage statistics on (the
    # config once lost browser.gatherUsageStats = false), every page asked data.streamlit.io first.
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(READ_TIMEOUT * 1000)
    elsewhere = []
    context.on("request", lambda request: request.url.startswith((app_url, "data:", "blob:")) or elsewhere.append(request.url))
    try:
        page = context.new_page()
        open_page(page, app_url, timeout=PAGE_TIMEOUT)
        draw(page, centred("4"))
        expect_prediction(page, "4", shots_dir / "15-server-only.png")
        page.wait_for_timeout(1000)
    finally:
        context.close()
    assert elsewhere == []


def page_background_luminance(page) -> float:
    """The relative luminance (0 black, 1 white) of the page's background."""
    rgb = page.evaluate("""() => getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor
        .match(/\\d+/g).slice(0, 3).map(Number)""")
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_follows_the_systems_theme_and_the_menu_switches_it(browser, app_url: str, shots_dir: Path, scheme: str) -> None:
    page = new_page(browser, app_url, color_scheme=scheme)
    try:
        assert (page_background_luminance(page) > 0.5) == (scheme == "light"), "the system's theme was not followed"
        draw(page, centred("4"))
        expect_prediction(page, "4", shots_dir / f"14-theme-{scheme}.png")
        other = "Dark" if scheme == "light" else "Light"
        page.get_by_test_id("stMainMenuButton").click()
        page.get_by_role("menuitemradio", name=other).or_(page.get_by_text(other, exact=True)).first.click()
        page.wait_for_timeout(300)
        assert (page_background_luminance(page) > 0.5) == (other == "Light"), f"the menu's {other} theme did not apply"
    finally:
        page.context.close()


def test_on_a_phone_the_canvas_fits_and_a_finger_stroke_is_read(browser, app_url: str, shots_dir: Path) -> None:
    page = new_page(browser, app_url, viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        canvas = live_canvas(page)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        screenshot(page, shots_dir / "12-phone-blank.png")
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["width"] >= 0.75 * PHONE["width"], f"canvas only {box['width']:.0f} px wide on a phone"
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= PHONE["width"], f"the page scrolls sideways: {page_width} px wide"

        for stroke in centred("7"):
            draw_touch_stroke(page, stroke, canvas)
        expect_prediction(page, "7", shots_dir / "13-phone-seven.png")
    finally:
        page.context.close()


INSIDE_PARTS = ["The pipeline, step by step", "The ensemble's vote", "Which pixels decided",
                "What the layers saw", "Training digits it resembles"]


@pytest.mark.parametrize("device, scheme", [("desktop", "light"), ("phone", "dark")])
def test_inside_the_model_shows_each_part_for_the_chosen_digit(browser, app_url: str, shots_dir: Path,
                                                               device: str, scheme: str) -> None:
    phone = device == "phone"
    options = {"viewport": PHONE, "has_touch": True, "is_mobile": True} if phone else {}
    page = new_page(browser, app_url, color_scheme=scheme, **options)
    try:
        page.get_by_text("Inside the model", exact=True).click()
        panel = page.locator('[data-testid="stExpander"]').filter(has_text="Inside the model")
        panel.get_by_text("this panel shows what happens to it inside the model").wait_for()
        assert panel.locator("section.inside").count() == 0  # a blank canvas: the prompt only

        draw(page, place(DRAWN_STROKES["4"], 150, 0, 80))
        draw(page, place(DRAWN_STROKES["7"], 150, 150, 80))
        expect_prediction(page, "47", shots_dir / f"15-inside-{device}-{scheme}.png")
        for part in INSIDE_PARTS:
            assert panel.locator("section.inside h4", has_text=part).is_visible(), part
        sections = panel.locator("section.inside")
        assert sections.nth(0).locator("figure").count() == 6  # the pipeline's six steps
        assert sections.nth(1).locator(".vote").count() == 4  # three networks and their average
        assert sections.nth(2).locator("figure").count() >= 2  # the 28x28 input and the drawing
        assert sections.nth(3).locator(".maps div").count() == 32 + 64 + 64 and sections.nth(3).locator(".unit").count() == 8
        assert sections.nth(4).locator("figure").count() == 8
        assert "Your 4 sits among" in sections.nth(4).inner_text()
        feature_map = sections.nth(3).locator(".maps div").first
        small = feature_map.bounding_box()["width"]
        feature_map.click()  # a hover, and a tap on a phone: the map shows large
        page.wait_for_timeout(300)
        assert feature_map.bounding_box()["width"] >= 3 * small
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

        panel.get_by_role("radiogroup").get_by_text("2", exact=True).click()  # the second digit
        panel.locator("section.inside", has_text="Your 7 sits among").wait_for()
        panel.scroll_into_view_if_needed()
        screenshot(page, shots_dir / f"16-inside-second-digit-{device}-{scheme}.png")
    finally:
        page.context.close()
