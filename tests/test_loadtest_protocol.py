"""The protocol-level load test (bench/loadtest.py) against a real Streamlit server.

No mocks: a real `streamlit run` of bench/pages/loadtest_target.py, which
answers the load test's own digit drawings deterministically, and simulated users
speaking Streamlit's websocket protocol. The first test also runs the load on
bench/pages/canvas_and_reading.py, the floor page of docs/deployment.md, which reads
with the default model.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import random

import pytest
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg

from bench import loadtest
from bench.hostile_files import PICTURES
from bench.server import StreamlitServer
from bench.streamlit_protocol import component_state, rerun_backmsg
from mnist_core.config import PROJECT_ROOT

PAGES = PROJECT_ROOT / "bench" / "pages"
TARGET_PAGE = PAGES / "loadtest_target.py"


@pytest.mark.parametrize("page", [TARGET_PAGE, PAGES / "canvas_and_reading.py"], ids=lambda page: page.stem)
def test_two_simulated_users_each_get_their_own_digit_back(page):
    template = loadtest.CanvasTemplate.from_fixture()
    drawings = loadtest.render_digits(loadtest.CanvasStyle(), template)

    async def run() -> dict:
        with StreamlitServer(page) as server:
            settings = loadtest.LoadSettings(url=server.url, users=2, duration=5, interval=0.5)
            return await loadtest.run_load(settings, template, drawings, server_pid=server.process.pid)

    summary = asyncio.run(run())

    # 2 users x 5 s / 0.5 s offers 20 drawings; a busy machine gets through fewer.
    assert summary["drawings"] >= 6, summary
    assert summary["answered"] == summary["drawings"], summary
    assert summary["solo_accuracy"] == 1.0, summary["solo_answers"]
    problems = (
        "wrong",
        "crossed",
        "missing",
        "exceptions",
        "dropped_sockets",
        "timeouts",
        "connect_failures",
    )
    assert {name: summary[name] for name in problems} == dict.fromkeys(problems, 0), summary
    assert summary["latency"]["p50_ms"] > 0
    assert summary["server_memory_mb"]["peak"] > 0
    assert summary["ok"]


def test_a_simulated_stroke_has_the_shape_of_the_captured_browser_message():
    """What we send is what Chromium sent (fixture): same fields, same JSON keys, same PNG."""
    captured = BackMsg.FromString(loadtest.FIXTURE_PATH.read_bytes())
    captured_widget = loadtest.canvas_widget_state(captured)
    captured_state = json.loads(captured_widget.json_value)
    template = loadtest.CanvasTemplate.from_fixture()
    # The fixture was recorded on a 280 px canvas (the bare page); the app's is larger.
    drawing = loadtest.render_digit(7, loadtest.CanvasStyle(size=280), template)
    url = captured.rerun_script.context_info.url

    simulated = rerun_backmsg(
        template.client_state_for(url),
        captured.rerun_script.page_script_hash,
        [component_state(captured_widget.id, drawing.state_json)],
    )

    def field_names(message) -> set[str]:
        return {descriptor.name for descriptor, _value in message.ListFields()}

    assert field_names(simulated.rerun_script) == field_names(captured.rerun_script)
    assert simulated.rerun_script.context_info == captured.rerun_script.context_info
    (simulated_widget,) = simulated.rerun_script.widget_states.widgets
    assert (
        simulated_widget.WhichOneof("value") == captured_widget.WhichOneof("value") == "json_value"
    )
    simulated_state = json.loads(simulated_widget.json_value)
    assert simulated_state.keys() == captured_state.keys() == {"drawing"}
    simulated_raw, captured_raw = (
        simulated_state["drawing"]["raw"],
        captured_state["drawing"]["raw"],
    )
    assert simulated_raw.keys() == captured_raw.keys()
    assert simulated_raw["objects"][0].keys() == captured_raw["objects"][0].keys()

    def png_of(state: dict) -> Image.Image:
        prefix, encoded = state["drawing"]["data"].split(",", 1)
        assert prefix == "data:image/png;base64"
        return Image.open(io.BytesIO(base64.b64decode(encoded)))

    simulated_png, captured_png = png_of(simulated_state), png_of(captured_state)
    assert (simulated_png.size, simulated_png.mode) == (captured_png.size, captured_png.mode)


def test_malformed_canvas_states_over_the_websocket_leave_every_session_working():
    """Crafted canvas states (not JSON, JSON nested 5,000 deep, the wrong shape, not a PNG, a huge
    PNG, over the size limit, empty): each gets a message or an answer, never an error, and that
    same session then reads a real drawing; other sessions are never affected."""
    template = loadtest.CanvasTemplate.from_fixture()
    style = loadtest.CanvasStyle()  # app.py's canvas

    async def run() -> dict:
        with StreamlitServer(PROJECT_ROOT / "app.py") as server:
            return await loadtest.run_bad_input(loadtest.LoadSettings(url=server.url), template, style)

    report = asyncio.run(run())
    failed = {case["case"]: case for case in report["cases"]
              if not (case["recovered"] and case["other_sessions_ok"]) or case["exceptions"]}
    assert report["cases"] and not failed, failed


def test_an_uploaded_digit_is_read_and_a_garbage_file_or_a_gif_gets_a_plain_error():
    """Through the page's st.file_uploader as the browser uses it (upload URL, HTTP PUT, widget
    state): a PNG of a drawn 3 reads as 3; random bytes named .png, and a .gif the browser's file
    picker would not offer (a hand-made client's), get an st.error in plain words, no exception
    element, no traceback, no Python repr."""
    template = loadtest.CanvasTemplate.from_fixture()
    digit = loadtest.digit_upload(3, loadtest.CanvasStyle())
    garbage = loadtest.FileToUpload("garbage.png", "random bytes", random.Random(39).randbytes(50_000), "image/png")
    picture = PICTURES["drawing.gif"]
    gif = loadtest.FileToUpload(picture.name, picture.description, picture.make(), "image/gif")

    async def run() -> list[loadtest.UploadOutcome]:
        with StreamlitServer(PROJECT_ROOT / "app.py") as server:
            tab = await loadtest.UploaderTab.open(server.url, template, timeout=120)
            try:
                outcomes = []
                for file in (digit, garbage, gif):
                    outcomes.append(loadtest.UploadOutcome(file.name))
                    await loadtest.upload_and_read(tab, file, 60, outcomes[-1])
                return outcomes
            finally:
                await tab.session.close()

    read, *refused = asyncio.run(run())

    assert (read.answer, read.error_alerts, read.exceptions, read.failure) == ("3", [], [], "")
    for outcome in refused:
        assert outcome.answer is None and outcome.failure == "", outcome
        assert len(outcome.error_alerts) == 1 and not outcome.exceptions, outcome
        assert outcome.file in outcome.error_alerts[0] and not outcome.leaks, outcome.error_alerts
    assert "accepted are PNG, JPEG, BMP or WebP" in refused[1].error_alerts[0]


def test_two_users_answering_right_have_every_acknowledged_answer_stored(tmp_path, monkeypatch):
    """Against the real app on a SQLite file: after each reading both users press Right, the page
    comes back with a new canvas and the 'on the wall' toast, and the next drawing goes on that
    canvas; every acknowledged answer is a row in the database, nothing refused, no exception."""
    drawings_db = f"sqlite:///{tmp_path / 'drawings.sqlite3'}"
    monkeypatch.setenv("DRAWINGS_DB", drawings_db)  # the server inherits it
    template = loadtest.CanvasTemplate.from_fixture()
    drawings = loadtest.render_digits(loadtest.CanvasStyle(), template)

    async def run() -> dict:
        with StreamlitServer(PROJECT_ROOT / "app.py") as server:
            settings = loadtest.LoadSettings(url=server.url, users=2, duration=10, interval=1.0, answer=True)
            return await loadtest.run_load(settings, template, drawings, server_pid=server.process.pid)

    summary = asyncio.run(run())
    answers = summary["answers"]

    assert answers["acknowledged"] > 0, summary
    assert answers["acknowledged"] == answers["sent"] == loadtest.count_stored_answers(drawings_db), answers
    assert (answers["refused"], summary["exceptions"], summary["crossed"]) == (0, 0, 0), summary
    assert summary["ok"], summary
