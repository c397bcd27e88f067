"""What the live wall shows for one round, computed by SQL aggregates (hidden drawings left out)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, false, func, select

from mnist_core.config import NUM_CLASSES
from mnist_core.drawings.schema import digits, drawings, pictures

MOST_CONFUSED = 5


@dataclass(frozen=True)
class DigitAccuracy:
    """How the model did on the digits people said were `label`."""

    label: int
    count: int
    right: int


@dataclass(frozen=True)
class Confusion:
    """`count` digits that people said were `label` were read as `predicted`."""

    label: int
    predicted: int
    count: int


@dataclass(frozen=True)
class WallDrawing:
    id: int
    png: bytes  # the whole drawing, grayscale PNG, at most 160 px a side
    model_text: str
    labels: str  # what the person confirmed or gave
    right: bool  # the model read every digit as the person said


@dataclass(frozen=True)
class WallSummary:
    """One round on the wall.

    drawings: answers in the round; confirmed_share: the fraction of them where the person
    confirmed the model's reading (0.0 with none); per_digit: all ten digits, 0-9, even unseen
    ones (count 0); confused: the most frequent mistakes, most first; latest: newest first.
    """

    round_id: int
    drawings: int
    confirmed_share: float
    per_digit: list[DigitAccuracy]
    confused: list[Confusion]
    latest: list[WallDrawing]


def summarize(connection: Connection, round_id: int, latest: int) -> WallSummary:
    """Run in one read transaction, so that every figure counts the same answers."""
    shown = and_(drawings.c.round_id == round_id, drawings.c.hidden == false())
    confirmed = func.sum(case((drawings.c.labels == drawings.c.model_text, 1), else_=0))
    total, confirmed_count = connection.execute(select(func.count(), confirmed).where(shown)).one()

    # One count per (person's digit, model's digit): at most 100 rows, from which both the
    # accuracy per digit and the most confused pairs follow.
    pairs = connection.execute(
        select(digits.c.label, digits.c.predicted, func.count())
        .join(drawings, digits.c.drawing_id == drawings.c.id)
        .where(shown)
        .group_by(digits.c.label, digits.c.predicted)
    ).all()
    per_digit = [
        DigitAccuracy(
            digit,
            sum(count for label, _, count in pairs if label == digit),
            sum(count for label, predicted, count in pairs if label == predicted == digit),
        )
        for digit in range(NUM_CLASSES)
    ]
    mistakes = sorted((-count, label, predicted) for label, predicted, count in pairs if label != predicted)
    confused = [Confusion(label, predicted, -negative) for negative, label, predicted in mistakes[:MOST_CONFUSED]]

    # The newest ids first, then their pictures: joining first would read every picture in the round.
    newest_ids = (
        select(drawings.c.id, drawings.c.model_text, drawings.c.labels)
        .where(shown)
        .order_by(drawings.c.id.desc())
        .limit(latest)
        .subquery()
    )
    newest = connection.execute(
        select(newest_ids.c.id, pictures.c.png, newest_ids.c.model_text, newest_ids.c.labels)
        .join(pictures, pictures.c.drawing_id == newest_ids.c.id)
        .order_by(newest_ids.c.id.desc())
    ).all()
    return WallSummary(
        round_id=round_id,
        drawings=total,
        confirmed_share=(confirmed_count or 0) / total if total else 0.0,
        per_digit=per_digit,
        confused=confused,
        latest=[
            WallDrawing(id, png, model_text, labels, labels == model_text) for id, png, model_text, labels in newest
        ],
    )
