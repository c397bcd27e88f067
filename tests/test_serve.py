"""scripts/serve.py: two real replicas behind a real HAProxy, driven over Streamlit's own protocol.

Each simulated tab keeps its cookies as a browser does (bench/streamlit_protocol.py), so what is
tested is the balancer's configuration as it runs: websocket upgrade, the sticky cookie, new
sessions in turn, uploads, a killed replica, answers from both replicas in one database.
Skipped without HAProxy, except in CI (CI=true), where .ci/run installs it and its absence fails.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from http.cookiejar import CookieJar

import pytest
from streamlit.proto.ClientState_pb2 import ClientState
from websockets.exceptions import ConnectionClosed

from bench.browser import (
    browser_test_marks,
    draw_strokes,
    find_canvas,
    launch_chromium,
    wait_for_app_idle,
    wait_for_canvas,
    wait_for_metric_value,
)
from bench.browser import (
    open_page as open_browser_page,
)
from bench.loadtest import (
    CanvasStyle,
    CanvasTemplate,
    DrawingOutcome,
    UploaderTab,
    answer_right,
    digit_upload,
    draw,
    open_page,
    prediction,
    render_digit,
)
from bench.serve_process import SERVE_SCRIPT, ServeProcess
from bench.streamlit_protocol import StreamlitSession
from bench.strokes import DIGIT_STROKES, on_canvas
from mnist_core.config import PREDICTION_LABEL
from mnist_core.drawings import DB_URL_ENV
from mnist_core.serving import REPLICA_COOKIE, find_haproxy

TEMPLATE = CanvasTemplate.from_fixture()
STYLE = CanvasStyle()
FIRST_RUN_SECONDS = 120.0  # a replica's first page run loads the model; generous on a busy machine
RUN_SECONDS = 60.0
SERVED_AGAIN_WITHIN_SECONDS = 5.0  # the target for a killed replica's visitors


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """serve.py with two replicas sharing one SQLite answers database (DRAWINGS_DB)."""
    if find_haproxy() is None:
        message = "needs HAProxy (apt-get install haproxy)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    database = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'drawings.sqlite3'}"
    with ServeProcess(replicas=2, environment={DB_URL_ENV: database}) as serve:
        yield serve


async def draw_digit(digit: int, url: str, cookies: CookieJar, resume_session_id: str = ""):
    """A tab (its cookies) loads the page and draws the digit -> (session, last run, its answer)."""
    session, page = await open_page(url, TEMPLATE, FIRST_RUN_SECONDS, resume_session_id, cookies)
    result, exceptions = await draw(session, page, render_digit(digit, STYLE, TEMPLATE), None, RUN_SECONDS)
    assert exceptions == []
    return session, result, prediction(result)


def test_new_tabs_take_turns_and_each_stays_on_its_replica(served):
    async def scenario():
        tabs = []
        for digit in (3, 7, 4, 1):  # one address, four new tabs: as a load test or a school's NAT
            cookies = CookieJar()
            session, _result, answer = await draw_digit(digit, served.url, cookies)
            assert answer == str(digit)  # the websocket went through the balancer both ways
            tabs.append((session.cookie(REPLICA_COOKIE), session.session_id, cookies))
            await session.close()
        assert Counter(replica for replica, _session_id, _cookies in tabs) == {"r1": 2, "r2": 2}
        for replica, session_id, cookies in tabs:
            # A reconnecting tab (its cookie, its session id) is back in the session it left: only the
            # replica that holds that session can resume it.
            session, page = await open_page(served.url, TEMPLATE, RUN_SECONDS, session_id, cookies)
            assert (session.cookie(REPLICA_COOKIE), session.session_id) == (replica, session_id)
            assert page.exceptions == []
            await session.close()

    asyncio.run(scenario())


def test_an_upload_through_the_balancer_reaches_its_session_on_either_replica(served):
    async def scenario():
        tabs = [await UploaderTab.open(served.url, TEMPLATE, FIRST_RUN_SECONDS) for _ in range(2)]
        try:
            assert {tab.session.cookie(REPLICA_COOKIE) for tab in tabs} == {"r1", "r2"}
            for tab in tabs:
                # The upload's PUT is a plain HTTP request: without the sticky cookie it would reach
                # the other replica half the time, which answers "400 invalid session".
                result = await tab.upload(digit_upload(2, STYLE), RUN_SECONDS)
                assert result.metric_values("Prediction for the upload") == ["2"]
        finally:
            for tab in tabs:
                await tab.session.close()

    asyncio.run(scenario())


def wall_count_on_each_replica(url: str, replicas: int) -> dict[str, str]:
    """What the wall's "Drawings" metric shows, opened once on each replica (new tabs take turns)."""

    async def open_walls():
        counts = {}
        wall_template = ClientState()
        wall_template.CopyFrom(TEMPLATE.client_state_for(url))
        wall_template.page_name = "wall"
        for _ in range(replicas):
            session = await StreamlitSession.open(url, client_state_template=wall_template)
            page = await session.load_page(timeout=FIRST_RUN_SECONDS)
            counts[session.cookie(REPLICA_COOKIE)] = page.metric_values("Drawings")
            await session.close()
        return counts

    return asyncio.run(open_walls())


