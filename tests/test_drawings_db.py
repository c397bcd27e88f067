"""The answers database (mnist_core.drawings), each test on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from conftest import DRAWN_STROKES, FIXTURE_MNIST, PROJECT_ROOT, stroke_canvas
from sqlalchemy import create_engine, inspect, select, text

from mnist_core.data import load_split
from mnist_core.drawings import AnswersPaused, StoreUnavailable, drawing_png, open_store
from mnist_core.drawings.schema import SCHEMA_VERSION, UPGRADES, prepare, schema_version

MNIST_DIGITS = load_split(FIXTURE_MNIST, "test")  # real digits, standing in for what the model saw
# The drawing a person made, as the canvas gives it (dark ink on white), and its stored picture.
CANVAS = (255 - 255 * stroke_canvas(DRAWN_STROKES["7"], size=320, scale=2.5, offset=(40, 30))).astype(np.uint8)
PNG = drawing_png(CANVAS)


@pytest.fixture
def store(database_url):
    store = open_store(database_url)
    yield store
    store.close()


def digits_read(model_text: str, first: int = 0) -> list[tuple]:
    """(model_input uint8 (28, 28), predicted, confidence) for each digit the model read."""
    return [(MNIST_DIGITS.images[first + i], int(digit), 0.9) for i, digit in enumerate(model_text)]


def answer(store, labels: str, model_text: str | None = None, session: str = "visitor-1", first: int = 0) -> int:
    """The person answers `labels` to a drawing the model read as model_text (default: the same)."""
    return store.add_answer(session, "cnn-ensemble", PNG, digits_read(model_text or labels, first), labels)


def test_an_answer_round_trips(store):
    float_input = MNIST_DIGITS.images[5].astype(np.float32) / 255  # as DigitReading.model_input
    digits = [(float_input, 1, 0.55), (MNIST_DIGITS.images[6], np.int64(1), np.float32(0.98))]
    before = datetime.now(UTC)
    drawing_id = store.add_answer("visitor-1", "cnn-ensemble", PNG, digits, "71")

    first, second = store.export()
    assert (first.drawing_id, first.position, second.position) == (drawing_id, 0, 1)
    assert np.array_equal(first.model_input, MNIST_DIGITS.images[5])
    assert np.array_equal(second.model_input, MNIST_DIGITS.images[6]) and second.model_input.dtype == np.uint8
    assert (first.label, first.predicted, second.label, second.predicted) == (7, 1, 1, 1)
    assert first.confidence == pytest.approx(0.55) and first.model_name == "cnn-ensemble"
    assert first.round_id == store.current_round().id
    assert before - timedelta(seconds=5) <= first.created_at <= datetime.now(UTC) + timedelta(seconds=5)

    shown = store.wall_summary().latest[0]
    assert (shown.id, shown.png, shown.labels, shown.model_text, shown.right) == (drawing_id, PNG, "71", "11", False)
    assert max(int.from_bytes(PNG[16:20], "big"), int.from_bytes(PNG[20:24], "big")) == 160
    assert store.answers_in_last("visitor-1", 60) == 1 and store.answers_in_last("visitor-2", 60) == 0


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"labels": "7a"}, "digits 0-9"),
        ({"labels": "٧"}, "digits 0-9"),  # an Arabic-Indic seven: a digit to Python, not to MNIST
        ({"labels": "77"}, "has 2 digits but the drawing has 1"),
        ({"labels": "", "digits_read": []}, "1 to 20 digits"),
        ({"labels": "1" * 21, "digits_read": digits_read("1" * 21)}, "1 to 20 digits"),
        ({"drawing_png": PNG + bytes(70_000)}, "KB allowed"),
        ({"drawing_png": drawing_png(CANVAS, max_side=320)}, "shrink it to 160 pixels"),
        ({"drawing_png": b"GIF89a" + bytes(100)}, "must be a PNG"),
        ({"digits_read": [(np.zeros((20, 20), np.uint8), 7, 0.9)]}, "28x28"),
        ({"digits_read": [(np.full((28, 28), 2.0, np.float32), 7, 0.9)]}, "between 0 and 1"),
        ({"digits_read": [(MNIST_DIGITS.images[0], 10, 0.9)]}, "0-9"),
        ({"digits_read": [(MNIST_DIGITS.images[0], 7, float("nan"))]}, "between 0 and 1"),
        ({"session_id": ""}, "session id"),
    ],
)
def test_a_bad_answer_is_refused_in_plain_words_and_nothing_is_stored(store, change, complaint):
    arguments = {
        "session_id": "visitor-1",
        "model_name": "cnn",
        "drawing_png": PNG,
        "digits_read": digits_read("7"),
        "labels": "7",
    }
    with pytest.raises(ValueError, match=complaint) as refused:
        store.add_answer(**{**arguments, **change})
    assert not isinstance(refused.value, StoreUnavailable) and "<" not in str(refused.value)
    assert list(store.export(include_hidden=True)) == [] and store.wall_summary().drawings == 0


def test_twenty_threads_answering_at_once_all_get_stored(store):
    threads, answers_each = 20, 20
    start = threading.Barrier(threads)
    seconds: list[float] = []

    def visitor(number: int) -> dict[int, str]:
        start.wait()
        given = {}
        for index in range(answers_each):
            labels = f"{number:02d}{index:02d}"  # a different answer for every call
            began = time.perf_counter()
            given[answer(store, labels, "4141", session=f"visitor-{number}", first=index)] = labels
            seconds.append(time.perf_counter() - began)
        return given

    with ThreadPoolExecutor(threads) as pool:
        given = {}
        for answers in pool.map(visitor, range(threads)):  # re-raises any thread's error
            given.update(answers)
    assert len(given) == threads * answers_each
    stored = {}
    for row in store.export():
        stored[row.drawing_id] = stored.get(row.drawing_id, "") + str(row.label)
    assert stored == given  # every answer stored, under the id its own caller got back
    assert all(store.answers_in_last(f"visitor-{number}", 600) == answers_each for number in range(threads))
    print(
        f"\n{store.engine.dialect.name}: add_answer with {threads} threads x {answers_each}: "
        f"p50 {1000 * statistics.median(seconds):.1f} ms, p95 {1000 * np.percentile(seconds, 95):.1f} ms"
    )


# Answers one after the other, printing each drawing's id once add_answer has returned (= confirmed).
WRITER = """
import sys
import numpy as np
from mnist_core.drawings import drawing_png, open_store

