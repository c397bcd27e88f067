"""Read digits from a drawing: one loaded model, a compiled fast path, safe from many threads."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mnist_core import artifacts
from mnist_core.brush_hint import too_fat_for_its_brush
from mnist_core.config import (
    CALIBRATION_FILE,
    DEFAULT_MODEL,
    DEFAULT_UNSURE_THRESHOLD,
    INPUT_SHAPE,
    NUM_CLASSES,
    model_dir,
)
from mnist_core.normalize import image_to_ink, normalize_digit
from mnist_core.not_digit import load_detector, not_digit_scores
from mnist_core.numpy_forward import read_forward
from mnist_core.segment import Box, DigitInk, find_digits, split_touching

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# A reading's status: OK, a digit read; UNSURE, the model hesitates between digits (below the
# calibrated confidence); NOT_DIGIT, the drawing looks like no digit at all (a scribble, a letter,
# a shape: mnist_core.not_digit's detector says so); EMPTY, nothing drawn.
OK, UNSURE, EMPTY, NOT_DIGIT = "ok", "unsure", "empty", "not_digit"
# Reading.hint when a drawing is not read and its ink is blobs a brush too wide made of it.
THIN_BRUSH_HINT = "try a thinner brush"
# Of a drawing read as several pieces, a second piece must score this much (share of the
# threshold) for any to count as no digit: touching digits cut apart leave at most one odd piece.
SECOND_PIECE_FAR = 0.8
SMALL_BATCH = 16  # up to this many images go through NumPy, larger batches through TensorFlow (not a drawing's pieces)


@dataclass(frozen=True)
class DigitReading:
    """One digit: where it is, what the model saw, and what it thinks."""

    box: Box
    model_input: np.ndarray  # float32 (28, 28) in [0, 1]
    probabilities: np.ndarray  # float32 (10,)
    status: str  # OK, UNSURE or NOT_DIGIT
    # float32 (h, w): the digit's own ink in its box, other ink removed, as normalize_digit read it
    # (for showing the steps: mnist_core.explain); None where a reading was made without it.
    own_ink: np.ndarray | None = None
    # UNSURE because the not-a-digit detector doubts the piece (between its two thresholds), not
    # because the model hesitates between two digits.
    doubtful: bool = False

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return float(np.max(self.probabilities))

    @property
    def top_two(self) -> list[tuple[int, float]]:
        order = np.argsort(-self.probabilities)[:2]
        return [(int(d), float(self.probabilities[d])) for d in order]


@dataclass(frozen=True)
class Reading:
    """What a whole drawing says: EMPTY, or its digits left to right: NOT_DIGIT if its pieces look
    like no digit (see Predictor.not_digit), else UNSURE if any digit is, else OK. The digits are
    kept whatever the status: the model's best guesses (e.g. to show "not sure: 3 or 8?")."""

    status: str
    digits: list[DigitReading] = field(default_factory=list)
    ink: np.ndarray | None = None  # float32 (H, W): the drawing's ink, in the boxes' coordinates
    hint: str | None = None  # THIN_BRUSH_HINT, or None: advice to show when the drawing is not read

    @property
    def text(self) -> str:
        return "".join(str(d.digit) for d in self.digits)

    @property
    def first(self) -> DigitReading | None:
        return self.digits[0] if self.digits else None


