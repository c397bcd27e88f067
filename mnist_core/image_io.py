"""Decode image files (PNG, JPEG, BMP, WebP; with or without alpha) into small uint8 arrays, safely.

A file is a stranger's: everything that decides what decoding costs (format, size, frames, a JPEG's
scans, a BMP's compression) is read from the header and checked before a pixel is decoded, and
the picture is brought down to at most MAX_DECODED_SIDE pixels while still 8 bits per channel, so
that no step after it ever holds a full-size float copy.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED = "PNG, JPEG, BMP or WebP"
MAX_FILE_BYTES = 20 * 1024 * 1024  # the library's default; the app passes its own, smaller limit
MAX_PIXELS = 12_000_000  # a phone photo or a scanned page; refused from the header, before decoding
MAX_DECODED_SIDE = 2048  # decoded pictures are shrunk to this (twice what normalize works at) in 8 bits
MAX_JPEG_SCANS = 40  # a progressive photo has ~10 (MPO: two images); each scan walks the whole image again
# Pillow reads the segments before a JPEG's first scan and every PNG chunk in Python, one at a
# time: 5 MB of 4-byte segments or 12-byte chunks cost it seconds. Photos and drawings have tens.
MAX_JPEG_HEADER_MARKERS = 65_536  # 0xFF bytes before the first scan (ICC profiles and EXIF hold a few thousand)
MAX_PNG_CHUNKS = 20_000  # encoders write 8-64 KB of pixels a chunk: 600 chunks for a 5 MB PNG
RLE_BMP = {1, 2}  # RLE8, RLE4: decoded by Pillow in pure Python, seconds for a few KB

# The first bytes of each accepted format -> Pillow's name for it. Pillow is told which one to use,
# so it never tries its other decoders on a stranger's file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIGNATURES = {PNG_SIGNATURE: "PNG", b"\xff\xd8\xff": "JPEG", b"BM": "BMP"}


def sniff_format(data: bytes) -> str | None:
    """A file's first bytes -> "PNG", "JPEG", "BMP", "WEBP", or None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((name for signature, name in SIGNATURES.items() if data.startswith(signature)), None)


def megabytes(count: int) -> str:
    return f"{count / 2**20:.1f}".removesuffix(".0") + " MB"


def accepted(max_bytes: int) -> str:
    return f"accepted are {ACCEPTED}, up to {megabytes(max_bytes)}"


def too_large(name: str, size: int, max_bytes: int) -> ValueError:
    return ValueError(f"{name} is {megabytes(size)}: {accepted(max_bytes)}")


# What Pillow raises for a file it cannot make sense of; its own words are not shown to the user
# (they can hold the server's objects: <_io.BytesIO object at 0x...>).
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, EOFError, ValueError, struct.error)


def unreadable(name: str, error: Exception) -> ValueError:
    if isinstance(error, Image.DecompressionBombError):  # Pillow's own cap, far above ours: absurd sizes only
        return ValueError(f"{name} is over the {MAX_PIXELS // 1_000_000}-megapixel limit")
    return ValueError(f"{name} is not a readable image: it is damaged or cut short")


def decode_image(data: bytes, name: str = "image", max_bytes: int = MAX_FILE_BYTES) -> np.ndarray:
    """Encoded image bytes -> uint8 (H, W), (H, W, 2), (H, W, 3) or (H, W, 4), upright (EXIF),
    H, W <= MAX_DECODED_SIDE; ValueError with a message for the user (name: the file's name) if
    the file is not one to decode."""
    if len(data) == 0:
        raise ValueError(f"{name} is empty: {accepted(max_bytes)}")
    if len(data) > max_bytes:
        raise too_large(name, len(data), max_bytes)
    kind = sniff_format(data)
    if kind is None:
        raise ValueError(f"{name} is not a readable image: {accepted(max_bytes)}")
    check_bytes(data, kind, name)
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])  # the header only
    except (*DECODE_ERRORS, Image.DecompressionBombError) as error:
        raise unreadable(name, error) from error
    with image:
        check_header(image, name)
        try:
            return np.asarray(decode_small(image))
        except DECODE_ERRORS as error:
            raise unreadable(name, error) from error


