"""Pictures of what happens inside the model, as uint8 arrays with a line saying what each shows
(the app's "Inside the model" panel; no Streamlit here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_core.config import DIGIT_BOX, IMAGE_SIZE
from mnist_core.display import drawing_with_boxes
from mnist_core.normalize import INK_THRESHOLD, MNIST_CENTRE, MNIST_STROKE_RATIO, NormalizeSteps, stroke_width
from mnist_core.predictor import Reading
from mnist_core.segment import Box

HEAT = np.array([228, 87, 46], np.float32)  # the page's accent (the top bar in reading_view): visible in both themes
STRAY = np.array([230, 25, 75], np.float32)


@dataclass(frozen=True)
class PipelinePicture:
    title: str
    picture: np.ndarray  # uint8 (H, W) gray or (H, W, 3) RGB
    caption: str  # what happened, and why


def on_white(ink: np.ndarray) -> np.ndarray:
    """float32 (H, W) ink in [0, 1] -> uint8 (H, W): dark ink on white, as drawn."""
    return ((1.0 - np.clip(ink, 0.0, 1.0)) * 255).astype(np.uint8)


def paint(gray: np.ndarray, mask: np.ndarray, color: np.ndarray) -> np.ndarray:
    """uint8 (H, W) gray, float32 (H, W) in [0, 1] how much of `color` -> uint8 (H, W, 3)."""
    alpha = np.clip(mask, 0.0, 1.0)[..., None]
    return (gray[..., None].astype(np.float32) * (1.0 - alpha) + color * alpha).astype(np.uint8)


def heat_picture(ink: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """float32 (H, W) ink and saliency (any scale, >= 0) -> uint8 (H, W, 3): the ink pale, the
    saliency over it in the accent colour, its strongest point fully coloured."""
    strongest = float(saliency.max())
    heat = saliency / strongest if strongest > 0 else saliency
    pale = (255 - 0.25 * (255 - on_white(ink).astype(np.float32))).astype(np.uint8)
    return paint(pale, 1.5 * np.sqrt(heat), HEAT)  # the square root, raised: faint evidence stays visible


def framed(fitted: np.ndarray) -> np.ndarray:
    """float32 (h', w') with max side 20 -> uint8 (20, 20): white ink on black, centred in MNIST's box."""
    box = np.zeros((DIGIT_BOX, DIGIT_BOX), np.float32)
    top, left = (DIGIT_BOX - fitted.shape[0]) // 2, (DIGIT_BOX - fitted.shape[1]) // 2
    box[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    return (box * 255).astype(np.uint8)


def with_centre_mark(model_input: np.ndarray) -> np.ndarray:
    """float32 (28, 28) -> uint8 (28, 28, 3): white on black, MNIST's centre pixel marked."""
    gray = (np.clip(model_input, 0.0, 1.0) * 255).astype(np.uint8)
    mark = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    mark[int(MNIST_CENTRE), int(MNIST_CENTRE)] = 1.0
    return paint(gray, mark, HEAT)


def kept_ink(reading: Reading) -> np.ndarray:
    """float32 (H, W): the ink of every digit read, where each sits on the canvas."""
    kept = np.zeros_like(reading.ink)
    for digit in reading.digits:
        if digit.own_ink is not None:
            box = digit.box
            kept[box.top : box.bottom, box.left : box.right] = np.maximum(
                kept[box.top : box.bottom, box.left : box.right], digit.own_ink)
    return kept


def stroke_line(steps: NormalizeSteps) -> str:
    """What the stroke-width step did, in numbers."""
    before = stroke_width(steps.cropped >= INK_THRESHOLD) / max(steps.cropped.shape)
    after = stroke_width(steps.restroked >= INK_THRESHOLD) / max(steps.restroked.shape)
    target = f"MNIST's pen is {MNIST_STROKE_RATIO:.1%} of its digit's size"
    if abs(after - before) < 0.005:
        return f"Strokes {before:.0%} of the digit's size: near enough, left alone ({target})."
    verb = "thickened" if after > before else "thinned"
    return f"Strokes {verb} from {before:.0%} to {after:.0%} of the digit's size: {target}."


def pipeline_steps(reading: Reading, index: int, steps: NormalizeSteps) -> list[PipelinePicture]:
    """The pipeline, step by step, for digit `index` of the reading (whose normalize steps are given)."""
    digit = reading.digits[index]
    box: Box = digit.box
    ink = reading.ink
    kept = kept_ink(reading)
    dropped = np.where((ink >= INK_THRESHOLD) & (kept < 0.05), ink, 0.0)
    height, width = steps.restroked.shape
    fitted_height, fitted_width = steps.fitted.shape
    return [
        PipelinePicture("1 · The ink found", on_white(ink),
             "Each pixel's darkness against the background, 0 to 1: colour, brush and paper no longer matter."),
        PipelinePicture("2 · Specks and strays dropped", paint(on_white(kept), dropped > 0, STRAY),
             ("In red, ink left out (specks, dots, strays): it cannot move a digit's box." if dropped.any()
              else "Nothing stray: every stroke belongs to a digit.")),
        PipelinePicture("3 · The digit's box", drawing_with_boxes(ink, [box]),
             f"{box.width}×{box.height} px of the canvas: only this digit's own ink goes on."),
        PipelinePicture("4 · Stroke width brought to MNIST's", on_white(steps.restroked), stroke_line(steps)),
        PipelinePicture("5 · Scaled into 20×20", framed(steps.fitted),
             f"{width}×{height} px shrunk to {fitted_width}×{fitted_height}, its shape kept: MNIST's digits fill a 20×20 box."),
        PipelinePicture("6 · Centred by mass in 28×28", with_centre_mark(digit.model_input),
             "Moved so that its centre of mass sits on MNIST's (the marked pixel): what the network reads."),
    ]


def feature_map_pictures(maps: np.ndarray) -> np.ndarray:
    """float32 (F, h, w) one layer's maps, >= 0 -> uint8 (F, h, w), white where strongest. One scale
    for the whole layer, so a map that barely responds looks dark."""
    strongest = float(maps.max())
    return (np.clip(maps / strongest, 0.0, 1.0) * 255).astype(np.uint8) if strongest > 0 else np.zeros(maps.shape, np.uint8)
