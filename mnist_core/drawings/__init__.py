"""The answers people give at a meetup (confirmed or corrected readings), in a real database.

    store = open_store()                      # $DRAWINGS_DB, else data/drawings.sqlite3
    drawing_id = store.add_answer(session_id, model_name, drawing_png(canvas),
                                  [(d.model_input, d.digit, d.confidence) for d in reading.digits], "47")
    summary = store.wall_summary()            # the live wall's figures for the current round

Errors a person may see are ValueError (a bad answer; nothing stored) and its subclass
StoreUnavailable (the database cannot be used right now; AnswersPaused while answers are paused).
"""

from mnist_core.drawings.engine import DB_URL_ENV, StoreUnavailable
from mnist_core.drawings.jobs import DONE, FAILED, RUNNING, FinetuneJob
from mnist_core.drawings.store import AnswersPaused, DrawingStore, ExportedDigit, Round, open_store
from mnist_core.drawings.thumbnail import drawing_png
from mnist_core.drawings.wall import Confusion, DigitAccuracy, WallDrawing, WallSummary

__all__ = [
    "DB_URL_ENV",
    "DONE",
    "FAILED",
    "RUNNING",
    "AnswersPaused",
    "Confusion",
    "DigitAccuracy",
    "DrawingStore",
    "ExportedDigit",
    "FinetuneJob",
    "Round",
    "StoreUnavailable",
    "WallDrawing",
    "WallSummary",
    "drawing_png",
    "open_store",
]
