"""How a reading is shown: the answer at a glance, and per digit its probabilities and model input."""

from __future__ import annotations

import base64

import numpy as np
import streamlit as st

from mnist_core import display
from mnist_core.config import PREDICTION_LABEL
from mnist_core.predictor import EMPTY, NOT_DIGIT, UNSURE, DigitReading, Reading

PROMPT = "✏️ Draw a digit, or several, anywhere on the canvas."
DETAILED_DIGITS = 4


def answer_ui(reading: Reading | None, label: str = PREDICTION_LABEL) -> None:
    """The answer at a glance: the digits large with how sure, or a prompt when nothing is drawn."""
    if reading is None or reading.status == EMPTY:
        note = "" if reading is None else " Nothing there looks like one yet" + (
            f": if you drew a small one, {reading.hint}." if reading.hint else ".")
        st.info(PROMPT + note)
        return
    digits = reading.digits
    if reading.status == NOT_DIGIT:
        # A large "?" where the digits go: the room sees at once that the model declined.
        note = "That doesn't look like a digit" + (f": {reading.hint}" if reading.hint else "")
        st.metric(label, "?", delta=note, delta_color="gray", delta_arrow="off")
        return
    if reading.status == UNSURE:
        note, color = "Not sure: " + " · ".join(unsure_note(d) for d in digits if d.status == UNSURE) + (
            f" · {reading.hint}" if reading.hint else ""), "orange"
    else:
        confidence = min(d.confidence for d in digits)
        note = f"{confidence:.0%} sure" + (f" of each of its {len(digits)} digits" if len(digits) > 1 else "")
        color = "green"
    # One element, not columns of several: it is redrawn after every stroke.
    st.metric(label, reading.text, delta=note, delta_color=color, delta_arrow="off")


def unsure_note(digit: DigitReading) -> str:
    """Why one digit is not sure: the detector doubts it is a digit, or two digits are close."""
    if digit.doubtful:
        return f"{digit.digit}? it does not look much like a digit"
    (first, p_first), (second, p_second) = digit.top_two
    return f"{first} ({p_first:.0%}) or {second} ({p_second:.0%})"


def details_ui(reading: Reading | None) -> None:
    """All 10 probabilities and what the model sees, per digit; the digits' boxes when several."""
    if reading is None or reading.status == EMPTY:
        st.caption("The model's view of your drawing, and how sure it is of each digit, appear here.")
        return
    digits = reading.digits
    if len(digits) > 1:
        picture = display.drawing_with_boxes(reading.ink, [d.box for d in digits])
        st.image(display.png_bytes(picture), width=320, caption="Digits found, left to right", output_format="PNG")
    for digit in digits[:DETAILED_DIGITS]:
        title = f"{digit.digit} · {digit.confidence:.0%}" if len(digits) > 1 else ""
        st.html(reading_html(digit, title))
    if len(digits) > DETAILED_DIGITS:
        st.caption(f"Details shown for the first {DETAILED_DIGITS} of {len(digits)} digits.")


def reading_html(digit: DigitReading, title: str = "") -> str:
    """One digit's 10 probabilities as bars and the 28x28 image the model saw, as HTML.

    Plain HTML (styled by assets/page.css), one element per digit: a Vega chart and an st.image per
    digit cost the browser tens of milliseconds to build on every stroke, and the image a second
    request. Only numbers the model produced go into it.
    """
    picture = png_data_uri(display.pixel_grid(digit.model_input, cell=6))
    heading = f'<div class="title">{title}</div>' if title else ""
    return (
        f'{heading}<div class="reading">{probability_bars_html(digit.probabilities)}'
        f'<figure><img src="{picture}" alt="the 28 by 28 image the model sees">'
        "<figcaption>What the model sees (28×28)</figcaption></figure></div>"
    )


def probability_bars_html(probabilities: np.ndarray) -> str:
    """float (10,) probabilities -> ten bars, the highest in the accent colour with its share (styled
    by .bars in assets/page.css)."""
    top = int(np.argmax(probabilities))
    bars = "".join(
        f'<div class="bar{" top" if index == top else ""}" title="{index}: {p:.1%}">'
        + (f"<b>{p:.0%}</b>" if index == top else "")
        + f'<div class="fill" style="height:{100 * p:.1f}%"></div><span>{index}</span></div>'
        for index, p in enumerate(float(p) for p in probabilities)
    )
    return f'<div class="bars" role="img" aria-label="probabilities of 0 to 9">{bars}</div>'


def png_data_uri(image: np.ndarray) -> str:
    """uint8 (H, W) gray or (H, W, 3) RGB -> a data: URI of its PNG, for an <img> in st.html."""
    return "data:image/png;base64," + base64.b64encode(display.png_bytes(image)).decode("ascii")
