"""Fine-tune jobs and the model in use, as the database keeps them for every session and replica."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from mnist_core.drawings.schema import MODEL_IN_USE_SETTING, finetune_jobs, settings, utc_now

RUNNING, DONE, FAILED = "running", "done", "failed"
# A running job that has recorded nothing for this long died with its process (killed, machine
# restarted): another may start. The fine-tune records progress every few seconds; its longest
# silent stretch, the recalibration, takes about a minute.
SILENT_SECONDS = 600
MAX_MESSAGE = 500


@dataclass(frozen=True)
class FinetuneJob:
    id: int
    round_id: int
    base_model: str
    state: str  # RUNNING, DONE or FAILED
    progress: float  # 0 to 1
    message: str
    model_name: str | None  # the new model's folder name, once DONE
    result: dict | None  # once DONE: the before/after figures (metrics.json's "finetune" before/after)
    started_at: datetime
    updated_at: datetime

    def is_alive(self, now: datetime | None = None) -> bool:
        """Running, and heard from recently (see SILENT_SECONDS)."""
        return self.state == RUNNING and (now or utc_now()) - self.updated_at < timedelta(seconds=SILENT_SECONDS)


def as_job(row) -> FinetuneJob:
    values = row._asdict()
    values["result"] = json.loads(values["result"]) if values["result"] else None
    return FinetuneJob(**values)


def latest_job(connection: Connection) -> FinetuneJob | None:
    row = connection.execute(select(finetune_jobs).order_by(finetune_jobs.c.id.desc()).limit(1)).first()
    return as_job(row) if row else None


def start_job(connection: Connection, round_id: int, base_model: str) -> FinetuneJob:
    """A new RUNNING job, in the caller's write transaction; ValueError while another is alive."""
    latest = latest_job(connection)
    if latest is not None and latest.is_alive():
        raise ValueError(f"a fine-tune is already running ({latest.progress:.0%}): one at a time")
    if latest is not None and latest.state == RUNNING:  # silent too long: its process is gone
        finish_job(connection, latest.id, FAILED, "stopped: its process went away")
    now = utc_now()
    job_id = connection.execute(
        insert(finetune_jobs).values(round_id=round_id, base_model=base_model, state=RUNNING, progress=0.0,
                                     message="starting", started_at=now, updated_at=now).returning(finetune_jobs.c.id)
    ).scalar_one()
    return as_job(connection.execute(select(finetune_jobs).where(finetune_jobs.c.id == job_id)).one())


def record_progress(connection: Connection, job_id: int, progress: float, message: str) -> None:
    connection.execute(update(finetune_jobs).where(finetune_jobs.c.id == job_id).values(
        progress=min(max(float(progress), 0.0), 1.0), message=message[:MAX_MESSAGE], updated_at=utc_now()))


def finish_job(connection: Connection, job_id: int, state: str, message: str,
               model_name: str | None = None, result: dict | None = None) -> None:
    connection.execute(update(finetune_jobs).where(finetune_jobs.c.id == job_id).values(
        state=state, message=message[:MAX_MESSAGE], model_name=model_name,
        result=json.dumps(result) if result is not None else None,
        progress=1.0 if state == DONE else finetune_jobs.c.progress, updated_at=utc_now()))


def model_in_use(connection: Connection) -> str | None:
    value = connection.execute(select(settings.c.value).where(settings.c.name == MODEL_IN_USE_SETTING)).scalar()
    return value or None


def set_model_in_use(connection: Connection, name: str | None) -> None:
    connection.execute(update(settings).where(settings.c.name == MODEL_IN_USE_SETTING).values(value=name or ""))
