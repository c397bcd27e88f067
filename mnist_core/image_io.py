"""Decode image files (PNG, JPEG, BMP, WebP; with or without alpha) into arrays, safely."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG", "JPEG", "BMP", "WEBP", "MPO"}  # MPO: JPEG from some phone cameras
MAX_PIXELS = 40_000_000  # a 10,000x10,000 image is refused before it is decoded
MAX_FILE_BYTES = 20 * 1024 * 1024


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Encoded image bytes -> uint8 (H, W), (H, W, 2), (H, W, 3) or (H, W, 4); ValueError if unusable."""
    if len(data) == 0:
        raise ValueError(f"{name} is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{name} is {len(data) / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ALLOWED_FORMATS:
                raise ValueError(f"{name} is a {image.format} image; use PNG, JPEG, BMP or WebP")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValueError(
                    f"{name} is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels"
                )
            image.load()
            image = ImageOps.exif_transpose(image)  # phone photos: upright as they were taken
            return np.asarray(to_plain_mode(image))
    except ValueError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValueError(f"{name} is not a readable image ({error})") from error


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode_canvas_png(data: bytes) -> np.ndarray:
    """PNG bytes of an opaque canvas -> uint8 (H, W) gray, decoded straight to gray by OpenCV
    (a third of the cost of RGBA through PIL, on every stroke); ValueError if unusable."""
    # The size is read from the header first, so a client cannot make the server inflate a huge image.
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("the drawing is not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    if width * height > MAX_PIXELS:
        raise ValueError(f"the drawing is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels")
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ValueError("the drawing is not a readable PNG image")
    return gray


def to_plain_mode(image: Image.Image) -> Image.Image:
    """Any PIL mode -> L, LA, RGB or RGBA (8 bits per channel), keeping transparency."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        scaled = np.asarray(image, dtype=np.float64)
        top = scaled.max() or 1.0
        return Image.fromarray((scaled / top * 255).astype(np.uint8), mode="L")
    if image.mode == "PA":
        return image.convert("RGBA")
    return image.convert("RGBA" if "A" in image.mode else "RGB")


def read_image(path: str | Path) -> np.ndarray:
    """An image file -> uint8 array (see decode_image); FileNotFoundError or ValueError naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return decode_image(path.read_bytes(), name=str(path))