def test_the_wall_on_either_replica_counts_answers_given_on_both(served):
    async def answer_on_each_replica():
        replicas = []
        for digit in (5, 8):
            session, result, answer = await draw_digit(digit, served.url, CookieJar())
            assert answer == str(digit)
            outcome = DrawingOutcome(user=0, digit=digit, solo_answer=answer)
            await answer_right(session, result, RUN_SECONDS, outcome)
            assert outcome.acknowledged and outcome.exceptions == []
            replicas.append(session.cookie(REPLICA_COOKIE))
            await session.close()
        return replicas

    assert sorted(asyncio.run(answer_on_each_replica())) == ["r1", "r2"]
    assert wall_count_on_each_replica(served.url, 2) == {"r1": ["2"], "r2": ["2"]}


def test_a_killed_replica_is_restarted_and_its_visitors_are_served_at_once_by_the_other(served):
    async def scenario():
        cookies = CookieJar()
        session, result, _answer = await draw_digit(9, served.url, cookies)
        victim = session.cookie(REPLICA_COOKIE)
        old_pid = served.replica_pids()[victim]
        os.kill(old_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        with pytest.raises(ConnectionClosed):  # the tab's socket is gone with its replica
            await draw(session, result, render_digit(6, STYLE, TEMPLATE), None, RUN_SECONDS)
        # The tab reconnects as a browser does (its cookie names the dead replica, its old session id).
        session, _result, answer = await draw_digit(6, served.url, cookies, session.session_id)
        served_again_after = time.monotonic() - killed_at
        assert answer == "6" and session.cookie(REPLICA_COOKIE) != victim
        assert served_again_after < SERVED_AGAIN_WITHIN_SECONDS
        await session.close()
        return victim, old_pid

    victim, old_pid = asyncio.run(scenario())
    served.wait_for(lambda: served.replica_pids()[victim] != old_pid, timeout=30)

    async def new_tabs_until_one_lands_on(replica: str) -> str | None:
        # The balancer takes the restarted replica back once its health check passes twice.
        deadline = time.monotonic() + FIRST_RUN_SECONDS
        while time.monotonic() < deadline:
            session, _result, answer = await draw_digit(0, served.url, CookieJar())
            landed = session.cookie(REPLICA_COOKIE)
            await session.close()
            if landed == replica:
                return answer
            await asyncio.sleep(1.0)
        return None

    assert asyncio.run(new_tabs_until_one_lands_on(victim)) == "0"


class TestInChromium:
    """A real browser through the balancer (skipped without Chromium, except in CI)."""

    pytestmark = browser_test_marks()

    def test_a_killed_replicas_page_comes_back_by_itself_and_reads_again(self, served):
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                open_browser_page(page, served.url, FIRST_RUN_SECONDS)
                size = find_canvas(page).evaluate("canvas => canvas.width")
                draw_strokes(page, on_canvas(DIGIT_STROKES["7"], size))
                wait_for_metric_value(page, PREDICTION_LABEL, "7", RUN_SECONDS)
                victim = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == REPLICA_COOKIE)
                os.kill(served.replica_pids()[victim], signal.SIGKILL)
                killed_at = time.monotonic()
                # The page notices its socket gone ...
                page.wait_for_selector('[data-testid="stApp"]:not([data-test-connection-state="CONNECTED"])',
                                       timeout=SERVED_AGAIN_WITHIN_SECONDS * 1000)
                # ... and Streamlit's front end reconnects by itself; the balancer gives it the live replica.
                wait_for_app_idle(page, RUN_SECONDS)
                wait_for_canvas(page, RUN_SECONDS)
                assert time.monotonic() - killed_at < SERVED_AGAIN_WITHIN_SECONDS
                page.get_by_role("button", name="Clear", exact=True).click()
                wait_for_app_idle(page, RUN_SECONDS)
                wait_for_canvas(page, RUN_SECONDS)  # Clear mounts a new canvas: drawing before it is there misses it
                draw_strokes(page, on_canvas(DIGIT_STROKES["1"], size))
                wait_for_metric_value(page, PREDICTION_LABEL, "1", RUN_SECONDS)
                assert page.locator('[data-testid="stException"]').count() == 0
                assert "Traceback" not in page.content()
                assert next(c["value"] for c in page.context.cookies() if c["name"] == REPLICA_COOKIE) != victim
            finally:
                browser.close()


def test_sigterm_stops_the_balancer_and_every_replica(served):
    started = [served.process.pid, served.balancer_pid(), *served.replica_pids().values()]
    served.stop()
    assert served.process.returncode == 0
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_without_haproxy_serve_says_how_to_install_it():
    result = subprocess.run([sys.executable, str(SERVE_SCRIPT), "--haproxy", "no-such-haproxy", "--replicas", "1"],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "apt-get install haproxy" in result.stderr
