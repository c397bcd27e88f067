"""Does the server's memory come back after visitors sent the largest drawings it accepts?

    python bench/large_drawings.py --start-server app.py --sessions 8

Each of --sessions visitors opens the page and draws, stroke after stroke, a scribble whose canvas
state comes near the server's limit (server.maxWidgetStateSize, .streamlit/config.toml): the
largest drawing a browser can send. All stay on the page, then leave at once. The server's memory
(its process tree's RSS) is sampled when warm, with the visitors on the page, just after they
left, once Streamlit's closed-session cache (120 s) let them go, and --settle seconds after a new
visitor arrived (Streamlit purges expired sessions lazily, on the next session's arrival). Every session must then
still read a real digit right: the large drawings cost memory, never answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import numpy as np

from bench.loadtest import (
    CanvasStyle,
    CanvasTemplate,
    Drawing,
    _encode_png,
    _exception_texts,
    _fabric_canvas,
    _fabric_object,
    _megabytes,
    _render,
    fabric_path_commands,
    open_page,
    prediction,
    render_digit,
    send_stroke,
)
from bench.server import ServerStartError, StreamlitServer, process_tree_rss_bytes

SESSION_EXPIRY_SECONDS = 130  # Streamlit keeps a closed session 120 s
SETTLE_SECONDS = 35  # the app collects its garbage every 30 s (digit_app/workarounds.py)
TIMEOUT = 120.0


def scribble_strokes(stroke_count: int, points: int, size: int, seed: int) -> list[list[list[Any]]]:
    """stroke_count random walks of `points` points each, as Fabric path commands on a size-px canvas."""
    rng = np.random.default_rng(seed)
    strokes = []
    for _ in range(stroke_count):
        steps = rng.normal(0, size / 60, size=(points, 2))
        walk = np.clip(rng.uniform(0, size, 2) + np.cumsum(steps, axis=0), 2, size - 2)
        strokes.append(fabric_path_commands([(round(float(x), 2), round(float(y), 2)) for x, y in walk]))
    return strokes


def large_drawing(style: CanvasStyle, template: CanvasTemplate, strokes: list[list[list[Any]]], stroke_count: int) -> Drawing:
    """The canvas state after the first stroke_count strokes of a scribble."""
    drawn = strokes[:stroke_count]
    return Drawing(digit=-1, name=f"scribble-{stroke_count}", png=_encode_png(_render(drawn, style)),
                   fabric_json=_fabric_canvas(template, style, [_fabric_object(template, style, path) for path in drawn]))


async def visitor(url: str, template: CanvasTemplate, states: list[str], good: Drawing,
                  drawn: asyncio.Event, leave: asyncio.Event) -> dict[str, Any]:
    """Draw the large states one after the other, then a real digit; stay on the page until told to leave."""
    session, page = await open_page(url, template, TIMEOUT)
    try:
        exceptions: list[str] = []
        for state in [*states, *good.stroke_states]:  # the digit drawn over a cleared canvas
            page = await send_stroke(session, page, state, None, TIMEOUT)
            exceptions += _exception_texts(page)
        drawn.set()
        await leave.wait()
        return {"answer": prediction(page), "exceptions": exceptions}
    finally:
        drawn.set()
        await session.close()


async def read_digit(url: str, template: CanvasTemplate, good: Drawing) -> str | None:
    """A new visitor draws a real digit; what the page answers."""
    session, page = await open_page(url, template, TIMEOUT)
    try:
        for state in good.stroke_states:
            page = await send_stroke(session, page, state, None, TIMEOUT)
        return prediction(page)
    finally:
        await session.close()


async def run(url: str, server_pid: int, sessions: int, strokes: int, points: int, expire_wait: float,
              settle: float) -> dict[str, Any]:
    style = CanvasStyle()
    template = CanvasTemplate.from_fixture()
    good = render_digit(3, style, template)
    scribble = scribble_strokes(strokes, points, style.size, seed=5)
    # Its last three strokes' states (each rerun sends the whole canvas so far).
    states = [large_drawing(style, template, scribble, count).state_json for count in (strokes - 2, strokes - 1, strokes)]

    def megabytes() -> float | None:
        return _megabytes(process_tree_rss_bytes(server_pid))

    expected = await read_digit(url, template, good)  # warm: models loaded, a first run done
    memory = {"warm": megabytes(), "on_page_peak": 0.0}
    leave = asyncio.Event()
    drawn = [asyncio.Event() for _ in range(sessions)]
    visitors = [asyncio.create_task(visitor(url, template, states, good, event, leave)) for event in drawn]
    while not all(event.is_set() for event in drawn):
        await asyncio.sleep(0.5)
        memory["on_page_peak"] = max(memory["on_page_peak"], megabytes() or 0.0)
    memory["on_page"] = megabytes()
    leave.set()
    outcomes = await asyncio.gather(*visitors)
    await asyncio.sleep(2)
    memory["just_left"] = megabytes()
    await asyncio.sleep(expire_wait)
    memory["sessions_expired"] = megabytes()
    newcomer_answer = await read_digit(url, template, good)  # its arrival purges the expired sessions
    await asyncio.sleep(settle)
    memory["after_a_new_visitor"] = megabytes()
    return {
        "sessions": sessions,
        "state_megabytes": round(len(states[-1]) / 1e6, 2),
        "strokes": strokes,
        "points_per_stroke": points,
        "memory_mb": memory,
        "expected": expected,
        "answers": [outcome["answer"] for outcome in outcomes],
        "newcomer_answer": newcomer_answer,
        "exceptions": sum(len(outcome["exceptions"]) for outcome in outcomes),
        "ok": all(outcome["answer"] == expected for outcome in outcomes) and newcomer_answer == expected,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--start-server", metavar="SCRIPT", help="start `streamlit run SCRIPT` (e.g. app.py)")
    target.add_argument("--url", help="a running app; give its --server-pid too")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--strokes", type=int, default=140, help="the page reads up to 150")
    parser.add_argument("--points", type=int, default=1000, help="points per stroke: sets the state's size")
    parser.add_argument("--expire-wait", type=float, default=SESSION_EXPIRY_SECONDS)
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS,
                        help="seconds after the new visitor before the last sample")
    args = parser.parse_args(argv)
    if args.url:
        if not args.server_pid:
            parser.error("--url needs --server-pid")
        report = asyncio.run(run(args.url, args.server_pid, args.sessions, args.strokes, args.points, args.expire_wait, args.settle))
    else:
        try:
            with StreamlitServer(args.start_server) as server:
                report = asyncio.run(run(server.url, server.process.pid, args.sessions, args.strokes, args.points, args.expire_wait, args.settle))
                report["server_log_errors"] = server.logged_errors()
        except ServerStartError as error:
            sys.exit(f"streamlit did not start: {error}")
    print(json.dumps(report, indent=1))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
