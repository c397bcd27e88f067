"""Protocol-level load test for the draw-a-digit Streamlit app.

Twenty real browsers do not fit on two cores, so each simulated user is a
websocket speaking Streamlit's own protobuf protocol (see
``streamlit_protocol.py``). A user loads the page, then every ``--interval``
seconds draws a digit, stroke by stroke: after each stroke it sends exactly
what the drawable canvas sends (its Fabric.js JSON and the PNG of the canvas
as a data URL, as the component's widget state), waits for the rerun's
``script_finished`` and, after the last stroke, reads the ``st.metric``
labelled "Prediction".

Every simulated message starts from a real one that Chromium sent
(``tests/fixtures/canvas_backmsg.bin``, recorded with ``--capture-fixture``):
its browser context and every key of its Fabric stroke are reused; the page
hash, the widget id, the fragment id and the drawing are filled in.

Each answer is checked three ways:

* wrong:   it is not the digit that was drawn (plain model mistakes count
           too: compare with the solo accuracy).
* crossed: it differs from what the same page answered for the very same
           drawing when one user was alone (the calibration pass before the
           load). A correct app has none, whatever its accuracy: a crossed
           answer means sessions leaked into each other under load.
* missing: no "Prediction" metric after the rerun, no script_finished in
           time, or the socket dropped.

Modes (see --help): a load run, ``--compare`` two scripts, ``--bad-input``,
``--hostile-uploads``, ``--answer``, ``--capture-fixture``, ``--write-digits``.

``--hostile-uploads`` runs the load twice in one server: the users alone, then
the same users while one more visitor uploads files through the page's
st.file_uploader in a loop (a real digit PNG, then bench/hostile_files.py's
pictures: small but costly or malformed to decode, and the largest accepted), and reports stroke latency side by side and
how each upload was answered.

``--answer`` runs the load twice in one server: drawing only (baseline), then
each user also presses "Right" after each reading, as the meetup asks, and
waits for the page to come back with a new canvas and the "on the wall" toast
(acknowledged). Afterwards it counts the answers stored in the database the
server used (``--drawings-db``, else a fresh SQLite file it sets as the
started server's DRAWINGS_DB): every acknowledged answer must be stored, and
"database is locked" must appear neither on a page nor in the server's log.

Examples::

    python bench/loadtest.py --start-server app.py --users 20 --duration 60 --interval 2
    python bench/loadtest.py --compare app.py bench/pages/bare_canvas.py --users 5
    python bench/loadtest.py --start-server app.py --bad-input
    python bench/loadtest.py --start-server app.py --users 20 --duration 60 --hostile-uploads
    python bench/loadtest.py --start-server app.py --users 20 --duration 60 --answer
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import io
import itertools
import json
import mimetypes
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import UploadedFileInfo
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.browser import CHROMIUM_PATH, launch_chromium
from bench.hostile_files import PICTURES
from bench.server import ServerStartError, StreamlitServer, process_tree_cpu_seconds, process_tree_rss_bytes
from bench.stats import summary_ms
from bench.streamlit_protocol import (
    ComponentInfo,
    RunResult,
    RunTimeoutError,
    StreamlitSession,
    UploadError,
    bool_state,
    component_state,
    file_uploader_state,
    trigger_state,
)
from bench.strokes import DIGIT_STROKES, on_canvas
from mnist_core.config import (
    CANVAS_BACKGROUND_COLOR,
    CANVAS_COMPONENT_NAME,
    CANVAS_PIXELS,
    CANVAS_STROKE_COLOR,
    DEFAULT_BRUSH,
    PREDICTION_LABEL,
    PROJECT_ROOT,
)
from mnist_core.drawings import DB_URL_ENV, open_store
from mnist_core.serving import REPLICA_COOKIE

FIXTURE_PATH = PROJECT_ROOT / "tests" / "fixtures" / "canvas_backmsg.bin"
# What the app must show: one drawable canvas (found by its component name, CANVAS_COMPONENT_NAME,
# or by --canvas-key when there are several) and the st.metric labelled PREDICTION_LABEL.


# --------------------------------------------------------------------------
# Drawings: what a user puts on the canvas
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CanvasStyle:
    """How the app's canvas draws; the simulated PNGs must look the same. The defaults are app.py's."""

    size: int = CANVAS_PIXELS
    stroke_width: int = DEFAULT_BRUSH
    stroke_color: str = CANVAS_STROKE_COLOR
    # "" is a transparent canvas, as st_canvas's default.
    background_color: str = CANVAS_BACKGROUND_COLOR


def _rgba(color: str) -> tuple[int, int, int, int]:
    """'#RRGGBB' (or '' for transparent) as an RGBA tuple."""
    if not color:
        return (0, 0, 0, 0)
    hex_digits = color.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(character * 2 for character in hex_digits)
    return (
        int(hex_digits[0:2], 16),
        int(hex_digits[2:4], 16),
        int(hex_digits[4:6], 16),
        255,
    )


def fabric_path_commands(points: list[tuple[float, float]]) -> list[list[Any]]:
    """The path Fabric's PencilBrush makes from pointer positions.

    Like the captured stroke: "M" at the first point, a quadratic curve
    through each point to the midpoint of the next, "L" to the last one.
    """

    def rounded(value: float) -> float:
        return round(float(value), 3)

    commands: list[list[Any]] = [["M", rounded(points[0][0]), rounded(points[0][1])]]
    for current, following in zip(points[1:-1], points[2:], strict=True):
        middle = ((current[0] + following[0]) / 2, (current[1] + following[1]) / 2)
        commands.append(
            ["Q", rounded(current[0]), rounded(current[1]), rounded(middle[0]), rounded(middle[1])]
        )
    commands.append(["L", rounded(points[-1][0]), rounded(points[-1][1])])
    return commands


def sample_path(commands: list[list[Any]], steps_per_curve: int = 8) -> np.ndarray:
    """Turn Fabric path commands into a dense polyline, to render them."""
    points: list[tuple[float, float]] = []
    current = (0.0, 0.0)
    for command in commands:
        kind = command[0].upper()
        if kind in ("M", "L"):
            current = (command[1], command[2])
            points.append(current)
        elif kind == "Q":
            control, end = (command[1], command[2]), (command[3], command[4])
            for t in np.linspace(0, 1, steps_per_curve + 1)[1:]:
                points.append(
                    (
                        (1 - t) ** 2 * current[0] + 2 * (1 - t) * t * control[0] + t**2 * end[0],
                        (1 - t) ** 2 * current[1] + 2 * (1 - t) * t * control[1] + t**2 * end[1],
                    )
                )
            current = end
    return np.array(points, dtype=np.float64)


def canvas_widget_state(back_msg: BackMsg) -> WidgetState:
    """The drawable canvas's value in a captured rerun_script BackMsg.

    The browser sends every widget's value; the canvas's is the JSON with a
    "drawing" key.
    """
    for widget in back_msg.rerun_script.widget_states.widgets:
        if widget.WhichOneof("value") == "json_value" and '"drawing"' in widget.json_value:
            return widget
    raise ValueError("no canvas state in this BackMsg")


@dataclass
class CanvasTemplate:
    """The parts of a real captured canvas message that we reuse verbatim."""

    client_state: ClientState  # browser context, without widgets or page hash
    path_object: dict[str, Any]  # every Fabric key of a freedraw stroke
    fabric_version: str

    @classmethod
    def from_fixture(cls, fixture_path: Path = FIXTURE_PATH) -> CanvasTemplate:
        back_msg = BackMsg()
        back_msg.ParseFromString(fixture_path.read_bytes())
        client_state = ClientState()
        client_state.CopyFrom(back_msg.rerun_script)
        raw_drawing = json.loads(canvas_widget_state(back_msg).json_value)["drawing"]["raw"]
        # Keep the browser context only: the rest is per page and per stroke.
        for per_stroke in ("widget_states", "page_script_hash", "fragment_id"):
            client_state.ClearField(per_stroke)
        return cls(
            client_state=client_state,
            path_object=raw_drawing["objects"][0],
            fabric_version=raw_drawing["version"],
        )

    def client_state_for(self, base_url: str) -> ClientState:
        """The captured browser context, pointed at this server's URL."""
        client_state = ClientState()
        client_state.CopyFrom(self.client_state)
        client_state.context_info.url = base_url.rstrip("/") + "/"
        return client_state


@dataclass
class Drawing:
    """One drawing of a digit, as the canvas would report it."""

    digit: int
    name: str
    png: bytes
    fabric_json: dict[str, Any]
    # The canvas after each earlier stroke: the component reports every
    # stroke (on mouse up), so a two-stroke "4" is two reruns.
    earlier_strokes: list[Drawing] = field(default_factory=list)

    @property
    def stroke_states(self) -> list[str]:
        """The widget states the browser sends while drawing this, in order."""
        return [earlier.state_json for earlier in self.earlier_strokes] + [self.state_json]

    @cached_property
    def state_json(self) -> str:
        """The canvas component's widget state, JSON-encoded once and reused.

        The canvas calls setStateValue("drawing", {raw, data}); its state has
        no other key unless a background image is used.
        """
        data_url = "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")
        state = {"drawing": {"raw": self.fabric_json, "data": data_url}}
        return json.dumps(state, separators=(",", ":"))


