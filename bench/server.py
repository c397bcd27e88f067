"""`streamlit run` for tests and bench tools: started on a free port, waited for, stopped whole.

    with StreamlitServer(PROJECT_ROOT / "app.py") as server:   # server.url, server.process.pid ...
    with streamlit_server(PROJECT_ROOT / "app.py") as url:     # ... or just its URL
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mnist_core.config import PROJECT_ROOT

# Quiet and offline: no browser tab, no usage-stats ping (no internet here, and the figures should
# not include telemetry), no file watcher (nothing edits the page meanwhile, and the watcher costs
# CPU on a 2-core machine).
STREAMLIT_FLAGS = (
    "--server.headless", "true",
    "--server.fileWatcherType", "none",
    "--server.runOnSave", "false",
    "--browser.gatherUsageStats", "false",
)  # fmt: skip
HEALTH_PATH = "/_stcore/health"  # what the browser polls before it opens the websocket
STOP_GRACE_SECONDS = 10.0  # after SIGTERM, before SIGKILL


class ServerStartError(RuntimeError):
    """The server exited, or did not answer its health check in time; the message has its log's tail."""


def free_port() -> int:
    """A TCP port that is free on localhost right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StreamlitServer:
    """`streamlit run SCRIPT` on a free port, in its own process group, its output in a log file.

    A context manager: entering starts it and waits until it is healthy, leaving stops it and
    everything it spawned. The log stays on disk (log_path) for a look afterwards.
    """

    def __init__(self, script: str | os.PathLike, startup_timeout: float = 90.0) -> None:
        self.script = Path(script)
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until /_stcore/health answers; ServerStartError if it does not."""
        script = self.script.resolve()
        if not script.is_file():
            raise FileNotFoundError(f"no Streamlit script at {self.script}")
        command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
                   *STREAMLIT_FLAGS]
        # The log goes to a file, not a pipe: a pipe nobody reads would eventually block the server.
        with tempfile.NamedTemporaryFile(prefix=f"streamlit-{self.port}-", suffix=".log", delete=False) as log:
            self.log_path = Path(log.name)
            self.process = subprocess.Popen(
                command,
                # The project root as cwd, so .streamlit/config.toml applies as in `streamlit run app.py`.
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends whatever it spawned too
            )
        try:
            self._wait_until_healthy()
        except ServerStartError as error:
            self.stop()
            log_tail = self.log_path.read_text(errors="replace")[-3000:]
            raise ServerStartError(f"{error}\n--- {self.log_path} ---\n{log_tail}") from None
        except BaseException:  # Ctrl-C while waiting: no server left behind
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(f"streamlit exited with code {self.process.returncode} before it was healthy")
            try:
                with urllib.request.urlopen(self.url + HEALTH_PATH, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise ServerStartError(f"streamlit at {self.url} not healthy after {self.startup_timeout:.0f} s")

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL if it lingers; the log stays."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except ProcessLookupError:
            pass

    def logged_errors(self) -> int:
        """Tracebacks in the server's log, including errors the page does not show."""
        return self.log_path.read_text(errors="replace").count("Traceback") if self.log_path else 0

    def __enter__(self) -> StreamlitServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


@contextmanager
def streamlit_server(script: str | os.PathLike, startup_timeout: float = 90.0) -> Iterator[str]:
    """Run `streamlit run script` for the block and give its base URL (see StreamlitServer)."""
    with StreamlitServer(script, startup_timeout) as server:
        yield server.url


def process_tree_rss_bytes(pid: int) -> int | None:
    """Resident memory of a process and its descendants, from /proc; None when it is gone."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name, in parentheses, may contain spaces.
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry.name))
    total, pending, found = 0, [pid], False
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            total += int(match.group(1)) * 1024
            found = True
        pending.extend(children.get(current, []))
    return total if found else None
