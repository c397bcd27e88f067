"""A throwaway PostgreSQL server for tests: a cluster in a temporary folder, started once per session.

    # the fixtures, for every test module (tests/conftest.py: pytest_plugins)
    def test_x(database_url): ...                   # runs on SQLite, then on PostgreSQL
    url = postgres_server.new_database()            # or: an empty PostgreSQL database of its own

Skipped with a reason where PostgreSQL's binaries are missing, except with CI set: CI installs
PostgreSQL, so there a missing one fails instead of passing with nothing tested on it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

POSTGRES_ROOT = Path("/usr/lib/postgresql")  # Debian's layout: <major version>/bin/initdb
SERVER_USER = "postgres"  # PostgreSQL refuses to run as root


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    folders = [initdb.parent for initdb in POSTGRES_ROOT.glob("*/bin/initdb")]
    return max(folders, key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0, default=None)


def make_server_folder(path: Path) -> None:
    """A folder the server may write in (as root, the server runs as the postgres user)."""
    path.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, SERVER_USER)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A running cluster on 127.0.0.1:port, trusting local connections as user postgres."""

    def __init__(self, bin_dir: Path, folder: Path):
        self.bin_dir = bin_dir
        self.data_dir = folder / "cluster"
        self.socket_dir = folder / "socket"
        self.port = free_port()
        self._names = itertools.count(1)

    def _run(self, *command: str) -> None:
        # As root, run as the postgres user; as anyone else, as oneself.
        prefix = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, *command], check=False, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        make_server_folder(self.socket_dir)
        initdb, pg_ctl = str(self.bin_dir / "initdb"), str(self.bin_dir / "pg_ctl")
        self._run(initdb, "-D", str(self.data_dir), "-U", SERVER_USER, "-A", "trust", "--no-sync", "-E", "UTF8")
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data_dir / "server.log")
        self._run(pg_ctl, "-D", str(self.data_dir), "-o", options, "-l", log, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database -> its SQLAlchemy URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={SERVER_USER} dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the whole test session, stopped and deleted at its end."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        message = f"needs PostgreSQL's initdb and pg_ctl under {POSTGRES_ROOT} (apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="test-postgres-"))
    make_server_folder(folder)
    server = PostgresServer(bin_dir, folder)
    try:
        server.start()
        yield server
    finally:
        if server.data_dir.joinpath("postmaster.pid").exists():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database on each backend in turn: a SQLite file in tmp_path, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'drawings.sqlite3'}"
    return request.getfixturevalue("postgres_server").new_database()