class Predictor:
    """A model loaded once, read-only afterwards, so that one instance serves every thread.

    One drawing's few digits go through the model's layers in NumPy, read straight from
    model.keras (numpy_forward): no TensorFlow is imported to serve them. Keras (safe mode) is
    loaded only when first needed: for large batches, or a model NumPy does not cover.
    """

    def __init__(self, folder: str | os.PathLike = DEFAULT_MODEL):
        self.folder = Path(model_dir(folder))
        path = artifacts.model_file(self.folder)
        self.unsure_threshold = read_unsure_threshold(self.folder)
        # The not-a-digit detector and the score above which a piece is no digit (calibrate.py);
        # without them, no drawing is judged NOT_DIGIT.
        self.not_digit_threshold = read_not_digit_threshold(self.folder)
        # Between this lower score and the threshold a piece is answered "not sure", not refused;
        # a model calibrated without it has no such band.
        self.not_digit_doubt_threshold = read_calibrated(self.folder, "not_digit_doubt_threshold") or self.not_digit_threshold
        self.not_digit_detector = load_detector(self.folder) if self.not_digit_threshold is not None else None
        self._keras_lock = threading.Lock()
        self._model = None
        self._forward = None
        hint = artifacts.TRAIN_HINT.format(name=self.folder.name)
        try:
            numpy_forward = read_forward(path)  # checks the file before Keras would ever read it
        except ValueError as error:
            raise ValueError(f"{error}. {hint}") from error
        self.uses_numpy = numpy_forward is not None
        # Not covered by NumPy: load Keras now, not under the first user's stroke.
        self._small_forward = numpy_forward if self.uses_numpy else self._keras_forward()
        classes = np.asarray(self._small_forward(np.zeros((1, *INPUT_SHAPE), np.float32))).shape[-1]
        if classes != NUM_CLASSES:
            raise ValueError(f"{self.folder.name}/{path.name} gives {classes} scores, not one per digit. {hint}")

    @property
    def model(self):
        """The Keras model (loaded on first use, in safe mode)."""
        self._keras_forward()
        return self._model

    def _keras_forward(self):
        """The model as a traced tf.function with a fixed signature, built once on first use.

        ~2 ms per call from any thread, where an eager call costs 15-25 ms and model.predict()
        ~100 ms for one image.
        """
        with self._keras_lock:
            if self._forward is None:
                try:
                    import tensorflow as tf
                except ModuleNotFoundError as error:  # the serving install (requirements.txt) leaves it out
                    needs = (f"a batch of more than {SMALL_BATCH} images goes through" if self.uses_numpy
                             else "the NumPy forward pass does not cover its layers; it needs")
                    raise ValueError(
                        f"Model {self.folder.name}: {needs} TensorFlow and Keras, which are not installed. "
                        "Install them with: pip install -r requirements-train.txt"
                    ) from error

                model = artifacts.load_keras_model(self.folder)
                forward = tf.function(
                    lambda batch: model(batch, training=False),
                    input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
                )
                forward(np.zeros((1, *INPUT_SHAPE), np.float32))  # trace now
                self._model, self._forward = model, forward
            return self._forward

    def probabilities(self, images: np.ndarray, one_drawing: bool = False) -> np.ndarray:
        """float32 (N, 28, 28) or (N, 28, 28, 1) in [0, 1] -> float32 (N, 10) class probabilities.

        one_drawing: the pieces of one drawing being read, however many (splitting touching digits
        reads dozens), stay on the small path: serving never waits for TensorFlow to load.
        """
        batch = np.asarray(images, np.float32).reshape(-1, *INPUT_SHAPE)
        if len(batch) == 0:
            return np.zeros((0, NUM_CLASSES), np.float32)
        small = one_drawing or len(batch) <= SMALL_BATCH
        forward = self._small_forward if small else self._keras_forward()
        scores = np.asarray(forward(batch), dtype=np.float32)
        # The seed presets end in sigmoid, not softmax: rescale so every model's scores sum to 1.
        return scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-12)

    def read(self, image: np.ndarray, multi: bool = False) -> Reading:
        """Any image array (canvas RGBA, RGB, gray; see normalize.to_float_image) -> Reading."""
        ink = image_to_ink(image)
        # Grouping pieces, splitting touching digits and the answer itself may all need the same
        # digit read: each is normalized and read once per drawing.
        seen: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

        def read_digits(digits: list[DigitInk]) -> tuple[np.ndarray, np.ndarray]:
            """Digits' ink -> float32 (n, 28, 28) model inputs and (n, 10) probabilities."""
            keys = [(d.box, d.ink.shape, d.ink.tobytes()) for d in digits]
            new = {key: digit for key, digit in zip(keys, digits) if key not in seen}
            if new:
                inputs = np.stack([normalize_digit(d.ink) for d in new.values()])
                seen.update(zip(new, zip(inputs, self.probabilities(inputs, one_drawing=True))))
            return np.stack([seen[key][0] for key in keys]), np.stack([seen[key][1] for key in keys])

        def probabilities(digits: list[DigitInk]) -> np.ndarray:
            return read_digits(digits)[1]

        def confidence(digits: list[DigitInk]) -> np.ndarray:
            return probabilities(digits).max(axis=1)

        digits = find_digits(ink, multi=multi, confidence=confidence if multi else None)
        if not digits:
            return Reading(EMPTY, ink=ink, hint=THIN_BRUSH_HINT if too_fat_for_its_brush(ink) else None)
        if multi:
            digits = resolve_touching(digits, probabilities)
        inputs, probabilities = read_digits(digits)
        return self.make_reading(digits, inputs, probabilities, ink)

    def not_digit(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """float32 (n, 28, 28) one drawing's pieces -> bool (n,) which look like no digit, and bool
        (n,) which the detector doubts (above the doubt threshold, not far). Of several pieces, none
        counts unless a second one nearly does too: cutting touching digits apart leaves an odd
        piece (half a 0 against a 1) where the number reads right."""
        nothing = np.zeros(len(inputs), bool)
        if self.not_digit_detector is None or len(inputs) == 0:
            return nothing, nothing
        scores = not_digit_scores(self.not_digit_detector, inputs)
        far = beyond(scores, self.not_digit_threshold)
        return far, beyond(scores, self.not_digit_doubt_threshold) & ~far

    def make_reading(
        self, digits: list[DigitInk], inputs: np.ndarray, probabilities: np.ndarray, ink: np.ndarray
    ) -> Reading:
        far, doubted = self.not_digit(inputs)
        readings = [
            DigitReading(
                box=digit.box, model_input=model_input, probabilities=p,
                status=NOT_DIGIT if is_far else OK if p.max() >= self.unsure_threshold and not doubt else UNSURE,
                own_ink=digit.ink, doubtful=bool(doubt),
            )
            for digit, model_input, p, is_far, doubt in zip(digits, inputs, probabilities, far, doubted)
        ]
        statuses = {r.status for r in readings}
        status = NOT_DIGIT if NOT_DIGIT in statuses else UNSURE if UNSURE in statuses else OK
        hint = THIN_BRUSH_HINT if status != OK and too_fat_for_its_brush(ink) else None
        return Reading(status, readings, ink, hint)


def beyond(scores: np.ndarray, threshold: float) -> np.ndarray:
    """float (n,) detector scores of one drawing's pieces, a threshold -> bool (n,) above it, with
    the second-piece rule of Predictor.not_digit (several pieces: none unless a second is near)."""
    ratios = scores / threshold
    above = ratios > 1.0
    if len(ratios) > 1 and np.sort(ratios)[-2] <= SECOND_PIECE_FAR:
        above[:] = False
    return above


def read_unsure_threshold(folder: Path) -> float:
    """The calibrated threshold in folder/calibration.json, else the default."""
    return read_calibrated(folder, "unsure_threshold") or DEFAULT_UNSURE_THRESHOLD


def read_not_digit_threshold(folder: Path) -> float | None:
    """The detector's calibrated score in folder/calibration.json, or None when the model was
    calibrated without it."""
    return read_calibrated(folder, "not_digit_threshold")


def read_calibrated(folder: Path, key: str) -> float | None:
    """A threshold in (0, 1) that scripts/calibrate.py wrote into folder/calibration.json, or None
    when there is no such file, key or sensible value."""
    path = Path(folder) / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        value = float(artifacts.read_json(path)[key])
    except (ValueError, KeyError, TypeError):
        return None
    return value if 0.0 < value < 1.0 else None


def resolve_touching(digits: list[DigitInk], probabilities) -> list[DigitInk]:
    """Groups of ink left to right -> digits: each wide group cut where the model reads digits that
    touch best (segment.split_touching; probabilities: digits' ink -> float (n, 10))."""
    line_height = max(d.box.height for d in digits)
    return [piece for digit in digits for piece in split_touching(digit, line_height, probabilities)]
