"""Answer controls under a reading: "Right", or what was really drawn, kept in the drawings database."""

from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from digit_app.canvas import new_canvas
from digit_app.store import drawings_store
from mnist_core.drawings import AnswersPaused, StoreUnavailable, drawing_png
from mnist_core.predictor import EMPTY, NOT_DIGIT, Reading

MAX_ANSWERS_PER_MINUTE = 30  # faster than a person draws: a script, or a stuck finger
DIGIT_OPTIONS = [str(digit) for digit in range(10)]
ANSWER_RESULT_KEY = "answer_result"
# The drawing the answer controls are shown under, with its reading and model: one per session,
# replaced at every stroke. Not in the callbacks' args: Streamlit keeps a widget's callback and
# its args as long as the session, and every answer makes new widgets (the canvas's key changes),
# so a drawing in the args was a drawing kept per answer (~0.6 MB each, the server grew by
# ~700 MB over 1,200 answers in bench/loadtest.py --answer).
SHOWN_ANSWER_KEY = "answer_shown"


def visitor_id() -> str:
    """An anonymous id of this browser session: its answers can be forgotten together."""
    return st.session_state.setdefault("visitor_id", uuid.uuid4().hex)


def answer_controls_ui(drawing: np.ndarray | None, reading: Reading | None, model_name: str, canvas_key: str) -> None:
    """`Right`, or the digit(s) really drawn; nothing is stored until the person answers.

    The answer is stored in the widgets' callbacks, which also start a new canvas: the rerun that
    follows is the drawing fragment's alone, not the whole page's.
    """
    answer_result_ui()
    if reading is None or reading.status == EMPTY:
        return
    st.session_state[SHOWN_ANSWER_KEY] = (drawing, reading, model_name)
    with st.container(key="answer_controls"):
        st.caption("Was it right? Nothing is kept unless you answer; answers go on the wall.")
        # A drawing the model declined has no reading to confirm, only the digit it really is.
        if reading.status != NOT_DIGIT:
            st.button("Right", type="primary", icon=":material/check:", key=f"right-{canvas_key}",
                      on_click=save_answer, args=(reading.text,))
        correction_key = f"correction-{canvas_key}"
        if len(reading.digits) == 1:
            st.pills("No, it was", DIGIT_OPTIONS, key=correction_key, on_change=save_correction, args=(correction_key,))
        else:
            st.text_input(
                "No, it was", max_chars=len(reading.digits) + 5, placeholder=f"the right {len(reading.digits)} digits",
                key=correction_key, help="Digits only, one for each box on the right, then Enter",
                on_change=save_correction, args=(correction_key,),
            )


def save_correction(correction_key: str) -> None:
    """The callback of the digit(s) a person says were really drawn."""
    if labels := (st.session_state.get(correction_key) or "").strip():
        save_answer(labels)


def save_answer(labels: str) -> None:
    """Store the answer to the drawing shown and start a new canvas (a widget callback); on any
    refusal, store nothing. What happened is left in the session for answer_result_ui, which the
    rerun shows."""
    state = st.session_state
    shown = state.pop(SHOWN_ANSWER_KEY, None)
    if shown is None:  # a second click on the same answer, already stored
        return
    drawing, reading, model_name = shown
    try:
        store = drawings_store()
        if store.answers_in_last(visitor_id(), seconds=60) >= MAX_ANSWERS_PER_MINUTE:
            state[ANSWER_RESULT_KEY] = ("warning", f"More than {MAX_ANSWERS_PER_MINUTE} answers in a minute: "
                                                   "take a breath, then answer again.")
            return
        store.add_answer(
            visitor_id(), model_name, drawing_png(drawing),
            [(digit.model_input, digit.digit, digit.confidence) for digit in reading.digits], labels,
        )
    except AnswersPaused:
        state[ANSWER_RESULT_KEY] = ("info", "The presenter has paused answers for a moment: keep drawing, "
                                            "and answer again soon.")
        return
    except StoreUnavailable as error:
        state[ANSWER_RESULT_KEY] = ("warning", f"{error}. Reading your drawings still works.")
        return
    except ValueError as error:  # a label outside 0-9, the wrong number of digits, ...
        state[ANSWER_RESULT_KEY] = ("error", str(error))
        return
    state.answers_given = state.get("answers_given", 0) + 1
    note = "Right! On the wall." if labels == reading.text else f"Thanks: {labels}, on the wall."
    state[ANSWER_RESULT_KEY] = ("toast", note)
    new_canvas()  # an empty canvas for the next digit


def answer_result_ui() -> None:
    """What became of the last answer, once: a toast when it is on the wall, else why not."""
    result = st.session_state.pop(ANSWER_RESULT_KEY, None)
    if result is None:
        return
    kind, text = result
    if kind == "toast":
        st.toast(text, icon=":material/check_circle:")
    else:
        getattr(st, kind)(text)


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
