"""Pictures and tables for the app, as plain arrays and DataFrames (no Streamlit here)."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from mnist_core.segment import Box

GRID_LEVEL = 70  # the gray of the lines between pixels: visible on black and on white cells
BOX_COLORS = [(230, 25, 75), (60, 140, 255), (0, 170, 90), (245, 130, 48), (145, 30, 180)]


def pixel_grid(model_input: np.ndarray, cell: int = 8) -> np.ndarray:
    """float32 (28, 28) in [0, 1] -> uint8 (28*cell+1, 28*cell+1) gray: each pixel a cell, grid lines between."""
    levels = (np.clip(model_input, 0, 1) * 255).astype(np.uint8)
    size = levels.shape[0] * cell + 1
    image = np.empty((size, size), np.uint8)
    image[:-1, :-1] = np.repeat(np.repeat(levels, cell, axis=0), cell, axis=1)
    image[::cell, :] = GRID_LEVEL
    image[:, ::cell] = GRID_LEVEL
    return image


def png_bytes(image: np.ndarray) -> bytes:
    """uint8 (H, W) gray or (H, W, 3) RGB -> PNG file bytes (OpenCV's encoder: a fraction of PIL's cost)."""
    pixels = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    encoded, buffer = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not encoded:
        raise ValueError(f"could not encode an image of shape {image.shape} as PNG")
    return buffer.tobytes()


def shrunk(image: np.ndarray, side: int) -> np.ndarray:
    """uint8 (H, W[, C]) -> the same, its longer side at most `side` px (area-averaged)."""
    scale = side / max(image.shape[:2])
    if scale >= 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def drawing_with_boxes(ink: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """float32 (H, W) ink and digit boxes in its coordinates -> uint8 (H, W, 3), dark on white, each box numbered."""
    picture = np.repeat(((1.0 - ink) * 255).astype(np.uint8)[..., None], 3, axis=2)
    thickness = max(2, round(max(picture.shape[:2]) / 200))
    for index, box in enumerate(boxes):
        color = BOX_COLORS[index % len(BOX_COLORS)]
        cv2.rectangle(picture, (box.left, box.top), (box.right, box.bottom), color, thickness)
        # The number sits on a filled tag outside the box, above it or else below it (inside only
        # when neither has room), so that no stroke covers it and it covers no stroke.
        label, scale = str(index + 1), 0.3 * thickness
        (text_width, text_height), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        tag_width, tag_height = text_width + 4 * thickness, text_height + 4 * thickness
        left = min(box.left, picture.shape[1] - tag_width)
        if box.top >= tag_height:
            top = box.top - tag_height
        elif box.bottom + tag_height < picture.shape[0]:
            top = box.bottom
        else:
            top = box.top
        cv2.rectangle(picture, (left, top), (left + tag_width, top + tag_height), color, cv2.FILLED)
        cv2.putText(picture, label, (left + 2 * thickness, top + tag_height - 2 * thickness),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return picture


def history_frame(histories: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """{model: history.json} -> long table: model, epoch, metric (accuracy|loss), split (training|validation), value."""
    rows = []
    for model, history in histories.items():
        for metric in ("accuracy", "loss"):
            for split, key in (("training", metric), ("validation", f"val_{metric}")):
                for epoch, value in enumerate(history.get(key, []), start=1):
                    rows.append((model, epoch, metric, split, float(value)))
    return pd.DataFrame(rows, columns=["model", "epoch", "metric", "split", "value"])


def confusion_frame(matrix: list[list[int]]) -> pd.DataFrame:
    """10x10 confusion matrix -> long table: true, predicted, count, share of the true class."""
    counts = np.asarray(matrix, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return pd.DataFrame(
        [(t, p, int(counts[t, p]), float(shares[t, p])) for t in range(10) for p in range(10)],
        columns=["true", "predicted", "count", "share"],
    )


def layers_frame(layers: list[dict]) -> pd.DataFrame:
    """metrics.json's layer list -> table of layer, type, parameters."""
    return pd.DataFrame(
        [(layer.get("name"), layer.get("type"), layer.get("parameters")) for layer in layers],
        columns=["layer", "type", "parameters"],
    )