def _fabric_object(
    template: CanvasTemplate, style: CanvasStyle, commands: list[list[Any]]
) -> dict[str, Any]:
    """A freedraw Path object: the captured one with this stroke's geometry."""
    polyline = sample_path(commands)
    low, high = polyline.min(axis=0), polyline.max(axis=0)
    path_object = dict(template.path_object)
    path_object.update(
        {
            # The canvas uses originX/Y "center": left/top is the box centre.
            "left": round(float(low[0] + high[0]) / 2, 3),
            "top": round(float(low[1] + high[1]) / 2, 3),
            "width": round(float(high[0] - low[0]), 3),
            "height": round(float(high[1] - low[1]), 3),
            "stroke": style.stroke_color,
            "strokeWidth": style.stroke_width,
            "path": commands,
        }
    )
    return path_object


def _fabric_canvas(
    template: CanvasTemplate, style: CanvasStyle, objects: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "version": template.fabric_version,
        "objects": objects,
        "background": style.background_color,
    }


def _encode_png(rgba: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def _blank_canvas(style: CanvasStyle, size: int | None = None) -> np.ndarray:
    size = size or style.size
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[:] = _rgba(style.background_color)
    return canvas


def _render(strokes: list[list[list[Any]]], style: CanvasStyle, scale: float = 1.0) -> np.ndarray:
    """Rasterise Fabric paths like the browser canvas: round, anti-aliased."""
    canvas = _blank_canvas(style, int(style.size * scale))
    # cv2 draws at sub-pixel precision with fixed-point coordinates.
    fixed_point_bits = 4
    for commands in strokes:
        polyline = sample_path(commands) * scale * (1 << fixed_point_bits)
        cv2.polylines(
            canvas,
            [np.round(polyline).astype(np.int32)],
            isClosed=False,
            color=_rgba(style.stroke_color),
            thickness=max(1, round(style.stroke_width * scale)),
            lineType=cv2.LINE_AA,
            shift=fixed_point_bits,
        )
    return canvas


def digit_strokes(digit: int, size: int) -> list[list[list[Any]]]:
    """The built-in strokes of a digit (bench/strokes.py) as Fabric path commands on the canvas."""
    return [fabric_path_commands(stroke) for stroke in on_canvas(DIGIT_STROKES[str(digit)], size)]


def render_digit_png(digit: int, style: CanvasStyle, scale: float = 1.0) -> bytes:
    """The PNG the canvas exports for the built-in drawing of a digit."""
    return _encode_png(_render(digit_strokes(digit, style.size), style, scale))


def render_digit(
    digit: int, style: CanvasStyle, template: CanvasTemplate, scale: float = 1.0
) -> Drawing:
    """Draw one digit with the built-in strokes (scale > 1 for a huge image)."""
    strokes = digit_strokes(digit, style.size)
    name = f"digit-{digit}" + ("" if scale == 1.0 else f"-x{scale:g}")

    def canvas_after(stroke_count: int, label: str) -> Drawing:
        drawn = strokes[:stroke_count]
        return Drawing(
            digit=digit,
            name=label,
            png=_encode_png(_render(drawn, style, scale)),
            fabric_json=_fabric_canvas(
                template, style, [_fabric_object(template, style, path) for path in drawn]
            ),
        )

    drawing = canvas_after(len(strokes), name)
    drawing.earlier_strokes = [
        canvas_after(count, f"{name}-stroke-{count}") for count in range(1, len(strokes))
    ]
    return drawing


def render_digits(style: CanvasStyle, template: CanvasTemplate) -> list[Drawing]:
    """The ten built-in drawings, 0 to 9."""
    return [render_digit(digit, style, template) for digit in range(10)]


def blank_drawing(style: CanvasStyle, template: CanvasTemplate) -> Drawing:
    """What the canvas sends after the user clears it: no objects, empty PNG."""
    return Drawing(
        digit=-1,
        name="blank",
        png=_encode_png(_blank_canvas(style)),
        fabric_json=_fabric_canvas(template, style, []),
    )


def load_digits(directory: Path, style: CanvasStyle, template: CanvasTemplate) -> list[Drawing]:
    """Drawings from PNG files whose name starts with their digit (3.png, 7_b.png).

    Each image is fitted to the canvas size. The Fabric JSON traces the ink's
    outlines, since a file has no strokes; apps that only read the PNG do not
    care, and the JSON keeps the size and shape of the real thing.
    """
    drawings = []
    for path in sorted(directory.glob("*.png")):
        match = re.match(r"(\d)", path.name)
        if not match:
            continue
        image = Image.open(path).convert("RGBA").resize((style.size, style.size), Image.LANCZOS)
        rgba = np.asarray(image)
        background = np.array(_rgba(style.background_color), dtype=np.int16)
        ink = (np.abs(rgba.astype(np.int16) - background).max(axis=2) > 64).astype(np.uint8)
        contours, _hierarchy = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        objects = []
        for contour in contours:
            points = [(float(x), float(y)) for [[x, y]] in contour]
            if len(points) >= 2:
                objects.append(_fabric_object(template, style, fabric_path_commands(points)))
        drawings.append(
            Drawing(
                digit=int(match.group(1)),
                name=path.name,
                png=_encode_png(rgba),
                fabric_json=_fabric_canvas(template, style, objects),
            )
        )
    if not drawings:
        raise SystemExit(f"no PNG named after its digit (e.g. 3.png) in {directory}")
    return drawings


def prediction(result: RunResult) -> str | None:
    """What the "Prediction" metric shows after a run, or None if it is absent."""
    values = result.metric_values(PREDICTION_LABEL)
    return values[-1].strip() if values else None


def find_canvas(page: RunResult, key: str | None) -> ComponentInfo:
    """The drawable canvas on the page: the only one, or the one with this key."""
    canvases = [
        component
        for component in page.components
        if component.component_name == CANVAS_COMPONENT_NAME
        and (key is None or component.user_key == key)
    ]
    if len(canvases) != 1:
        wanted = "a drawable canvas" if key is None else f'a canvas with key="{key}"'
        found = [component.user_key or component.component_name for component in page.components]
        raise LookupError(f"expected one {wanted} on the page, found {found or 'none'}")
    return canvases[0]


# --------------------------------------------------------------------------
# The server under test (bench/server.py starts one with --start-server)
# --------------------------------------------------------------------------


class MemorySampler:
    """Samples a server's RSS in the background to find its peak."""

    def __init__(self, pid: int | None, period: float = 0.5) -> None:
        self._pid = pid
        self._period = period
        self.peak_bytes: int | None = None
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> int | None:
        if self._pid is None:
            return None
        rss = process_tree_rss_bytes(self._pid)
        if rss is not None:
            self.peak_bytes = max(self.peak_bytes or 0, rss)
        return rss

    def start(self) -> None:
        async def run() -> None:
            while True:
                self.sample()
                await asyncio.sleep(self._period)

        if self._pid is not None:
            self._task = asyncio.create_task(run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _megabytes(byte_count: int | None) -> float | None:
    return None if byte_count is None else round(byte_count / 1e6, 1)


# --------------------------------------------------------------------------
# Simulated users
# --------------------------------------------------------------------------


@dataclass
class LoadSettings:
    url: str
    users: int = 20
    duration: float = 60.0
    interval: float = 2.0
    timeout: float = 30.0
    canvas_key: str | None = None  # None: the page's only drawable canvas
    rounds: int = 1  # load phases one after the other, each with new users (new sessions)
    expire_wait: float = 0.0  # after each round, wait this long (past the server's session TTL) and sample memory again
    answer: bool = False  # press "Right" after each reading and wait for the page to acknowledge it


@dataclass
class DrawingOutcome:
    """What happened to one drawing one user sent."""

    user: int
    digit: int
    solo_answer: str | None  # what the page said for it with one user alone
    started_at: float = 0.0  # perf_counter when its first stroke was sent
    # Behind scripts/serve.py's balancer: the replica whose session drew it (its cookie), else None.
    replica: str | None = None
    # Last stroke sent -> its script_finished; None when it never finished.
    seconds: float | None = None
    answer: str | None = None  # what the "Prediction" metric showed
    exceptions: list[str] = field(default_factory=list)
    error_alerts: int = 0
    failure: str = ""  # "timeout", "dropped socket", "not on the page: ..."
    # With LoadSettings.answer: "Right" pressed after the reading, and what the reply showed.
    answer_sent: bool = False
    acknowledged: bool = False  # the reply carried the "on the wall" toast
    acknowledge_seconds: float | None = None  # Right pressed -> that reply's script_finished
    refusals: list[str] = field(default_factory=list)  # st.warning/st.error texts in the reply

    @property
    def missing(self) -> bool:
        return self.answer is None

    @property
    def wrong(self) -> bool:
        return self.answer is not None and self.answer != str(self.digit)

    @property
    def crossed(self) -> bool:
        return (
            self.answer is not None
            and self.solo_answer is not None
            and self.answer != self.solo_answer
        )


@dataclass
class LoadRecord:
    """Everything the users observed, shared by all of them."""

    outcomes: list[DrawingOutcome] = field(default_factory=list)
    page_load_seconds: list[float] = field(default_factory=list)
    pages_loaded_at: list[tuple[int, float]] = field(default_factory=list)  # (user, perf_counter) per page load
    page_load_exceptions: list[str] = field(default_factory=list)
    reruns: int = 0  # one per stroke
    connect_failures: int = 0
    dropped_sockets: int = 0
    timeouts: int = 0


def _exception_texts(result: RunResult) -> list[str]:
    return [f"{e.type}: {e.message}" for e in result.exceptions]


async def open_page(
    url: str,
    template: CanvasTemplate,
    timeout: float,
    resume_session_id: str = "",
    cookies: CookieJar | None = None,
) -> tuple[StreamlitSession, RunResult]:
    """Connect and load the page like a browser tab (or a reconnecting one, with its cookies)."""
    session = await StreamlitSession.open(
        url,
        client_state_template=template.client_state_for(url),
        resume_session_id=resume_session_id,
        cookies=cookies,
    )
    try:
        return session, await session.load_page(timeout=timeout)
    except BaseException:
        await session.close()
        raise


async def send_stroke(
    session: StreamlitSession,
    page: RunResult,
    canvas_state_json: str,
    canvas_key: str | None,
    timeout: float,
) -> RunResult:
    """Send the canvas state after a stroke, as the component does."""
    canvas = find_canvas(page, canvas_key)
    return await session.rerun(
        [component_state(canvas.widget_id, canvas_state_json)],
        # A canvas inside an st.fragment reruns only its fragment, as in the
        # browser.
        fragment_id=canvas.fragment_id,
        timeout=timeout,
    )


async def draw(
    session: StreamlitSession,
    page: RunResult,
    drawing: Drawing,
    canvas_key: str | None,
    timeout: float,
) -> tuple[RunResult, list[str]]:
    """Draw stroke after stroke; the last stroke's run and every exception."""
    exceptions: list[str] = []
    for state_json in drawing.stroke_states:
        page = await send_stroke(session, page, state_json, canvas_key, timeout)
        exceptions += _exception_texts(page)
    return page, exceptions


RIGHT_BUTTON_LABEL = "Right"
ACKNOWLEDGED_TOAST = "on the wall"  # "Right! On the wall." or "Thanks: 1, on the wall."
DATABASE_LOCKED = "database is locked"  # SQLite's error when a writer waits too long


async def answer_right(session: StreamlitSession, page: RunResult, timeout: float, outcome: DrawingOutcome) -> RunResult:
    """Press "Right" under the reading as the browser does (its trigger value, sent from the
    button's fragment) and record the reply; the page it returns has a new canvas when the
    answer was taken."""
    button = page.widget("button", RIGHT_BUTTON_LABEL)
    fragment_id = page.widget_fragment_id("button", RIGHT_BUTTON_LABEL)
    outcome.answer_sent = True
    result = await session.rerun([trigger_state(button.id)], fragment_id=fragment_id, timeout=timeout)
    outcome.acknowledged = any(ACKNOWLEDGED_TOAST in toast.lower() for toast in result.toasts)
    if outcome.acknowledged:
        outcome.acknowledge_seconds = result.seconds
    outcome.refusals = [text for text in result.alerts() if text.startswith(("warning:", "error:"))]
    outcome.exceptions += _exception_texts(result)
    return result


async def simulated_user(
    user: int,
    settings: LoadSettings,
    template: CanvasTemplate,
    drawings: list[Drawing],
    solo_answers: dict[str, str | None],
    start_at: float,
    stop_at: float,
    record: LoadRecord,
) -> None:
    """One user: load the page, then draw digit after digit until stop_at.

    Users cycle through the drawings starting at their own index, so at any
    moment different users are drawing different digits. A drawing starts
    every `interval` seconds (or right away when the last one took longer),
    so the offered load is users / interval drawings per second. With
    settings.answer each reading is answered "Right" before the next drawing,
    which then goes on the new canvas.
    """
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    session: StreamlitSession | None = None
    page: RunResult | None = None
    session_id = ""
    cookies = CookieJar()  # the tab's: behind a balancer, a reconnect goes back to its replica if alive
    sent = 0
    next_start = time.perf_counter()
    try:
        while time.perf_counter() < stop_at:
            if session is None:
                try:
                    # After a drop, resume the same session, like the browser.
                    session, page = await open_page(
                        settings.url, template, settings.timeout, session_id, cookies
                    )
                except (OSError, InvalidHandshake, ConnectionClosed, RunTimeoutError):
                    record.connect_failures += 1
                    await asyncio.sleep(1.0)
                    continue
                session_id = session.session_id
                record.page_load_seconds.append(page.seconds)
                record.pages_loaded_at.append((user, time.perf_counter()))
                record.page_load_exceptions += _exception_texts(page)

            if await session.closed_within(next_start - time.perf_counter()):
                # Dropped while this user was between drawings: like a browser, reconnect at once.
                record.dropped_sockets += 1
                session = None
                next_start = time.perf_counter()
                continue
            if time.perf_counter() >= stop_at:
                break
            drawing = drawings[(user + sent) % len(drawings)]
            sent += 1
            next_start = time.perf_counter() + settings.interval
            outcome = DrawingOutcome(
                user=user,
                digit=drawing.digit,
                solo_answer=solo_answers.get(drawing.name),
                started_at=time.perf_counter(),
                replica=session.cookie(REPLICA_COOKIE),
            )
            record.outcomes.append(outcome)
            record.reruns += len(drawing.stroke_states)
            try:
                result, exceptions = await draw(
                    session, page, drawing, settings.canvas_key, settings.timeout
                )
                outcome.seconds = result.seconds
                outcome.answer = prediction(result)
                outcome.exceptions = exceptions
                outcome.error_alerts = len(result.error_alerts)
                page = result
                if settings.answer and outcome.answer is not None:
                    page = await answer_right(session, page, settings.timeout, outcome)
            except RunTimeoutError:
                # Out of step with the server: start over on a new socket.
                outcome.failure = "timeout"
                record.timeouts += 1
                await session.close()
                session = None
                continue
            except ConnectionClosed:
                outcome.failure = "dropped socket"
                record.dropped_sockets += 1
                session = None
                # A browser reruns the page with the drawing it holds as soon as it is reconnected.
                next_start = time.perf_counter()
                continue
            except LookupError as error:
                outcome.failure = f"not on the page: {error}"
                continue
    finally:
        if session is not None:
            await session.close()


async def calibrate(
    settings: LoadSettings, template: CanvasTemplate, drawings: list[Drawing]
) -> dict[str, str | None]:
    """Each drawing's answer when one user is alone: the reference for 'crossed'.

    Also warms the server up (imports, model loading) before timing starts,
    hence the generous timeout.
    """
    timeout = max(settings.timeout, 120.0)
    session, page = await open_page(settings.url, template, timeout)
    try:
        answers = {}
        for drawing in drawings:
            page, _exceptions = await draw(session, page, drawing, settings.canvas_key, timeout)
            answers[drawing.name] = prediction(page)
        return answers
    finally:
        await session.close()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_load(
    settings: LoadSettings,
    template: CanvasTemplate,
    drawings: list[Drawing],
    server_pid: int | None = None,
    settle_seconds: float = 3.0,
    alongside: Callable[[float], Awaitable[None]] | None = None,
    record: LoadRecord | None = None,
) -> dict[str, Any]:
    """Calibrate, run `users` simulated users for `duration` s, summarise.

    ``alongside(stop_at)``, when given, runs next to the users in each round (another kind of
    visitor, e.g. hostile_uploader, or a replica's killer) and must return by stop_at. ``record``,
    when given, receives every drawing's outcome, for a caller that looks closer.
    """
    memory = MemorySampler(server_pid)
    memory_before = memory.sample()
    solo_answers = await calibrate(settings, template, drawings)
    memory_after_warmup = memory.sample()
    memory.peak_bytes = None  # the peak under load, not during warm-up

    record = LoadRecord() if record is None else record
    cpu_before = _cpu_seconds()
    server_cpu_before = process_tree_cpu_seconds(server_pid) if server_pid else None
    memory.start()
    elapsed = 0.0
    memory_after_rounds = []
    memory_after_expiry_rounds = []
    for round_index in range(settings.rounds):
        started = time.perf_counter()
        stop_at = started + settings.duration
        # Users arrive spread over one interval rather than all in the same
        # millisecond, like people opening the page.
        await asyncio.gather(
            *(
                simulated_user(
                    user + round_index * settings.users,
                    settings,
                    template,
                    drawings,
                    solo_answers,
                    start_at=started + settings.interval * user / settings.users,
                    stop_at=stop_at,
                    record=record,
                )
                for user in range(settings.users)
            ),
            *([alongside(stop_at)] if alongside else []),
        )
        elapsed += time.perf_counter() - started
        if round_index < settings.rounds - 1 and server_pid:
            # Each round's users are new sessions: memory that keeps rising from round to
            # round is memory kept per session or per rerun. (The last round's is "after".)
            await asyncio.sleep(settle_seconds)
            memory_after_rounds.append(_megabytes(memory.sample()))
            if settings.expire_wait > 0:
                # Let this round's sessions expire before new users come: then memory that
                # still rises from round to round is kept for good, not per live session.
                await asyncio.sleep(settings.expire_wait)
                memory_after_expiry_rounds.append(_megabytes(memory.sample()))
    await memory.stop()
    load_generator_cpu = _cpu_seconds() - cpu_before
    server_cpu_after = process_tree_cpu_seconds(server_pid) if server_pid else None
    server_cpu = (
        None if server_cpu_before is None or server_cpu_after is None else server_cpu_after - server_cpu_before
    )
    # Disconnected sessions linger (server.disconnectedSessionTTL, 120 s),
    # so "after" is the memory a burst of users leaves behind for a while.
    await asyncio.sleep(settle_seconds if server_pid else 0)
    memory_after = memory.sample()
    if server_pid and settings.expire_wait > 0:
        # Every user has gone: once Streamlit drops their sessions, what memory is still held?
        await asyncio.sleep(settings.expire_wait)
        memory_after_expiry_rounds.append(_megabytes(memory.sample()))

    outcomes = record.outcomes
    finished = [o.seconds for o in outcomes if o.seconds is not None]
    exception_messages = Counter(m for o in outcomes for m in o.exceptions)
    exception_messages.update(record.page_load_exceptions)
    summary = {
        "url": settings.url,
        "users": settings.users,
        "duration_s": settings.duration,
        "interval_s": settings.interval,
        "elapsed_s": round(elapsed, 1),
        "drawings": len(outcomes),
        "reruns": record.reruns,
        "answered": sum(not o.missing for o in outcomes),
        "drawings_per_second": round(len(finished) / elapsed, 2) if elapsed else 0.0,
        "latency": summary_ms(finished),
        "page_load": summary_ms(record.page_load_seconds),
        "wrong": sum(o.wrong for o in outcomes),
        "missing": sum(o.missing for o in outcomes),
        "crossed": sum(o.crossed for o in outcomes),
        "exceptions": sum(exception_messages.values()),
        "exception_messages": dict(exception_messages.most_common(5)),
        "error_alerts": sum(o.error_alerts for o in outcomes),
        "dropped_sockets": record.dropped_sockets,
        "timeouts": record.timeouts,
        "connect_failures": record.connect_failures,
        "failures": dict(Counter(o.failure for o in outcomes if o.failure)),
        "solo_answers": {d.name: solo_answers.get(d.name) for d in drawings},
        "solo_accuracy": round(
            sum(solo_answers.get(d.name) == str(d.digit) for d in drawings) / len(drawings), 3
        ),
        "calibration_missing": sum(solo_answers.get(d.name) is None for d in drawings),
        "server_memory_mb": None
        if server_pid is None
        else {
            "before": _megabytes(memory_before),
            "after_warmup": _megabytes(memory_after_warmup),
            "peak": _megabytes(memory.peak_bytes),
            "after": _megabytes(memory_after),
            "after_each_round": [*memory_after_rounds, _megabytes(memory_after)] if settings.rounds > 1 else [],
            "after_each_round_sessions_expired": memory_after_expiry_rounds,
        },
        "load_generator_cpu_s": round(load_generator_cpu, 1),
        # The server's processes (replicas and balancer too, under scripts/serve.py) while users drew.
        "server_cpu_s": None if server_cpu is None else round(server_cpu, 1),
        "server_cpu_ms_per_drawing": round(1000 * server_cpu / len(finished), 1) if server_cpu and finished else None,
        "drawings_per_replica": dict(sorted(Counter(o.replica for o in outcomes if o.replica).items())),
    }
    summary["ok"] = bool(
        summary["drawings"]
        and summary["missing"] == 0
        and summary["crossed"] == 0
        and summary["exceptions"] == 0
        and summary["dropped_sockets"] == 0
        and summary["timeouts"] == 0
        and summary["connect_failures"] == 0
        and summary["calibration_missing"] == 0
    )
    if settings.answer:
        summary["answers"] = summarize_answers(outcomes, record.page_load_exceptions)
    return summary


def summarize_answers(outcomes: list[DrawingOutcome], page_load_exceptions: list[str]) -> dict[str, Any]:
    """Answers sent, acknowledged (the toast came), refused (counted by the text shown), and
    every "database is locked" a page showed."""
    sent = [outcome for outcome in outcomes if outcome.answer_sent]
    refusals = Counter(text for outcome in sent for text in outcome.refusals)
    texts_shown = [*page_load_exceptions, *(text for o in outcomes for text in [*o.exceptions, *o.refusals])]
    return {
        "sent": len(sent),
        "acknowledged": sum(outcome.acknowledged for outcome in sent),
        "refused": sum(refusals.values()),
        "refusal_texts": dict(refusals),
        "acknowledge": summary_ms([o.acknowledge_seconds for o in sent if o.acknowledge_seconds is not None]),
        "database_locked_on_pages": sum(DATABASE_LOCKED in text.lower() for text in texts_shown),
    }


def count_stored_answers(drawings_db: str) -> int:
    """Answers in the current round of that database (what the wall counts)."""
    store = open_store(drawings_db)
    try:
        return store.wall_summary().drawings
    finally:
        store.close()


async def run_answers(
    settings: LoadSettings,
    template: CanvasTemplate,
    drawings: list[Drawing],
    drawings_db: str,
    server_pid: int | None = None,
    server_log: Path | None = None,
) -> dict[str, Any]:
    """The load twice in one server: drawing only (baseline), then drawing and answering "Right";
    stroke latency side by side, and the acknowledged answers against the rows stored."""
    baseline = await run_load(dataclasses.replace(settings, answer=False), template, drawings, server_pid=server_pid)
    stored_before = await asyncio.to_thread(count_stored_answers, drawings_db)
    answering = await run_load(dataclasses.replace(settings, answer=True), template, drawings, server_pid=server_pid)
    stored = await asyncio.to_thread(count_stored_answers, drawings_db) - stored_before
    answers = answering["answers"]
    log_text = server_log.read_text(errors="replace").lower() if server_log else ""
    baseline_p50, answering_p50 = baseline["latency"]["p50_ms"], answering["latency"]["p50_ms"]
    report = {
        "baseline": baseline,
        "answering": answering,
        "stored": stored,
        "lost": answers["acknowledged"] - stored,
        "database_locked_on_pages": answers["database_locked_on_pages"],
        "database_locked_in_server_log": log_text.count(DATABASE_LOCKED),
        "p50_ratio": round(answering_p50 / baseline_p50, 2) if baseline_p50 and answering_p50 else None,
    }
    report["ok"] = bool(
        answers["acknowledged"]
        and report["lost"] == 0
        and report["database_locked_on_pages"] == report["database_locked_in_server_log"] == 0
        and baseline["ok"]
        and answering["ok"]
    )
    return report


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@dataclass
class BadInput:
    name: str
    description: str
    state_json: str  # the canvas widget's json_value, however broken
    # The server itself refuses frames over server.maxWidgetStateSize by
    # closing the socket: the browser would reconnect, and so do we.
    closes_socket: bool = False
    # Set when Streamlit itself, not the app, cannot recover the session.
    framework_limitation: str = ""


# Streamlit 1.67 keeps the last json_value of a widget that has a callback
# (st_canvas always registers one) and json.loads() it again at the start of
# every rerun to see whether the value changed (session_state._widget_changed
# -> unpack_widget_state_value), before the script runs. A value that is not
# JSON therefore raises on every later rerun of that session, reconnects
# included, whatever the app does. Only the sending session is affected, and
# the frontend always sends JSON.stringify output, so only a hand-made client
# can get there.
_NON_JSON_LIMITATION = (
    "Streamlit re-parses the stored json_value on every rerun and raises "
    "JSONDecodeError before the script starts: the sending session stays "
    "broken unless the page makes that parse tolerant (app.py does); other "
    "sessions are not affected (checked)"
)


def bad_inputs(style: CanvasStyle, template: CanvasTemplate) -> list[BadInput]:
    """Malformed canvas states a buggy or hostile client could send."""
    good = render_digit(3, style, template)

    def with_data(data: Any) -> str:
        return json.dumps(
            {"drawing": {"raw": good.fabric_json, "data": data}}, separators=(",", ":")
        )

    huge = render_digit(3, style, template, scale=4000 / style.size)
    oversized_megabytes = 6  # just over the app's 5 MB server.maxWidgetStateSize (.streamlit/config.toml)
    return [
        BadInput(
            "garbage_json",
            "a json_value that is not JSON",
            '{"drawing": {"raw": {"obj',
            framework_limitation=_NON_JSON_LIMITATION,
        ),
        BadInput(
            "wrong_shape_json",
            'valid JSON of the wrong shape ({"drawing": "..."})',
            '{"drawing":"not a drawing"}',
        ),
        BadInput(
            "non_png_data_url",
            "a data URL whose bytes are not a PNG",
            with_data("data:image/png;base64," + base64.b64encode(b"not a png at all").decode()),
        ),
        BadInput("not_a_data_url", "image data that is not a data URL", with_data("hello")),
        BadInput(
            "huge_image",
            f"a 4000x4000 PNG ({len(huge.png) // 1024} KB, 64 MB decoded)",
            huge.state_json,
        ),
        BadInput(
            "oversized_message",
            f"a {oversized_megabytes} MB data URL, over server.maxWidgetStateSize",
            with_data("data:image/png;base64," + "A" * (oversized_megabytes * 1_000_000)),
            closes_socket=True,
        ),
        BadInput(
            "deep_json",
            "JSON nested 5,000 deep (Python's parser raises RecursionError, not a JSON error)",
            '{"drawing":' + "[" * 5000 + "]" * 5000 + "}",
        ),
        BadInput("empty_state", "an empty component state ({})", "{}"),
        BadInput(
            "blank_canvas",
            "a cleared canvas: no strokes, a blank PNG",
            blank_drawing(style, template).state_json,
        ),
    ]


async def _answer_good_drawing(
    session: StreamlitSession,
    page: RunResult,
    good: Drawing,
    settings: LoadSettings,
) -> tuple[str | None, list[str]]:
    """The answer and the exceptions for a good drawing in this session."""
    try:
        result, exceptions = await draw(session, page, good, settings.canvas_key, settings.timeout)
    except LookupError as error:  # the page no longer shows the canvas
        return None, _exception_texts(page) or [str(error)]
    except (ConnectionClosed, RunTimeoutError) as error:
        return None, [f"{type(error).__name__}: {error}"]
    return prediction(result), exceptions


async def _try_bad_input(
    settings: LoadSettings, template: CanvasTemplate, bad: BadInput, good: Drawing
) -> dict[str, Any]:
    """One bad input in a session of its own, then a good drawing in it."""
    case: dict[str, Any] = {
        "case": bad.name,
        "description": bad.description,
        "answer": None,
        "socket_closed": None,
        "socket_close_expected": bad.closes_socket,
        "exceptions": [],
        "error_alerts": [],
    }
    session, page = await open_page(settings.url, template, settings.timeout)
    try:
        reconnect = False
        try:
            result = await send_stroke(
                session, page, bad.state_json, settings.canvas_key, settings.timeout
            )
            case["answer"] = prediction(result)
            case["exceptions"] = _exception_texts(result)
            case["error_alerts"] = result.error_alerts
            page = result
        except ConnectionClosed as closed:
            case["socket_closed"] = closed.rcvd.code if closed.rcvd else None
            reconnect = True
        except RunTimeoutError:
            case["exceptions"] = ["timeout"]
            await session.close()
            reconnect = True
        if reconnect:
            # Back to the same session, as the browser does.
            session, page = await open_page(
                settings.url, template, settings.timeout, session.session_id
            )
        case["recovery_answer"], case["recovery_exceptions"] = await _answer_good_drawing(
            session, page, good, settings
        )
    finally:
        await session.close()
    return case


async def run_bad_input(
    settings: LoadSettings, template: CanvasTemplate, style: CanvasStyle
) -> dict[str, Any]:
    """Send each bad input in a fresh session and check that the session
    then still answers a good drawing with no exception on the page, and that
    a new session (another user) is not affected either.
    """
    good = render_digit(3, style, template)
    warm_up = dataclasses.replace(settings, timeout=max(settings.timeout, 120.0))
    session, page = await open_page(settings.url, template, warm_up.timeout)
    try:
        expected, reference_exceptions = await _answer_good_drawing(session, page, good, warm_up)
    finally:
        await session.close()

    cases = []
    for bad in bad_inputs(style, template):
        case = await _try_bad_input(settings, template, bad, good)
        case["recovered"] = case["recovery_answer"] == expected and not case["recovery_exceptions"]
        # Another user arriving now.
        session, page = await open_page(settings.url, template, settings.timeout)
        try:
            other_answer, other_exceptions = await _answer_good_drawing(
                session, page, good, settings
            )
        finally:
            await session.close()
        case["other_sessions_ok"] = other_answer == expected and not other_exceptions
        case["framework_limitation"] = bad.framework_limitation
        cases.append(case)

    def acceptable(case: dict[str, Any]) -> bool:
        if not case["other_sessions_ok"]:
            return False
        return case["recovered"] or bool(case["framework_limitation"])

    return {
        "url": settings.url,
        "good_drawing_answer": expected,
        "good_drawing_exceptions": reference_exceptions,
        "cases": cases,
        "exceptions_on_bad_input": sum(bool(c["exceptions"]) for c in cases),
        "ok": expected is not None
        and not reference_exceptions
        and all(acceptable(case) for case in cases),
    }


# --------------------------------------------------------------------------
# Uploads: a visitor sending hostile files while the others draw
# --------------------------------------------------------------------------

# What digit_app/draw_page.py's upload_ui shows: the uploader sits in a stateful expander and is
# built only when the expander is open; a read upload is an st.metric, a refused one an st.error.
UPLOAD_EXPANDER_LABEL = "Or upload a photo or scan of handwritten digits"
UPLOADER_LABEL = "PNG, JPEG, BMP or WebP"
UPLOAD_PREDICTION_LABEL = "Prediction for the upload"
# A hostile upload that has not answered in time keeps running on the server (a script run
# cannot be interrupted in C code); the visitor reloads the page and goes on. At most this many
# such runs are left behind at once, then the visitor waits for one to end: one visitor's worth
# of load, and a bounded amount of memory on a shared machine.
MAX_UPLOADS_LEFT_RUNNING = 1
# What an error shown to a visitor must never contain: a traceback, a Python repr.
LEAK_MARKERS = ("Traceback", "object at 0x", "<")


@dataclass(frozen=True)
class FileToUpload:
    name: str
    description: str
    data: bytes
    content_type: str
    digit: int | None = None  # what a real drawing must read as; None for a hostile file


def hostile_files() -> list[FileToUpload]:
    """Every picture of bench/hostile_files.py's catalogue, as the visitor uploads it: the ones to
    refuse (scan bomb, 40 MP PNG/WebP, RLE BMP, not a picture, ...) and the largest ones accepted.
    All are under the app's 5 MB upload limit, so each reaches the page's decoding."""
    return [
        FileToUpload(picture.name, picture.description, picture.make(), mimetypes.guess_type(picture.name)[0])
        for picture in PICTURES.values()
    ]


def digit_upload(digit: int, style: CanvasStyle) -> FileToUpload:
    """A real upload: the PNG of a drawn digit, as a visitor might save and upload it."""
    return FileToUpload(f"digit-{digit}.png", f"PNG of a drawn {digit}", render_digit_png(digit, style), "image/png", digit)


@dataclass
class UploaderTab:
    """A tab with the upload expander open, uploading one file after another like a visitor."""

    session: StreamlitSession
    expander_id: str
    uploader_id: str
    uploaded: UploadedFileInfo | None = None

    @classmethod
    async def open(cls, url: str, template: CanvasTemplate, timeout: float) -> UploaderTab:
        """Load the page and open the expander (a rerun: only then does the page build the uploader)."""
        session, page = await open_page(url, template, timeout)
        try:
            expander_id = page.expander_id(UPLOAD_EXPANDER_LABEL)
            page = await session.rerun([bool_state(expander_id, True)], timeout=timeout)
            return cls(session, expander_id, page.widget("file_uploader", UPLOADER_LABEL).id)
        except BaseException:
            await session.close()
            raise

    async def upload(self, file: FileToUpload, timeout: float) -> RunResult:
        """Put the file in the uploader (the previous one is deleted, as the uploader does when a
        file replaces another) and wait for the rerun that reads it."""
        if self.uploaded is not None:
            await self.session.delete_file(self.uploaded, timeout=timeout)
            self.uploaded = None
        self.uploaded = await self.session.upload_file(file.name, file.data, file.content_type, timeout=timeout)
        return await self.session.rerun(
            [bool_state(self.expander_id, True), file_uploader_state(self.uploader_id, [self.uploaded])],
            timeout=timeout,
        )


@dataclass
class UploadOutcome:
    """How the page answered one upload."""

    file: str
    sent_at: float = 0.0  # perf_counter when the upload started
    # Upload started -> its rerun's script_finished, also when that came after answer_within.
    seconds: float | None = None
    answered_in_time: bool = False
    answer: str | None = None  # the "Prediction for the upload" metric
    error_alerts: list[str] = field(default_factory=list)
    # Every alert in the expander ("error: ...", "info: ..."): what the visitor reads there.
    alerts: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    failure: str = ""  # refused by the server, dropped socket, still running at the end

    @property
    def leaks(self) -> bool:
        """An exception element, or an error whose text shows a traceback or a Python repr."""
        return bool(self.exceptions) or any(marker in text for text in self.error_alerts for marker in LEAK_MARKERS)


async def upload_and_read(tab: UploaderTab, file: FileToUpload, timeout: float, outcome: UploadOutcome) -> None:
    """Upload the file in this tab and fill in the outcome (also when the caller stopped waiting)."""
    outcome.sent_at = time.perf_counter()
    try:
        result = await tab.upload(file, timeout)
    except UploadError as error:
        outcome.failure = str(error)
        return
    except ConnectionClosed:
        outcome.failure = "dropped socket"
        return
    except RunTimeoutError:
        outcome.failure = f"no answer within {timeout:.0f} s"
        return
    outcome.seconds = time.perf_counter() - outcome.sent_at
    values = result.metric_values(UPLOAD_PREDICTION_LABEL)
    outcome.answer = values[-1].strip() if values else None
    outcome.error_alerts = list(result.error_alerts)
    outcome.exceptions = _exception_texts(result)
    try:
        outcome.alerts = result.alerts(under=result.expander_path(UPLOAD_EXPANDER_LABEL))
    except LookupError:  # the run stopped before the page was built: its exception is all there is
        outcome.alerts = []


async def hostile_uploader(
    settings: LoadSettings,
    template: CanvasTemplate,
    files: list[FileToUpload],
    answer_within: float,
    stop_at: float,
    outcomes: list[UploadOutcome],
) -> None:
    """One visitor uploading the files in turn until stop_at, in one tab while it answers.

    An upload not answered within `answer_within` s is left running: the visitor reloads the page
    (a new tab, a new session) and uploads the next file; the outcome still gets the time of the
    late answer if it comes before stop_at.
    """
    tab: UploaderTab | None = None
    left_running: list[tuple[asyncio.Task[None], UploaderTab]] = []
    try:
        for file in itertools.cycle(files):
            if time.perf_counter() >= stop_at:
                break
            if tab is None:
                try:
                    tab = await UploaderTab.open(settings.url, template, settings.timeout)
                except (OSError, InvalidHandshake, ConnectionClosed, RunTimeoutError, LookupError) as error:
                    outcomes.append(UploadOutcome(file.name, failure=f"page not ready: {type(error).__name__}: {error}"))
                    await asyncio.sleep(1.0)
                    continue
            outcome = UploadOutcome(file.name)
            outcomes.append(outcome)
            until_the_end = max(0.0, stop_at - time.perf_counter())
            # The run is never abandoned for taking long: the load's end cancels it.
            attempt = asyncio.create_task(upload_and_read(tab, file, until_the_end + answer_within, outcome))
            done, _pending = await asyncio.wait({attempt}, timeout=min(answer_within, until_the_end))
            if done:
                outcome.answered_in_time = outcome.seconds is not None
                if outcome.failure:  # the tab is out of step with the server: reload
                    await tab.session.close()
                    tab = None
                continue
            left_running.append((attempt, tab))
            tab = None
            while sum(not task.done() for task, _tab in left_running) > MAX_UPLOADS_LEFT_RUNNING:
                running = {task for task, _tab in left_running if not task.done()}
                await asyncio.wait(running, timeout=max(0.0, stop_at - time.perf_counter()),
                                   return_when=asyncio.FIRST_COMPLETED)
                if time.perf_counter() >= stop_at:
                    break
    finally:
        for task, _tab in left_running:
            task.cancel()
        await asyncio.gather(*(task for task, _tab in left_running), return_exceptions=True)
        for _task, left_tab in left_running:
            await left_tab.session.close()
        if tab is not None:
            await tab.session.close()
    ended = time.perf_counter()
    # An upload whose task had not started yet when the load ended was never sent.
    outcomes[:] = [outcome for outcome in outcomes if outcome.sent_at or outcome.failure]
    for outcome in outcomes:
        if outcome.seconds is None and not outcome.failure:
            outcome.failure = f"no answer after {ended - outcome.sent_at:.0f} s, when the load ended"


def summarize_uploads(files: list[FileToUpload], outcomes: list[UploadOutcome], answer_within: float) -> list[dict[str, Any]]:
    """Per file: how often it was sent, how it was answered and how fast."""
    rows = []
    for file in files:
        mine = [outcome for outcome in outcomes if outcome.file == file.name]
        shown = Counter()
        for outcome in mine:
            if outcome.failure:
                shown[outcome.failure] += 1
            elif outcome.answer is not None:
                shown[f"{UPLOAD_PREDICTION_LABEL}: {outcome.answer}"] += 1
            elif outcome.alerts:
                shown.update(outcome.alerts)
            elif outcome.exceptions:
                shown.update(f"exception: {text}" for text in outcome.exceptions)
            else:
                shown["neither an answer nor a message"] += 1
        rows.append(
            {
                "file": file.name,
                "description": file.description,
                "bytes": len(file.data),
                "sent": len(mine),
                "answered_within_s": answer_within,
                "answered_in_time": sum(outcome.answered_in_time for outcome in mine),
                "seconds": summary_ms([o.seconds for o in mine if o.seconds is not None]),
                "shown": dict(shown),
                "exceptions": sum(len(outcome.exceptions) for outcome in mine),
                "leaks": sum(outcome.leaks for outcome in mine),
                "expected_digit": file.digit,
                "read_right": None if file.digit is None else sum(o.answer == str(file.digit) for o in mine),
            }
        )
    return rows


async def run_hostile_uploads(
    settings: LoadSettings,
    template: CanvasTemplate,
    drawings: list[Drawing],
    style: CanvasStyle,
    server_pid: int | None = None,
    answer_within: float = 30.0,
) -> dict[str, Any]:
    """The load twice: the users alone (baseline), then the same users while one more visitor
    uploads a real digit and the hostile files in a loop; stroke latency side by side."""
    files = [digit_upload(3, style), *hostile_files()]
    baseline = await run_load(settings, template, drawings, server_pid=server_pid)
    outcomes: list[UploadOutcome] = []

    async def visitor(stop_at: float) -> None:
        await hostile_uploader(settings, template, files, answer_within, stop_at, outcomes)

    hostile = await run_load(settings, template, drawings, server_pid=server_pid, alongside=visitor)
    baseline_p95, hostile_p95 = baseline["latency"]["p95_ms"], hostile["latency"]["p95_ms"]
    uploads = summarize_uploads(files, outcomes, answer_within)
    real = uploads[0]
    return {
        "baseline": baseline,
        "hostile": hostile,
        "uploads": uploads,
        "p95_ratio": round(hostile_p95 / baseline_p95, 2) if baseline_p95 and hostile_p95 else None,
        "within_2x_p95": bool(baseline_p95 and hostile_p95 and hostile_p95 <= 2 * baseline_p95),
        "real_upload_read_right": bool(real["sent"]) and real["read_right"] == real["sent"],
        "leaks": sum(row["leaks"] for row in uploads),
    }


# --------------------------------------------------------------------------
# Fixture capture (a real browser)
# --------------------------------------------------------------------------

def capture_canvas_backmsg(url: str, output: Path, chromium: str) -> BackMsg:
    """Draw one stroke in Chromium and save the BackMsg the page sends for it."""
    from playwright.sync_api import sync_playwright

    frames: list[bytes] = []
    with sync_playwright() as playwright:
        # The browser tests' launch flags (offline, headless, no sandbox as root): one list for all.
        browser = launch_chromium(playwright, chromium)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.on(
                "websocket",
                lambda websocket: websocket.on(
                    "framesent",
                    lambda payload: frames.append(payload) if isinstance(payload, bytes) else None,
                ),
            )
            page.goto(url)
            # Fabric draws on a stack of canvases and takes the pointer on
            # the top one ("upper-canvas"); charts on the page have canvases
            # of their own.
            drawing_surface = page.locator("canvas.upper-canvas").first
            drawing_surface.wait_for(state="visible", timeout=90_000)
            box = drawing_surface.bounding_box()
            assert box is not None, "the canvas is not visible"
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2)
            page.mouse.down()
            for step in range(1, 20):
                page.mouse.move(
                    box["x"] + box["width"] / 2,
                    box["y"] + box["height"] * (0.2 + 0.6 * step / 19),
                )
            page.mouse.up()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                for frame in frames:
                    back_msg = BackMsg()
                    back_msg.ParseFromString(frame)
                    try:
                        canvas_widget_state(back_msg)
                    except ValueError:
                        continue  # the page load, another widget
                    output.parent.mkdir(parents=True, exist_ok=True)
                    output.write_bytes(frame)
                    return back_msg
                page.wait_for_timeout(200)
        finally:
            browser.close()
    raise SystemExit("the page sent no canvas state after the stroke")


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    return "-" if value is None else str(value)


def _report_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    latency, page_load = summary["latency"], summary["page_load"]
    memory = summary["server_memory_mb"] or {}
    return [
        ("users x interval", f"{summary['users']} x {summary['interval_s']} s"),
        ("elapsed", f"{summary['elapsed_s']} s"),
        ("drawings sent", _fmt(summary["drawings"])),
        ("reruns (1 per stroke)", _fmt(summary["reruns"])),
        ("answered", _fmt(summary["answered"])),
        ("drawings / s", _fmt(summary["drawings_per_second"])),
        ("latency p50 ms", _fmt(latency["p50_ms"])),
        ("latency p95 ms", _fmt(latency["p95_ms"])),
        ("latency max ms", _fmt(latency["max_ms"])),
        ("page load p50 ms", _fmt(page_load["p50_ms"])),
        ("wrong (vs digit)", _fmt(summary["wrong"])),
        ("crossed (vs solo)", _fmt(summary["crossed"])),
        ("missing", _fmt(summary["missing"])),
        ("exceptions", _fmt(summary["exceptions"])),
        ("st.error boxes", _fmt(summary["error_alerts"])),
        ("dropped sockets", _fmt(summary["dropped_sockets"])),
        ("timeouts", _fmt(summary["timeouts"])),
        ("connect failures", _fmt(summary["connect_failures"])),
        ("solo accuracy", _fmt(summary["solo_accuracy"])),
        ("server log tracebacks", _fmt(summary.get("server_log_errors"))),
        ("server RSS before MB", _fmt(memory.get("before"))),
        ("  after warm-up MB", _fmt(memory.get("after_warmup"))),
        ("  peak under load MB", _fmt(memory.get("peak"))),
        ("  after MB", _fmt(memory.get("after"))),
        ("  after each round MB", ", ".join(_fmt(m) for m in memory.get("after_each_round") or []) or "-"),
        ("  ... sessions expired MB",
         ", ".join(_fmt(m) for m in memory.get("after_each_round_sessions_expired") or []) or "-"),
        ("load generator CPU s", _fmt(summary["load_generator_cpu_s"])),
        ("server CPU s", _fmt(summary["server_cpu_s"])),
        ("  ms per drawing", _fmt(summary["server_cpu_ms_per_drawing"])),
        ("drawings per replica", ", ".join(f"{r}: {n}" for r, n in summary["drawings_per_replica"].items()) or "-"),
        ("OK", "yes" if summary["ok"] else "NO"),
    ]


def format_table(columns: dict[str, dict[str, Any]]) -> str:
    """One column per run, one row per figure."""
    rows = {name: _report_rows(summary) for name, summary in columns.items()}
    labels = [label for label, _value in next(iter(rows.values()))]
    headers = ["", *columns]
    body = [[label, *(dict(rows[name])[label] for name in columns)] for label in labels]
    widths = [max(len(str(row[i])) for row in [headers, *body]) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in body
    ]
    lines += [
        "",
        "wrong: not the digit drawn. crossed: not what the page answered for the same drawing",
        "with one user alone (must be 0). missing: no Prediction metric, no reply or no socket.",
        "Latency: last stroke sent -> script_finished. OK: no crossed, missing, exception or drop.",
    ]
    for name, summary in columns.items():
        if summary["exception_messages"]:
            lines.append(f"\n{name}: exceptions shown on the page:")
            lines += [
                f"  {count} x {message}" for message, count in summary["exception_messages"].items()
            ]
        if summary["failures"]:
            lines.append(f"{name}: failures: {summary['failures']}")
    return "\n".join(lines)


def format_bad_input(report: dict[str, Any]) -> str:
    lines = [f"good drawing answered: {report['good_drawing_answer']}", ""]
    for case in report["cases"]:
        shown = "; ".join(case["exceptions"]) or "no exception"
        if case["answer"] is not None:
            shown += f", Prediction shows {case['answer']}"
        if case["error_alerts"]:
            shown += f"; st.error: {'; '.join(case['error_alerts'])}"
        if case["socket_closed"] is not None:
            shown = f"socket closed ({case['socket_closed']})" + (
                ", as expected" if case["socket_close_expected"] else ""
            )
        if case["recovered"]:
            status = "recovered"
        elif case["framework_limitation"]:
            status = "STREAMLIT BUG"
        else:
            status = "NOT RECOVERED"
        lines.append(f"{case['case']:<18} {status:<14} {case['description']}")
        lines.append(f"{'':<18} {'':<14} bad input -> {shown}")
        after = f"then answered {case['recovery_answer']}"
        if case["recovery_exceptions"]:
            after += f" with: {'; '.join(case['recovery_exceptions'])}"
        if not case["other_sessions_ok"]:
            after += "; OTHER SESSIONS AFFECTED"
        lines.append(f"{'':<18} {'':<14} {after}")
        if case["framework_limitation"] and not case["recovered"]:
            lines.append(f"{'':<18} {'':<14} ({case['framework_limitation']})")
    lines.append("")
    lines.append(
        f"{report['exceptions_on_bad_input']} bad input(s) showed an exception on the page; "
        f"OK: {'yes' if report['ok'] else 'NO'}"
    )
    return "\n".join(lines)


def format_hostile_uploads(report: dict[str, Any]) -> str:
    """The two load columns side by side, then how each upload was answered."""
    lines = [
        format_table({"users alone": report["baseline"], "with hostile uploads": report["hostile"]}),
        "",
        (
            f"stroke latency p95 with / without the hostile uploads: {_fmt(report['p95_ratio'])}x "
            f"(target: at most 2x) -> {'within' if report['within_2x_p95'] else 'NOT within'} 2x"
        ),
        "",
        "Uploads (one visitor, in a loop; time: upload started -> the page's answer):",
    ]
    for row in report["uploads"]:
        times = row["seconds"]
        timing = (
            f"{row['answered_in_time']}/{row['sent']} answered within {row['answered_within_s']:g} s; "
            f"p50 {_fmt(times['p50_ms'])} ms, max {_fmt(times['max_ms'])} ms"
        )
        lines.append(f"  {row['file']:<14} {row['bytes'] // 1024:>5} KB  {row['description']}")
        lines.append(f"  {'':<14} {'':>8}  {timing}; exceptions {row['exceptions']}, traceback/repr leaks {row['leaks']}")
        for text, count in row["shown"].items():
            lines.append(f"  {'':<14} {'':>8}  {count} x {text}")
    lines.append("")
    lines.append(
        f"real upload read right: {'yes' if report['real_upload_read_right'] else 'NO'}; "
        f"replies with an exception or a leaked traceback/repr: {report['leaks']}"
    )
    return "\n".join(lines)


def format_answers(report: dict[str, Any]) -> str:
    """The two load columns side by side, then the answers against the rows stored."""
    answers = report["answering"]["answers"]
    acknowledge = answers["acknowledge"]
    ratio = report["p50_ratio"]
    lines = [
        format_table({"drawing only": report["baseline"], "drawing and answering": report["answering"]}),
        "",
        (
            f"answers sent {answers['sent']}, acknowledged {answers['acknowledged']} "
            f"(the \"on the wall\" toast came), refused {answers['refused']}"
        ),
        *(f"  {count} x {text}" for text, count in answers["refusal_texts"].items()),
        (
            f"time to acknowledge (Right pressed -> new canvas and toast): p50 {_fmt(acknowledge['p50_ms'])} ms, "
            f"p95 {_fmt(acknowledge['p95_ms'])} ms, max {_fmt(acknowledge['max_ms'])} ms"
        ),
        (
            f"stroke latency p50 answering / drawing only: {_fmt(ratio)}x (target: at most 1.2x) -> "
            f"{'within' if ratio is not None and ratio <= 1.2 else 'NOT within'} 1.2x"
        ),
        f"acknowledged {answers['acknowledged']}, stored {report['stored']}: lost {report['lost']} (must be 0)",
        (
            f"\"{DATABASE_LOCKED}\": {report['database_locked_on_pages']} on pages, "
            f"{report['database_locked_in_server_log']} in the server log"
        ),
        f"OK (answers acknowledged, none lost, no lock, no crossed/missing/exception): {'yes' if report['ok'] else 'NO'}",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    target = parser.add_argument_group("target")
    target.add_argument("--url", default="http://localhost:8501", help="a running app")
    target.add_argument(
        "--start-server",
        metavar="SCRIPT",
        type=Path,
        help="start `streamlit run SCRIPT` on a free port and measure its memory",
    )
    target.add_argument(
        "--server-pid", type=int, help="with --url: pid of that server, to measure its memory"
    )
    target.add_argument(
        "--compare",
        nargs=2,
        metavar=("SCRIPT", "BASELINE"),
        type=Path,
        help="run the same load against two scripts, one after the other",
    )
    load = parser.add_argument_group("load")
    load.add_argument("--users", type=int, default=20)
    load.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    load.add_argument(
        "--interval",
        type=float,
        default=2.0,
        help="seconds between the starts of one user's drawings",
    )
    load.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one rerun")
    load.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the load with new users each time; reports memory after each round",
    )
    load.add_argument(
        "--expire-wait",
        type=float,
        default=0.0,
        help="after each round, wait this many seconds (Streamlit keeps a closed session 120 s) "
        "and measure memory again",
    )
    load.add_argument(
        "--digits-dir",
        type=Path,
        help="draw the PNGs in DIR (named after their digit: 3.png, 7_b.png)",
    )
    canvas = parser.add_argument_group("canvas (must match the app's st_canvas)")
    canvas.add_argument(
        "--canvas-key", help="key of the canvas to draw on (default: the page's only canvas)"
    )
    canvas.add_argument("--canvas-size", type=int, default=CanvasStyle.size)
    canvas.add_argument("--stroke-width", type=int, default=CanvasStyle.stroke_width)
    canvas.add_argument("--stroke-color", default=CanvasStyle.stroke_color)
    canvas.add_argument(
        "--background-color", default=CanvasStyle.background_color, help='"" for transparent'
    )
    modes = parser.add_argument_group("other modes")
    modes.add_argument(
        "--bad-input",
        action="store_true",
        help="send malformed canvas states and check the session recovers",
    )
    modes.add_argument(
        "--hostile-uploads",
        action="store_true",
        help="run the load twice: the users alone, then with one more visitor uploading a real "
        "digit and hostile files in a loop; stroke latency side by side, how each upload was answered",
    )
    modes.add_argument(
        "--answer-within",
        type=float,
        default=30.0,
        help="with --hostile-uploads: seconds an upload gets before the visitor reloads the page "
        "and goes on (the upload keeps running on the server)",
    )
    modes.add_argument(
        "--answer",
        action="store_true",
        help="run the load twice: drawing only, then pressing Right after each reading; answers "
        "acknowledged vs stored, time to acknowledge, stroke latency side by side",
    )
    modes.add_argument(
        "--drawings-db",
        metavar="URL",
        help="with --answer: the database the server stores answers in (given to a started server "
        "as DRAWINGS_DB; default a fresh SQLite file in a temporary folder)",
    )
    modes.add_argument(
        "--capture-fixture",
        metavar="PATH",
        type=Path,
        help="record the BackMsg Chromium sends after a stroke into PATH",
    )
    modes.add_argument("--chromium", default=str(CHROMIUM_PATH))
    modes.add_argument(
        "--write-digits",
        metavar="DIR",
        type=Path,
        help="write the built-in digit PNGs to DIR and exit",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


async def _with_server(script: Path | None, url: str, job: Any) -> Any:
    """Run job(url, server) against a server we start, or else the given URL."""
    if script is None:
        return await job(url, None)
    try:
        with StreamlitServer(script) as server:
            return await job(server.url, server)
    except ServerStartError as error:
        raise SystemExit(f"streamlit did not start: {error}") from None


async def _main(arguments: argparse.Namespace) -> int:
    style = CanvasStyle(
        size=arguments.canvas_size,
        stroke_width=arguments.stroke_width,
        stroke_color=arguments.stroke_color,
        background_color=arguments.background_color,
    )

    def settings_for(url: str) -> LoadSettings:
        return LoadSettings(
            url=url,
            users=arguments.users,
            duration=arguments.duration,
            interval=arguments.interval,
            timeout=arguments.timeout,
            canvas_key=arguments.canvas_key,
            rounds=arguments.rounds,
            expire_wait=arguments.expire_wait,
        )

    if arguments.capture_fixture:

        async def capture_job(url: str, _server: StreamlitServer | None) -> BackMsg:
            return await asyncio.to_thread(
                capture_canvas_backmsg, url, arguments.capture_fixture, arguments.chromium
            )

        back_msg = await _with_server(arguments.start_server, arguments.url, capture_job)
        client_state = back_msg.rerun_script
        widget = canvas_widget_state(back_msg)
        print(
            f"saved {arguments.capture_fixture} ({back_msg.ByteSize()} bytes): rerun_script "
            f"with {len(client_state.widget_states.widgets)} widget value(s), the canvas's "
            f"{widget.id!r} a json_value of {len(widget.json_value)} chars, "
            f"fragment_id {client_state.fragment_id!r}"
        )
        return 0

    template = CanvasTemplate.from_fixture()
    if arguments.write_digits:
        arguments.write_digits.mkdir(parents=True, exist_ok=True)
        for drawing in render_digits(style, template):
            (arguments.write_digits / f"{drawing.digit}.png").write_bytes(drawing.png)
        print(f"wrote 10 PNGs to {arguments.write_digits}")
        return 0

    if arguments.bad_input:

        async def bad_input_job(url: str, server: StreamlitServer | None) -> dict[str, Any]:
            report = await run_bad_input(settings_for(url), template, style)
            if server:
                report["server_log_errors"] = server.logged_errors()
                report["server_log"] = str(server.log_path)
            return report

        report = await _with_server(arguments.start_server, arguments.url, bad_input_job)
        print(json.dumps(report, indent=2) if arguments.json else format_bad_input(report))
        return 0 if report["ok"] else 1

    drawings = (
        load_digits(arguments.digits_dir, style, template)
        if arguments.digits_dir
        else render_digits(style, template)
    )

    if arguments.hostile_uploads:

        async def hostile_uploads_job(url: str, server: StreamlitServer | None) -> dict[str, Any]:
            pid = server.process.pid if server and server.process else arguments.server_pid
            report = await run_hostile_uploads(
                settings_for(url), template, drawings, style, pid, arguments.answer_within
            )
            if server:
                report["hostile"]["server_log_errors"] = server.logged_errors()
                report["server_log"] = str(server.log_path)
            return report

        report = await _with_server(arguments.start_server, arguments.url, hostile_uploads_job)
        print(json.dumps(report, indent=2) if arguments.json else format_hostile_uploads(report))
        return 0 if report["within_2x_p95"] and report["real_upload_read_right"] and not report["leaks"] else 1

    if arguments.answer:
        if arguments.canvas_key:
            raise SystemExit("--answer draws on each new canvas the page shows: leave out --canvas-key")
        if arguments.start_server is None and not arguments.drawings_db:
            raise SystemExit("--answer with --url needs --drawings-db: the database that server uses")
        with tempfile.TemporaryDirectory(prefix="loadtest-drawings-") as folder:
            drawings_db = arguments.drawings_db or f"sqlite:///{Path(folder) / 'drawings.sqlite3'}"
            os.environ[DB_URL_ENV] = drawings_db  # the server we start inherits it

            async def answers_job(url: str, server: StreamlitServer | None) -> dict[str, Any]:
                pid = server.process.pid if server and server.process else arguments.server_pid
                log = server.log_path if server else None
                report = await run_answers(settings_for(url), template, drawings, drawings_db, pid, log)
                report["drawings_db"] = drawings_db
                if server:
                    report["answering"]["server_log_errors"] = server.logged_errors()
                    report["server_log"] = str(server.log_path)
                return report

            report = await _with_server(arguments.start_server, arguments.url, answers_job)
        print(json.dumps(report, indent=2) if arguments.json else format_answers(report))
        return 0 if report["ok"] else 1

    async def load_job(url: str, server: StreamlitServer | None) -> dict[str, Any]:
        pid = server.process.pid if server and server.process else arguments.server_pid
        summary = await run_load(settings_for(url), template, drawings, server_pid=pid)
        if server:
            summary["script"] = str(server.script)
            summary["server_log_errors"] = server.logged_errors()
            summary["server_log"] = str(server.log_path)
        return summary

    scripts = arguments.compare or [arguments.start_server]
    summaries = {
        str(script or arguments.url): await _with_server(script, arguments.url, load_job)
        for script in scripts
    }
    if arguments.json:
        print(
            json.dumps(summaries if arguments.compare else next(iter(summaries.values())), indent=2)
        )
    else:
        print(format_table(summaries))
    return 0 if all(summary["ok"] for summary in summaries.values()) else 1


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(_main(_parse_arguments(argv)))


if __name__ == "__main__":
    sys.exit(main())
