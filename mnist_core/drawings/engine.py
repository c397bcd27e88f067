"""Which database, how to connect to it safely from many threads, and its failures in plain words."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event, exc, make_url

from mnist_core.config import PROJECT_ROOT

DB_URL_ENV = "DRAWINGS_DB"
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "drawings.sqlite3"
# How long a write waits for another writer (another thread, or another process on SQLite) before
# the person is told their answer cannot be saved right now.
BUSY_TIMEOUT_SECONDS = 5.0
WAL_SAFETY_CHECKPOINT_PAGES = 10_000  # 40 MB of log: ~10 times SQLite's default
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
WRITE_OPTION = "drawings_write"  # execution option: this transaction will write (SQLite: BEGIN IMMEDIATE)

UNAVAILABLE_MESSAGE = (
    "answers cannot be saved right now: the answers database is busy or unreachable. Try again in a moment."
)


class StoreUnavailable(ValueError):
    """The answers database cannot be used right now (unreachable, locked, corrupt or too new);
    the message is meant for people, never a traceback."""


def resolve_url(url: str | None = None) -> URL:
    """url, else $DRAWINGS_DB, else the embedded SQLite file data/drawings.sqlite3 -> a checked URL."""
    text = url or os.environ.get(DB_URL_ENV, "").strip() or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    try:
        parsed = make_url(text)
    except exc.ArgumentError:
        raise ValueError(
            f"{DB_URL_ENV} is not a database URL: use sqlite:///path/to/file.sqlite3 or "
            "postgresql+psycopg://user:password@host/database"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver installed with the app
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ValueError(
            f"the answers database must be SQLite or PostgreSQL (sqlite:///... or postgresql+psycopg://...), "
            f"not {parsed.drivername}"
        )
    if parsed.get_backend_name() == "sqlite" and (not parsed.database or parsed.database == ":memory:"):
        raise ValueError("the answers database must be a file (sqlite:///path/to/file.sqlite3), not in memory")
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, None for other databases."""
    return Path(url.database) if url.get_backend_name() == "sqlite" else None


def make_engine(url: URL) -> Engine:
    """One pooled, thread-safe engine for url (SQLite: WAL, durable commits, busy waits)."""
    path = sqlite_path(url)
    if path is None:
        try:
            return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": int(BUSY_TIMEOUT_SECONDS)})
        except ImportError:  # the serving install leaves PostgreSQL's driver out: an extra
            raise StoreUnavailable(
                f"the {url.get_backend_name()} database needs its driver: pip install -e '.[postgres]'"
            ) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise StoreUnavailable(f"cannot create the folder of the answers database {path}") from None
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", configure_sqlite_connection)
    event.listen(engine, "begin", begin_sqlite_transaction)
    return engine


def configure_sqlite_connection(dbapi_connection: sqlite3.Connection, connection_record) -> None:
    # The sqlite3 module would BEGIN by itself, deferred, only before a write: transactions are
    # begun in begin_sqlite_transaction instead, so that a write locks from its first statement.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    # WAL: the wall page and exports read while answers are written. synchronous=NORMAL: each
    # commit is written to the WAL file before add_answer returns, so an answer confirmed to a
    # person survives the app being killed (kill -9, a crash); only a power cut or an OS crash may
    # lose the last commits (never corrupting the file). FULL would fsync every commit: measured
    # here at 0.4-9 ms each, which 20 people answering at once would queue behind.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # Checkpoints run in the background (checkpoint.py); SQLite's own, inside a commit, only if
    # answers pour in faster than those can keep up, and the log file is cut back after each.
    cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_SAFETY_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def begin_sqlite_transaction(connection: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout): a deferred
    # transaction that reads and then writes fails at once with "database is locked" when another
    # writer committed in between, whatever the timeout.
    writes = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def plain_errors(url: URL) -> Iterator[None]:
    """Turn the driver's failures into StoreUnavailable with a message a person can act on."""
    try:
        yield
    except (exc.DBAPIError, exc.TimeoutError) as error:
        raise StoreUnavailable(describe_failure(url, error)) from error


def describe_failure(url: URL, error: Exception) -> str:
    path = sqlite_path(url)
    cause = getattr(error, "orig", None)
    if path is not None and isinstance(cause, sqlite3.DatabaseError):
        if not isinstance(cause, sqlite3.OperationalError):
            return (
                f"the answers database {path} is not a readable SQLite database (corrupt, or another kind "
                "of file): move it aside to keep it, and a new empty one is created on the next start"
            )
        if "unable to open" in str(cause):
            return f"cannot open the answers database {path}: check that its folder exists and is writable"
    return UNAVAILABLE_MESSAGE
