"""Decode an uploaded image in a separate process that is killed if it takes too long.

decode_image's header checks bound what a file can cost, but a server should not bet its
threads (and the GIL they share) on every decoder's corner cases: here the decoding runs in a
child process (python -m mnist_core.decode_worker), at most MAX_DECODES at once, killed when
still busy after the timeout. Only the small decoded uint8 array comes back, as .npy bytes
(never a pickle). A child stays for the next upload: starting one (Python, NumPy, Pillow, OpenCV)
costs ~0.25 s of CPU, as much as decoding a photo, and a new child per upload slowed every
visitor's strokes while one visitor uploaded in a loop. A child that timed out or died is
replaced, and one that has read CHILD_USES files retires, taking any memory a decoder kept with it.
"""

from __future__ import annotations

import io
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from mnist_core.image_io import MAX_FILE_BYTES, decode_image

DECODE_SECONDS = 5.0  # a 12-megapixel photo takes well under a second
MAX_DECODES = 2  # children decoding at once (the machine's cores); more uploads wait their turn
CHILD_USES = 100
SLOTS = threading.BoundedSemaphore(MAX_DECODES)
LENGTH_BYTES = 8  # an answer: b"I" (image) or b"E" (refusal), its length, then the .npy or the message


@dataclass
class Child:
    process: subprocess.Popen
    uses: int = 0

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


IDLE: queue.SimpleQueue[Child] = queue.SimpleQueue()  # children waiting for their next file


def take_child() -> Child:
    """An idle child that is still alive, else a new one."""
    while True:
        try:
            child = IDLE.get_nowait()
        except queue.Empty:
            break
        if child.process.poll() is None:
            return child
    # The same interpreter, so the same installed mnist_core (pip install -e .).
    process = subprocess.Popen([sys.executable, "-m", "mnist_core.decode_worker"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return Child(process)


def read_exactly(stream: BinaryIO, count: int, deadline: float) -> bytes:
    """count bytes from a child's pipe before time.monotonic() reaches deadline (TimeoutError), or
    EOFError if the child is gone."""
    chunks = []
    while count:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(stream.fileno(), min(count, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def decode_image_in_worker(
    data: bytes, name: str = "image", timeout: float = DECODE_SECONDS, max_bytes: int = MAX_FILE_BYTES
) -> np.ndarray:
    """decode_image (same arguments, same uint8 result) in a child process killed after timeout
    seconds; ValueError with a message for the user when the file is refused, too slow, or when
    the decoders stay busy with other files for longer than timeout."""
    if not SLOTS.acquire(timeout=timeout):
        raise ValueError("Too many pictures are being read right now; try again in a moment")
    try:
        child = take_child()
        deadline = time.monotonic() + timeout
        try:
            request = json.dumps({"name": name, "max_bytes": max_bytes, "size": len(data)}).encode() + b"\n"
            child.process.stdin.write(request + data)
            child.process.stdin.flush()
            kind = read_exactly(child.process.stdout, 1, deadline)
            length = int.from_bytes(read_exactly(child.process.stdout, LENGTH_BYTES, deadline), "big")
            answer = read_exactly(child.process.stdout, length, deadline)
        except TimeoutError as error:
            child.stop()
            raise ValueError(f"{name} took over {timeout:g} s to read; send a smaller PNG or JPEG") from error
        except (EOFError, OSError) as error:  # the child died: out of memory, or a crash in a decoder
            child.stop()
            raise ValueError(f"{name} is not a readable image: the decoder gave up on it") from error
        child.uses += 1
        if child.uses < CHILD_USES:
            IDLE.put(child)
        else:
            child.stop()
    finally:
        SLOTS.release()
    if kind == b"E":
        raise ValueError(answer.decode("utf-8", "replace"))
    return np.load(io.BytesIO(answer), allow_pickle=False)


def serve_requests() -> None:
    """In the child, until stdin closes: a JSON line {"name", "max_bytes", "size"} then the file's
    bytes -> b"I" + length + the decoded array as .npy, or b"E" + length + the message for the user."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while header := stdin.readline():
        request = json.loads(header)
        data = stdin.read(request["size"])
        try:
            image = decode_image(data, request["name"], request["max_bytes"])
        except ValueError as error:
            kind, answer = b"E", str(error).encode("utf-8")
        else:
            buffer = io.BytesIO()
            np.save(buffer, image, allow_pickle=False)
            kind, answer = b"I", buffer.getvalue()
        stdout.write(kind + len(answer).to_bytes(LENGTH_BYTES, "big") + answer)
        stdout.flush()


if __name__ == "__main__":
    serve_requests()
