"""Running `streamlit run` as a server process: the flags, a free port, its health, a clean stop.

Shared by scripts/serve.py (replicas behind a balancer) and bench/server.py (one server for tests
and measurements). No Streamlit imported here: these only start and watch processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import urllib.error
import urllib.request

HEALTH_PATH = "/_stcore/health"  # what the browser polls before it opens the websocket
STOP_GRACE_SECONDS = 10.0  # after SIGTERM, before SIGKILL
# The load balancer's cookie (scripts/serve.py): which replica, or for the front balancer of several
# machines which machine, holds a visitor's session. Two names, so that two balancers' cookies never
# mix; the load test reads the first to tell which replica served each drawing.
REPLICA_COOKIE = "digits_replica"
MACHINE_COOKIE = "digits_machine"


def free_port() -> int:
    """A TCP port that is free on localhost right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_healthy(base_url: str, timeout: float = 2.0) -> bool:
    """Whether the server at base_url answers its health check with 200 now."""
    try:
        with urllib.request.urlopen(base_url.rstrip("/") + HEALTH_PATH, timeout=timeout) as reply:
            return reply.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def stop_process_group(process: subprocess.Popen | None, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM the process group a process leads (start_new_session=True), SIGKILL it if it lingers.

    The whole group: whatever the process spawned (an upload's decode worker) stops with it.
    """
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_seconds)
    except ProcessLookupError:
        pass


def find_haproxy(name: str = "haproxy") -> str | None:
    """The haproxy program's path: on the PATH, or in sbin (Debian's /usr/sbin/haproxy is not on a
    user's PATH); None when it is not installed."""
    return shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")
