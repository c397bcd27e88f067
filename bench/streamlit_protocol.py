"""A minimal Streamlit client that speaks the browser's websocket protocol.

A real browser talks to a Streamlit server over one websocket,
``ws://HOST:PORT/_stcore/stream``, exchanging protobuf messages:

* browser -> server: ``BackMsg`` (we only need ``rerun_script``, which carries
  a ``ClientState``: the page, the browser context and every widget value);
* server -> browser: ``ForwardMsg``, one per websocket frame: ``new_session``
  when a script run starts, ``delta`` for each element the script writes,
  ``script_finished`` when the run ends, plus status messages.

This module reproduces what the Streamlit 1.67 frontend does (read from its
connection code and checked against frames captured from Chromium), so a load
test can simulate many users without a browser each:

1. GET the health check with the tab's cookies, as the browser polls it first: its reply sets
   the XSRF cookie, and behind a load balancer (scripts/serve.py) the cookie that names the
   replica holding the session. Then connect, sending those cookies, with the subprotocols
   ``["streamlit", <xsrf token>, <session id>]``.
   The server selects the first one, reads the optional third one to resume a
   session, and does not reject a placeholder xsrf token (it is only used to
   read auth cookies).
2. Send ``rerun_script`` with no widget states: the page load. Every run then
   goes ``new_session`` (its ``metadata.run.script_run_id``, the
   ``page_script_hash`` that later reruns repeat, the session id) ->
   ``delta`` ... -> ``script_finished`` tagged with the same run id.
3. Each widget interaction is another ``rerun_script`` carrying the widget's
   new value in ``widget_states``; for a components-v2 widget that is a
   ``json_value``: ``JSON.stringify`` of the component's whole state dict; for
   a stateful ``st.expander`` (a key and ``on_change``) a ``bool_value``: open.
4. A file goes to an ``st.file_uploader`` in three steps: a ``file_urls_request``
   BackMsg (a request id, the file names, the session id) answered by a
   ``file_urls_response`` ForwardMsg with a file id and upload URL per file;
   an HTTP PUT of multipart form data to that URL (one part, named after the
   file), with the ``_streamlit_xsrf`` cookie echoed in an ``X-Xsrftoken``
   header when XSRF protection is on; then a rerun whose widget state for the
   uploader is a ``file_uploader_state_value`` listing the uploaded files.
5. A button press is a rerun whose widget state for the button is a
   ``trigger_value`` (true for that one run); a button inside an st.fragment
   sends the fragment's id, as any widget of a fragment does.

Nothing here knows about the canvas or digits: that lives in ``loadtest.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Block_pb2 import Block
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import FileURLs, UploadedFileInfo
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.state.common import user_key_from_element_id
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

STREAM_PATH = "_stcore/stream"
# The browser polls it before opening the websocket; its reply sets the XSRF cookie.
HEALTH_PATH = "_stcore/health"
XSRF_COOKIE_NAME = "_streamlit_xsrf"

# What the frontend sends in the xsrf slot when it has no `_streamlit_xsrf`
# cookie. The server only uses that token to decide whether to read auth
# cookies, so a protocol client without cookies sends the same placeholder.
PLACEHOLDER_XSRF_TOKEN = "PLACEHOLDER_AUTH_TOKEN"

# Server messages can be much larger than websockets' 1 MiB default (a
# dataframe, an image): the server's own limit is server.maxMessageSize
# (200 MB by default), so accept whatever it accepts to send.
MAX_FORWARD_MSG_BYTES = 256 * 1024 * 1024

# Statuses that end the run chain a rerun request started. A run that ends
# FINISHED_EARLY_FOR_RERUN (st.rerun(), or a newer request) is followed by
# another run, so we keep waiting.
_FINAL_STATUSES = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


def _http_opener(cookies: CookieJar) -> urllib.request.OpenerDirector:
    """Requests that send and keep the cookies of one browser tab."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))


class RunTimeoutError(TimeoutError):
    """The server did not finish a requested run in time."""


