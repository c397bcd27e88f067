"""The answers database's tables and their versions: created at the newest version, older ones upgraded.

The Table objects below always describe the newest schema. A fresh database is made from them
and stamped with SCHEMA_VERSION; an older one runs the UPGRADES it has not had yet. To change a
table: change its definition here AND append a step to UPGRADES that makes the same change to an
existing database (each step is a function of the open Connection, run in the upgrade's transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    TypeDecorator,
    func,
    insert,
    inspect,
    select,
    update,
)

from mnist_core.config import IMAGE_SIZE

MODEL_INPUT_BYTES = IMAGE_SIZE * IMAGE_SIZE  # one digit: 28x28 uint8, row by row
PAUSED_SETTING = "answers_paused"  # settings row: "1" while answers are paused, else "0"
MODEL_IN_USE_SETTING = "model_in_use"  # settings row: the model drawings are read with ("" = the app's default)
MIGRATION_LOCK_KEY = 28_081_998  # PostgreSQL advisory lock: one process creates or upgrades at a time


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out on every backend: SQLite keeps no time zone, so UTC is stored
    there and read back as UTC; PostgreSQL's timestamptz is converted to UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

settings = Table(
    "settings",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

rounds = Table(
    "rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# Small columns first and blobs last or in a table of their own: SQLite reads a row up to the
# column it needs, so the wall's counts over a round never read a picture.
drawings = Table(
    "drawings",
    metadata,
    Column("id", Integer, primary_key=True),  # ascending in the order answered
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("hidden", Boolean, nullable=False, default=False),  # kept off the wall and the exports
    Column("labels", String(20), nullable=False),  # what the person confirmed or gave, one char a digit
    Column("model_text", String(20), nullable=False),  # what the model read
    Column("session_id", String(64), nullable=False),  # the anonymous browser session
    Column("model_name", String(100), nullable=False),
    # The wall reads one round at a time; the rate limit and "forget me" one session at a time.
    Index("drawings_by_round", "round_id", "created_at"),
    Index("drawings_by_session", "session_id", "created_at"),
    sqlite_autoincrement=True,  # an id is never reused after "forget me", like PostgreSQL's sequences
)

pictures = Table(
    "pictures",
    metadata,
    Column("drawing_id", Integer, ForeignKey("drawings.id", ondelete="CASCADE"), primary_key=True),
    Column("png", LargeBinary, nullable=False),  # the whole drawing, downscaled
)

digits = Table(
    "digits",
    metadata,
    Column("drawing_id", Integer, ForeignKey("drawings.id", ondelete="CASCADE"), primary_key=True),
    Column("position", SmallInteger, primary_key=True),  # 0 = leftmost
    Column("label", SmallInteger, nullable=False),  # the person's answer
    Column("predicted", SmallInteger, nullable=False),  # the model's
    Column("confidence", Float, nullable=False),
    Column("model_input", LargeBinary(MODEL_INPUT_BYTES), nullable=False),
    CheckConstraint("label BETWEEN 0 AND 9", name="digits_label_is_a_digit"),
    CheckConstraint("predicted BETWEEN 0 AND 9", name="digits_predicted_is_a_digit"),
)

# Fine-tunes started from the wall ("Learn from this room"): one runs at a time, in its own process,
# which records its progress here, so that every session and replica of the app sees it.
finetune_jobs = Table(
    "finetune_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("base_model", String(100), nullable=False),
    Column("state", String(10), nullable=False),  # running, done or failed
    Column("progress", Float, nullable=False),  # 0 to 1
    Column("message", String(500), nullable=False),  # the latest progress line, or why it failed
    Column("model_name", String(100)),  # the new model's folder, once done
    Column("result", String(2000)),  # once done: JSON of the before/after figures
    Column("started_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

Upgrade = Callable[[Connection], None]


def add_finetune_jobs(connection: Connection) -> None:
    """Version 2: the fine-tune jobs table, and the "model in use" setting (the default until set)."""
    finetune_jobs.create(connection)
    connection.execute(insert(settings).values(name=MODEL_IN_USE_SETTING, value=""))


# Steps from version 1 to 2, 2 to 3, ...
UPGRADES: list[Upgrade] = [add_finetune_jobs]
SCHEMA_VERSION = 1 + len(UPGRADES)


class NewerSchemaError(ValueError):
    """The database was made by a newer version of this code."""


def prepare(connection: Connection, upgrades: Sequence[Upgrade] = UPGRADES) -> int:
    """Create the tables, or upgrade them, inside the caller's write transaction; the version now.

    upgrades: the steps since version 1 (the newest version is 1 + their number); tests pass their own.
    Raises NewerSchemaError when the database is newer than the code.
    """
    newest = 1 + len(upgrades)
    if connection.dialect.name == "postgresql":
        # Two app processes starting together must not both create the tables.
        connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
    if not inspect(connection).has_table(schema_version.name):
        metadata.create_all(connection)
        connection.execute(insert(schema_version).values(version=newest))
        connection.execute(insert(rounds).values(started_at=utc_now()))
        connection.execute(insert(settings).values(name=PAUSED_SETTING, value="0"))
        connection.execute(insert(settings).values(name=MODEL_IN_USE_SETTING, value=""))
        return newest
    version = connection.execute(select(schema_version.c.version)).scalar_one()
    if version > newest:
        raise NewerSchemaError(
            f"the answers database has schema version {version}, newer than this app knows "
            f"(version {newest}): update the app, or point it at another database"
        )
    for step in upgrades[version - 1 :]:
        step(connection)
    connection.execute(update(schema_version).values(version=newest))
    return newest
