"""The answers people give at a meetup: stored durably, read by the wall and by fine-tuning exports."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Connection, Engine, delete, false, func, insert, select, update

from mnist_core.config import IMAGE_SIZE
from mnist_core.drawings import jobs
from mnist_core.drawings.answers import Answer, check_answer
from mnist_core.drawings.checkpoint import WalCheckpointer
from mnist_core.drawings.engine import (
    BUSY_TIMEOUT_SECONDS,
    UNAVAILABLE_MESSAGE,
    WRITE_OPTION,
    StoreUnavailable,
    make_engine,
    plain_errors,
    resolve_url,
    sqlite_path,
)
from mnist_core.drawings.group_commit import GroupCommit
from mnist_core.drawings.schema import (
    PAUSED_SETTING,
    NewerSchemaError,
    digits,
    drawings,
    pictures,
    prepare,
    rounds,
    settings,
    utc_now,
)
from mnist_core.drawings.wall import WallSummary, summarize

EXPORT_BATCH = 500  # rows fetched at a time while exporting


class AnswersPaused(StoreUnavailable):
    """Answers are paused (DrawingStore.set_paused): nothing is stored until they resume."""


@dataclass(frozen=True)
class Round:
    id: int
    started_at: datetime  # aware, UTC


@dataclass(frozen=True)
class ExportedDigit:
    """One answered digit; model_input is uint8 (28, 28), white ink on black like MNIST."""

    drawing_id: int
    position: int  # 0 = leftmost digit of its drawing
    created_at: datetime  # aware, UTC
    round_id: int
    label: int  # the person's answer
    predicted: int  # the model's
    confidence: float
    model_name: str
    model_input: np.ndarray


class DrawingStore:
    """One database, shared by every thread (e.g. held in st.cache_resource); get it from open_store."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # SQLite has one writer at a time. Writers in this process queue on a lock, in turn, rather
        # than on SQLite's busy handler, which sleeps up to 100 ms between tries; the busy timeout
        # still covers writers in other processes. PostgreSQL takes concurrent writes as they come.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._answers = GroupCommit(self._write_answers)
        path = sqlite_path(engine.url)
        self._checkpointer = WalCheckpointer(path) if path is not None else None

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read transaction that sees one snapshot throughout, so that the wall's figures agree."""
        with plain_errors(self.engine.url), self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":  # SQLite's transactions always are snapshots
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends without an error."""
        if self._write_lock is not None and not self._write_lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            raise StoreUnavailable(UNAVAILABLE_MESSAGE)
        try:
            with plain_errors(self.engine.url), self.engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    yield connection
        finally:
            if self._write_lock is not None:
                self._write_lock.release()

    def _prepare_schema(self) -> None:
        """Create or upgrade the tables; StoreUnavailable if the database is newer than the code."""
        try:
            with self._writing() as connection:
                prepare(connection)
        except NewerSchemaError as error:
            raise StoreUnavailable(str(error)) from None

    def add_answer(
        self, session_id: str, model_name: str, drawing_png: bytes, digits_read: Sequence[tuple], labels: str
    ) -> int:
        """Store one confirmed or corrected reading in the current round -> the drawing's id.

        session_id: the anonymous browser session; model_name: the model that read the drawing;
        drawing_png: the whole drawing as a PNG of at most 160 px a side and 64 KB (drawing_png());
        digits_read: left to right, (model_input, predicted, confidence) per digit, 1 to 20 of them:
        model_input uint8 (28, 28), or float32 (28, 28) in [0, 1] as DigitReading.model_input;
        predicted an int 0-9; confidence a float in [0, 1];
        labels: the person's answer, one character 0-9 per digit ("47").
        The answer is committed when this returns (with the others given at that moment: group
        commit), so it survives the app being killed. ValueError (nothing stored) if an argument
        is wrong; AnswersPaused while answers are paused; StoreUnavailable if the database fails.
        """
        answer = check_answer(session_id, model_name, drawing_png, digits_read, labels)
        return self._answers.submit(answer)

    def _write_answers(self, answers: list[Answer]) -> list[int]:
        """The answers queued at one moment, in one transaction -> their drawing ids, in order."""
        with self._writing() as connection:
            if self._paused(connection):
                raise AnswersPaused("answers are paused for the moment: this one was not saved")
            round_id = connection.execute(select(func.max(rounds.c.id))).scalar_one()
            created_at = utc_now()
            drawing_ids = (
                connection.execute(
                    insert(drawings).returning(drawings.c.id, sort_by_parameter_order=True),
                    [
                        {
                            "session_id": answer.session_id,
                            "round_id": round_id,
                            "created_at": created_at,
                            "model_name": answer.model_name,
                            "hidden": False,
                            "labels": answer.labels,
                            "model_text": answer.model_text,
                        }
                        for answer in answers
                    ],
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(pictures),
                [{"drawing_id": id, "png": answer.png} for id, answer in zip(drawing_ids, answers, strict=True)],
            )
            connection.execute(
                insert(digits),
                [
                    {
                        "drawing_id": id,
                        "position": row.position,
                        "model_input": row.model_input,
                        "label": row.label,
                        "predicted": row.predicted,
                        "confidence": row.confidence,
                    }
                    for id, answer in zip(drawing_ids, answers, strict=True)
                    for row in answer.digits
                ],
            )
        return drawing_ids

    def answers_in_last(self, session_id: str, seconds: float) -> int:
        """How many answers this session gave in the last `seconds` (for a rate limit)."""
        since = utc_now() - timedelta(seconds=seconds)
        with self._reading() as connection:
            return connection.execute(
                select(func.count()).where(drawings.c.session_id == session_id, drawings.c.created_at >= since)
            ).scalar_one()

    def current_round(self) -> Round:
        """The round new answers go to (the latest started)."""
        with self._reading() as connection:
            return Round(*connection.execute(select(rounds).order_by(rounds.c.id.desc()).limit(1)).one())

    def rounds(self) -> list[Round]:
        """Every round, oldest first."""
        with self._reading() as connection:
            return [Round(*row) for row in connection.execute(select(rounds).order_by(rounds.c.id))]

    def start_round(self) -> Round:
        """Start a new round: answers from now on go to it, and the wall shows it."""
        started_at = utc_now()
        with self._writing() as connection:
            round_id = connection.execute(
                insert(rounds).values(started_at=started_at).returning(rounds.c.id)
            ).scalar_one()
        return Round(round_id, started_at)

    def hide(self, drawing_id: int, hidden: bool = True) -> bool:
        """Keep a drawing off the wall and out of exports (hidden=False shows it again); False if no such drawing."""
        with self._writing() as connection:
            found = connection.execute(update(drawings).where(drawings.c.id == drawing_id).values(hidden=hidden))
            return found.rowcount > 0

    def forget_session(self, session_id: str) -> int:
        """Delete every answer of one browser session ("forget my drawings") -> how many drawings."""
        with self._writing() as connection:
            mine = select(drawings.c.id).where(drawings.c.session_id == session_id)
            connection.execute(delete(digits).where(digits.c.drawing_id.in_(mine)))
            connection.execute(delete(pictures).where(pictures.c.drawing_id.in_(mine)))
            return connection.execute(delete(drawings).where(drawings.c.session_id == session_id)).rowcount

    def set_paused(self, paused: bool) -> None:
        """Pause answers (add_answer raises AnswersPaused) or resume them."""
        with self._writing() as connection:
            connection.execute(
                update(settings).where(settings.c.name == PAUSED_SETTING).values(value="1" if paused else "0")
            )

    def is_paused(self) -> bool:
        with self._reading() as connection:
            return self._paused(connection)

    @staticmethod
    def _paused(connection: Connection) -> bool:
        return connection.execute(select(settings.c.value).where(settings.c.name == PAUSED_SETTING)).scalar() == "1"

    def start_finetune(self, base_model: str) -> jobs.FinetuneJob:
        """Record a fine-tune of the current round, to run in a process of its own (scripts/finetune.py
        --job); ValueError while another one is running."""
        with self._writing() as connection:
            round_id = connection.execute(select(func.max(rounds.c.id))).scalar_one()
            return jobs.start_job(connection, round_id, base_model)

    def update_job(self, job_id: int, progress: float, message: str) -> None:
        """A running fine-tune's progress (0 to 1) and latest line."""
        with self._writing() as connection:
            jobs.record_progress(connection, job_id, progress, message)

    def finish_job(self, job_id: int, state: str, message: str, model_name: str | None = None,
                   result: dict | None = None) -> None:
        """A fine-tune ended: jobs.DONE with its model's folder name and before/after figures, or jobs.FAILED."""
        with self._writing() as connection:
            jobs.finish_job(connection, job_id, state, message, model_name, result)

    def latest_job(self) -> jobs.FinetuneJob | None:
        with self._reading() as connection:
            return jobs.latest_job(connection)

    def model_in_use(self) -> str | None:
        """The model everyone's drawings are read with, as the presenter chose it (None: the app's default)."""
        with self._reading() as connection:
            return jobs.model_in_use(connection)

    def set_model_in_use(self, name: str | None) -> None:
        with self._writing() as connection:
            jobs.set_model_in_use(connection, name)

    def wall_summary(self, round_id: int | None = None, latest: int = 24) -> WallSummary:
        """The wall's figures for a round (default: the current one) and its `latest` newest drawings;
        hidden drawings count nowhere."""
        with self._reading() as connection:
            if round_id is None:
                round_id = connection.execute(select(func.max(rounds.c.id))).scalar_one()
            return summarize(connection, round_id, latest)

    def export(self, round_id: int | None = None, include_hidden: bool = False) -> Iterator[ExportedDigit]:
        """Every answered digit of a round (default: of all rounds), in the order answered, left to
        right within a drawing; hidden drawings only with include_hidden."""
        query = (
            select(
                drawings.c.id,
                digits.c.position,
                drawings.c.created_at,
                drawings.c.round_id,
                digits.c.label,
                digits.c.predicted,
                digits.c.confidence,
                drawings.c.model_name,
                digits.c.model_input,
            )
            .join(drawings, digits.c.drawing_id == drawings.c.id)
            .order_by(drawings.c.id, digits.c.position)
        )
        if round_id is not None:
            query = query.where(drawings.c.round_id == round_id)
        if not include_hidden:
            query = query.where(drawings.c.hidden == false())
        with self._reading() as connection:
            for *fields, model_input in connection.execution_options(yield_per=EXPORT_BATCH).execute(query):
                pixels = np.frombuffer(model_input, np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
                yield ExportedDigit(*fields, model_input=pixels)

    def close(self) -> None:
        """Close every pooled connection; open_store(url) opens the database anew afterwards."""
        with _stores_lock:
            for key, store in list(_stores.items()):
                if store is self:
                    del _stores[key]
        self._release()

    def _release(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()


_stores: dict[str, DrawingStore] = {}
_stores_lock = threading.Lock()


def open_store(url: str | None = None) -> DrawingStore:
    """The store for url, else $DRAWINGS_DB, else data/drawings.sqlite3 under the project (created
    on first use); one per database per process, created or upgraded on first open.

    ValueError for a URL that is not SQLite or PostgreSQL; StoreUnavailable if the database cannot
    be reached, is corrupt, or was made by a newer version of the app.
    """
    resolved = resolve_url(url)
    key = resolved.render_as_string(hide_password=False)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = DrawingStore(make_engine(resolved))
            try:
                store._prepare_schema()
            except StoreUnavailable:
                store._release()  # not close(): this thread holds _stores_lock
                raise
            _stores[key] = store
        return store