def check_bytes(data: bytes, kind: str, name: str) -> None:
    """A file's bytes and sniffed format -> nothing; ValueError if its structure would make
    Pillow's header parsing or libjpeg's scans take seconds. Runs before Pillow sees the file."""
    if kind == "JPEG":
        # A scan starts with the marker FF DA, which compressed data never holds (a 0xFF byte
        # there is always followed by 00 or a restart marker): counting them needs no decoding.
        scans = data.count(b"\xff\xda")
        if scans > MAX_JPEG_SCANS:
            raise ValueError(f"{name}: this JPEG has {scans:,} scans; photos have a few (the limit is {MAX_JPEG_SCANS})")
        first_scan = data.find(b"\xff\xda")
        if data.count(b"\xff", 0, first_scan if first_scan >= 0 else len(data)) > MAX_JPEG_HEADER_MARKERS:
            raise ValueError(f"{name} is not a readable image: its JPEG header is padded with tens of thousands of markers")
    if kind == "PNG":
        position, chunks = len(PNG_SIGNATURE), 0
        while position + 8 <= len(data) and chunks <= MAX_PNG_CHUNKS:
            position += 12 + struct.unpack_from(">I", data, position)[0]  # length, type, payload, CRC
            chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            raise ValueError(f"{name} is not a readable image: it is cut into over {MAX_PNG_CHUNKS:,} PNG chunks")


def check_header(image: Image.Image, name: str) -> None:
    """An opened, not yet decoded image -> nothing; ValueError if decoding it would cost too much."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValueError(f"{name}: {width}×{height} is over the {MAX_PIXELS // 1_000_000}-megapixel limit")
    if image.format in ("PNG", "WEBP") and getattr(image, "n_frames", 1) > 1:
        raise ValueError(f"{name} is an animation ({image.n_frames} frames); send a still picture")
    if image.format == "BMP" and image.info.get("compression") in RLE_BMP:
        raise ValueError(f"{name} is a compressed (RLE) BMP; save it as PNG, JPEG or an uncompressed BMP")


def decode_small(image: Image.Image) -> Image.Image:
    """A checked, opened image -> decoded, at most MAX_DECODED_SIDE on its longer side, upright,
    in mode L, LA, RGB or RGBA."""
    if image.format in ("JPEG", "MPO"):
        factor = reduction(image.size)
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale straight away (never smaller than asked).
        image.draft(None, (-(-image.size[0] // factor), -(-image.size[1] // factor)))
    image.load()
    if image.mode in ("1", "P", "PA"):  # palette indices cannot be averaged: colours first
        image = to_plain_mode(image)
    elif image.mode.startswith("I;16"):  # 16-bit gray is averaged as 32-bit
        image = image.convert("I")
    if reduction(image.size) > 1:
        # Box average by a whole factor, in the image's own 8 or 16 bits (alpha premultiplied).
        image = image.reduce(reduction(image.size))
    return to_plain_mode(ImageOps.exif_transpose(image))  # phone photos: upright as they were taken


def reduction(size: tuple[int, int]) -> int:
    """(width, height) -> the smallest whole factor that brings the longer side to MAX_DECODED_SIDE or less."""
    return -(-max(size) // MAX_DECODED_SIDE)


def decode_canvas_png(data: bytes) -> np.ndarray:
    """PNG bytes of an opaque canvas -> uint8 (H, W) gray, decoded straight to gray by OpenCV
    (a third of the cost of RGBA through PIL, on every stroke); ValueError if unusable."""
    # The size is read from the header first, so a client cannot make the server inflate a huge image.
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("the drawing is not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    import cv2  # imported here: the upload decoder's child processes need only Pillow, and start 0.2 s sooner

    if width * height > MAX_PIXELS:
        raise ValueError(f"the drawing is {width}×{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels")
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
    if image.mode == "I":
        # 16 or 32-bit gray (already shrunk: small): scaled so that its brightest pixel is 255.
        levels = np.asarray(image).astype(np.float32)
        top = float(levels.max()) or 1.0
        return Image.fromarray(np.clip(levels * (255.0 / top), 0, 255).astype(np.uint8))
    if image.mode == "PA":
        return image.convert("RGBA")
    return image.convert("RGBA" if "A" in image.mode else "RGB")


def read_image(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> np.ndarray:
    """An image file -> uint8 array (see decode_image); FileNotFoundError or ValueError naming it
    by its file name (not its folders: messages may reach other people)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path.name}: no such file")
    if path.stat().st_size > max_bytes:  # not even read: it could be any size
        raise too_large(path.name, path.stat().st_size, max_bytes)
    return decode_image(path.read_bytes(), name=path.name, max_bytes=max_bytes)
