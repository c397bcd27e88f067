"""Running the app's pages in Streamlit's AppTest: the page around the canvas, without a browser.

A browser draws on the real canvas in test_browser_app.py; here the canvas returns a given drawing.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def run_app(drawing=None, sidebar_tab: str | None = None, session_state: dict | None = None) -> AppTest:
    """Run app.main() with the canvas returning `drawing` (None = a blank canvas), with the
    sidebar's `sidebar_tab` open (default: the first) and these widget states set beforehand
    (e.g. {"inside_model": True}: that expander open)."""

    def page(drawing):
        import app
        from digit_app import canvas

        canvas.canvas_ui = lambda brush, key: drawing
        app.main()

    test = AppTest.from_function(page, args=(drawing,), default_timeout=120)
    if sidebar_tab:
        test.session_state["sidebar_tab"] = sidebar_tab
    for key, value in (session_state or {}).items():
        test.session_state[key] = value
    return test.run()


def run_wall() -> AppTest:
    """The wall page alone, as a projector shows it."""

    def page():
        from digit_app.wall_page import wall_page

        wall_page()

    return AppTest.from_function(page, default_timeout=60).run()


def metric_values(test: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in test.metric}