def websocket_url(base_url: str) -> str:
    """Turn the app's http(s) URL into the URL of its websocket stream."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + "/" + STREAM_PATH
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def browser_context(base_url: str) -> ClientState:
    """A ClientState template with the context info headless Chromium sends."""
    client_state = ClientState()
    context = client_state.context_info
    context.timezone = "UTC"
    context.timezone_offset = 0
    context.locale = "en-US"
    context.url = base_url.rstrip("/") + "/"
    context.is_embedded = False
    context.color_scheme = "light"
    return client_state


def component_state(widget_id: str, state: dict[str, Any] | str) -> WidgetState:
    """Encode a components-v2 widget value the way the frontend does.

    The frontend's ``setStateValue(key, value)`` merges ``{key: value}`` into
    the component's current state dict and stores ``JSON.stringify(dict)`` as
    the widget's ``json_value``. ``separators`` reproduces JSON.stringify's
    compact output. A ``str`` is taken as already encoded (and may be
    deliberately broken, to test bad input).
    """
    widget_state = WidgetState(id=widget_id)
    widget_state.json_value = (
        state if isinstance(state, str) else json.dumps(state, separators=(",", ":"))
    )
    return widget_state


def bool_state(widget_id: str, value: bool) -> WidgetState:
    """A checkbox-like value; a stateful st.expander's is whether it is open."""
    widget_state = WidgetState(id=widget_id)
    widget_state.bool_value = value
    return widget_state


def trigger_state(widget_id: str) -> WidgetState:
    """A button's press: its trigger value, true for the one run it starts."""
    widget_state = WidgetState(id=widget_id)
    widget_state.trigger_value = True
    return widget_state


def file_uploader_state(widget_id: str, files: Sequence[UploadedFileInfo]) -> WidgetState:
    """An st.file_uploader's value: the files uploaded to it (none: the uploader is empty)."""
    widget_state = WidgetState(id=widget_id)
    widget_state.file_uploader_state_value.SetInParent()
    widget_state.file_uploader_state_value.uploaded_file_info.extend(files)
    return widget_state


class UploadError(RuntimeError):
    """The server refused a file upload (the HTTP status and reason are in the message)."""


def rerun_backmsg(
    client_state_template: ClientState,
    page_script_hash: str,
    widget_states: Sequence[WidgetState] = (),
    fragment_id: str = "",
) -> BackMsg:
    """The ``rerun_script`` BackMsg a widget change makes the browser send.

    It carries the browser context (from the template), the page being shown
    and widget values; ``fragment_id`` when the changed widget lives in an
    ``st.fragment``. The browser sends every widget's value; a widget left
    out keeps the value the session already has, which for a load test that
    only draws is the same thing.
    """
    back_msg = BackMsg()
    client_state = back_msg.rerun_script
    client_state.CopyFrom(client_state_template)
    client_state.page_script_hash = page_script_hash
    client_state.widget_states.widgets.extend(widget_states)
    client_state.fragment_id = fragment_id
    return back_msg


@dataclass
class ExceptionInfo:
    """An exception the page shows (an ``st.exception``-style element)."""

    type: str
    message: str


@dataclass(frozen=True)
class ComponentInfo:
    """A components-v2 element on the page: what a widget update must name."""

    widget_id: str  # "$$ID-<hash>-<user key>"
    component_name: str  # "<package>.<component>"
    user_key: str
    # Non-empty when the element sits in an st.fragment: the browser then
    # reruns only that fragment when the widget changes.
    fragment_id: str


@dataclass
class _PlacedElement:
    """An element (or a block: a container) of the page as the frontend keeps it between runs."""

    element: Element | Block
    run_id: str
    fragment_id: str


