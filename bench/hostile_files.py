"""Hostile files, made on the spot (no binary blobs in the repository): pictures and model files
that are small on disk but would cost a reader minutes, gigabytes, or the contents of another file.

One home for them: the tests, `bench/hostile_predict.py` and `bench/loadtest.py --hostile-uploads`
all take their files from here: PICTURES and MODEL_FILES, by name, are the catalogue they run through.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from mnist_core.config import MODELS_DIR

SHIPPED_LINEAR = MODELS_DIR / "linear" / "model.keras"  # 784 -> 10: the smallest shipped model


# --------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def blank_png(width: int, height: int, color_type: int = 6, bit_depth: int = 8) -> bytes:
    """A PNG of all-zero pixels, compressed row by row (a 6300x6300 RGBA one is ~190 KB; never
    held whole in memory). color_type 0: gray, 6: RGBA."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = b"\0" * (1 + width * channels * bit_depth // 8)  # filter byte, then the pixels
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


PNG_HEADER_END = 8 + 25  # signature, IHDR: where a PNG's other chunks may be put


def chunky_png(chunks: int) -> bytes:
    """A 100x100 PNG preceded by thousands of tiny text chunks (12 bytes each), which Pillow
    reads one at a time in Python."""
    plain = blank_png(100, 100, color_type=0)
    return plain[:PNG_HEADER_END] + png_chunk(b"tEXt", b"a\0b") * chunks + plain[PNG_HEADER_END:]


