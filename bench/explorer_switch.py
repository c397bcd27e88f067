"""In headless Chromium: how long the training page (the curves explorer) takes to answer a switch of
x axis, of smoothing or of models, from the press to the last chart redrawn (bench/browser.py's
`seconds_until_settled`), with every shipped model shown.

    python bench/explorer_switch.py --rounds 5

Each round makes every switch once, in turn: the axis epoch -> step -> time -> epoch, the smoothing
none -> exponential -> centred moving average -> none, and the models all -> those matching "mlp"
-> all. Prints one JSON object: per kind of switch, the p50/p95/max in ms (bench/stats.py).
"""

from __future__ import annotations

import argparse
import json

from bench.browser import launch_chromium, seconds_until_settled, wait_for_app_idle, watch_page_work
from bench.server import StreamlitServer
from bench.stats import summary_ms
from mnist_core.config import PROJECT_ROOT

AXES = ("Step", "Wall-clock time", "Epoch")
SMOOTHINGS = ("Exponential, debiased (TensorBoard's)", "Moving average, centred", "None")
FILTERS = ("mlp", "")
CHART = '[data-testid="stVegaLiteChart"]'


def choose_smoothing(page, label: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Smoothing").click()
    page.get_by_role("option", name=label, exact=True).click()


def filter_models(page, pattern: str) -> None:
    box = page.get_by_role("textbox", name="Filter models")
    box.fill(pattern)
    box.press("Enter")


def open_explorer(browser, url: str):
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, color_scheme="light")
    watch_page_work(page)
    page.goto(url + "/training")
    wait_for_app_idle(page, 120)
    page.locator(CHART).nth(4).wait_for(state="visible", timeout=60_000)
    page.wait_for_timeout(2000)  # the first charts drawn
    return page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="times each switch is made")
    parser.add_argument("--quiet", type=float, default=0.5, help="seconds without work that end a switch")
    args = parser.parse_args(argv)
    from playwright import sync_api

    timings: dict[str, list[float]] = {"axis": [], "smoothing": [], "models": []}
    with StreamlitServer(PROJECT_ROOT / "app.py", startup_timeout=120) as server, sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = open_explorer(browser, server.url)
            shown = page.locator('button[data-variant="pills"][aria-pressed="true"]').count()
            for _ in range(args.rounds):
                for label in AXES:
                    page.get_by_role("radio", name=label, exact=True).click()
                    timings["axis"].append(seconds_until_settled(page, args.quiet))
                for label in SMOOTHINGS:
                    choose_smoothing(page, label)
                    timings["smoothing"].append(seconds_until_settled(page, args.quiet))
                for pattern in FILTERS:
                    filter_models(page, pattern)
                    timings["models"].append(seconds_until_settled(page, args.quiet))
        finally:
            browser.close()
    print(json.dumps({"models_shown": shown, **{kind: summary_ms(values) for kind, values in timings.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
