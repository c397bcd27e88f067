"""The wall, for the projector: how to join, and the room's drawings as they are answered."""

from __future__ import annotations

import base64
import hmac
import html
import os

import streamlit as st

from digit_app.learn_from_room import learn_from_room_ui
from digit_app.store import drawings_store
from mnist_core.drawings import StoreUnavailable, WallSummary

PASSCODE_ENV = "PRESENTER_PASSCODE"
PUBLIC_URL_ENV = "PUBLIC_URL"
REFRESH_SECONDS = 2
LATEST_SHOWN = 24


def wall_page() -> None:
    st.title("✏️ Draw a digit: the room")
    join_column, numbers_column = st.columns([1, 3], gap="large", vertical_alignment="center")
    with join_column:
        join_ui()
    with numbers_column:
        live_wall_ui()
    presenter_ui()


def join_ui() -> None:
    """A QR code of the app's address, to draw on a phone."""
    address = os.environ.get(PUBLIC_URL_ENV) or drawing_address()
    st.html(f'<div class="wall-join"><img src="{qr_image(address)}" alt="QR code of {html.escape(address)}">'
            f'<p>Draw on your phone</p><code>{html.escape(address)}</code></div>')


def drawing_address() -> str:
    """The drawing page's address, as this browser reached the wall (behind a proxy: set PUBLIC_URL)."""
    url = st.context.url or "http://localhost:8501/wall"
    return url.split("?")[0].removesuffix("/wall").rstrip("/") + "/"


@st.cache_data(show_spinner=False)
def qr_image(address: str) -> str:
    """A QR code of the address, as an SVG data URI (st.html keeps images, not inline SVG)."""
    import segno

    return segno.make(address, error="m").svg_data_uri(scale=8, dark="#111", light="#fff", border=2)


@st.fragment(run_every=REFRESH_SECONDS)
def live_wall_ui() -> None:
    """The room's numbers and latest drawings, redrawn every few seconds (only this fragment)."""
    try:
        summary = drawings_store().wall_summary(latest=LATEST_SHOWN)
    except StoreUnavailable as error:
        st.warning(str(error))
        return
    drawings, right = st.columns(2)
    drawings.metric("Drawings", f"{summary.drawings:,}", help=f"In round {summary.round_id}")
    right.metric("Model right", f"{summary.confirmed_share:.0%}" if summary.drawings else "–",
                 help="Share of answers that confirmed the model's reading")
    st.html(per_digit_html(summary) + latest_html(summary))


def per_digit_html(summary: WallSummary) -> str:
    """Accuracy per drawn digit as a row of bars, and the most confused pairs, as HTML (no chart to rebuild)."""
    cells = []
    for accuracy in summary.per_digit:
        digit, count, right = accuracy.label, accuracy.count, accuracy.right
        share = right / count if count else 0.0
        cells.append(
            f'<div class="wall-digit" title="{digit}: {right} of {count} read right">'
            f'<div class="wall-bar"><div style="height:{100 * share:.0f}%"></div></div>'
            f"<b>{digit}</b><span>{f'{share:.0%}' if count else '–'}</span></div>"
        )
    pairs = " · ".join(f"{pair.label} read as {pair.predicted}: {pair.count}" for pair in summary.confused)
    confused = f'<p class="wall-confused">Most confused: {pairs}</p>' if pairs else ""
    return f'<div class="wall-digits">{"".join(cells)}</div>{confused}'


def latest_html(summary: WallSummary) -> str:
    """The latest drawings as thumbnails with the model's answer, ✓ or ✗."""
    tiles = []
    for drawing in summary.latest:
        picture = base64.b64encode(drawing.png).decode("ascii")
        mark = "✓" if drawing.right else "✗"
        said = html.escape(drawing.model_text) + ("" if drawing.right else f" → {html.escape(drawing.labels)}")
        tiles.append(
            f'<figure class="wall-tile {"right" if drawing.right else "wrong"}">'
            f'<img src="data:image/png;base64,{picture}" alt="a drawing read as {html.escape(drawing.model_text)}">'
            f"<figcaption>{mark} {said}<small>#{drawing.id}</small></figcaption></figure>"
        )
    return f'<div class="wall-latest">{"".join(tiles)}</div>' if tiles else "<p>No answers yet in this round.</p>"


def configured_passcode() -> str | None:
    """The presenter's passcode: $PRESENTER_PASSCODE, else presenter_passcode in .streamlit/secrets.toml."""
    if passcode := os.environ.get(PASSCODE_ENV):
        return passcode
    try:
        return st.secrets.get("presenter_passcode") or None
    except FileNotFoundError:  # no secrets.toml: no passcode
        return None


def presenter_ui() -> None:
    """New round, hide a drawing, pause answers: only after the presenter's passcode."""
    with st.expander("Presenter", icon=":material/lock:"):
        passcode = configured_passcode()
        if passcode is None:
            st.info(f"Presenter controls are off. To turn them on, set {PASSCODE_ENV} in the server's environment, "
                    "or presenter_passcode in .streamlit/secrets.toml, and restart it.")
            return
        if not st.session_state.get("presenter"):
            given = st.text_input("Passcode", type="password", key="presenter_passcode")
            if given:
                if hmac.compare_digest(given.encode(), passcode.encode()):
                    st.session_state.presenter = True
                    st.rerun()
                st.error("Wrong passcode.")
            return
        presenter_controls_ui()


def presenter_controls_ui() -> None:
    try:
        store = drawings_store()
        paused = store.is_paused()
        new_round, pause = st.columns(2)
        if new_round.button("Start a new round", icon=":material/restart_alt:"):
            st.toast(f"Round {store.start_round().id} started: the wall counts from now.")
        if pause.toggle("Pause answers", value=paused) != paused:
            store.set_paused(not paused)
            st.rerun()
        hide = st.number_input("Hide drawing number", min_value=1, step=1, value=None,
                               help="The number under a drawing on the wall; it is never shown again")
        if hide is not None and st.button("Hide it", icon=":material/visibility_off:"):
            found = store.hide(int(hide))
            st.toast(f"Drawing {int(hide)} hidden." if found else f"There is no drawing {int(hide)}.")
        st.divider()
        learn_from_room_ui(store.model_in_use())
    except StoreUnavailable as error:
        st.warning(str(error))
    except ValueError as error:
        st.error(str(error))
