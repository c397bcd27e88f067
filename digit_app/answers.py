"""Answer controls under a reading: "Right", or what was really drawn, kept in the drawings database."""

from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from digit_app.store import drawings_store
from mnist_core.drawings import AnswersPaused, StoreUnavailable, drawing_png
from mnist_core.predictor import EMPTY, NOT_DIGIT, Reading

MAX_ANSWERS_PER_MINUTE = 30  # faster than a person draws: a script, or a stuck finger
DIGIT_OPTIONS = [str(digit) for digit in range(10)]
ANSWER_NOTE_KEY = "answer_note"


def visitor_id() -> str:
    """An anonymous id of this browser session: its answers can be forgotten together."""
    return st.session_state.setdefault("visitor_id", uuid.uuid4().hex)


def answer_controls_ui(drawing: np.ndarray | None, reading: Reading | None, model_name: str, canvas_key: str) -> None:
    """`Right`, or the digit(s) really drawn; nothing is stored until the person answers."""
    if reading is None or reading.status == EMPTY:
        return
    with st.container(key="answer_controls"):
        st.caption("Was it right? Nothing is kept unless you answer; answers go on the wall.")
        # A drawing the model declined has no reading to confirm, only the digit it really is.
        if reading.status != NOT_DIGIT and st.button("Right", type="primary", icon=":material/check:",
                                                     key=f"right-{canvas_key}"):
            save_answer(drawing, reading, reading.text, model_name)
        if len(reading.digits) == 1:
            correction = st.pills("No, it was", DIGIT_OPTIONS, key=f"correction-{canvas_key}")
        else:
            correction = st.text_input(
                "No, it was", max_chars=len(reading.digits) + 5, placeholder=f"the right {len(reading.digits)} digits",
                key=f"correction-{canvas_key}", help="Digits only, one for each box on the right, then Enter",
            )
        if correction:
            save_answer(drawing, reading, correction.strip(), model_name)


def save_answer(drawing: np.ndarray, reading: Reading, labels: str, model_name: str) -> None:
    """Store the answer and start a new canvas; on any refusal, say why and store nothing."""
    try:
        store = drawings_store()
        if store.answers_in_last(visitor_id(), seconds=60) >= MAX_ANSWERS_PER_MINUTE:
            st.warning(f"More than {MAX_ANSWERS_PER_MINUTE} answers in a minute: take a breath, then answer again.")
            return
        store.add_answer(
            visitor_id(), model_name, drawing_png(drawing),
            [(digit.model_input, digit.digit, digit.confidence) for digit in reading.digits], labels,
        )
    except AnswersPaused:
        st.info("The presenter has paused answers for a moment: keep drawing, and answer again soon.")
        return
    except StoreUnavailable as error:
        st.warning(f"{error}. Reading your drawings still works.")
        return
    except ValueError as error:  # a label outside 0-9, the wrong number of digits, ...
        st.error(str(error))
        return
    state = st.session_state
    state.answers_given = state.get("answers_given", 0) + 1
    state[ANSWER_NOTE_KEY] = "Right! On the wall." if labels == reading.text else f"Thanks: {labels}, on the wall."
    state.canvas_round = state.get("canvas_round", 0) + 1  # a new, empty canvas for the next digit
    st.rerun(scope="app")


def answer_note_ui() -> None:
    """The confirmation of the last answer, once, after the page came back with a new canvas."""
    if note := st.session_state.pop(ANSWER_NOTE_KEY, None):
        st.toast(note, icon=":material/check_circle:")


def forget_my_drawings_ui() -> None:
    """Delete every answer this browser session gave (shown once it has given one)."""
    if not st.session_state.get("answers_given"):
        return
    if st.button("Forget my drawings", type="tertiary", icon=":material/delete:"):
        try:
            count = drawings_store().forget_session(visitor_id())
        except StoreUnavailable as error:
            st.warning(str(error))
            return
        st.session_state.answers_given = 0
        st.toast(f"Forgotten: {count} drawing{'s' if count != 1 else ''} of yours.")
