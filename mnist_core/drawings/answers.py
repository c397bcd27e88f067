"""Check one person's answer before anything of it is stored; ValueError says what is wrong."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mnist_core.config import IMAGE_SIZE, NUM_CLASSES
from mnist_core.drawings.schema import MODEL_INPUT_BYTES

MAX_DIGITS = 20
MAX_PNG_BYTES = 64 * 1024  # a 160 px drawing is a few KB; anything near this is not one
MAX_PNG_SIDE = 160
MAX_SESSION_ID = 64
MAX_MODEL_NAME = 100
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DIGIT_CHARACTERS = frozenset("0123456789")


@dataclass(frozen=True)
class DigitRow:
    """One digit as stored: model_input is 784 bytes (28x28 uint8, white ink on black, row by row)."""

    position: int
    model_input: bytes
    label: int
    predicted: int
    confidence: float


@dataclass(frozen=True)
class Answer:
    session_id: str
    model_name: str
    png: bytes
    labels: str
    model_text: str
    digits: list[DigitRow]


def check_answer(session_id: str, model_name: str, drawing_png: bytes, digits: Sequence[tuple], labels: str) -> Answer:
    """Validate an answer (see DrawingStore.add_answer for the arguments) -> the rows to store."""
    check_text("session id", session_id, MAX_SESSION_ID)
    check_text("model name", model_name, MAX_MODEL_NAME)
    check_png(drawing_png)
    if not 1 <= len(digits) <= MAX_DIGITS:
        raise ValueError(f"an answer has 1 to {MAX_DIGITS} digits, not {len(digits)}")
    if not isinstance(labels, str) or not labels or not set(labels) <= DIGIT_CHARACTERS:
        raise ValueError("the answer must be digits 0-9 only, one for each digit drawn")
    if len(labels) != len(digits):
        raise ValueError(f"the answer has {len(labels)} digits but the drawing has {len(digits)}: give one for each")
    rows = []
    for position, (digit, label) in enumerate(zip(digits, labels)):
        if len(digit) != 3:
            raise ValueError("each digit must be (model input, predicted digit, confidence)")
        model_input, predicted, confidence = digit
        rows.append(
            DigitRow(
                position=position,
                model_input=model_input_bytes(model_input),
                label=int(label),
                predicted=check_predicted(predicted),
                confidence=check_confidence(confidence),
            )
        )
    model_text = "".join(str(row.predicted) for row in rows)
    return Answer(session_id, model_name, bytes(drawing_png), labels, model_text, rows)


def check_text(what: str, value: str, longest: int) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        raise ValueError(f"the {what} must be text of 1 to {longest} characters")


def check_png(png: bytes) -> None:
    """A PNG of at most MAX_PNG_BYTES and MAX_PNG_SIDE pixels a side (read from its IHDR header)."""
    if not isinstance(png, (bytes, bytearray)) or not png.startswith(PNG_SIGNATURE) or len(png) < 24:
        raise ValueError("the drawing must be a PNG image")
    if len(png) > MAX_PNG_BYTES:
        raise ValueError(
            f"the drawing's PNG is {len(png) // 1024} KB, more than the {MAX_PNG_BYTES // 1024} KB allowed"
        )
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    if not (0 < width <= MAX_PNG_SIDE and 0 < height <= MAX_PNG_SIDE):
        raise ValueError(
            f"the drawing's PNG is {width}x{height} pixels: shrink it to {MAX_PNG_SIDE} pixels a side "
            "(mnist_core.drawings.drawing_png does)"
        )


def model_input_bytes(model_input) -> bytes:
    """A digit's model input, uint8 or float32 in [0, 1], (28, 28) or any shape of 784 values -> 784 bytes."""
    array = np.asarray(model_input)
    if array.size != MODEL_INPUT_BYTES:
        raise ValueError(f"a digit's model input must be {IMAGE_SIZE}x{IMAGE_SIZE} pixels, not shape {array.shape}")
    if array.dtype == np.uint8:
        return array.tobytes()
    if not np.issubdtype(array.dtype, np.floating) or not np.all((array >= 0) & (array <= 1)):
        raise ValueError("a digit's model input must be uint8, or floats between 0 and 1")
    return np.round(array * 255).astype(np.uint8).tobytes()


def check_predicted(predicted) -> int:
    if isinstance(predicted, bool) or not isinstance(predicted, (int, np.integer)) or not 0 <= predicted < NUM_CLASSES:
        raise ValueError(f"the model's digit must be a whole number 0-{NUM_CLASSES - 1}")
    return int(predicted)


def check_confidence(confidence) -> float:
    is_number = isinstance(confidence, (int, float, np.number)) and not isinstance(confidence, bool)
    if not (is_number and math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
        raise ValueError("the model's confidence must be a number between 0 and 1")
    return float(confidence)
