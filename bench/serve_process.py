"""`python scripts/serve.py` for tests and bench tools: started as a user starts it, its output read.

    with ServeProcess(replicas=2) as served:      # served.url, served.replica_pids() ...

It runs the real command (replicas and HAProxy), reads what it prints to know each replica's pid
(they change when one is restarted), and stops it with SIGTERM as a service manager would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from mnist_core.config import PROJECT_ROOT
from mnist_core.serving import free_port, stop_process_group

SERVE_SCRIPT = PROJECT_ROOT / "scripts" / "serve.py"
# What serve.py prints ("serve: replica r1 started: pid 1234, 127.0.0.1:40001, log ...").
REPLICA_STARTED = re.compile(r"replica (\w+) started: pid (\d+), [\d.]+:(\d+)")
BALANCER_STARTED = re.compile(r"balancer started: pid (\d+)")
READY = "serve: ready: "


class ServeProcess:
    """scripts/serve.py with N replicas on a free port; a context manager (ready on entering)."""

    def __init__(self, replicas: int, environment: dict[str, str] | None = None, startup_timeout: float = 120.0):
        self.replicas = replicas
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = Path(tempfile.mkdtemp(prefix="serve-"))
        self.environment = {**os.environ, **(environment or {})}
        self.startup_timeout = startup_timeout
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [sys.executable, str(SERVE_SCRIPT), "--replicas", str(self.replicas), "--port", str(self.port),
                   "--address", "127.0.0.1", "--log-dir", str(self.log_dir)]
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.environment, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        threading.Thread(target=self._read_output, daemon=True).start()
        try:
            self.wait_for(lambda: any(line.startswith(READY) for line in self.lines), self.startup_timeout)
        except BaseException:
            self.stop()
            raise

    def _read_output(self) -> None:
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, condition, timeout: float) -> None:
        """Until condition() holds (checked as each line arrives); TimeoutError with the output if not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not condition()):
                    output = "\n".join(self.lines[-30:])
                    raise TimeoutError(f"serve.py: condition not met in {timeout:.0f} s; its output:\n{output}")
                self._changed.wait(min(remaining, 0.5))

    def replica_pids(self) -> dict[str, int]:
        """The latest pid of each replica ("r1" -> pid), as serve.py announced them."""
        with self._changed:
            return {match[1]: int(match[2]) for line in self.lines if (match := REPLICA_STARTED.search(line))}

    def replica_ports(self) -> dict[str, int]:
        with self._changed:
            return {match[1]: int(match[3]) for line in self.lines if (match := REPLICA_STARTED.search(line))}

    def balancer_pid(self) -> int | None:
        with self._changed:
            return next((int(match[1]) for line in self.lines if (match := BALANCER_STARTED.search(line))), None)

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C or a service manager: serve.py stops what it started."""
        stop_process_group(self.process, grace_seconds=30.0)

    def __enter__(self) -> ServeProcess:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