store = open_store(sys.argv[1])
png = drawing_png(np.full((100, 100), 255, np.uint8))
digit = np.arange(784, dtype=np.uint16).reshape(28, 28).astype(np.uint8)
while True:
    print(store.add_answer("writer", "cnn", png, [(digit, 3, 0.5), (digit, 8, 0.5)], "38"), flush=True)
"""


def test_an_answer_confirmed_before_kill_9_is_kept(database_url):
    open_store(database_url).close()  # the tables exist before the writer starts
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, database_url], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
    )
    confirmed = []
    try:
        for line in writer.stdout:
            confirmed.append(int(line))
            if len(confirmed) == 40:
                writer.send_signal(signal.SIGKILL)  # mid-way through the next answer, most likely
                break
    finally:
        writer.kill()
        confirmed += [int(line) for line in writer.stdout]  # ids printed before the kill landed
        writer.wait()
    assert len(confirmed) >= 40
    store = open_store(database_url)
    try:
        stored = {row.drawing_id for row in store.export()}
        assert set(confirmed) <= stored
    finally:
        store.close()
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_schema_is_versioned_and_upgraded_and_a_newer_one_refused(database_url):
    store = open_store(database_url)
    drawing_id = answer(store, "5")
    store.close()

    def add_notes_table(connection):
        connection.execute(text("CREATE TABLE visitor_notes (drawing_id INTEGER, note VARCHAR(200))"))

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            assert connection.execute(select(schema_version.c.version)).scalar_one() == SCHEMA_VERSION
            assert prepare(connection, [*UPGRADES, add_notes_table]) == SCHEMA_VERSION + 1
        with engine.connect() as connection:
            assert connection.execute(select(schema_version.c.version)).scalar_one() == SCHEMA_VERSION + 1
            assert inspect(connection).has_table("visitor_notes")
    finally:
        engine.dispose()

    with pytest.raises(StoreUnavailable, match=f"schema version {SCHEMA_VERSION + 1}, newer than this app knows"):
        open_store(database_url)
    engine = create_engine(database_url)  # the refused open changed nothing
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM drawings")).scalars().all() == [drawing_id]
    finally:
        engine.dispose()


def test_forgetting_a_session_deletes_its_answers_only(store):
    mine = [answer(store, "12", session="me"), answer(store, "3", session="me")]
    theirs = answer(store, "4", session="them")
    assert store.forget_session("me") == 2
    assert [row.drawing_id for row in store.export()] == [theirs]
    assert [shown.id for shown in store.wall_summary().latest] == [theirs]
    assert store.forget_session("me") == 0
    assert answer(store, "5", session="me") > max(mine)  # a forgotten id is never given again


def test_hidden_drawings_are_off_the_wall_and_out_of_exports(store):
    kept, rude = answer(store, "1"), answer(store, "7", "1")
    assert store.hide(rude) and not store.hide(rude + 100)
    summary = store.wall_summary()
    assert [shown.id for shown in summary.latest] == [kept]
    assert (summary.drawings, summary.confused, summary.per_digit[7].count) == (1, [], 0)
    assert [row.drawing_id for row in store.export()] == [kept]
    assert [row.drawing_id for row in store.export(include_hidden=True)] == [kept, rude]
    store.hide(rude, hidden=False)
    assert [shown.id for shown in store.wall_summary().latest] == [rude, kept]


def test_rounds_keep_answers_apart(store):
    first = store.current_round()
    old = answer(store, "1")
    second = store.start_round()
    assert second.id > first.id and store.current_round() == second and store.rounds() == [first, second]
    new = [answer(store, "2"), answer(store, "3")]
    assert store.wall_summary().drawings == 2 and store.wall_summary(first.id).drawings == 1
    assert [row.drawing_id for row in store.export(round_id=first.id)] == [old]
    assert [row.drawing_id for row in store.export(round_id=second.id)] == new
    assert [row.drawing_id for row in store.export()] == [old, *new]


def test_the_wall_counts_confirmations_accuracy_and_confusions(store):
    answer(store, "7")  # confirmed
    answer(store, "71", "11")  # corrected: the 7 was read as a 1
    answer(store, "7", "1")
    last = answer(store, "4", "9")
    summary = store.wall_summary(latest=2)
    assert (summary.round_id, summary.drawings, summary.confirmed_share) == (store.current_round().id, 4, 0.25)
    by_digit = {row.label: (row.count, row.right) for row in summary.per_digit}
    assert by_digit == {**dict.fromkeys(range(10), (0, 0)), 7: (3, 1), 1: (1, 1), 4: (1, 0)}
    assert [(c.label, c.predicted, c.count) for c in summary.confused] == [(7, 1, 2), (4, 9, 1)]
    assert [(shown.id, shown.right) for shown in summary.latest] == [(last, False), (last - 1, False)]


def test_the_wall_of_a_thousand_drawing_round(store):
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda index: answer(store, "3" if index % 10 else "8", "3", first=index % 200), range(1000)))
    timings = []
    for _ in range(40):
        began = time.perf_counter()
        summary = store.wall_summary()
        timings.append(time.perf_counter() - began)
    assert (summary.drawings, len(summary.latest), summary.confirmed_share) == (1000, 24, 0.9)
    assert [(c.label, c.predicted, c.count) for c in summary.confused] == [(8, 3, 100)]
    print(
        f"\n{store.engine.dialect.name}: wall_summary of 1000 drawings: "
        f"p50 {1000 * statistics.median(timings):.1f} ms, p95 {1000 * np.percentile(timings, 95):.1f} ms"
    )


def test_paused_answers_are_refused_until_resumed(store):
    store.set_paused(True)
    assert store.is_paused()

    def try_to_answer(number: int) -> str:
        try:
            answer(store, "1", session=f"visitor-{number}")
        except AnswersPaused as refused:
            return str(refused)
        return "stored"

    with ThreadPoolExecutor(10) as pool:  # answers written together are refused together
        assert set(pool.map(try_to_answer, range(10))) == {"answers are paused for the moment: this one was not saved"}
    store.set_paused(False)
    assert not store.is_paused() and answer(store, "1") and store.wall_summary().drawings == 1


def test_a_locked_database_is_reported_in_plain_words(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'drawings.sqlite3'}")
    other_process = sqlite3.connect(tmp_path / "drawings.sqlite3", isolation_level=None)
    try:
        other_process.execute("BEGIN EXCLUSIVE")  # holds the write lock past the busy timeout
        with pytest.raises(StoreUnavailable, match="answers cannot be saved right now"):
            answer(store, "1")
        other_process.execute("ROLLBACK")
        assert answer(store, "1")
    finally:
        other_process.close()
        store.close()


def test_an_unreachable_server_or_corrupt_file_is_reported_in_plain_words(tmp_path):
    from postgres_support import free_port

    with pytest.raises(StoreUnavailable, match="^answers cannot be saved right now") as refused:
        open_store(f"postgresql+psycopg://app:secret@127.0.0.1:{free_port()}/drawings")
    assert "secret" not in str(refused.value)
    corrupt = tmp_path / "drawings.sqlite3"
    corrupt.write_bytes(b"these are not the answers you are looking for" * 100)
    with pytest.raises(StoreUnavailable, match=re.escape(f"{corrupt} is not a readable SQLite database")):
        open_store(f"sqlite:///{corrupt}")
