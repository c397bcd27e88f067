"""The meetup in the app's pages: answers from the drawing page reach the database and the wall.

Each test runs on SQLite and on a real PostgreSQL server (tests/postgres_support.py).
"""

from __future__ import annotations

import pytest
from app_support import metric_values, run_app, run_wall
from conftest import DRAWN_STROKES, app_store, stroke_canvas

from mnist_core.drawings import DB_URL_ENV
from mnist_core.synthetic import render

SEVEN = render(stroke_canvas(DRAWN_STROKES["7"], scale=2.2, offset=(30, 20)), "black_on_transparent")


@pytest.fixture
def database(database_url, monkeypatch):
    yield from app_store(database_url, monkeypatch)


def answer_buttons(test):
    return next(button for button in test.button if button.label == "Right"), test.button_group[0]


def test_nothing_is_kept_until_the_person_answers_then_right_puts_it_on_the_wall(database):
    test = run_app(SEVEN)
    assert metric_values(test)["Prediction"] == "7"
    assert any("Nothing is kept unless you answer" in caption.value for caption in test.caption)
    assert database.wall_summary().drawings == 0
    right, _ = answer_buttons(test)
    test = right.click().run()
    assert not test.exception
    assert any("On the wall" in toast.value for toast in test.toast)
    assert [(d.labels, d.model_text, d.right) for d in database.wall_summary().latest] == [("7", "7", True)]
    wall = run_wall()
    assert not wall.exception
    assert metric_values(wall)["Drawings"] == "1" and metric_values(wall)["Model right"] == "100%"


def test_a_correction_is_stored_as_the_persons_digit_and_the_wall_marks_it_wrong(database):
    test = run_app(SEVEN)
    _, digits = answer_buttons(test)
    assert digits.options == [str(digit) for digit in range(10)]
    test = digits.set_value("1").run()
    assert not test.exception
    (drawing,) = database.wall_summary().latest
    assert (drawing.labels, drawing.model_text, drawing.right) == ("1", "7", False)
    wall = run_wall()
    assert metric_values(wall)["Model right"] == "0%"
    assert any("✗ 7 → 1" in block.value for block in wall.get("html"))


def test_forget_my_drawings_deletes_this_sessions_answers_only(database):
    someone_else = run_app(SEVEN)
    answer_buttons(someone_else)[0].click().run()
    test = run_app(SEVEN)
    test = answer_buttons(test)[0].click().run()
    assert database.wall_summary().drawings == 2
    forget = next(button for button in test.button if button.label == "Forget my drawings")
    test = forget.click().run()
    assert not test.exception
    assert database.wall_summary().drawings == 1


def test_presenter_controls_need_the_passcode(database, monkeypatch):
    wall = run_wall()
    assert any("Presenter controls are off" in info.value for info in wall.info)
    assert not [button for button in wall.button if button.label == "Start a new round"]

    monkeypatch.setenv("PRESENTER_PASSCODE", "room-42")
    wall = run_wall()
    wall = wall.text_input(key="presenter_passcode").input("guess").run()
    assert any("Wrong passcode" in error.value for error in wall.error)
    assert not [button for button in wall.button if button.label == "Start a new round"]

    database_round = database.current_round().id
    wall = wall.text_input(key="presenter_passcode").input("room-42").run()
    new_round = next(button for button in wall.button if button.label == "Start a new round")
    new_round.click().run()
    assert database.current_round().id == database_round + 1


def test_with_the_database_down_reading_goes_on_and_the_page_says_answers_wait(monkeypatch):
    monkeypatch.setenv(DB_URL_ENV, "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    test = run_app(SEVEN)
    test = answer_buttons(test)[0].click().run()
    assert not test.exception
    assert metric_values(test)["Prediction"] == "7"
    assert any("cannot be saved" in warning.value for warning in test.warning), [w.value for w in test.warning]
