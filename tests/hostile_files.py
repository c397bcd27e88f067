"""Hostile files, made on the spot (no binary blobs in the repository): pictures and model files
that are small on disk but would cost a reader minutes, gigabytes, or the contents of another file."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from conftest import PROJECT_ROOT
from PIL import Image

SHIPPED_LINEAR = PROJECT_ROOT / "models" / "linear" / "model.keras"  # 784 -> 10: the smallest shipped model
MAX_SECONDS, MAX_PEAK_MB = 10, 600  # generous: the targets are 2 s and 400 MB on an idle machine

# Runs a command in a fresh child of its own, so that the peak memory of its children is the command's alone.
MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
print(json.dumps({"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr,
                  "seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_predict(*arguments: str) -> Run:
    """scripts/predict.py with these arguments, from the project's root, with its time and peak memory."""
    command = [sys.executable, "-c", MEASURE, sys.executable, "scripts/predict.py", *arguments]
    measured = subprocess.run(command, capture_output=True, text=True, timeout=400, cwd=PROJECT_ROOT, check=True)
    return Run(**json.loads(measured.stdout))


def assert_plain(message: str, own_name: str = "") -> None:
    """A message for a user: no Python repr, no path on the server (own_name, the file's own name, may appear)."""
    assert message and "<" not in message and "object at 0x" not in message, message
    assert "/" not in message.replace(own_name, ""), message


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


def chunky_png(chunks: int) -> bytes:
    """A 100x100 PNG preceded by thousands of tiny text chunks (12 bytes each), which Pillow
    reads one at a time in Python."""
    plain = blank_png(100, 100, color_type=0)
    header_end = 8 + 25  # signature, IHDR
    return plain[:header_end] + png_chunk(b"tEXt", b"a\0b") * chunks + plain[header_end:]


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


def rle8_bmp(width: int, height: int) -> bytes:
    """An RLE8-compressed BMP whose every row is one pixel then end-of-line: 4 bytes a row, and
    Pillow's pure-Python decoder pads each row a byte at a time."""
    rows = b"\x01\x01\x00\x00" * height + b"\x00\x01"  # (1 pixel of colour 1, end of line) per row; end of bitmap
    palette = b"".join(bytes((value, value, value, 0)) for value in range(256))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(rows), 2835, 2835, 256, 0)  # compression 1: RLE8
    offset = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(rows), 0, 0, offset) + info + palette + rows


def lossless_webp(width: int, height: int) -> bytes:
    """A lossless WebP of one flat colour: a few KB, whatever the size."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "WEBP", lossless=True, quality=0, method=0)
    return buffer.getvalue()


def write_model(folder: Path, weights: bytes | None = None, edit_weights=None) -> Path:
    """A model folder made from the shipped linear model: its weights replaced whole (weights)
    or rewritten by edit_weights(h5py.File) on a copy."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(SHIPPED_LINEAR) as shipped:
        config, metadata, original = (shipped.read(name) for name in ("config.json", "metadata.json", "model.weights.h5"))
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
