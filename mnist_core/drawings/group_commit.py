"""Group commit: the answers of everyone waiting at one moment written in one transaction.

When 20 people answer at once, 20 transactions one after the other make the last one wait for
19 others, and every hand-over from one writer thread to the next waits for the OS to wake it.
Here the first caller with no writer at work becomes the writer and writes everything queued;
whoever queued meanwhile is written in the next batch, led by the oldest of them, so that no
caller keeps writing for others forever. Each caller returns once its own item is committed.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Waiting(Generic[Item, Result]):
    def __init__(self, item: Item):
        self.item = item
        self.woken = threading.Event()  # set when written, or when it is this caller's turn to write
        self.done = False
        self.result: Result | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """write_batch(items) -> one result per item, all in one transaction (it raises to fail them all)."""

    def __init__(self, write_batch: Callable[[list[Item]], list[Result]]):
        self._write_batch = write_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting[Item, Result]] = []
        self._writing = False

    def submit(self, item: Item) -> Result:
        """Write item with whatever else is queued -> its result, once committed; re-raises write_batch's error."""
        waiting = _Waiting(item)
        with self._lock:
            self._queue.append(waiting)
            leads = not self._writing
            self._writing = True
        if not leads:
            waiting.woken.wait()
        if not waiting.done:  # nobody was writing, or the last writer handed over to this caller
            self._write_queued()
        if waiting.error is not None:
            # A copy for each caller: one exception object raised in many threads would mix their tracebacks.
            raise copy.copy(waiting.error) from waiting.error
        return waiting.result

    def _write_queued(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            results = self._write_batch([waiting.item for waiting in batch])
            for waiting, result in zip(batch, results, strict=True):
                waiting.result = result
        except BaseException as error:  # noqa: BLE001 (not swallowed: every caller in the batch re-raises it)
            for waiting in batch:
                waiting.error = error
        finally:
            with self._lock:
                for waiting in batch:
                    waiting.done = True
                if self._queue:
                    self._queue[0].woken.set()  # the oldest still waiting writes the next batch
                else:
                    self._writing = False
            for waiting in batch:
                waiting.woken.set()
