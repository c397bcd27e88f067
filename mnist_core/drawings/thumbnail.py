"""The small picture of a whole drawing that is stored with an answer and shown on the wall."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mnist_core.drawings.answers import MAX_PNG_SIDE


def drawing_png(image: np.ndarray, max_side: int = MAX_PNG_SIDE) -> bytes:
    """The canvas, uint8 RGBA (H, W, 4), RGB (H, W, 3) or gray (H, W) -> grayscale PNG bytes, at most
    max_side pixels a side (aspect kept), transparency laid on white so that it reads on any page."""
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError("the drawing must be an 8-bit gray, RGB or RGBA image")
    picture = Image.fromarray(array).convert("RGBA")
    on_white = Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture).convert("L")
    on_white.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    on_white.save(buffer, format="PNG")
    return buffer.getvalue()