@dataclass
class RunResult:
    """What one requested run (or chain of runs) sent back."""

    run_id: str
    status: str
    # Wall time from sending the request to receiving its script_finished.
    seconds: float
    # True when the server could not handle the request itself (it then shows
    # the exception on an otherwise empty page).
    request_failed: bool = False
    # Exceptions delivered since the request was sent, including late ones
    # from a previous run.
    exceptions: list[ExceptionInfo] = field(default_factory=list)
    # st.error() boxes delivered during this run.
    error_alerts: list[str] = field(default_factory=list)
    # st.toast() texts delivered during this run (a toast is not kept on the page: it fades).
    toasts: list[str] = field(default_factory=list)
    # The page after this run: element tree path -> element, and -> block (containers).
    page: dict[tuple[int, ...], Element] = field(default_factory=dict)
    blocks: dict[tuple[int, ...], Block] = field(default_factory=dict)
    # The components-v2 elements on that page, in page order.
    components: list[ComponentInfo] = field(default_factory=list)
    # Element path -> the st.fragment that wrote it ("" outside fragments).
    fragment_ids: dict[tuple[int, ...], str] = field(default_factory=dict)

    def metric_values(self, label: str) -> list[str]:
        """Values of every st.metric with this label on the page, in page order."""
        return [
            element.metric.body
            for _path, element in sorted(self.page.items())
            if element.WhichOneof("type") == "metric" and element.metric.label == label
        ]

    def expander_path(self, label: str) -> tuple[int, ...]:
        """Where the st.expander with this label is: its contents' paths start with it."""
        for path, block in sorted(self.blocks.items()):
            if block.WhichOneof("type") == "expandable" and block.expandable.label == label:
                return path
        raise LookupError(f"no expander {label!r} on the page")

    def expander_id(self, label: str) -> str:
        """The widget id of the stateful st.expander with this label; LookupError if none."""
        expandable = self.blocks[self.expander_path(label)].expandable
        if not expandable.id:
            raise LookupError(f"the expander {label!r} has no state (no key or on_change)")
        return expandable.id

    def alerts(self, under: tuple[int, ...] = ()) -> list[str]:
        """The st.error/warning/info/success boxes on the page (or inside the block at `under`),
        in page order, as "error: text"."""
        return [
            f"{element.alert.Format.Name(element.alert.format).lower()}: {element.alert.body}"
            for path, element in sorted(self.page.items())
            if path[: len(under)] == under and element.WhichOneof("type") == "alert"
        ]

    def widget(self, kind: str, label: str) -> Any:
        """The first element of this kind ("file_uploader", "button", ...) with this label, as
        its proto (it has the widget's ``id``); LookupError if the page has none."""
        return getattr(self.page[self._widget_path(kind, label)], kind)

    def widget_fragment_id(self, kind: str, label: str) -> str:
        """The st.fragment that widget is in ("" if none): a change to it reruns only that fragment."""
        return self.fragment_ids.get(self._widget_path(kind, label), "")

    def _widget_path(self, kind: str, label: str) -> tuple[int, ...]:
        for path, element in sorted(self.page.items()):
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return path
        raise LookupError(f"no {kind} {label!r} on the page")


