"""Serve the app from several `streamlit run app.py` processes (replicas) behind HAProxy.

    python scripts/serve.py                       # one replica per core, the balancer on port 8501
    python scripts/serve.py --replicas 2 --port 8080
    python scripts/serve.py --print-config        # the balancer's configuration, as it would run

One Streamlit process runs Python on one core at a time; replicas use the others. The balancer
(deploy/haproxy.cfg.template, filled in here) keeps each visitor on the replica that holds their
session (a cookie), sends new visitors to the replicas in turn, and takes a replica out while its
health check fails. A replica that exits is started again; Ctrl-C or SIGTERM stops everything
started here. Answers are shared through the database: set DRAWINGS_DB to one PostgreSQL for
several replicas on several machines (docs/deployment.md).

Several machines: the same command on each, then on the front machine
    python scripts/serve.py --upstream app-1:8501 --upstream app-2:8501 --port 80
balances those machines' balancers (starting no replica of its own).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from mnist_core.config import PROJECT_ROOT
from mnist_core.serving import (
    MACHINE_COOKIE,
    REPLICA_COOKIE,
    find_haproxy,
    free_port,
    is_healthy,
    stop_process_group,
)

TEMPLATE_PATH = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"
HAPROXY_INSTALL_HINT = "install it with `apt-get install haproxy` (Debian, Ubuntu), or name it with --haproxy"
SUPERVISE_PERIOD_SECONDS = 0.5
STARTUP_SECONDS = 90.0  # a replica's start: ~6 s on a quiet 2-core machine, much more on a busy one
# A replica that exits sooner than this after its start is failing to start (a port taken, a broken
# install): it is restarted after a wait that doubles each time, not in a tight loop.
QUICK_EXIT_SECONDS = 10.0
MAX_RESTART_WAIT_SECONDS = 30.0


@dataclass
class Replica:
    """One `streamlit run app.py` on an internal port, in its own process group, logging to a file."""

    name: str
    port: int
    log_path: Path
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_wait: float = 0.0
    restart_at: float | None = None  # when an exited replica is due to start again

    def start(self) -> None:
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
                   "--server.address", "127.0.0.1"]
        with self.log_path.open("ab") as log:
            # cwd: the project root, so that .streamlit/config.toml applies as in `streamlit run app.py`.
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None
        say(f"replica {self.name} started: pid {self.process.pid}, 127.0.0.1:{self.port}, log {self.log_path}")

    def restart_if_exited(self) -> None:
        """Start the replica again once it has exited: at once, or after a growing wait if it keeps
        failing to start. The balancer sends its visitors to the others meanwhile."""
        code = self.process.poll()
        if code is None:
            return
        now = time.monotonic()
        if self.restart_at is None:
            # Whatever it left running in its group (an upload's decode worker) goes with it.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            lived = now - self.started_at
            self.restart_wait = 0.0 if lived >= QUICK_EXIT_SECONDS else min(max(1.0, 2 * self.restart_wait),
                                                                            MAX_RESTART_WAIT_SECONDS)
            self.restart_at = now + self.restart_wait
            say(f"replica {self.name} exited (code {code}) after {lived:.0f} s; starting it again"
                + (f" in {self.restart_wait:.0f} s" if self.restart_wait else ""))
        if now >= self.restart_at:
            self.start()


@dataclass
class Balancer:
    """HAProxy with the configuration generated from the template, in its own process group."""

    haproxy: str
    config_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        check = subprocess.run([self.haproxy, "-c", "-q", "-f", str(self.config_path)], check=False,
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(f"HAProxy refused the generated configuration {self.config_path}:\n{check.stderr}")
        # -db: in the foreground, logging to this terminal, stopped with its process group.
        self.process = subprocess.Popen([self.haproxy, "-db", "-f", str(self.config_path)], stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        say(f"balancer started: pid {self.process.pid}, config {self.config_path}")


def wait_until_healthy(replicas: list[Replica]) -> None:
    """Until every replica answers its health check, or has exited, or STARTUP_SECONDS have passed."""
    deadline = time.monotonic() + STARTUP_SECONDS
    waiting = list(replicas)
    while waiting and time.monotonic() < deadline:
        waiting = [replica for replica in waiting
                   if replica.process.poll() is None and not is_healthy(f"http://127.0.0.1:{replica.port}")]
        time.sleep(SUPERVISE_PERIOD_SECONDS)


def say(message: str) -> None:
    print(f"serve: {message}", flush=True)


def balancer_config(port: int, bind_address: str, servers: list[tuple[str, str]], of_machines: bool) -> str:
    """The template filled in: a balancer on bind_address:port in front of (name, "host:port") servers,
    replicas on this machine or (of_machines) other machines' balancers."""
    lines = [f"    server {name} {address} cookie {name} check" for name, address in servers]
    return Template(TEMPLATE_PATH.read_text()).substitute(
        port=port, bind_address=bind_address, backend_name="machines" if of_machines else "replicas",
        cookie_name=MACHINE_COOKIE if of_machines else REPLICA_COOKIE, servers="\n".join(lines),
    )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="More: docs/deployment.md", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=None,
                        help="how many `streamlit run app.py` processes (default: one per core, "
                             f"{os.cpu_count()} here; 0 with --upstream)")
    parser.add_argument("--port", type=int, default=8501, help="the balancer's port, where visitors connect (8501)")
    parser.add_argument("--address", default="0.0.0.0", help="the balancer's address (default: every interface)")
    parser.add_argument("--upstream", action="append", default=[], metavar="HOST:PORT",
                        help="another machine's serve.py balancer to send visitors to (repeat it)")
    parser.add_argument("--haproxy", help="the haproxy program (default: haproxy on the PATH, or /usr/sbin/haproxy)")
    parser.add_argument("--log-dir", type=Path, help="where the replicas' logs and the generated configuration go "
                                                     "(default: a new temporary folder, kept)")
    parser.add_argument("--print-config", action="store_true", help="print the balancer's configuration and exit")
    arguments = parser.parse_args(argv)
    if arguments.replicas is None:
        arguments.replicas = 0 if arguments.upstream else (os.cpu_count() or 1)
    if arguments.replicas < 0 or (arguments.replicas == 0 and not arguments.upstream):
        parser.error("--replicas must be at least 1 (or 0 with --upstream)")
    for upstream in arguments.upstream:
        if not upstream.rpartition(":")[2].isdigit():
            parser.error(f"--upstream {upstream}: give it as HOST:PORT, e.g. app-1.example.org:8501")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    replica_ports = [free_port() for _ in range(arguments.replicas)]
    servers = [(f"r{index + 1}", f"127.0.0.1:{port}") for index, port in enumerate(replica_ports)]
    servers += [(f"m{index + 1}", upstream) for index, upstream in enumerate(arguments.upstream)]
    config = balancer_config(arguments.port, arguments.address, servers, of_machines=bool(arguments.upstream))
    if arguments.print_config:
        print(config, end="")
        return 0
    haproxy = find_haproxy(arguments.haproxy or "haproxy")
    if haproxy is None:
        raise SystemExit(f"HAProxy is not installed ({arguments.haproxy or 'haproxy'} not found): {HAPROXY_INSTALL_HINT}.")

    log_dir = arguments.log_dir or Path(tempfile.mkdtemp(prefix="serve-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    config_path = log_dir / "haproxy.cfg"
    config_path.write_text(config)
    replicas = [Replica(name, port, log_dir / f"replica-{name}.log")
                for (name, _address), port in zip(servers[: len(replica_ports)], replica_ports, strict=True)]
    balancer = Balancer(haproxy, config_path)

    # SIGTERM (a service manager, `kill`) stops everything as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for replica in replicas:
            replica.start()
        # The balancer once the replicas answer, so that its first checks do not find them down.
        wait_until_healthy(replicas)
        balancer.start()
        url = f"http://{'127.0.0.1' if arguments.address == '0.0.0.0' else arguments.address}:{arguments.port}"
        say(f"serving on port {arguments.port} ({url}), {len(servers)} server(s) behind it; Ctrl-C stops everything")
        announced = False
        while True:
            time.sleep(SUPERVISE_PERIOD_SECONDS)
            if balancer.process.poll() is not None:
                say(f"the balancer exited (code {balancer.process.returncode}): stopping the replicas")
                return 1
            for replica in replicas:
                replica.restart_if_exited()
            if not announced and is_healthy(url):
                say(f"ready: {url}")
                announced = True
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C or SIGTERM must not cut the clean-up short and leave replicas behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("stopping")
        for replica in replicas:
            stop_process_group(replica.process)
        stop_process_group(balancer.process)


if __name__ == "__main__":
    sys.exit(main())
