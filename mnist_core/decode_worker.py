"""Decode an uploaded image in a separate process that is killed if it takes too long.

decode_image's header checks bound what a file can cost, but a server should not bet its
threads (and the GIL they share) on every decoder's corner cases: here the decoding runs in a
child process (python -m mnist_core.decode_worker), at most MAX_DECODES at once, killed when
still busy after the timeout. Only the small decoded uint8 array comes back, as .npy bytes
(never a pickle). A child costs a Python start (~0.3 s idle, ~0.7 s on a busy server): each one
used is replaced by a spare started at once, waiting with the decoders imported, so the next upload
costs its decoding only. Each child reads one file and exits: nothing one file does reaches the next.
"""

from __future__ import annotations

import io
import json
import queue
import subprocess
import sys
import threading

import numpy as np

from mnist_core.image_io import MAX_FILE_BYTES, decode_image

DECODE_SECONDS = 5.0  # a 12-megapixel photo takes well under a second
MAX_DECODES = 2  # children decoding at once (the machine's cores); more uploads wait their turn
SLOTS = threading.BoundedSemaphore(MAX_DECODES)
SPARES: queue.SimpleQueue[subprocess.Popen] = queue.SimpleQueue()  # started, waiting for a file on stdin


def start_child() -> subprocess.Popen:
    # The same interpreter, so the same installed mnist_core (pip install -e .).
    return subprocess.Popen(
        [sys.executable, "-m", "mnist_core.decode_worker"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )


def take_child() -> subprocess.Popen:
    """A started child (a spare if one is waiting), and a spare started in its place."""
    try:
        child = SPARES.get_nowait()
    except queue.Empty:
        child = start_child()
    threading.Thread(target=lambda: SPARES.put(start_child()), daemon=True).start()
    return child


def decode_image_in_worker(
    data: bytes, name: str = "image", timeout: float = DECODE_SECONDS, max_bytes: int = MAX_FILE_BYTES
) -> np.ndarray:
    """decode_image (same arguments, same uint8 result) in a child process killed after timeout
    seconds; ValueError with a message for the user when the file is refused, too slow, or when
    the decoders stay busy with other files for longer than timeout."""
    if not SLOTS.acquire(timeout=timeout):
        raise ValueError("Too many pictures are being read right now; try again in a moment")
    try:
        request = json.dumps({"name": name, "max_bytes": max_bytes}).encode() + b"\n" + data
        child = take_child()
        try:
            answer, _ = child.communicate(request, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            child.kill()
            child.communicate()
            raise ValueError(f"{name} took over {timeout:g} s to read; send a smaller PNG or JPEG") from error
    finally:
        SLOTS.release()
    if answer[:1] == b"E":
        raise ValueError(answer[1:].decode("utf-8", "replace"))
    if answer[:1] != b"I":  # the child died: out of memory, or a crash in a decoder
        raise ValueError(f"{name} is not a readable image: the decoder gave up on it")
    return np.load(io.BytesIO(answer[1:]), allow_pickle=False)


def serve_one_request() -> None:
    """In the child: a JSON line {"name", "max_bytes"} then the file's bytes on stdin ->
    b"I" + the decoded array as .npy, or b"E" + the message for the user, on stdout."""
    header, _, data = sys.stdin.buffer.read().partition(b"\n")
    if not header:  # a spare whose server stopped: nothing to do
        return
    request = json.loads(header)
    try:
        image = decode_image(data, request["name"], request["max_bytes"])
    except ValueError as error:
        sys.stdout.buffer.write(b"E" + str(error).encode("utf-8"))
        return
    answer = io.BytesIO()
    np.save(answer, image, allow_pickle=False)
    sys.stdout.buffer.write(b"I" + answer.getvalue())


if __name__ == "__main__":
    serve_one_request()