def text_bomb_png(inflated_bytes: int) -> bytes:
    """A 100x100 PNG with a compressed text chunk (zTXt) that inflates to inflated_bytes of zeros."""
    compressor = zlib.compressobj(9)
    zeros = b"\0" * 2**20
    text = b"".join(compressor.compress(zeros) for _ in range(inflated_bytes // len(zeros))) + compressor.flush()
    plain = blank_png(100, 100, color_type=0)
    return plain[:PNG_HEADER_END] + png_chunk(b"zTXt", b"Comment\0\0" + text) + plain[PNG_HEADER_END:]


def animated_png(frames: int) -> bytes:
    """A 64x64 APNG of frames frames, each a little different."""
    pictures = [Image.new("L", (64, 64), frame % 256) for frame in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "PNG", save_all=True, append_images=pictures[1:])
    return buffer.getvalue()


def cut_png(side: int) -> bytes:
    """A side x side PNG of noise (it cannot be compressed away), cut off halfway through its pixels."""
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(39).integers(0, 256, (side, side), np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def padded_jpeg(segments: int) -> bytes:
    """A 100x100 JPEG preceded by thousands of empty comment segments (4 bytes each), which
    Pillow reads one at a time in Python."""
    buffer = io.BytesIO()
    Image.new("L", (100, 100)).save(buffer, "JPEG")
    return buffer.getvalue()[:2] + b"\xff\xfe\x00\x02" * segments + buffer.getvalue()[2:]


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """A JPEG's segments as (marker, start, end); a scan's segment includes its entropy-coded data."""
    segments, start = [], 2
    while start < len(data):
        marker = data[start + 1]
        if marker == 0xD9:  # end of image
            segments.append((marker, start, start + 2))
            break
        end = start + 2 + struct.unpack(">H", data[start + 2 : start + 4])[0]
        if marker == 0xDA:  # entropy-coded data runs to the next marker (not a stuffed 0xFF00 or a restart)
            while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
                end += 1
        segments.append((marker, start, end))
        start = end
    return segments


def scan_bomb_jpeg(repeats: int, side: int = 1024) -> bytes:
    """A progressive JPEG (6 scans) whose last scan (an AC refinement: a few bytes) is there
    repeats times: each makes the decoder walk every block of the image again."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((side, side), 255, np.uint8)).save(buffer, "JPEG", progressive=True, quality=90)
    data = buffer.getvalue()
    _, start, end = [segment for segment in jpeg_segments(data) if segment[0] == 0xDA][-1]
    return data[:end] + data[start:end] * (repeats - 1) + data[end:]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A 100x100 JPEG whose frame header (SOF0) claims width x height: a few hundred bytes."""
    buffer = io.BytesIO()
    Image.new("L", (100, 100)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    _, start, _ = next(segment for segment in jpeg_segments(bytes(data)) if segment[0] == 0xC0)
    data[start + 5 : start + 9] = struct.pack(">HH", height, width)  # after marker, length, precision
    return bytes(data)


def phone_photo_jpeg() -> bytes:
    """A 12-megapixel progressive JPEG as a phone takes it: stored landscape with a horizontal bar,
    EXIF orientation 6 (turn right to view), so that it shows a "1"."""
    photo = np.full((3000, 4000, 3), 235, np.uint8)
    photo[1350:1650, 700:3300] = 20
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=90, exif=exif, progressive=True)
    return buffer.getvalue()


def rle8_bmp(width: int, height: int) -> bytes:
    """An RLE8-compressed BMP whose every row is one pixel then end-of-line: 4 bytes a row, and
    Pillow's pure-Python decoder pads each row a byte at a time."""
    rows = b"\x01\x01\x00\x00" * height + b"\x00\x01"  # (1 pixel of colour 1, end of line) per row; end of bitmap
    return bmp(width, height, rows, compression=1)


def bmp(width: int, height: int, pixels: bytes, compression: int = 0) -> bytes:
    """An 8-bit gray-palette BMP of these pixel bytes (however many there are: it may be cut short);
    compression 0: none, 1: RLE8."""
    palette = b"".join(bytes((value, value, value, 0)) for value in range(256))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, compression, len(pixels), 2835, 2835, 256, 0)
    offset = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + palette + pixels


def lossless_webp(width: int, height: int) -> bytes:
    """A lossless WebP of one flat colour: a few KB, whatever the size."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "WEBP", lossless=True, quality=0, method=0)
    return buffer.getvalue()


def gif(side: int) -> bytes:
    """A plain GIF: a format the app does not take."""
    buffer = io.BytesIO()
    Image.new("L", (side, side), 255).save(buffer, "GIF")
    return buffer.getvalue()


@dataclass(frozen=True)
class Picture:
    """A picture file to send a reader: its name, what it is, how to make its bytes, and whether a
    reader must refuse it (True) or read it (False: the largest and oddest pictures accepted)."""

    name: str
    description: str
    make: Callable[[], bytes]
    refused: bool = True


PICTURES = {picture.name: picture for picture in [
    # The tests' set (tests/test_hostile_input.py).
    Picture("scans.jpg", "progressive JPEG 1024x1024, its last scan repeated: 3,005 scans",
            lambda: scan_bomb_jpeg(3000)),
    Picture("huge.png", "PNG 6300x6300 RGBA (40 MP), blank", lambda: blank_png(6300, 6300)),
    Picture("huge-16-bit.png", "PNG 6300x6300 16-bit gray, blank", lambda: blank_png(6300, 6300, 0, 16)),
    Picture("huge.webp", "lossless WebP 6300x6300, white", lambda: lossless_webp(6300, 6300)),
    Picture("rle.bmp", "RLE8 BMP 3400x3400, one pixel then end-of-line a row", lambda: rle8_bmp(3400, 3400)),
    Picture("notes.png", "a line of text named .png", lambda: b"not a picture at all\n"),
    Picture("chunks.png", "PNG 100x100 after 330,000 text chunks", lambda: chunky_png(330_000)),
    Picture("padded.jpg", "JPEG 100x100 after 1,200,000 empty comment segments", lambda: padded_jpeg(1_200_000)),
    # The largest pictures accepted.
    Picture("16-bit.png", "PNG 3400x3400 16-bit gray (11.6 MP), blank", lambda: blank_png(3400, 3400, 0, 16), False),
    Picture("rgba.png", "PNG 4000x3000 RGBA (12 MP), blank", lambda: blank_png(4000, 3000), False),
    Picture("rgba-16-bit.png", "PNG 4000x3000 16-bit RGBA, blank", lambda: blank_png(4000, 3000, 6, 16), False),
    Picture("big.webp", "lossless WebP 4000x3000, white", lambda: lossless_webp(4000, 3000), False),
    Picture("photo.jpg", "progressive JPEG 4000x3000, a bar, EXIF turned: a 1", phone_photo_jpeg, False),
    Picture("long.png", "PNG 1x100000 gray, blank", lambda: blank_png(1, 100_000, color_type=0), False),
    # More hostile variants.
    Picture("empty.png", "zero bytes", lambda: b""),
    Picture("cut.png", "PNG 1000x1000 of noise, cut off halfway", lambda: cut_png(1000)),
    Picture("cut.bmp", "BMP header claiming 3400x3400 8-bit, 1 KB of pixels", lambda: bmp(3400, 3400, b"\x80" * 1024)),
    Picture("claims.jpg", "JPEG 100x100 whose header claims 65000x65000", lambda: jpeg_claiming(65_000, 65_000)),
    Picture("drawing.gif", "GIF 280x280, white", lambda: gif(280)),
    Picture("animated.png", "APNG 64x64, 1,000 frames", lambda: animated_png(1000)),
    Picture("text-bomb.png", "PNG 100x100 with a text chunk inflating to 256 MB", lambda: text_bomb_png(2**28)),
]}


# --------------------------------------------------------------------------
# Model files
# --------------------------------------------------------------------------


def write_model(folder: Path, weights: bytes | None = None, edit_weights=None) -> Path:
    """A model folder made from the shipped linear model: its weights replaced whole (weights)
    or rewritten by edit_weights(h5py.File) on a copy."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(SHIPPED_LINEAR) as shipped:
        config, metadata = shipped.read("config.json"), shipped.read("metadata.json")
        original = shipped.read("model.weights.h5")
    if edit_weights is not None:
        buffer = io.BytesIO(original)
        with h5py.File(buffer, "r+") as weights_file:
            edit_weights(weights_file)
        weights = buffer.getvalue()
    with zipfile.ZipFile(folder / "model.keras", "w") as archive:
        archive.writestr("metadata.json", metadata)
        archive.writestr("config.json", config)
        archive.writestr("model.weights.h5", weights if weights is not None else original)
    return folder


def zip_bomb_model(folder: Path, declared_bytes: int) -> Path:
    """A model whose weights member inflates from ~1/1000 of declared_bytes to declared_bytes of zeros."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(SHIPPED_LINEAR) as shipped:
        config, metadata = shipped.read("config.json"), shipped.read("metadata.json")
    with zipfile.ZipFile(folder / "model.keras", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("metadata.json", metadata)
        archive.writestr("config.json", config)
        zeros = b"\0" * 2**24
        with archive.open("model.weights.h5", "w", force_zip64=True) as member:
            for _ in range(declared_bytes // len(zeros)):
                member.write(zeros)
    return folder


def external_kernel(target: str, shape: tuple[int, ...] = (784, 10)):
    """edit_weights for write_model: the Dense kernel's values stored in another file (target)."""

    def edit(weights_file: h5py.File) -> None:
        del weights_file["layers/dense/vars/0"]
        weights_file["layers/dense/vars"].create_dataset(
            "0", shape=shape, dtype=np.float32, external=[(target, 0, h5py.h5f.UNLIMITED)]
        )

    return edit


def linked_kernel(target: str):
    """edit_weights for write_model: the Dense kernel an HDF5 link into another file (target)."""

    def edit(weights_file: h5py.File) -> None:
        del weights_file["layers/dense/vars/0"]
        weights_file["layers/dense/vars/0"] = h5py.ExternalLink(target, "/")

    return edit


def reshaped_kernel(shape: tuple[int, ...]):
    """edit_weights for write_model: the Dense kernel replaced by zeros of another shape."""

    def edit(weights_file: h5py.File) -> None:
        del weights_file["layers/dense/vars/0"]
        weights_file["layers/dense/vars"].create_dataset("0", data=np.zeros(shape, np.float32))

    return edit


@dataclass(frozen=True)
class ModelFile:
    """A hostile model folder: its name, what it is, and how to make it (make(folder) -> folder)."""

    name: str
    description: str
    make: Callable[[Path], Path]


MODEL_FILES = {model.name: model for model in [
    ModelFile("zip-bomb", "weights inflating to 256 MB", lambda folder: zip_bomb_model(folder, 2**28)),
    ModelFile("passwd", "Dense kernel stored in /etc/passwd (HDF5 external storage)",
              lambda folder: write_model(folder, edit_weights=external_kernel("/etc/passwd"))),
    ModelFile("endless", "Dense kernel of 1 GB stored in /dev/zero",
              lambda folder: write_model(folder, edit_weights=external_kernel("/dev/zero", (250_000_000, 1)))),
    ModelFile("linked", "Dense kernel an HDF5 external link to /etc/passwd",
              lambda folder: write_model(folder, edit_weights=linked_kernel("/etc/passwd"))),
    ModelFile("wrong-shape", "Dense kernel (784, 9) where the config needs (784, 10)",
              lambda folder: write_model(folder, edit_weights=reshaped_kernel((784, 9)))),
]}
