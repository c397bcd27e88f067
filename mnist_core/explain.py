"""Inside the model, for one digit of a reading: each network's vote, the pixels that decided, what
the layers saw, and the training digits it resembles (the app's "Inside the model" panel and
scripts/predict.py --explain). Everything comes from the NumPy layers of model.keras: no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mnist_core import artifacts
from mnist_core.neighbours import NeighbourIndex, load_index, penultimate_features, penultimate_position
from mnist_core.normalize import NormalizeSteps, normalize_steps
from mnist_core.numpy_forward import layer_outputs, read_layers
from mnist_core.predictor import UNSURE, DigitReading
from mnist_core.saliency import ELEMENTWISE, saliency_map
from mnist_core.segment import Box

STRONGEST_UNITS = 8  # the dense layer's units shown


@dataclass(frozen=True)
class LayerView:
    """What one layer (with the BatchNorm and ReLU after it) made of the drawing, in the first network."""

    title: str  # e.g. "Convolution 1: 32 filters of 5×5"
    values: np.ndarray  # float32 (F, h, w) feature maps, or (U,) a dense layer's units


@dataclass(frozen=True)
class Explanation:
    """One digit, seen from inside the model."""

    members: np.ndarray  # float32 (M, 10): each network's probabilities; their mean is the reading's
    saliency: dict[int, np.ndarray]  # digit -> float32 (28, 28) >= 0: the digit read, and the runner-up when unsure
    layers: list[LayerView]  # every convolution's feature maps, then the last hidden dense layer's units
    unit_votes: np.ndarray  # int (U,): the digit each of those units pushes up most (its largest outgoing weight)
    neighbours: np.ndarray | None  # int (8,) positions in the model's NeighbourIndex, nearest first; None without an index
    steps: NormalizeSteps | None  # how the digit's own ink became its model input; None without its ink


class Explainer:
    """A model's layers and neighbour index, loaded once, read-only: safe from many threads."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.layers = read_layers(artifacts.model_file(self.folder))
        if self.layers is None:
            raise ValueError(f"{self.folder.name}: its layers run in Keras, not NumPy, so they cannot be shown")
        self.penultimate = penultimate_position(self.layers)
        self.index: NeighbourIndex | None = None
        self.index_problem: str | None = None  # why there are no neighbours to show (a missing or stale index)
        try:
            self.index = load_index(self.folder)
        except (FileNotFoundError, ValueError) as error:
            self.index_problem = str(error)

    def explain(self, digit: DigitReading) -> Explanation:
        """One digit of a Reading -> its Explanation."""
        image = digit.model_input.astype(np.float32)[..., None]
        outputs = layer_outputs(self.layers, image[None])
        scores = outputs[-1][:, 0]
        # Scaled to sum to 1 as Predictor.probabilities scales their mean (the sigmoid presets).
        members = scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-12)
        shown = [d for d, _ in digit.top_two] if digit.status == UNSURE else [digit.digit]
        saliency = {d: saliency_map(self.layers, image, outputs, d) for d in shown}
        views, units = self.layer_views(outputs)
        neighbours = None
        if self.index is not None:
            neighbours = self.index.nearest(penultimate_features(outputs, self.penultimate, image[None])[0])
        steps = normalize_steps(digit.own_ink) if digit.own_ink is not None else None
        return Explanation(members.astype(np.float32), saliency, views, units, neighbours, steps)

    def layer_views(self, outputs: list[np.ndarray]) -> tuple[list[LayerView], np.ndarray]:
        """The first network's convolution blocks and last hidden dense block, each taken after the
        BatchNorm and ReLU that follow it; and where that dense layer's units vote."""
        views, votes, convolutions = [], np.zeros(0, int), 0
        dense_layers = [i for i, layer in enumerate(self.layers) if layer.kind == "Dense"]
        for position, layer in enumerate(self.layers):
            if layer.kind not in ("Conv2D", "Dense") or position == dense_layers[-1]:
                continue
            end = position
            while end + 1 < len(self.layers) and self.layers[end + 1].kind in ELEMENTWISE:
                end += 1
            values = outputs[end][0, 0]
            if layer.kind == "Conv2D":
                convolutions += 1
                height, width = layer.config["kernel_size"]
                title = f"Convolution {convolutions}: {values.shape[-1]} filters of {height}×{width}"
                views.append(LayerView(title, np.moveaxis(values, -1, 0)))
            elif position == dense_layers[-2]:
                views.append(LayerView(f"Dense layer: {len(values)} units", values))
                votes = self.layers[dense_layers[-1]].weights[0][0].argmax(axis=1)
        return views, votes


def strongest_units(values: np.ndarray, count: int = STRONGEST_UNITS) -> np.ndarray:
    """float32 (U,) a dense layer's units -> int (count,) the most active, strongest first."""
    return np.argsort(-values, kind="stable")[:count]


def saliency_on_drawing(saliency: np.ndarray, steps: NormalizeSteps, box: Box, shape: tuple[int, int]) -> np.ndarray:
    """float32 (28, 28) saliency, the digit's normalize steps and box on the canvas -> float32 shape
    (H, W): the same map where each input pixel came from on the drawing (undoing the centring,
    the scaling, the stroke's change of box and the crop)."""
    top, left = steps.placed_at
    fitted_height, fitted_width = steps.fitted.shape
    scale_y = steps.restroked.shape[0] / fitted_height
    scale_x = steps.restroked.shape[1] / fitted_width
    # cv2.resize maps pixel centres by x_source = (x + 0.5) * scale - 0.5: the inverse, then the offsets.
    row_offset = steps.restroked_origin[0] + steps.crop_origin[0] + box.top
    col_offset = steps.restroked_origin[1] + steps.crop_origin[1] + box.left
    matrix = np.float32([[scale_x, 0, (0.5 - left) * scale_x - 0.5 + col_offset],
                         [0, scale_y, (0.5 - top) * scale_y - 0.5 + row_offset]])
    return cv2.warpAffine(saliency, matrix, (shape[1], shape[0]), flags=cv2.INTER_LINEAR, borderValue=0.0)