class StreamlitSession:
    """One simulated browser tab: a websocket plus the page it shows.

    Not safe to share between tasks: each simulated user owns one.
    """

    def __init__(
        self,
        base_url: str,
        connection: ClientConnection,
        client_state_template: ClientState,
        cookies: CookieJar,
    ) -> None:
        self.base_url = base_url
        self._connection = connection
        self._client_state_template = client_state_template
        self.session_id = ""
        self.page_script_hash = ""
        # The page as the frontend would render it, kept across runs so that
        # a fragment run only replaces its own elements.
        self._page: dict[tuple[int, ...], _PlacedElement] = {}
        self._blocks: dict[tuple[int, ...], _PlacedElement] = {}
        # Cookies of the page's origin: the XSRF cookie (for uploads) and a load balancer's
        # (which replica holds this session); the websocket and every request carry them.
        self.cookies = cookies

    @classmethod
    async def open(
        cls,
        base_url: str,
        *,
        client_state_template: ClientState | None = None,
        resume_session_id: str = "",
        open_timeout: float = 10.0,
        cookies: CookieJar | None = None,
    ) -> StreamlitSession:
        """Open the websocket like the frontend does (no page load yet).

        First the health check the browser polls, with the tab's cookies (``cookies``: a
        reconnecting tab keeps its own; default a new jar): its reply sets the XSRF cookie and,
        behind a load balancer, the cookie naming the replica; the websocket then carries them.
        ``resume_session_id`` is what a reconnecting browser sends to get its old session (and
        session_state) back.
        """
        cookies = CookieJar() if cookies is None else cookies

        def check_health() -> None:
            _http_opener(cookies).open(base_url.rstrip("/") + "/" + HEALTH_PATH, timeout=open_timeout).close()

        await asyncio.to_thread(check_health)
        cookie_carrier = urllib.request.Request(base_url.rstrip("/") + "/" + STREAM_PATH)
        cookies.add_cookie_header(cookie_carrier)
        cookie_header = cookie_carrier.get_header("Cookie")
        subprotocols = ["streamlit", PLACEHOLDER_XSRF_TOKEN]
        if resume_session_id:
            subprotocols.append(resume_session_id)
        connection = await connect(
            websocket_url(base_url),
            subprotocols=subprotocols,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie_header} if cookie_header else None,
            max_size=MAX_FORWARD_MSG_BYTES,
            open_timeout=open_timeout,
        )
        session = cls(
            base_url,
            connection,
            client_state_template or browser_context(base_url),
            cookies,
        )
        session.session_id = resume_session_id
        return session

    def cookie(self, name: str) -> str | None:
        """The value of the page's cookie with this name, or None."""
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    async def close(self) -> None:
        """Close the websocket; the server then disconnects the session."""
        await self._connection.close()

    async def closed_within(self, seconds: float) -> bool:
        """Wait up to `seconds`; True if the websocket closed meanwhile (the server or a balancer
        dropped it), which a browser notices at once rather than at its next message."""
        try:
            await asyncio.wait_for(self._connection.wait_closed(), max(0.0, seconds))
        except TimeoutError:
            return False
        return True

    async def load_page(self, *, timeout: float = 60.0) -> RunResult:
        """The first run after connecting: a rerun with no widget values.

        The browser sends no ``page_script_hash`` here (the server picks the
        main page) and learns it from ``new_session``.
        """
        back_msg = rerun_backmsg(self._client_state_template, page_script_hash="")
        return await self._request_run(back_msg, timeout)

    async def rerun(
        self,
        widget_states: Sequence[WidgetState] = (),
        *,
        fragment_id: str = "",
        timeout: float = 30.0,
    ) -> RunResult:
        """Request a rerun with these widget values, as a widget change does."""
        back_msg = rerun_backmsg(
            self._client_state_template, self.page_script_hash, widget_states, fragment_id
        )
        return await self._request_run(back_msg, timeout)

    async def upload_file(
        self, name: str, data: bytes, content_type: str, *, timeout: float = 30.0
    ) -> UploadedFileInfo:
        """Upload one file as the page's file uploader does, before it reruns the script.

        Returns what the uploader's widget state must list (see ``file_uploader_state``);
        UploadError when the server refuses the file (too large, no such session, XSRF).
        Call it between runs: messages other than the answer are not read into the page.
        """
        (file_urls,) = await self._request_file_urls([name], timeout)
        await asyncio.to_thread(self._put_file, file_urls.upload_url, name, data, content_type, timeout)
        return UploadedFileInfo(name=name, size=len(data), file_id=file_urls.file_id, file_urls=file_urls)

    async def delete_file(self, uploaded: UploadedFileInfo, *, timeout: float = 30.0) -> None:
        """Drop an uploaded file from the server, as the uploader does when it is replaced."""
        request = self._http_request(uploaded.file_urls.delete_url, method="DELETE")
        await asyncio.to_thread(self._http_send, request, timeout)

    async def _request_file_urls(self, file_names: Sequence[str], timeout: float) -> list[FileURLs]:
        """Ask the server over the websocket where to upload these files (one FileURLs each)."""
        back_msg = BackMsg()
        request = back_msg.file_urls_request
        request.request_id = uuid.uuid4().hex
        request.file_names.extend(file_names)
        request.session_id = self.session_id
        await self._connection.send(back_msg.SerializeToString())
        deadline = time.perf_counter() + timeout
        while True:
            # Between runs nothing else changes the page: status messages and heartbeats pass.
            message = await self._receive(deadline, timeout)
            if message.WhichOneof("type") != "file_urls_response":
                continue
            response = message.file_urls_response
            if response.response_id != request.request_id:
                continue
            if response.error_msg:
                raise UploadError(f"no upload URL: {response.error_msg}")
            return list(response.file_urls)

    def _put_file(self, upload_url: str, name: str, data: bytes, content_type: str, timeout: float) -> None:
        """The browser's PUT: multipart form data with one part named after the file."""
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\n'.encode(),
                f"Content-Type: {content_type}\r\n\r\n".encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        request = self._http_request(upload_url, method="PUT", data=body)
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        self._http_send(request, timeout)

    def _http_request(self, server_path: str, method: str, data: bytes | None = None) -> urllib.request.Request:
        """A request to the server with the page's cookies and, like the frontend's
        csrfRequest, the XSRF cookie's value in X-Xsrftoken (when the server set one)."""
        request = urllib.request.Request(self._server_url(server_path), data=data, method=method)
        xsrf_token = self.cookie(XSRF_COOKIE_NAME)
        if xsrf_token:
            request.add_header("X-Xsrftoken", xsrf_token)
        return request

    def _http_send(self, request: urllib.request.Request, timeout: float) -> None:
        try:
            _http_opener(self.cookies).open(request, timeout=timeout).close()
        except urllib.error.HTTPError as error:
            raise UploadError(f"{request.get_method()} refused: HTTP {error.code} {error.reason}") from None

    def _server_url(self, server_path: str) -> str:
        """An absolute URL for a path the server gives relative to its root ("/_stcore/...")."""
        return self.base_url.rstrip("/") + "/" + server_path.lstrip("/")

    async def _request_run(self, back_msg: BackMsg, timeout: float) -> RunResult:
        started = time.perf_counter()
        await self._connection.send(back_msg.SerializeToString())
        return await self._collect_run(started, timeout)

    async def _collect_run(self, started: float, timeout: float) -> RunResult:
        """Read ForwardMsgs until the run chain we triggered has finished.

        The run starts with ``new_session`` (our request's run id) and ends
        with ``script_finished`` carrying the same id. Messages before that
        ``new_session`` belong to earlier runs; only their exceptions are kept.
        """
        deadline = started + timeout
        current_run_id: str | None = None
        current_fragment_ids: list[str] = []
        request_failed = False
        exceptions: list[ExceptionInfo] = []
        error_alerts: list[str] = []
        toasts: list[str] = []

        while True:
            message = await self._receive(deadline, timeout)
            message_type = message.WhichOneof("type")

            if message_type == "new_session":
                current_run_id = message.metadata.run.script_run_id
                current_fragment_ids = list(message.metadata.run.fragment_ids)
                self._remember_session(message)
            elif message_type == "delta":
                self._apply_delta(message, current_run_id or "", exceptions, error_alerts, toasts)
            elif message_type == "session_event" and message.session_event.HasField(
                "script_compilation_exception"
            ):
                compile_error = message.session_event.script_compilation_exception
                exceptions.append(ExceptionInfo(compile_error.type, compile_error.message))
            elif message_type == "script_finished":
                finished_run_id = message.metadata.run.script_run_id
                if not finished_run_id:
                    # Only AppSession.handle_backmsg_exception sends a finish
                    # without run id: the server could not handle our
                    # request. It then runs an empty "error run" and sends
                    # the exception after that run's script_finished.
                    request_failed = True
                    continue
                if current_run_id is None or finished_run_id != current_run_id:
                    # The end of a run that started before our request.
                    continue
                if message.script_finished not in _FINAL_STATUSES:
                    # Ended early for a rerun: the next new_session continues
                    # the chain.
                    continue
                if request_failed:
                    await self._drain_late_exceptions(exceptions)
                self._drop_stale_elements(current_run_id, current_fragment_ids)
                return RunResult(
                    run_id=current_run_id,
                    status=ForwardMsg.ScriptFinishedStatus.Name(message.script_finished),
                    seconds=time.perf_counter() - started,
                    request_failed=request_failed,
                    exceptions=exceptions,
                    error_alerts=error_alerts,
                    toasts=toasts,
                    page={path: placed.element for path, placed in self._page.items()},
                    blocks={path: placed.element for path, placed in self._blocks.items()},
                    components=self._components(),
                    fragment_ids={path: placed.fragment_id for path, placed in self._page.items()},
                )
            # Other messages (session_status_changed, page_info_changed,
            # heartbeat acks, ...) do not change what the page shows.

    async def _receive(self, deadline: float, timeout: float) -> ForwardMsg:
        """The next ForwardMsg, or RunTimeoutError once the deadline passes."""
        remaining = deadline - time.perf_counter()
        try:
            if remaining <= 0:
                raise TimeoutError
            frame = await asyncio.wait_for(self._connection.recv(), remaining)
        except TimeoutError as error:
            raise RunTimeoutError(f"no script_finished within {timeout:.1f} s") from error
        if isinstance(frame, str):
            # The server only ever sends binary protobuf frames.
            raise ValueError("unexpected text frame from the server")
        message = ForwardMsg()
        message.ParseFromString(frame)
        return message

    async def _drain_late_exceptions(
        self, exceptions: list[ExceptionInfo], grace_seconds: float = 0.5
    ) -> None:
        """Pick up the exception the server enqueues just after a failed request."""
        deadline = time.perf_counter() + grace_seconds
        while (remaining := deadline - time.perf_counter()) > 0:
            try:
                frame = await asyncio.wait_for(self._connection.recv(), remaining)
            except (TimeoutError, ConnectionClosed):
                return
            message = ForwardMsg()
            message.ParseFromString(frame)
            if message.WhichOneof("type") == "delta":
                self._apply_delta(message, "", exceptions, [], [])

    def _remember_session(self, message: ForwardMsg) -> None:
        new_session = message.new_session
        self.page_script_hash = new_session.page_script_hash
        if new_session.initialize.session_id:
            self.session_id = new_session.initialize.session_id

    def _apply_delta(
        self,
        message: ForwardMsg,
        run_id: str,
        exceptions: list[ExceptionInfo],
        error_alerts: list[str],
        toasts: list[str],
    ) -> None:
        delta = message.delta
        path = tuple(message.metadata.delta_path)
        if delta.WhichOneof("type") == "add_block":
            # A container (columns, an expander: its label and widget id); it replaces
            # whatever element was at its path.
            self._page.pop(path, None)
            self._blocks[path] = _PlacedElement(delta.add_block, run_id, delta.fragment_id)
            return
        if delta.WhichOneof("type") != "new_element":
            return  # other deltas (spinners, block changes) hold no value we read
        element = delta.new_element
        self._blocks.pop(path, None)
        self._page[path] = _PlacedElement(element, run_id, delta.fragment_id)
        kind = element.WhichOneof("type")
        if kind == "exception":
            exceptions.append(ExceptionInfo(element.exception.type, element.exception.message))
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            error_alerts.append(element.alert.body)
        elif kind == "toast":
            toasts.append(element.toast.body)

    def _components(self) -> list[ComponentInfo]:
        return [
            ComponentInfo(
                widget_id=placed.element.bidi_component.id,
                component_name=placed.element.bidi_component.component_name,
                user_key=user_key_from_element_id(placed.element.bidi_component.id) or "",
                fragment_id=placed.fragment_id,
            )
            for _path, placed in sorted(self._page.items())
            if placed.element.WhichOneof("type") == "bidi_component"
        ]

    def _drop_stale_elements(self, run_id: str, fragment_ids: list[str]) -> None:
        """Forget elements the finished run did not write, as the frontend does.

        A full run owns the whole page; a fragment run only its fragments.
        """
        if not run_id:
            return
        for placed_at in (self._page, self._blocks):
            for path, placed in list(placed_at.items()):
                in_scope = not fragment_ids or placed.fragment_id in fragment_ids
                if in_scope and placed.run_id != run_id:
                    del placed_at[path]

