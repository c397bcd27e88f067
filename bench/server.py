"""`streamlit run` for tests and bench tools: started on a free port, waited for, stopped whole.

    with StreamlitServer(PROJECT_ROOT / "app.py") as server:   # server.url, server.process.pid ...
    with streamlit_server(PROJECT_ROOT / "app.py") as url:     # ... or just its URL
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mnist_core.config import PROJECT_ROOT
from mnist_core.serving import free_port, is_healthy, stop_process_group


class ServerStartError(RuntimeError):
    """The server exited, or did not answer its health check in time; the message has its log's tail."""


class StreamlitServer:
    """`streamlit run SCRIPT` on a free port, in its own process group, its output in a log file.

    A context manager: entering starts it and waits until it is healthy, leaving stops it and
    everything it spawned. The log stays on disk (log_path) for a look afterwards.
    """

    def __init__(self, script: str | os.PathLike, startup_timeout: float = 90.0, python: str | os.PathLike = sys.executable) -> None:
        self.script = Path(script)
        self.python = str(python)  # another virtualenv's, e.g. a fresh install's (bench/install_size.py)
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
        # No other flag: .streamlit/config.toml serves it (headless, no file watcher, no usage
        # statistics), as it serves `streamlit run app.py`.
        command = [self.python, "-m", "streamlit", "run", str(script), "--server.port", str(self.port)]
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
            if is_healthy(self.url):
                return
            time.sleep(0.2)
        raise ServerStartError(f"streamlit at {self.url} not healthy after {self.startup_timeout:.0f} s")

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL if it lingers; the log stays."""
        stop_process_group(self.process)

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


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (pids), from /proc; [] when it is gone."""
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
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        if Path(f"/proc/{current}").exists():
            found.append(current)
            pending.extend(children.get(current, []))
    return found


def process_tree_rss_bytes(pid: int) -> int | None:
    """Resident memory of a process and its descendants, from /proc; None when it is gone."""
    total, found = 0, False
    for current in process_tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            total += int(match.group(1)) * 1024
            found = True
    return total if found else None


def process_tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user and system) used so far by a process and its live descendants, plus the
    children they have waited for; None when it is gone. A descendant that died without being
    waited for (a replica SIGKILLed) takes its seconds with it."""
    ticks, found = 0, False
    for current in process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields 14-17 of proc(5): utime, stime, cutime, cstime; after the ")" they start at index 11.
        ticks += sum(int(value) for value in fields[11:15])
        found = True
    return ticks / os.sysconf("SC_CLK_TCK") if found else None
